package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// callPlanQuery is one statement the store ran, with its arguments.
type callPlanQuery struct {
	SQL  string
	Vars []any
}

// callPlanCapture records every query s runs from now on; take returns
// those recorded since its last call.
func callPlanCapture(t *testing.T, s *Store) (take func() []callPlanQuery) {
	t.Helper()
	var mu sync.Mutex
	var got []callPlanQuery
	record := func(db *gorm.DB) {
		if db.Statement.SQL.Len() == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, callPlanQuery{db.Statement.SQL.String(), slices.Clone(db.Statement.Vars)})
	}
	if err := s.db.Callback().Query().After("gorm:query").Register("test:capture", record); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Callback().Row().After("gorm:row").Register("test:capture", record); err != nil { // Scan
		t.Fatal(err)
	}
	return func() []callPlanQuery {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

// callPlanPGIndex matches a read of an index of calls in PostgreSQL's EXPLAIN:
// an ordered scan, or (m[1] not empty) a bitmap one.
var callPlanPGIndex = regexp.MustCompile(`(?:Index (?:Only )?Scan(?: Backward)? using|(Bitmap) Index Scan on) (\w+)`)

// TestCallListingQueryPlan: every read behind the call listings (a
// client's offset pages and their counts; the admin's keyset pages, first
// and after a cursor, by client, by status, by both) walks an index of
// migration 00005 in the listing's order: no sort, no scan of the table.
// It explains the statements the store runs, captured as it runs them. On
// SQLite the table is small and never analysed (as the server's, which runs
// no ANALYZE): the plan comes from the schema alone. On PostgreSQL, which
// picks plans by statistics, the table holds 40,000 calls over 10,001
// clients and is vacuumed and analysed, as autovacuum would have it.
func TestCallListingQueryPlan(t *testing.T) {
	pageStores(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, id := range []string{"client_a", "client_b"} {
			pageInsert(t, s, []clientRow{pageRow(id, now, switchboard.StatusActive, switchboard.ClientMeta{})})
		}
		// A few calls, so the counts and pages have rows to read.
		for i := range 6 {
			c := &switchboard.Call{ID: fmt.Sprintf("call_%024x", i), ClientID: []string{"client_a", "client_b"}[i%2],
				To: "+12125550100", From: "+18001234567", AgentID: "agent", RequestedBy: "client"}
			if err := s.CreateCall(ctx, c, 1000, now.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if s.dialect == Postgres {
			callPlanSeed(t, s, now)
		}
		take := callPlanCapture(t, s)
		completed := ptrTo(switchboard.CallCompleted)
		cursor := &switchboard.CallCursor{CreatedAt: now.Add(3 * time.Second), ID: fmt.Sprintf("call_%024x", 3)}
		// A count of a client's calls may read any of its indexes (of
		// migrations 00005 and 00007): all hold client_pk and status.
		clientIndexes := []string{"calls_client_pk_created_at_idx", "calls_client_pk_status_created_at_idx", "calls_client_pk_stats_idx"}

		for _, tt := range []struct {
			name    string
			run     func() error
			indexes [][]string // of the statements run, in order: the ones that may serve it
		}{
			{"ClientCalls", func() error {
				_, _, _, err := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{Limit: 50, Offset: 1})
				return err
			}, [][]string{clientIndexes, {"calls_client_pk_created_at_idx"}}},
			{"ClientCallsStatus", func() error {
				_, _, _, err := s.FindClientCalls(ctx, "client_a", switchboard.CallFilter{Status: completed, Limit: 50, Offset: 1})
				return err
			}, [][]string{clientIndexes, clientIndexes, {"calls_client_pk_status_created_at_idx"}}},
			// The statistics read the covering indexes of migration 00007,
			// in group order.
			{"ClientStats", func() error {
				_, err := s.CallStats(ctx, "client_a")
				return err
			}, [][]string{{"calls_client_pk_stats_idx"}}},
			{"AllStats", func() error {
				_, err := s.CallStats(ctx, "")
				return err
			}, [][]string{{"calls_stats_idx"}}},
			{"PageFirst", callPlanPage(s, switchboard.CallPageFilter{}), [][]string{{"calls_created_at_idx"}}},
			{"PageAfter", callPlanPage(s, switchboard.CallPageFilter{After: cursor}), [][]string{{"calls_created_at_idx"}}},
			{"PageClientFirst", callPlanPage(s, switchboard.CallPageFilter{ClientID: "client_a"}), [][]string{{"calls_client_id_created_at_idx"}}},
			{"PageClientAfter", callPlanPage(s, switchboard.CallPageFilter{ClientID: "client_a", After: cursor}), [][]string{{"calls_client_id_created_at_idx"}}},
			{"PageStatusFirst", callPlanPage(s, switchboard.CallPageFilter{Status: completed}), [][]string{{"calls_status_created_at_idx"}}},
			{"PageStatusAfter", callPlanPage(s, switchboard.CallPageFilter{Status: completed, After: cursor}), [][]string{{"calls_status_created_at_idx"}}},
			{"PageClientStatusFirst", callPlanPage(s, switchboard.CallPageFilter{ClientID: "client_a", Status: completed}), [][]string{{"calls_client_id_status_created_at_idx"}}},
			{"PageClientStatusAfter", callPlanPage(s, switchboard.CallPageFilter{ClientID: "client_a", Status: completed, After: cursor}), [][]string{{"calls_client_id_status_created_at_idx"}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				take()
				if err := tt.run(); err != nil {
					t.Fatal(err)
				}
				queries := take()
				if len(queries) != len(tt.indexes) {
					t.Fatalf("%d statements run, want %d: %q", len(queries), len(tt.indexes), queries)
				}
				for i, q := range queries {
					if s.dialect == SQLite {
						callPlanCheckSQLite(t, s, q, tt.indexes[i])
					} else {
						callPlanCheckPostgres(t, s, q, tt.indexes[i])
					}
				}
			})
		}
	})
}

func callPlanPage(s *Store, f switchboard.CallPageFilter) func() error {
	return func() error {
		f.Limit = 50
		_, err := s.FindCallPage(context.Background(), f)
		return err
	}
}

// callPlanCheckSQLite: the calls are read through one of indexes, with no
// sort; the client is found by its unique key.
func callPlanCheckSQLite(t *testing.T, s *Store, q callPlanQuery, indexes []string) {
	t.Helper()
	plan := explainSQLite(t, s, q.SQL, q.Vars...)
	if !slices.ContainsFunc(indexes, func(index string) bool {
		return regexp.MustCompile(`USING (COVERING )?INDEX ` + index + `\b`).MatchString(plan)
	}) {
		t.Errorf("%s\nplan uses none of %s:\n%s", q.SQL, indexes, plan)
	}
	if strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("%s\nplan sorts:\n%s", q.SQL, plan)
	}
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, " INDEX ") {
			t.Errorf("%s\nplan scans a table:\n%s", q.SQL, plan)
		}
	}
	if strings.Contains(q.SQL, "SELECT id FROM clients") && !strings.Contains(plan, "clients_client_id_key") {
		t.Errorf("%s\nplan does not find the client by its key:\n%s", q.SQL, plan)
	}
}

// callPlanCheckPostgres: the calls are read through one of indexes, with no
// sequential scan, and in the index's order (no Sort node), except for a
// client's own reads. Those find the client's key with a subquery, so the
// planner knows only the average number of calls a client has; when that
// is small it may collect them through a bitmap and sort them, which is
// the better plan for a client with few calls (the first page of a client
// with 100,000 calls is in docs/PERFORMANCE.md).
func callPlanCheckPostgres(t *testing.T, s *Store, q callPlanQuery, indexes []string) {
	t.Helper()
	var lines []string
	if err := s.db.Raw("EXPLAIN "+q.SQL, q.Vars...).Scan(&lines).Error; err != nil {
		t.Fatalf("explain %s: %v", q.SQL, err)
	}
	plan := strings.Join(lines, "\n")
	ordered := !strings.Contains(q.SQL, "SELECT id FROM clients")
	if !ordered { // a bitmap of any index on client_pk collects the same rows
		indexes = []string{"calls_client_pk_created_at_idx", "calls_client_pk_status_created_at_idx", "calls_client_pk_stats_idx"}
	}
	found := false
	for _, m := range callPlanPGIndex.FindAllStringSubmatch(plan, -1) {
		found = found || slices.Contains(indexes, m[2]) && !(ordered && m[1] != "")
	}
	if !found {
		t.Errorf("%s\nplan reads none of %s in order:\n%s", q.SQL, indexes, plan)
	}
	if strings.Contains(plan, "Seq Scan on calls") || ordered && strings.Contains(plan, "Sort") {
		t.Errorf("%s\nplan sorts or scans the table:\n%s", q.SQL, plan)
	}
}

// callPlanSeed adds 40,000 calls to a PostgreSQL store in one statement,
// a second apart, in every status: 1% of them client_a's, the rest spread
// over 10,000 other clients; then vacuums and analyses the table, as
// autovacuum would.
func callPlanSeed(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	var pk uint64
	if err := s.db.Raw("SELECT id FROM clients WHERE client_id = 'client_a'").Scan(&pk).Error; err != nil {
		t.Fatal(err)
	}
	err := s.db.Exec(`INSERT INTO calls (call_id, client_pk, client_id, status, to_number, from_number, agent_id,
			requested_by, created_at, updated_at)
		SELECT 'call_' || lpad(to_hex(g), 24, '0'),
			CASE WHEN g % 100 = 0 THEN ? ELSE 100000 + g % 10000 END,
			CASE WHEN g % 100 = 0 THEN 'client_a' ELSE 'other_' || (g % 10000) END,
			(ARRAY['queued', 'initiated', 'in-progress', 'completed', 'failed'])[1 + (g / 100 + g) % 5],
			'+12125550100', '+18001234567', 'agent', 'client',
			?::timestamptz - g * interval '1 second', ?::timestamptz - g * interval '1 second'
		FROM generate_series(100, 40099) AS g`, pk, now, now).Error
	if err != nil {
		t.Fatalf("seed calls: %v", err)
	}
	if err := s.db.Exec("VACUUM ANALYZE calls").Error; err != nil {
		t.Fatal(err)
	}
}
