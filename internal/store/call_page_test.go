package store

// The plans and benchmarks of the call listings sit inside the package, as
// client_page_test.go's do: they explain the very statements the store runs
// and seed rows directly.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// TestCallQueryPlan: every read of calls is an index search in the order
// it returns, so SQLite reads the rows it returns (plus an offset's) and
// never sorts; the counts and statistics read indexes only, never the
// table's rows; and a claim finds its candidates by status and age.
func TestCallQueryPlan(t *testing.T) {
	s := pageStore(t, SQLite)
	ctx := context.Background()
	dry := func(q *gorm.DB) *gorm.DB { return q.Session(&gorm.Session{DryRun: true}) }
	failed := ptrTo(switchboard.CallFailed)
	cur := &switchboard.CallCursor{CreatedAt: time.Now(), ID: "call_x"}
	var rows []callRow
	var n int64
	var times []time.Time
	page := switchboard.CallFilter{Offset: 100, Limit: 50}
	since := splitHour(time.Now().Add(-24 * time.Hour))
	pageStatus := switchboard.CallFilter{Status: failed, Offset: 100, Limit: 50}
	for _, tt := range []struct {
		name  string
		stmt  *gorm.Statement
		index string // the index searched
		more  []string
	}{
		// An offset page: its ids from the index alone, then their rows
		// by id, sorted (the page's rows only, at most MaxCallLimit).
		{"ClientCalls", dry(s.clientCallsPage(ctx, "client_a", page)).Find(&rows).Statement,
			"COVERING INDEX calls_client_pk_created_at_idx (client_pk=?)",
			[]string{"clients_client_id_key", "SEARCH calls USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"ClientCallsStatus", dry(s.clientCallsPage(ctx, "client_a", pageStatus)).Find(&rows).Statement,
			"COVERING INDEX calls_client_pk_status_created_at_idx (client_pk=? AND status=?)",
			[]string{"SEARCH calls USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"PageFirst", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{})).Find(&rows).Statement,
			"calls_created_at_idx", nil},
		{"PageAfter", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{After: cur})).Find(&rows).Statement,
			"calls_created_at_idx ((created_at,call_id)<(?,?))", nil},
		{"PageStatus", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{Status: failed, After: cur})).Find(&rows).Statement,
			"calls_status_created_at_idx (status=? AND (created_at,call_id)<(?,?))", nil},
		{"PageClient", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{ClientID: "client_a", After: cur})).Find(&rows).Statement,
			"calls_client_id_created_at_idx (client_id=? AND (created_at,call_id)<(?,?))", nil},
		{"PageClientStatus", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{ClientID: "client_a", Status: failed, After: cur})).Find(&rows).Statement,
			"calls_client_id_status_created_at_idx (client_id=? AND status=? AND (created_at,call_id)<(?,?))", nil},
		{"HourlyLimit", dry(spentQuery(s.db, 1, time.Now(), 60)).Pluck("created_at", &times).Statement,
			"COVERING INDEX calls_client_pk_created_at_idx (client_pk=? AND created_at>?)", nil},
		{"ByConversation", dry(callByKey(s.db, "conversation_id", "conv_1")).Take(&rows).Statement,
			"calls_conversation_id_key (conversation_id=?)", nil},
		{"ByCallID", dry(callByKey(s.db, "call_id", "call_1")).Take(&rows).Statement,
			"calls_call_id_key (call_id=?)", nil},
		// The statistics and a client's call counts read the client's or
		// everyone's rows of call_counts (migration 00015), never the calls.
		{"ClientStats", dry(s.callStatsQuery(ctx, "client_a")).Scan(&rows).Statement,
			"SEARCH call_counts USING PRIMARY KEY (client_pk=? AND hour=?)", []string{"clients_client_id_key"}},
		{"AllStats", dry(s.callStatsQuery(ctx, "")).Scan(&rows).Statement,
			"SEARCH call_counts USING PRIMARY KEY (client_pk=? AND hour=?)", nil},
		// The last 24 hours: the whole days from call_counts, the part of
		// the first day from the index alone.
		{"CountSince", dry(s.rdb.Raw(callsSinceQuery, since.from, since.sign, since.lo, since.hi)).Scan(&n).Statement,
			"SEARCH call_counts USING PRIMARY KEY (client_pk=? AND hour>?)",
			[]string{"COVERING INDEX calls_created_at_idx (created_at>? AND created_at<?)"}},
		{"DoNotCall", dry(s.db.Model(&doNotCallRow{}).Where("client_pk = ? AND phone = ?", 1, "+1")).Count(&n).Statement,
			"sqlite_autoindex_do_not_call_1 (client_pk=? AND phone=?)", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			query := tt.stmt.SQL.String()
			plan := explainSQLite(t, s, query, tt.stmt.Vars...)
			for _, want := range append([]string{tt.index}, tt.more...) {
				if !strings.Contains(plan, want) {
					t.Errorf("%s\nplan lacks %q:\n%s", query, want, plan)
				}
			}
			sorts := strings.Contains(plan, "TEMP B-TREE")
			if strings.HasPrefix(tt.name, "ClientCalls") {
				sorts = strings.Count(plan, "TEMP B-TREE") > 1 || !strings.HasSuffix(plan, "USE TEMP B-TREE FOR ORDER BY")
			}
			if sorts || scansCalls.MatchString(plan) {
				t.Errorf("%s\nplan sorts or scans:\n%s", query, plan)
			}
		})
	}

	// A claim searches the reconciler's index for each status; only the few
	// candidates are sorted.
	claim := fmt.Sprintf(claimCallsQuery, "", callColumns)
	plan := explainSQLite(t, s, claim, time.Now(), time.Now(), time.Now(), time.Now(), 10)
	for _, want := range []string{
		"calls_status_updated_at_idx (status=? AND updated_at<?)",
		"calls_status_updated_at_idx (status=? AND updated_at<?)",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("claim plan lacks %q:\n%s", want, plan)
		}
	}
	if scansCalls.MatchString(plan) {
		t.Errorf("claim scans calls:\n%s", plan)
	}
}

// scansCalls matches a step of a SQLite plan that reads the whole calls
// table (a SCAN of an index in the listing's order reads only what it returns).
var scansCalls = regexp.MustCompile(`(?m)SCAN calls$`)

// TestCallQueryPlan_Postgres: with 20,000 calls of 50 clients and
// statistics gathered, PostgreSQL reads the listings' pages through the
// calls indexes in their order, first page and deep keyset page alike,
// without sorting the calls; an offset page finds its ids in the index
// alone, and sorts only its own rows.
func TestCallQueryPlan_Postgres(t *testing.T) {
	s := pageStore(t, Postgres)
	ctx := context.Background()
	clients := benchClients(t, s, 50)
	benchCalls(t, s, clients, 20_000)
	if err := s.db.Exec("VACUUM ANALYZE").Error; err != nil {
		t.Fatal(err)
	}
	var pg []callRow
	if err := s.callPageQuery(ctx, switchboard.CallPageFilter{}).Offset(15_000).Limit(1).Find(&pg).Error; err != nil || len(pg) != 1 {
		t.Fatalf("find a deep call: %v", err)
	}
	deep := &switchboard.CallCursor{CreatedAt: pg[0].CreatedAt, ID: pg[0].CallID}
	failed := ptrTo(switchboard.CallFailed)
	client := clients[0].ClientID
	var rows []callRow
	dry := func(q *gorm.DB) *gorm.Statement { return q.Session(&gorm.Session{DryRun: true}).Find(&rows).Statement }
	for _, tt := range []struct {
		name, scan string
		stmt       *gorm.Statement
	}{
		{"ClientCalls", "Index Only Scan Backward using calls_client_pk_created_at_idx",
			dry(s.clientCallsPage(ctx, client, switchboard.CallFilter{Offset: 300}))},
		{"ClientCallsStatus", "Index Only Scan Backward using calls_client_pk_status_created_at_idx",
			dry(s.clientCallsPage(ctx, client, switchboard.CallFilter{Status: failed, Offset: 30}))},
		{"PageFirst", "Index Scan Backward using calls_created_at_idx", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{}))},
		{"PageDeep", "Index Scan Backward using calls_created_at_idx", dry(s.callPageQuery(ctx, switchboard.CallPageFilter{After: deep}))},
		{"PageStatusDeep", "Index Scan Backward using calls_status_created_at_idx",
			dry(s.callPageQuery(ctx, switchboard.CallPageFilter{Status: failed, After: deep}))},
		{"PageClientDeep", "Index Scan Backward using calls_client_id_created_at_idx",
			dry(s.callPageQuery(ctx, switchboard.CallPageFilter{ClientID: client, After: deep}))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			if err := s.db.Raw("EXPLAIN "+tt.stmt.SQL.String(), tt.stmt.Vars...).Scan(&lines).Error; err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, tt.scan) {
				t.Errorf("plan lacks %q:\n%s", tt.scan, plan)
			}
			sorts := strings.Contains(plan, "Sort")
			if strings.HasPrefix(tt.name, "ClientCalls") { // the page's rows, at the top
				sorts = strings.Count(plan, "Sort") != 2 || !strings.HasPrefix(plan, "Sort") // "Sort" and "Sort Key"
			}
			if sorts || strings.Contains(plan, "Seq Scan on calls") {
				t.Errorf("plan sorts or scans calls:\n%s", plan)
			}
		})
	}

	// The statistics, a client's counts and the dashboard read call_counts
	// (migration 00015); the last 24 hours' part of an hour reads the index.
	var n int64
	var counts []callCountRow
	raw := func(q string, args ...any) *gorm.Statement {
		return s.db.Raw(q, args...).Session(&gorm.Session{DryRun: true}).Scan(&n).Statement
	}
	since, chart := splitHour(time.Now().Add(-24*time.Hour)), splitHour(time.Now().Add(-30*24*time.Hour))
	for _, tt := range []struct {
		name  string
		stmt  *gorm.Statement
		index bool // reads calls_created_at_idx too
	}{
		{"ClientStats", s.callStatsQuery(ctx, client).Session(&gorm.Session{DryRun: true}).Scan(&counts).Statement, false},
		{"AllStats", s.callStatsQuery(ctx, "").Session(&gorm.Session{DryRun: true}).Scan(&counts).Statement, false},
		{"CountSince", raw(callsSinceQuery, since.from, since.sign, since.lo, since.hi), true},
		{"ByDay", raw(callsByDayQuery, chart.from, chart.day, chart.sign, chart.lo, chart.hi), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			if err := s.db.Raw("EXPLAIN "+tt.stmt.SQL.String(), tt.stmt.Vars...).Scan(&lines).Error; err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, "call_counts") || (tt.index && !strings.Contains(plan, "calls_created_at_idx")) {
				t.Errorf("plan does not read call_counts (and calls_created_at_idx):\n%s", plan)
			}
			if strings.Contains(plan, "Seq Scan on calls") { // 50 clients: a scan of clients is cheaper than its index
				t.Errorf("plan scans calls:\n%s", plan)
			}
		})
	}
}

// benchClients stores n clients in one transaction and returns them with
// their row ids.
func benchClients(t testing.TB, s *Store, n int) []clientRow {
	t.Helper()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]clientRow, n)
	for i := range rows {
		rows[i] = pageRow(fmt.Sprintf("client_%07d", i), base.Add(time.Duration(i)*time.Second), switchboard.StatusActive, switchboard.ClientMeta{})
	}
	if err := s.db.Transaction(func(tx *gorm.DB) error { return tx.CreateInBatches(rows, 1000).Error }); err != nil {
		t.Fatalf("seed clients: %v", err)
	}
	return rows
}

// benchCalls stores n calls in one transaction, spread over the clients in
// turn, a second apart with every tenth pair sharing a second: 70%
// completed with a 1 KiB transcript, 20% failed, 5% queued, 5% in progress.
func benchCalls(t testing.TB, s *Store, clients []clientRow, n int) {
	t.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	transcript, err := encodeTranscript(slices.Repeat([]switchboard.TranscriptTurn{{Role: "agent", Message: strings.Repeat("Hello, this is a call. ", 4)}}, 10))
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]callRow, 0, 1000)
	flush := func(tx *gorm.DB) error {
		err := tx.Create(&rows).Error
		rows = rows[:0]
		return err
	}
	err = s.db.Transaction(func(tx *gorm.DB) error {
		for i := range n {
			c := clients[i%len(clients)]
			created := base.Add(time.Duration(i-i%10/9) * time.Second)
			row := callRow{
				CallID: fmt.Sprintf("call_%08d", i), ClientPK: c.ID, ClientID: c.ClientID, ClientName: c.FullName,
				Status: string(switchboard.CallCompleted), ToNumber: "+12125550100", FromNumber: c.TwilioPhoneNumber,
				AgentID: c.AgentID, ConversationID: fmt.Sprintf("conv_%08d", i), RequestedBy: "client",
				DurationSecs: 60, Outcome: switchboard.OutcomeSuccess, Transcript: transcript, CreatedAt: created, UpdatedAt: created,
			}
			switch i % 20 {
			case 0, 1, 2, 3:
				row.Status, row.Outcome, row.DurationSecs, row.Transcript, row.Error = string(switchboard.CallFailed), "", 0, "[]", "busy"
			case 4:
				row.Status, row.Outcome, row.DurationSecs, row.Transcript, row.ConversationID = string(switchboard.CallQueued), "", 0, "[]", ""
			case 5:
				row.Status, row.Outcome, row.DurationSecs, row.Transcript = string(switchboard.CallInProgress), "", 0, "[]"
			}
			if rows = append(rows, row); len(rows) == cap(rows) {
				if err := flush(tx); err != nil {
					return err
				}
			}
		}
		if len(rows) > 0 {
			return flush(tx)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed calls: %v", err)
	}
}

// callBenchShapes are the two tables the call benchmarks read: 100,000
// calls of one client, and one call for each of 100,000 clients.
var callBenchShapes = []struct {
	name             string
	clients, perCall int
}{
	{"OneClient", 1, 100_000},
	{"ManyClients", 100_000, 1},
}

// callBench runs fn on each dialect (PostgreSQL with TEST_DATABASE_URL) and
// shape, on a seeded store; client is the first client's clientId.
func callBench(b *testing.B, fn func(b *testing.B, s *Store, client string, n int)) {
	for _, dialect := range []string{SQLite, Postgres} {
		for _, shape := range callBenchShapes {
			b.Run(dialect+"/"+shape.name, func(b *testing.B) {
				s := pageStore(b, dialect)
				clients := benchClients(b, s, shape.clients)
				n := shape.clients * shape.perCall
				benchCalls(b, s, clients, n)
				if dialect == Postgres {
					// As autovacuum would have done: index-only reads need
					// the visibility map.
					if err := s.db.Exec("VACUUM ANALYZE").Error; err != nil {
						b.Fatal(err)
					}
				}
				fn(b, s, clients[0].ClientID, n)
			})
		}
	}
}

// BenchmarkFindClientCalls measures GET /secure/calls's read: the first
// page, a page 90% deep by offset, and the first page of one status, each
// with its two counts. Run with -benchtime 100x.
func BenchmarkFindClientCalls(b *testing.B) {
	callBench(b, func(b *testing.B, s *Store, client string, _ int) {
		ctx := context.Background()
		_, mine, _, err := s.FindClientCalls(ctx, client, switchboard.CallFilter{Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			f    switchboard.CallFilter
		}{
			{"First", switchboard.CallFilter{}},
			{"DeepOffset", switchboard.CallFilter{Offset: mine * 9 / 10}},
			{"Status", switchboard.CallFilter{Status: ptrTo(switchboard.CallInProgress)}},
		} {
			b.Run(tt.name, func(b *testing.B) {
				for b.Loop() {
					if _, _, _, err := s.FindClientCalls(ctx, client, tt.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkFindCallPage measures the admin's keyset pages: the first page
// of every call, the page after the call 90% down, a status page 90% down,
// and one client's first page. Run with -benchtime 100x.
func BenchmarkFindCallPage(b *testing.B) {
	callBench(b, func(b *testing.B, s *Store, client string, n int) {
		ctx := context.Background()
		var deep []callRow
		if err := s.callPageQuery(ctx, switchboard.CallPageFilter{}).Offset(n * 9 / 10).Limit(1).Find(&deep).Error; err != nil || len(deep) != 1 {
			b.Fatalf("find the deep call: %v", err)
		}
		cur := &switchboard.CallCursor{CreatedAt: deep[0].CreatedAt, ID: deep[0].CallID}
		for _, tt := range []struct {
			name string
			f    switchboard.CallPageFilter
		}{
			{"First", switchboard.CallPageFilter{}},
			{"Deep", switchboard.CallPageFilter{After: cur}},
			{"StatusDeep", switchboard.CallPageFilter{Status: ptrTo(switchboard.CallFailed), After: cur}},
			{"Client", switchboard.CallPageFilter{ClientID: client}},
		} {
			b.Run(tt.name, func(b *testing.B) {
				for b.Loop() {
					page, err := s.FindCallPage(ctx, tt.f)
					if err != nil {
						b.Fatal(err)
					}
					if len(page.Calls) == 0 {
						b.Fatal("empty page")
					}
				}
			})
		}
	})
}

// BenchmarkCallStats measures the statistics of one client and of every
// call, which read each call counted (see docs/PERFORMANCE.md).
func BenchmarkCallStats(b *testing.B) {
	callBench(b, func(b *testing.B, s *Store, client string, n int) {
		ctx := context.Background()
		for _, tt := range []struct{ name, client string }{{"Client", client}, {"All", ""}} {
			b.Run(tt.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := s.CallStats(ctx, tt.client); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}
