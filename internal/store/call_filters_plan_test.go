package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// TestCallFilterQueryPlan: the console's filters of the calls listing (by
// outcome, alone or with a client, by the number called, by the client that
// has a clientId now) read their page, either way from a cursor, and the
// probe the other way, as a range of an index in the listing's order: SQLite
// never sorts nor scans the calls. The dashboard's calls per day read a
// range of an index holding the outcome, not the table.
func TestCallFilterQueryPlan(t *testing.T) {
	s := pageStore(t, SQLite)
	ctx := context.Background()
	cur := &switchboard.CallCursor{CreatedAt: time.Now(), ID: "call_x"}
	failed := ptrTo(switchboard.CallFailed)
	for _, tt := range []struct {
		name  string
		f     switchboard.CallPageFilter
		index string
	}{
		{"Outcome", switchboard.CallPageFilter{Outcome: switchboard.OutcomeSuccess},
			"calls_outcome_created_at_idx (outcome=?"},
		{"ClientOutcome", switchboard.CallPageFilter{ClientID: "client_a", Outcome: switchboard.OutcomeSuccess},
			"calls_client_id_outcome_created_at_idx (client_id=? AND outcome=?"},
		{"To", switchboard.CallPageFilter{To: "+12125550100"}, "calls_to_number_created_at_idx (to_number=?"},
		{"ToStatus", switchboard.CallPageFilter{To: "+12125550100", Status: failed}, "calls_to_number_created_at_idx (to_number=?"},
		{"CurrentClient", switchboard.CallPageFilter{ClientID: "client_a", CurrentClient: true},
			"calls_client_pk_created_at_idx (client_pk=?"},
		{"CurrentClientStatus", switchboard.CallPageFilter{ClientID: "client_a", CurrentClient: true, Status: failed},
			"calls_client_pk_status_created_at_idx (client_pk=? AND status=?"},
		{"All", switchboard.CallPageFilter{}, "calls_created_at_idx"},
	} {
		for _, way := range []struct {
			name          string
			after, before *switchboard.CallCursor
		}{{"First", nil, nil}, {"After", cur, nil}, {"Before", nil, cur}} {
			t.Run(tt.name+way.name, func(t *testing.T) {
				f := tt.f
				f.After, f.Before = way.after, way.before
				var rows []callRow
				var ids []string
				for _, stmt := range []*gorm.Statement{
					s.callPageQuery(ctx, f).Session(&gorm.Session{DryRun: true}).Find(&rows).Statement,
					s.callPageQuery(ctx, f).Limit(1).Session(&gorm.Session{DryRun: true}).Pluck("call_id", &ids).Statement,
				} {
					query := stmt.SQL.String()
					plan := explainSQLite(t, s, query, stmt.Vars...)
					if !strings.Contains(plan, tt.index) {
						t.Errorf("%s\nplan does not search %s:\n%s", query, tt.index, plan)
					}
					if way.after != nil || way.before != nil {
						if !strings.Contains(plan, "(created_at,call_id)") {
							t.Errorf("%s\nplan does not seek to the cursor:\n%s", query, plan)
						}
					}
					if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN calls\n") || strings.HasSuffix(plan, "SCAN calls") {
						t.Errorf("%s\nplan sorts or scans:\n%s", query, plan)
					}
				}
			})
		}
	}

	var groups []struct{ N int }
	d := splitHour(time.Now().Add(-time.Hour))
	stmt := s.rdb.Raw(callsByDayQuery, d.from, d.day, d.sign, d.lo, d.hi).Session(&gorm.Session{DryRun: true}).Scan(&groups).Statement
	plan := explainSQLite(t, s, stmt.SQL.String(), stmt.Vars...)
	for _, want := range []string{
		"SEARCH call_counts USING PRIMARY KEY (client_pk=? AND hour>?)",
		"COVERING INDEX calls_created_at_idx (created_at>? AND created_at<?)",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("CountCallsByDay plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "SCAN calls") || strings.Contains(plan, "SCAN call_counts") {
		t.Errorf("CountCallsByDay plan scans:\n%s", plan)
	}
}

// TestCallFilterQueryPlan_Postgres: PostgreSQL has an index for each of the
// console's filters that returns the page in the listing's order, without
// sorting the calls. The table is empty, so sequential scans are turned off
// for the explain: what is checked is that such an index exists and serves.
func TestCallFilterQueryPlan_Postgres(t *testing.T) {
	s := pageStore(t, Postgres)
	ctx := context.Background()
	cur := &switchboard.CallCursor{CreatedAt: time.Now(), ID: "call_x"}
	for _, tt := range []struct {
		name, index string
		f           switchboard.CallPageFilter
	}{
		{"Outcome", "calls_outcome_created_at_idx", switchboard.CallPageFilter{Outcome: switchboard.OutcomeFailure, After: cur}},
		{"ClientOutcome", "calls_client_id_outcome_created_at_idx",
			switchboard.CallPageFilter{ClientID: "client_a", Outcome: switchboard.OutcomeFailure, Before: cur}},
		{"To", "calls_to_number_created_at_idx", switchboard.CallPageFilter{To: "+12125550100", After: cur}},
		{"CurrentClient", "calls_client_pk_created_at_idx", switchboard.CallPageFilter{ClientID: "client_a", CurrentClient: true, After: cur}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rows []callRow
			stmt := s.callPageQuery(ctx, tt.f).Session(&gorm.Session{DryRun: true}).Find(&rows).Statement
			var lines []string
			err := s.db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
					return err
				}
				return tx.Raw("EXPLAIN "+stmt.SQL.String(), stmt.Vars...).Scan(&lines).Error
			})
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, "using "+tt.index) || strings.Contains(plan, "Sort") {
				t.Errorf("plan does not read %s in order:\n%s", tt.index, plan)
			}
		})
	}
}
