package store

// These tests sit inside the package: they insert rows with chosen creation
// times (the store's clock cannot be set) and explain the very statements
// FindClientPage runs. That rules out storetest (it imports this package), so
// pageStores opens the databases the way storetest does.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// pageStores runs fn as a subtest per dialect on a fresh, migrated store:
// SQLite always, PostgreSQL (in a new schema) when TEST_DATABASE_URL is set.
// As with storetest.EachDialect, the PostgreSQL subtest skips without it,
// except under CI, where it fails.
func pageStores(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, dialect := range []string{SQLite, Postgres} {
		t.Run(dialect, func(t *testing.T) { fn(t, pageStore(t, dialect)) })
	}
}

func pageStore(t testing.TB, dialect string) *Store {
	t.Helper()
	ctx := context.Background()
	rawURL := filepath.Join(t.TempDir(), "page.db") + "?_synchronous=NORMAL"
	if dialect == Postgres {
		base := os.Getenv("TEST_DATABASE_URL")
		if base == "" {
			if os.Getenv("CI") != "" {
				t.Fatal("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests")
			}
			t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
		}
		admin, err := Open(ctx, base)
		if err != nil {
			t.Fatalf("TEST_DATABASE_URL: %v", err)
		}
		defer admin.Close()
		schema := fmt.Sprintf("test_page_%016x", rand.Uint64())
		if err := admin.db.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			if admin, err := Open(context.Background(), base); err == nil {
				admin.db.Exec("DROP SCHEMA " + schema + " CASCADE")
				admin.Close()
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("TEST_DATABASE_URL: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		rawURL = u.String()
	}
	s, err := Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", dialect, err)
	}
	return s
}

// pageRow returns a clients row as CreateClient would store it, created at
// the given time.
func pageRow(id string, created time.Time, status switchboard.Status, meta switchboard.ClientMeta) clientRow {
	if meta.Email == "" {
		meta.Email = id + "@example.com"
	}
	if meta.FullName == "" {
		meta.FullName = "Name of " + id
	}
	created = created.UTC()
	meta.Phone = "+12125551234"
	c := &switchboard.Client{ID: id, TwilioPhoneNumber: "+18001234567", Meta: meta}
	return clientRow{
		ClientID: id, Status: string(status), AgentID: "agent_" + id, TwilioPhoneNumber: c.TwilioPhoneNumber,
		FullName: meta.FullName, Email: meta.Email, EmailKey: switchboard.EmailKey(meta.Email), Phone: meta.Phone,
		BusinessName: meta.BusinessName, SearchKey: searchKey(c), NameKey: switchboard.NameKey(meta.FullName),
		SecretHash: "hash-of-" + id, TokenVersion: 1,
		CreatedAt: created, UpdatedAt: created,
	}
}

// pageInsert stores rows as they are, in one statement per 500.
func pageInsert(t testing.TB, s *Store, rows []clientRow) {
	t.Helper()
	if err := s.db.CreateInBatches(rows, 500).Error; err != nil {
		t.Fatalf("insert clients: %v", err)
	}
}

// pageSort returns rows in listing order: newest first, the greater
// clientId first among clients created at the same time.
func pageSort(rows []clientRow) []clientRow {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b clientRow) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ClientID, a.ClientID)
	})
	return rows
}

// pageOrder returns the clientIds of rows in listing order.
func pageOrder(rows []clientRow) []string {
	var out []string
	for _, r := range pageSort(rows) {
		out = append(out, r.ClientID)
	}
	return out
}

func pageIDs(cs []*switchboard.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// pageLink passes a cursor through its text form, as a console link does.
func pageLink(t *testing.T, c *switchboard.ClientCursor) *switchboard.ClientCursor {
	t.Helper()
	back, err := switchboard.ParseClientCursor(c.String())
	if err != nil {
		t.Fatalf("ParseClientCursor(%q): %v", c.String(), err)
	}
	return back
}

// pageWalk reads every page of f from the first one along Older links, then
// from the last one back along Newer links, checks that both walks see the
// same pages, and returns the clientIds in the order seen.
func pageWalk(t *testing.T, s *Store, f switchboard.ClientPageFilter) []string {
	t.Helper()
	ctx := context.Background()
	limit := clientLimit(f.Limit)
	var forward [][]string
	var last *switchboard.ClientPage
	for page, i := (*switchboard.ClientPage)(nil), 0; ; i++ {
		var err error
		page, err = s.FindClientPage(ctx, f)
		if err != nil {
			t.Fatalf("FindClientPage(%+v): %v", f, err)
		}
		ids := pageIDs(page.Clients)
		forward = append(forward, ids)
		if i == 0 && page.Newer != nil {
			t.Errorf("first page: Newer = %+v, want nil", page.Newer)
		}
		if i > 0 && page.Newer == nil {
			t.Errorf("page %d %q: Newer = nil, want the page before", i, ids)
		}
		if len(ids) > limit {
			t.Fatalf("page %d has %d clients, limit %d", i, len(ids), limit)
		}
		if page.Older == nil {
			last = page
			break
		}
		if len(ids) != limit {
			t.Errorf("page %d has %d clients and an Older link, want %d", i, len(ids), limit)
		}
		if i > 200 {
			t.Fatal("more than 200 pages: the Older links loop")
		}
		f.After, f.Before = pageLink(t, page.Older), nil
	}
	// And back: from the last page, Newer links lead to the first page
	// through the same pages.
	backward := [][]string{pageIDs(last.Clients)}
	for page := last; page.Newer != nil; {
		f.After, f.Before = nil, pageLink(t, page.Newer)
		var err error
		page, err = s.FindClientPage(ctx, f)
		if err != nil {
			t.Fatalf("FindClientPage(%+v): %v", f, err)
		}
		backward = append(backward, pageIDs(page.Clients))
		if page.Older == nil {
			t.Errorf("page %q read by Newer: Older = nil, want the page after", pageIDs(page.Clients))
		}
		if len(backward) > len(forward)+1 {
			t.Fatal("the Newer links lead past the first page")
		}
	}
	slices.Reverse(backward)
	if !reflect.DeepEqual(backward, forward) {
		t.Errorf("pages read back by Newer =\n%q, want those read by Older =\n%q", backward, forward)
	}
	return slices.Concat(forward...)
}

// pageFixture: 41 clients created at 12 instants, three or four at each,
// inserted in an order unrelated to their clientIds, so the
// row id and the clientId disagree about ties. Every third is Suspended.
func pageFixture(t *testing.T, s *Store) []clientRow {
	t.Helper()
	base := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	var rows []clientRow
	for i, n := range r.Perm(41) {
		status := switchboard.StatusActive
		if n%3 == 0 {
			status = switchboard.StatusSuspended
		}
		created := base.Add(time.Duration(i%12) * time.Millisecond)
		if i%12 == 11 {
			created = created.Add(time.Hour) // a lone newest instant
		}
		rows = append(rows, pageRow(fmt.Sprintf("c_%03d", n), created, status, switchboard.ClientMeta{}))
	}
	pageInsert(t, s, rows)
	return rows
}

func TestFindClientPage_Walk(t *testing.T) {
	pageStores(t, func(t *testing.T, s *Store) {
		rows := pageFixture(t, s)
		want := pageOrder(rows)
		for _, limit := range []int{1, 2, 3, 7, 10, 40, 41, 42, 100} {
			t.Run(fmt.Sprint("Limit", limit), func(t *testing.T) {
				got := pageWalk(t, s, switchboard.ClientPageFilter{Limit: limit})
				if !reflect.DeepEqual(got, want) {
					t.Errorf("walk =\n%q, want\n%q", got, want)
				}
			})
		}
		t.Run("Status", func(t *testing.T) {
			var suspended []clientRow
			for _, r := range rows {
				if r.Status == string(switchboard.StatusSuspended) {
					suspended = append(suspended, r)
				}
			}
			for _, limit := range []int{1, 4, 100} {
				f := switchboard.ClientPageFilter{Status: ptrTo(switchboard.StatusSuspended), Limit: limit}
				if got, want := pageWalk(t, s, f), pageOrder(suspended); !reflect.DeepEqual(got, want) {
					t.Errorf("limit %d: walk =\n%q, want\n%q", limit, got, want)
				}
			}
			f := switchboard.ClientPageFilter{Status: ptrTo(switchboard.StatusInactive)}
			if got := pageWalk(t, s, f); len(got) != 0 {
				t.Errorf("Inactive walk = %q, want none", got)
			}
		})
	})
}

func ptrTo[T any](v T) *T { return &v }

// TestFindClientPage_Orders: every order walks every client once, forward
// and back, in the order Go's byte comparison of the keys gives, with ties
// broken by clientId, on both databases: names that differ only in case sort
// together, names beyond ASCII after them (bytes, not a locale's collation).
func TestFindClientPage_Orders(t *testing.T) {
	pageStores(t, func(t *testing.T, s *Store) {
		base := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
		names := []string{"Ada Lovelace", "ada lovelace", "Émile Zola", "Zed", "bob", "Bob", "Adam", "ada"}
		var rows []clientRow
		for i := range 29 {
			status := switchboard.StatusActive
			if i%4 == 0 {
				status = switchboard.StatusSuspended
			}
			rows = append(rows, pageRow(fmt.Sprintf("c_%03d", (i*7)%29), base.Add(time.Duration(i%5)*time.Second), status,
				switchboard.ClientMeta{FullName: names[i%len(names)]}))
		}
		pageInsert(t, s, rows)
		ordered := func(sort switchboard.ClientSort, rows []clientRow) []string {
			rows = slices.Clone(rows)
			slices.SortFunc(rows, func(a, b clientRow) int {
				c := a.CreatedAt.Compare(b.CreatedAt)
				if sort.ByName() {
					c = strings.Compare(a.NameKey, b.NameKey)
				}
				if c == 0 {
					c = strings.Compare(a.ClientID, b.ClientID)
				}
				if sort.Descending() {
					return -c
				}
				return c
			})
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.ClientID)
			}
			return ids
		}
		var suspended []clientRow
		for _, r := range rows {
			if r.Status == string(switchboard.StatusSuspended) {
				suspended = append(suspended, r)
			}
		}
		for _, sort := range switchboard.ClientSorts {
			for _, limit := range []int{1, 4, 100} {
				if got, want := pageWalk(t, s, switchboard.ClientPageFilter{Sort: sort, Limit: limit}), ordered(sort, rows); !reflect.DeepEqual(got, want) {
					t.Errorf("%s, limit %d: walk =\n%q, want\n%q", sort, limit, got, want)
				}
			}
			f := switchboard.ClientPageFilter{Sort: sort, Status: ptrTo(switchboard.StatusSuspended), Limit: 3}
			if got, want := pageWalk(t, s, f), ordered(sort, suspended); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, suspended: walk =\n%q, want\n%q", sort, got, want)
			}
		}
		// A cursor names a place in its own kind of order only.
		nameCur := &switchboard.ClientCursor{Name: "ada", ID: "c_001"}
		timeCur := &switchboard.ClientCursor{CreatedAt: base, ID: "c_001"}
		for _, f := range []switchboard.ClientPageFilter{
			{Sort: switchboard.SortNewest, After: nameCur}, {Sort: switchboard.SortOldest, Before: nameCur},
			{Sort: switchboard.SortName, After: timeCur}, {Sort: switchboard.SortNameDesc, Before: timeCur},
		} {
			if page, err := s.FindClientPage(context.Background(), f); switchboard.ErrorCode(err) != switchboard.EINVALID {
				t.Errorf("FindClientPage(%+v) = %+v, %v; want EINVALID", f, page, err)
			}
		}
	})
}

// TestCountClientsUpTo: the count of a filter, exact up to the cap and
// "more" (cap+1) beyond, as the JSON API's total counts.
func TestCountClientsUpTo(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		pageFixture(t, s) // 41 clients, 14 Suspended, named "Name of c_0nn"
		for _, tt := range []struct {
			status      *switchboard.Status
			search      string
			max, want   int
			description string
		}{
			{nil, "", 100, 41, "all"},
			{nil, "", 10, 41, "all: exact from client_counts, whatever the cap"},
			{ptrTo(switchboard.StatusSuspended), "", 100, 14, "status"},
			{nil, "c_01", 100, 10, "search"},
			{nil, "c_01", 5, 6, "search, capped"},
			{ptrTo(switchboard.StatusSuspended), "c_01", 100, 3, "status and search"},
			{nil, "nobody", 100, 0, "no match"},
		} {
			got, err := s.CountClientsUpTo(ctx, tt.status, tt.search, tt.max)
			if err != nil || got != tt.want {
				t.Errorf("%s: CountClientsUpTo = %d, %v; want %d", tt.description, got, err, tt.want)
			}
			if tt.max >= 41 {
				_, total, err := s.FindClients(ctx, switchboard.ClientFilter{Status: tt.status, Search: tt.search})
				if err != nil || total != tt.want {
					t.Errorf("%s: FindClients total = %d, %v; the counts disagree", tt.description, total, err)
				}
			}
		}
	})
}

// TestFindClientPage_Edges: pages asked from cursors that name no stored
// client (deleted since, or made up) still split the listing at that place,
// and an empty store or an empty end has no links.
func TestFindClientPage_Edges(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		page, err := s.FindClientPage(ctx, switchboard.ClientPageFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Clients) != 0 || page.Newer != nil || page.Older != nil {
			t.Errorf("empty store: page = %+v, want empty without links", page)
		}

		rows := pageFixture(t, s)
		want := pageOrder(rows)
		// The cursor of want[10], whose client is then deleted.
		var gone clientRow
		if err := s.db.Where("client_id = ?", want[10]).Take(&gone).Error; err != nil {
			t.Fatal(err)
		}
		cur := switchboard.CursorOf(gone.domain())
		if err := s.DeleteClient(ctx, gone.ClientID); err != nil {
			t.Fatal(err)
		}
		page, err = s.FindClientPage(ctx, switchboard.ClientPageFilter{After: cur, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pageIDs(page.Clients), want[11:16]; !reflect.DeepEqual(got, want) {
			t.Errorf("After a deleted client = %q, want %q", got, want)
		}
		if page.Newer == nil || page.Newer.ID != want[11] || page.Older == nil || page.Older.ID != want[15] {
			t.Errorf("links = %+v / %+v, want %s / %s", page.Newer, page.Older, want[11], want[15])
		}
		page, err = s.FindClientPage(ctx, switchboard.ClientPageFilter{Before: cur, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pageIDs(page.Clients), want[5:10]; !reflect.DeepEqual(got, want) {
			t.Errorf("Before a deleted client = %q, want %q", got, want)
		}
		if page.Newer == nil || page.Newer.ID != want[5] || page.Older == nil || page.Older.ID != want[9] {
			t.Errorf("links = %+v / %+v, want %s / %s", page.Newer, page.Older, want[5], want[9])
		}

		// Past either end: an empty page whose one link leads back.
		past := &switchboard.ClientCursor{CreatedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), ID: "zzz"}
		page, err = s.FindClientPage(ctx, switchboard.ClientPageFilter{After: past})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Clients) != 0 || page.Older != nil || page.Newer == nil || *page.Newer != *past {
			t.Errorf("After the oldest = %+v, want empty, Newer = the cursor", page)
		}
		future := &switchboard.ClientCursor{CreatedAt: time.Now().Add(time.Hour).UTC(), ID: "aaa"}
		page, err = s.FindClientPage(ctx, switchboard.ClientPageFilter{Before: future})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Clients) != 0 || page.Newer != nil || page.Older == nil || *page.Older != *future {
			t.Errorf("Before the newest = %+v, want empty, Older = the cursor", page)
		}
		// A cursor in the middle of a run of equal times splits it by clientId.
		mid := &switchboard.ClientCursor{CreatedAt: rows[0].CreatedAt, ID: "c_020x"}
		page, err = s.FindClientPage(ctx, switchboard.ClientPageFilter{After: mid, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Clients {
			if c.CreatedAt.After(mid.CreatedAt) || (c.CreatedAt.Equal(mid.CreatedAt) && c.ID >= mid.ID) {
				t.Errorf("After %+v holds %s created %v", mid, c.ID, c.CreatedAt)
			}
		}
	})
}

func TestFindClientPage_Errors(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		cur := &switchboard.ClientCursor{CreatedAt: time.Now().UTC(), ID: "client_a"}
		bad := []struct {
			name string
			f    switchboard.ClientPageFilter
		}{
			{"BothCursors", switchboard.ClientPageFilter{After: cur, Before: cur}},
			{"NULInCursor", switchboard.ClientPageFilter{After: &switchboard.ClientCursor{ID: "a\x00b"}}},
			{"InvalidUTF8InCursor", switchboard.ClientPageFilter{Before: &switchboard.ClientCursor{ID: "a\xffb"}}},
		}
		for _, tt := range bad {
			page, err := s.FindClientPage(ctx, tt.f)
			if got, want := switchboard.ErrorCode(err), switchboard.EINVALID; got != want || page != nil {
				t.Errorf("%s: FindClientPage = %+v, %v; want nil and %s", tt.name, page, err, want)
			}
		}
	})
}

func TestFindClientPage_Limit(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		base := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
		var rows []clientRow
		for i := range 120 {
			rows = append(rows, pageRow(fmt.Sprintf("c_%03d", i), base.Add(time.Duration(i)*time.Second),
				switchboard.StatusActive, switchboard.ClientMeta{}))
		}
		pageInsert(t, s, rows)
		want := pageOrder(rows)
		for _, tt := range []struct{ limit, want int }{
			{0, switchboard.DefaultClientLimit}, {-3, switchboard.DefaultClientLimit}, {1, 1}, {37, 37},
			{100, 100}, {101, switchboard.MaxClientLimit}, {1 << 40, switchboard.MaxClientLimit},
		} {
			page, err := s.FindClientPage(ctx, switchboard.ClientPageFilter{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := pageIDs(page.Clients), want[:tt.want]; !reflect.DeepEqual(got, want) {
				t.Errorf("Limit %d: %d clients %q, want %d", tt.limit, len(got), got, len(want))
			}
			if page.Older == nil || page.Older.ID != want[tt.want-1] {
				t.Errorf("Limit %d: Older = %+v, want %s", tt.limit, page.Older, want[tt.want-1])
			}
		}
	})
}

// TestFindClientPage_Search: the console's search finds what the JSON API's
// does (FindClients), newest first, with LIKE's wildcards and escape matched
// literally.
func TestFindClientPage_Search(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		fixtures := []struct {
			id, name, email, business string
			status                    switchboard.Status
		}{
			{"c_john", "John Doe", "john@example.com", "Acme Corp", switchboard.StatusActive},
			{"c_jane", "Jane Roe", "jane@roe.org", "ACME Widgets", switchboard.StatusSuspended},
			{"c_emile", "Émile Zola", "emile@zola.fr", "Librairie", switchboard.StatusActive},
			{"c_pct", "100% Pure", "pure@pure.com", "", switchboard.StatusInactive},
			{"c_under", "Under Score", "under_score@mail.com", "", switchboard.StatusActive},
			{"c_slash", "Back Slash", "bs@mail.com", `Back\Slash Ltd`, switchboard.StatusSuspended},
			{"c_other", "Zed", "zed@zed.io", "Nothing", switchboard.StatusInactive},
		}
		base := time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC)
		var rows []clientRow
		for i, f := range fixtures {
			rows = append(rows, pageRow(f.id, base.Add(time.Duration(i)*time.Minute), f.status,
				switchboard.ClientMeta{FullName: f.name, Email: f.email, BusinessName: f.business}))
		}
		// Twelve more Acme clients, so "acme" spans pages. No two clients share
		// a creation time: FindClients breaks ties by row id, not clientId.
		for i := range 12 {
			rows = append(rows, pageRow(fmt.Sprintf("c_acme%02d", i), base.Add(time.Duration(i+1)*time.Second),
				switchboard.StatusActive, switchboard.ClientMeta{
					FullName: fmt.Sprintf("Branch Manager %d", i), Email: fmt.Sprintf("branch%d@acme.com", i), BusinessName: "Acme Branch",
				}))
		}
		pageInsert(t, s, rows)

		for _, tt := range []struct {
			search string
			status *switchboard.Status
			want   []string // nil: whatever FindClients says, checked below to be non-empty
		}{
			{"john", nil, []string{"c_john"}},
			{"JOHN DOE", nil, []string{"c_john"}},
			{"  roe  ", nil, []string{"c_jane"}},
			{"ÉMILE", nil, []string{"c_emile"}},
			{"acme", nil, nil},
			{"acme", ptrTo(switchboard.StatusSuspended), []string{"c_jane"}},
			{"%", nil, []string{"c_pct"}},
			{"%%", nil, []string{}},
			{"r_s", nil, []string{"c_under"}}, // every clientId has a "_" now
			{"1_0", nil, []string{}},
			{`\`, nil, []string{"c_slash"}},
			{`k\s`, nil, []string{"c_slash"}},
			{"C_EMI", nil, []string{"c_emile"}},
			{"+1 212 555 1234", ptrTo(switchboard.StatusSuspended), []string{"c_slash", "c_jane"}},
			{"nobody", nil, []string{}},
			{"   ", nil, nil},
		} {
			name := fmt.Sprintf("%q", tt.search)
			api, total, err := s.FindClients(ctx, switchboard.ClientFilter{Search: tt.search, Status: tt.status, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			want := pageIDs(api)
			if tt.want != nil && !slices.Equal(want, tt.want) {
				t.Errorf("%s: FindClients = %q, want %q", name, want, tt.want)
			}
			if tt.want == nil && total < 10 {
				t.Errorf("%s: FindClients total = %d, want a few pages", name, total)
			}
			for _, limit := range []int{3, 100} {
				got := pageWalk(t, s, switchboard.ClientPageFilter{Search: tt.search, Status: tt.status, Limit: limit})
				if !slices.Equal(got, want) {
					t.Errorf("%s, limit %d: FindClientPage walk = %q, want FindClients' %q", name, limit, got, want)
				}
			}
		}
	})
}

func TestCountClientsByStatus(t *testing.T) {
	ctx := context.Background()
	pageStores(t, func(t *testing.T, s *Store) {
		counts, err := s.CountClientsByStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		zero := map[switchboard.Status]int{switchboard.StatusActive: 0, switchboard.StatusInactive: 0, switchboard.StatusSuspended: 0}
		if !reflect.DeepEqual(counts, zero) {
			t.Errorf("empty store: counts = %v, want %v", counts, zero)
		}
		pageFixture(t, s) // 41 clients, every third (n = 0, 3, ..., 39) Suspended
		counts, err = s.CountClientsByStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[switchboard.Status]int{switchboard.StatusActive: 27, switchboard.StatusInactive: 0, switchboard.StatusSuspended: 14}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts = %v, want %v", counts, want)
		}
		if _, err := s.UpdateClient(ctx, "c_001", switchboard.ClientUpdate{Status: ptrTo(switchboard.StatusInactive)}); err != nil {
			t.Fatal(err)
		}
		counts, err = s.CountClientsByStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want[switchboard.StatusActive], want[switchboard.StatusInactive] = 26, 1
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("after an update: counts = %v, want %v", counts, want)
		}
	})
}

func TestClientCursor(t *testing.T) {
	for _, c := range []switchboard.ClientCursor{
		{CreatedAt: time.Date(2025, 3, 20, 12, 0, 0, 123e6, time.UTC), ID: "client_unique_id"},
		{CreatedAt: time.Date(2025, 3, 20, 12, 0, 0, 123456789, time.UTC), ID: "a.b-c_D9"},
		{CreatedAt: time.Unix(0, 0).UTC(), ID: "abc"},
		{CreatedAt: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ID: strings.Repeat("x", 64)},
		{CreatedAt: time.Date(2025, 3, 20, 12, 0, 0, 0, time.FixedZone("CET", 3600)), ID: "...."},
	} {
		s := c.String()
		if strings.ContainsFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) || url.QueryEscape(s) != s {
			t.Errorf("%+v: String() = %q, not URL-safe", c, s)
		}
		got, err := switchboard.ParseClientCursor(s)
		if err != nil {
			t.Errorf("ParseClientCursor(%q): %v", s, err)
			continue
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID || got.CreatedAt.Location() != time.UTC {
			t.Errorf("ParseClientCursor(%q) = %+v, want %+v in UTC", s, got, c)
		}
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	valid := enc("1742472000123000000.client_a")
	for _, junk := range []string{
		"",
		"not a cursor",
		"!!!!",
		valid + "=",                             // padded
		valid[:len(valid)-1],                    // cut short
		valid + "A",                             // not base64 of whole bytes
		enc("1742472000123000000"),              // no id
		enc("1742472000123000000."),             // empty id
		enc(".client_a"),                        // no time
		enc("x.client_a"),                       // not a number
		enc("01742472000123000000.client_a"),    // leading zero
		enc("+1742472000123000000.client_a"),    // plus sign
		enc("99999999999999999999.client_a"),    // out of range
		enc("1742472000123000000.ab"),           // id too short
		enc("1742472000123000000.client a"),     // space in id
		enc("1742472000123000000.client_a\x00"), // NUL in id
		enc("1742472000123000000.client_\xff"),  // invalid UTF-8
		enc("1742472000123000000." + strings.Repeat("x", 65)),              // id too long
		strings.ReplaceAll(enc("1742472000123000000.client_a?"), "_", "/"), // standard base64
		strings.Repeat("A", 10000),
	} {
		c, err := switchboard.ParseClientCursor(junk)
		var e *switchboard.Error
		if c != nil || !errors.As(err, &e) || e.Code != switchboard.EINVALID {
			t.Errorf("ParseClientCursor(%q) = %+v, %v; want an EINVALID *Error", junk, c, err)
		}
	}
}

// TestClientCursor_Name: a name order's cursor reads back as written, and
// nothing else reads as one.
func TestClientCursor_Name(t *testing.T) {
	for _, c := range []switchboard.ClientCursor{
		{Name: "ada lovelace", ID: "client_a"},
		{Name: "émile zola & fils, 100%", ID: "a.b-c_D9"},
		{Name: strings.Repeat("ü", 200), ID: strings.Repeat("x", 64)},
	} {
		s := c.String()
		if url.QueryEscape(s) != s {
			t.Errorf("%+v: String() = %q, not URL-safe", c, s)
		}
		if got, err := switchboard.ParseClientCursor(s); err != nil || *got != c {
			t.Errorf("ParseClientCursor(%q) = %+v, %v; want %+v", s, got, err, c)
		}
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, junk := range []string{
		enc("~client_a"),          // no name
		enc("~client_a\n"),        // empty name
		enc("~client a\nada"),     // bad id
		enc("~client_a\nAda"),     // not a NameKey
		enc("~client_a\nad\xffa"), // invalid UTF-8
		enc("~\nada"),             // no id
		enc("client_a\nada"),      // no mark
		enc("~client_a\n" + strings.Repeat("a", 801)),
	} {
		if c, err := switchboard.ParseClientCursor(junk); switchboard.ErrorCode(err) != switchboard.EINVALID {
			t.Errorf("ParseClientCursor(%q) = %+v, %v; want EINVALID", junk, c, err)
		}
	}
}

// TestClientPageQueryPlan: every page read (the first, one After a cursor,
// one Before, by status, with a search) and every existence probe walks an
// index of migration 00003 in the listing's order, so SQLite stops after
// Limit+1 rows and never sorts: no temp B-tree, whatever the table's size.
func TestClientPageQueryPlan(t *testing.T) {
	s := pageStore(t, SQLite)
	ctx := context.Background()
	// "acme" is a common term here: more clients have each of its trigrams
	// than narrow a search (gramSelective), so its search walks the index.
	acme := make([]clientRow, gramSelective+1)
	for i := range acme {
		acme[i] = pageRow(fmt.Sprintf("acme_%04d", i), time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
			switchboard.StatusActive, switchboard.ClientMeta{BusinessName: "Acme"})
	}
	pageInsert(t, s, acme)
	cur := &switchboard.ClientCursor{CreatedAt: time.Now().UTC(), ID: "client_a"}
	nameCur := &switchboard.ClientCursor{Name: "ada", ID: "client_a"}
	active := ptrTo(switchboard.StatusActive)
	for _, tt := range []struct {
		name  string
		f     switchboard.ClientPageFilter
		cur   *switchboard.ClientCursor
		newer bool
		index string
	}{
		{"First", switchboard.ClientPageFilter{}, nil, false, "clients_created_at_client_id_idx"},
		{"After", switchboard.ClientPageFilter{}, cur, false, "clients_created_at_client_id_idx"},
		{"Before", switchboard.ClientPageFilter{}, cur, true, "clients_created_at_client_id_idx"},
		{"StatusFirst", switchboard.ClientPageFilter{Status: active}, nil, false, "clients_status_created_at_client_id_idx"},
		{"StatusAfter", switchboard.ClientPageFilter{Status: active}, cur, false, "clients_status_created_at_client_id_idx"},
		{"StatusBefore", switchboard.ClientPageFilter{Status: active}, cur, true, "clients_status_created_at_client_id_idx"},
		{"SearchFirst", switchboard.ClientPageFilter{Search: "acme"}, nil, false, "clients_created_at_client_id_idx"},
		{"SearchAfter", switchboard.ClientPageFilter{Search: "acme"}, cur, false, "clients_created_at_client_id_idx"},
		{"StatusSearchAfter", switchboard.ClientPageFilter{Status: active, Search: "acme"}, cur, false, "clients_status_created_at_client_id_idx"},
		{"OldestAfter", switchboard.ClientPageFilter{Sort: switchboard.SortOldest}, cur, false, "clients_created_at_client_id_idx"},
		{"NameAfter", switchboard.ClientPageFilter{Sort: switchboard.SortName}, nameCur, false, "clients_name_key_client_id_idx"},
		{"NameDescBefore", switchboard.ClientPageFilter{Sort: switchboard.SortNameDesc}, nameCur, true, "clients_name_key_client_id_idx"},
		{"StatusNameAfter", switchboard.ClientPageFilter{Sort: switchboard.SortName, Status: active}, nameCur, false, "clients_status_name_key_client_id_idx"},
		{"StatusSearchNameAfter", switchboard.ClientPageFilter{Sort: switchboard.SortName, Status: active, Search: "acme"}, nameCur, false, "clients_status_name_key_client_id_idx"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rows []clientRow
			page := s.clientPageQuery(ctx, tt.f, tt.cur, tt.newer, 11).Session(&gorm.Session{DryRun: true}).Find(&rows).Statement
			var ids []string
			probe := s.clientPageQuery(ctx, tt.f, tt.cur, tt.newer, 1).Session(&gorm.Session{DryRun: true}).Pluck("client_id", &ids).Statement
			for _, stmt := range []*gorm.Statement{page, probe} {
				query := stmt.SQL.String()
				plan := explainSQLite(t, s, query, stmt.Vars...)
				if !strings.Contains(plan, "USING INDEX "+tt.index) && !strings.Contains(plan, "USING COVERING INDEX "+tt.index) {
					t.Errorf("%s\nplan does not use %s:\n%s", query, tt.index, plan)
				}
				if strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("%s\nplan sorts:\n%s", query, plan)
				}
				if tt.cur != nil && !strings.Contains(plan, "(created_at,client_id)") && !strings.Contains(plan, "(name_key,client_id)") {
					t.Errorf("%s\nplan does not seek to the cursor:\n%s", query, plan)
				}
				// The index holds search_key too, so a probe never reads the table.
				if stmt == probe && !strings.Contains(plan, "COVERING INDEX") {
					t.Errorf("%s\nprobe reads the table:\n%s", query, plan)
				}
			}
		})
	}

	// The dashboard's counts read the status index, not the table.
	var rows []struct {
		Status string
		N      int
	}
	stmt := s.db.Session(&gorm.Session{DryRun: true}).Model(&clientRow{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Statement
	if plan := explainSQLite(t, s, stmt.SQL.String(), stmt.Vars...); !strings.Contains(plan, "COVERING INDEX") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("CountClientsByStatus plan:\n%s", plan)
	}
}

// TestEventPageQueryPlan: a page of the audit trail, filtered or not, is a
// range read of an index in its order (migrations 00012 and 00019 for the filters)
// with one lookup of the client's name per event: no scan, no sort.
func TestEventPageQueryPlan(t *testing.T) {
	s := pageStore(t, SQLite)
	ctx := context.Background()
	cur := &switchboard.EventCursor{CreatedAt: time.Now().UTC(), ID: 7}
	for _, tt := range []struct {
		name  string
		f     switchboard.EventPageFilter
		index string
	}{
		{"First", switchboard.EventPageFilter{}, "events_created_at_idx"},
		{"After", switchboard.EventPageFilter{After: cur}, "events_created_at_idx"},
		{"Client", switchboard.EventPageFilter{ClientID: "client_a", After: cur}, "events_client_id_created_at_idx"},
		{"Action", switchboard.EventPageFilter{Action: switchboard.EventClientDeleted, After: cur}, "events_action_created_at_idx"},
		{"Actor", switchboard.EventPageFilter{Actor: "admin:alice"}, "events_actor_created_at_idx"},
		{"ActorAfter", switchboard.EventPageFilter{Actor: "admin:alice", After: cur}, "events_actor_created_at_idx"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rows []namedEventRow
			stmt := s.eventsQuery(ctx, tt.f, 26).Session(&gorm.Session{DryRun: true}).Scan(&rows).Statement
			plan := explainSQLite(t, s, stmt.SQL.String(), stmt.Vars...)
			if !strings.Contains(plan, "INDEX "+tt.index) {
				t.Errorf("plan does not use %s:\n%s", tt.index, plan)
			}
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN clients") {
				t.Errorf("plan sorts or scans the clients:\n%s", plan)
			}
			if !strings.Contains(plan, "SEARCH clients USING INDEX clients_client_id_key") {
				t.Errorf("plan does not look the name up by clientId:\n%s", plan)
			}
		})
	}
}

// explainSQLite returns SQLite's EXPLAIN QUERY PLAN of query, one step a line.
func explainSQLite(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	var steps []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := s.db.Raw("EXPLAIN QUERY PLAN "+query, args...).Scan(&steps).Error; err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	var plan []string
	for _, st := range steps {
		plan = append(plan, st.Detail)
	}
	return strings.Join(plan, "\n")
}

// BenchmarkFindClientPage measures console pages on SQLite with 100 and
// 100,000 clients: the first page, a page 90% deep reached by its cursor, a
// status page, and searches for a term most clients match and one a single
// client matches. OffsetDeep is the JSON API's FindClients at the same
// depth, for comparison. Run with -benchtime 200x (see docs/PERFORMANCE.md).
func BenchmarkFindClientPage(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s := pageStore(b, SQLite)
			order := benchSeed(b, s, n)
			ctx := context.Background()
			deep := order[n*9/10]
			deepCursor := &switchboard.ClientCursor{CreatedAt: deep.CreatedAt, ID: deep.ClientID}
			run := func(name string, f switchboard.ClientPageFilter, wantMin int) {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						page, err := s.FindClientPage(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Clients) < wantMin {
							b.Fatalf("%d clients, want at least %d", len(page.Clients), wantMin)
						}
					}
				})
			}
			const limit = 25
			run("First", switchboard.ClientPageFilter{Limit: limit}, limit)
			run("Deep", switchboard.ClientPageFilter{After: deepCursor, Limit: limit}, min(limit, n-n*9/10-1))
			run("DeepBefore", switchboard.ClientPageFilter{Before: deepCursor, Limit: limit}, limit)
			run("Status", switchboard.ClientPageFilter{Status: ptrTo(switchboard.StatusSuspended), Limit: limit}, 1)
			run("SearchCommon", switchboard.ClientPageFilter{Search: "acme", Limit: limit}, limit)
			run("SearchRare", switchboard.ClientPageFilter{Search: "zebracorn", Limit: limit}, 1)
			b.Run("OffsetDeep", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := s.FindClients(ctx, switchboard.ClientFilter{Offset: n * 9 / 10, Limit: limit}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// benchSeed stores n clients in one transaction, a second apart with every
// tenth pair sharing a second: 80% Active, 15% Inactive, 5% Suspended; half
// of them with "Acme" in the business name, and one, in the middle of the
// listing, "Zebracorn Ltd". It returns the rows in listing order.
func benchSeed(b *testing.B, s *Store, n int) []clientRow {
	b.Helper()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]clientRow, n)
	for i := range rows {
		status := switchboard.StatusActive
		switch {
		case i%20 == 7:
			status = switchboard.StatusSuspended
		case i%20 >= 17:
			status = switchboard.StatusInactive
		}
		business := fmt.Sprintf("Business %d", i)
		if i%2 == 0 {
			business = fmt.Sprintf("Acme %d", i)
		}
		if i == n/2 {
			business = "Zebracorn Ltd"
		}
		created := base.Add(time.Duration(i-i%10/9) * time.Second)
		rows[i] = pageRow(fmt.Sprintf("client_%07d", i), created, status, switchboard.ClientMeta{
			FullName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("person%d@example.com", i), BusinessName: business,
		})
	}
	err := s.db.Transaction(func(tx *gorm.DB) error {
		return tx.CreateInBatches(rows, 1000).Error
	})
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	return pageSort(rows)
}
