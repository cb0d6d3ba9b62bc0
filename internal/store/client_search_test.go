package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// TestClientSearch_Grams: searches through the trigram index find exactly
// the clients whose name, email or business contains the term, ignoring
// case, as the walk did, after creates, updates and deletes, on both
// databases; terms too short for a trigram, and terms with LIKE's special
// characters, too.
func TestClientSearch_Grams(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		names := []string{"Zebracorn Ltd", "Acme Zebra", "ZÜRICH Ärzte", "İstanbul Kebap", "50% Off_Store", "Ab", "Ünïcödé Co"}
		metas := map[string]*switchboard.Client{}
		for i, n := range names {
			id := fmt.Sprintf("search_%d", i)
			c := countClient(id, fmt.Sprintf("s%d@example.com", i))
			c.Meta.BusinessName = n
			if err := s.CreateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
			metas[id] = c
		}
		check := func(when string) {
			t.Helper()
			for _, term := range []string{"zebracorn", "ZEBRA", "zeb", "ze", "z", "ärz", "ZÜRICH", "istanbul", "i̇stanbul",
				"50%", "%", "off_", "_", "ab", "nïcö", "example.com", "s3@", "nothing-like-it", "ltd\nzz", "ebr"} {
				var want []string
				for id, m := range metas {
					if strings.Contains(searchKey(m), searchTerm(term)) {
						want = append(want, id)
					}
				}
				got, total, err := s.FindClients(ctx, switchboard.ClientFilter{Search: term, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, c := range got {
					ids = append(ids, c.ID)
				}
				slices.Sort(ids)
				slices.Sort(want)
				if !slices.Equal(ids, want) || total != len(want) {
					t.Errorf("%s: search %q = %v (total %d), want %v", when, term, ids, total, want)
				}
				page, err := s.FindClientPage(ctx, switchboard.ClientPageFilter{Search: term, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Clients) != len(want) {
					t.Errorf("%s: page search %q has %d clients, want %d", when, term, len(page.Clients), len(want))
				}
			}
		}
		check("after creates")
		newName := "Quagga Works"
		updated, err := s.UpdateClient(ctx, "search_0", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{BusinessName: &newName}})
		if err != nil {
			t.Fatal(err)
		}
		metas["search_0"] = updated
		check("after an update")
		if err := s.DeleteClient(ctx, "search_1"); err != nil {
			t.Fatal(err)
		}
		delete(metas, "search_1")
		check("after a delete")
	})
}

// TestClientSearchQueryPlan: a rare term reads its trigram's entries by the
// primary key of client_grams and then the few clients by primary key: no
// walk of the clients table or its indexes, on both databases.
func TestClientSearchQueryPlan(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		benchClients(t, s, 3_000)
		rare := pageRow("rare_1", now(), switchboard.StatusActive, switchboard.ClientMeta{BusinessName: "Zebracorn Ltd"})
		pageInsert(t, s, []clientRow{rare})
		explain := analysedExplainer(t, s)
		dry := &gorm.Session{DryRun: true}
		var rows []clientRow
		var pks []uint64
		gram := s.rdb.Session(dry).Table("client_grams").Where("gram = ?", "zeb").Limit(gramSelective+1).Pluck("client_pk", &pks).Statement
		page := s.clientPageQuery(ctx, switchboard.ClientPageFilter{Search: "zebracorn"}, nil, false, 26).Session(dry).Find(&rows).Statement
		list := clientsOffsetPage(s.clientsMatching(ctx, nil, "zebracorn"), 0, 50).Session(dry).Find(&rows).Statement
		if !strings.Contains(page.SQL.String(), "id IN") {
			t.Fatalf("a rare term's page does not narrow by id: %s", page.SQL.String())
		}
		want := map[string][]string{
			SQLite:   {"SEARCH client_grams USING PRIMARY KEY (gram=?)", "SEARCH clients USING INTEGER PRIMARY KEY (rowid=?)"},
			Postgres: {"client_grams_pkey", "clients_pkey"},
		}[s.dialect]
		for i, stmt := range []*gorm.Statement{gram, page, list} {
			plan := explain(stmt)
			if !strings.Contains(plan, want[min(i, 1)]) {
				t.Errorf("%s\nplan lacks %q:\n%s", stmt.SQL.String(), want[min(i, 1)], plan)
			}
			for _, bad := range []string{"SCAN clients", "Seq Scan on clients", "created_at_"} {
				if strings.Contains(plan, bad) {
					t.Errorf("%s\nplan walks the clients (%s):\n%s", stmt.SQL.String(), bad, plan)
				}
			}
		}
	})
}
