package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// TestClientCounts: the JSON list's `total` and the console's counts come
// from client_counts, which triggers keep in each write's transaction; after
// every kind of write they equal a COUNT(*) of the table, on both databases.
func TestClientCounts(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		check := func(when string) {
			t.Helper()
			var rows []struct {
				Status string
				N      int
			}
			if err := s.db.Raw("SELECT status, COUNT(*) AS n FROM clients GROUP BY status").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			want := map[switchboard.Status]int{switchboard.StatusActive: 0, switchboard.StatusInactive: 0, switchboard.StatusSuspended: 0}
			all := 0
			for _, r := range rows {
				want[switchboard.Status(r.Status)] = r.N
				all += r.N
			}
			got, err := s.CountClientsByStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: CountClientsByStatus = %v, want %v", when, got, want)
			}
			if _, total, err := s.FindClients(ctx, switchboard.ClientFilter{Limit: 1}); err != nil || total != all {
				t.Errorf("%s: FindClients total = %d, %v; want %d", when, total, err, all)
			}
			for st, n := range want {
				if _, total, err := s.FindClients(ctx, switchboard.ClientFilter{Status: &st, Limit: 1}); err != nil || total != n {
					t.Errorf("%s: FindClients(%s) total = %d, %v; want %d", when, st, total, err, n)
				}
			}
		}
		check("empty")
		for i := range 5 {
			if err := s.CreateClient(ctx, countClient(fmt.Sprintf("count_%d", i), fmt.Sprintf("count%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		check("after 5 creates")
		if err := s.CreateClient(ctx, countClient("count_0", "other@example.com")); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
			t.Fatalf("duplicate create: %v", err)
		}
		check("after a refused create")
		suspended, inactive := switchboard.StatusSuspended, switchboard.StatusInactive
		for _, upd := range []struct {
			id string
			u  switchboard.ClientUpdate
		}{
			{"count_1", switchboard.ClientUpdate{Status: &suspended}},
			{"count_2", switchboard.ClientUpdate{Status: &inactive}},
			{"count_2", switchboard.ClientUpdate{Status: &inactive}}, // no change
			{"count_3", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: ptrTo("Paris")}}},
			{"count_2", switchboard.ClientUpdate{Status: &suspended}},
		} {
			if _, err := s.UpdateClient(ctx, upd.id, upd.u); err != nil {
				t.Fatal(err)
			}
		}
		check("after status changes")
		if err := s.DeleteClient(ctx, "count_1"); err != nil {
			t.Fatal(err)
		}
		check("after a delete")
		// A row written by other SQL (a bulk import, a hand fix) counts too.
		pageInsert(t, s, []clientRow{pageRow("count_sql", now(), switchboard.StatusInactive, switchboard.ClientMeta{})})
		if err := s.db.Exec("UPDATE clients SET status = 'Active' WHERE client_id = 'count_sql'").Error; err != nil {
			t.Fatal(err)
		}
		check("after rows written by SQL")

		// Opposite status changes at once (each updates two count rows)
		// neither deadlock nor lose a count.
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			id, st := "count_0", switchboard.StatusSuspended
			if i%2 == 1 {
				id, st = "count_2", switchboard.StatusActive
			}
			if i%4 >= 2 {
				st = map[string]switchboard.Status{"count_0": switchboard.StatusActive, "count_2": switchboard.StatusSuspended}[id]
			}
			wg.Go(func() {
				_, err := s.UpdateClient(ctx, id, switchboard.ClientUpdate{Status: &st})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent status change: %v", err)
			}
		}
		check("after concurrent status changes")
	})
}

func countClient(id, email string) *switchboard.Client {
	return &switchboard.Client{
		ID: id, AgentID: "agent_1", TwilioPhoneNumber: "+18001234567", SecretHash: "hash",
		Meta: switchboard.ClientMeta{FullName: "Name of " + id, Email: email, Phone: "+12125551234"},
	}
}

// TestClientListQueryPlan: the JSON list's offset page reads an index in
// its order (no sort, no table scan), and its total reads client_counts,
// never the clients table, on both databases.
func TestClientListQueryPlan(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		benchClients(t, s, 5_000)
		explain := analysedExplainer(t, s)
		var rows []clientRow
		var n int64
		dry := &gorm.Session{DryRun: true}
		suspended := switchboard.StatusSuspended
		for _, tt := range []struct {
			name  string
			stmt  *gorm.Statement
			index string // "": reads client_counts only
		}{
			{"Page", clientsOffsetPage(s.clientsMatching(ctx, nil, ""), 0, 50).Session(dry).Find(&rows).Statement, "clients_created_at_idx"},
			{"PageStatus", clientsOffsetPage(s.clientsMatching(ctx, &suspended, ""), 0, 50).Session(dry).Find(&rows).Statement, "clients_status_created_at_idx"},
			{"Total", s.clientCountQuery(ctx, nil).Session(dry).Scan(&n).Statement, ""},
			{"TotalStatus", s.clientCountQuery(ctx, &suspended).Session(dry).Scan(&n).Statement, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				plan := explain(tt.stmt)
				if tt.index == "" {
					if strings.Contains(strings.ReplaceAll(plan, "client_counts", ""), "clients") {
						t.Errorf("%s\nplan reads clients:\n%s", tt.stmt.SQL.String(), plan)
					}
					return
				}
				if !strings.Contains(plan, tt.index) {
					t.Errorf("%s\nplan does not use %s:\n%s", tt.stmt.SQL.String(), tt.index, plan)
				}
				for _, bad := range []string{"TEMP B-TREE", "Sort", "Seq Scan"} {
					if strings.Contains(plan, bad) {
						t.Errorf("%s\nplan has %s:\n%s", tt.stmt.SQL.String(), bad, plan)
					}
				}
			})
		}
	})
}

// analysedExplainer analyses a PostgreSQL store's tables, as autovacuum
// would, and returns a function that gives a statement's plan on either
// database.
func analysedExplainer(t *testing.T, s *Store) func(*gorm.Statement) string {
	t.Helper()
	if s.dialect == Postgres {
		if err := s.db.Exec("VACUUM ANALYZE").Error; err != nil {
			t.Fatal(err)
		}
	}
	return func(stmt *gorm.Statement) string {
		if s.dialect == SQLite {
			return explainSQLite(t, s, stmt.SQL.String(), stmt.Vars...)
		}
		var lines []string
		if err := s.db.Raw("EXPLAIN "+stmt.SQL.String(), stmt.Vars...).Scan(&lines).Error; err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
}
