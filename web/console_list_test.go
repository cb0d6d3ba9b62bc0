package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/internal/mock"
	"switchboard/internal/switchboard"
)

// countingStore passes every call to the real store and counts the two
// ways of counting clients.
func countingStore(s *site, byStatus, upTo *atomic.Int64, upToResult int) *mock.ClientService {
	st := s.store
	return &mock.ClientService{
		FindClientByIDFn: st.FindClientByID, FindClientByEmailFn: st.FindClientByEmail, FindTokenClientFn: st.FindTokenClient,
		FindClientsFn: st.FindClients, FindClientPageFn: st.FindClientPage, CreateClientFn: st.CreateClient,
		UpdateClientFn: st.UpdateClient, DeleteClientFn: st.DeleteClient, SetClientSecretHashFn: st.SetClientSecretHash,
		RevokeClientTokensFn: st.RevokeClientTokens,
		CountClientsByStatusFn: func(ctx context.Context) (map[switchboard.Status]int, error) {
			byStatus.Add(1)
			return st.CountClientsByStatus(ctx)
		},
		CountClientsUpToFn: func(ctx context.Context, status *switchboard.Status, search string, max int) (int, error) {
			upTo.Add(1)
			if max != 1000 {
				return 0, fmt.Errorf("counted up to %d, want 1000", max)
			}
			if upToResult > 0 {
				return upToResult, nil
			}
			return st.CountClientsUpTo(ctx, status, search, max)
		},
	}
}

// The list says how many clients its filter matches: from the status
// counts when there is no search (no count of rows), from a count that
// stops past 1,000 for a search.
func TestConsole_ClientsCount(t *testing.T) {
	t.Parallel()
	base := newSite(t, nil)
	seedSearchable(t, base)
	var byStatus, upTo atomic.Int64
	s := newSiteOn(t, base, countingStore(base, &byStatus, &upTo, 0))
	b := s.signedIn(t)
	for _, tt := range []struct {
		query, want   string
		status, count int64
	}{
		{"", "4 clients", 1, 0},
		{"?status=Active", "2 clients match", 1, 0},
		{"?status=Suspended", "1 client matches", 1, 0},
		{"?search=al", "2 clients match", 0, 1},
		{"?search=ada&status=Active", "1 client matches", 0, 1},
	} {
		byStatus.Store(0)
		upTo.Store(0)
		p := b.get("/console/clients" + tt.query).wantStatus(http.StatusOK)
		if got := p.text("client-count"); got != tt.want {
			t.Errorf("%q: count = %q, want %q", tt.query, got, tt.want)
		}
		if byStatus.Load() != tt.status || upTo.Load() != tt.count {
			t.Errorf("%q: %d status counts and %d bounded counts, want %d and %d", tt.query, byStatus.Load(), upTo.Load(), tt.status, tt.count)
		}
		h := b.htmx(http.MethodGet, "/console/clients"+tt.query, "client-results", nil).wantStatus(http.StatusOK)
		if got := h.text("client-count"); got != tt.want {
			t.Errorf("%q: the live search's count = %q", tt.query, got)
		}
	}
	// Past the cap, the count says so.
	capped := newSiteOn(t, base, countingStore(base, &byStatus, &upTo, 1001)).signedIn(t)
	if got := capped.get("/console/clients?search=a").text("client-count"); got != "More than 1,000 clients match" {
		t.Errorf("capped count = %q", got)
	}
}

// Name and creation headers sort the list, keep the filter, and the pages
// of a sorted list stay in its order.
func TestConsole_ClientsSort(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s) // created c1_ada, c2_grace, c3_alan, c4_zoe
	b := s.signedIn(t)
	for _, tt := range []struct {
		query     string
		want      []string
		nameSort  string // aria-sort of the Name header
		nameLink  string
		createdAS string
	}{
		{"", []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}, "none", "/console/clients?sort=name", "descending"},
		{"?sort=-created", []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}, "none", "/console/clients?sort=name", "descending"},
		{"?sort=created", []string{"c1_ada", "c2_grace", "c3_alan", "c4_zoe"}, "none", "/console/clients?sort=name", "ascending"},
		{"?sort=name", []string{"c1_ada", "c3_alan", "c2_grace", "c4_zoe"}, "ascending", "/console/clients?sort=-name", "none"},
		{"?sort=-name", []string{"c4_zoe", "c2_grace", "c3_alan", "c1_ada"}, "descending", "/console/clients?sort=name", "none"},
		{"?sort=name&status=Active&search=a", []string{"c1_ada", "c3_alan"}, "ascending", "/console/clients?search=a&sort=-name&status=Active", "none"},
	} {
		p := b.get("/console/clients" + tt.query).wantStatus(http.StatusOK)
		if got := p.clientIDs(); !slices.Equal(got, tt.want) {
			t.Errorf("%q: rows = %v, want %v", tt.query, got, tt.want)
		}
		name := p.testid("sort-name")
		if got := name.Parent().AttrOr("aria-sort", ""); got != tt.nameSort {
			t.Errorf("%q: Name aria-sort = %q, want %q", tt.query, got, tt.nameSort)
		}
		if got := name.AttrOr("href", ""); got != tt.nameLink {
			t.Errorf("%q: Name links to %q, want %q", tt.query, got, tt.nameLink)
		}
		if got := p.testid("sort-created").Parent().AttrOr("aria-sort", ""); got != tt.createdAS {
			t.Errorf("%q: Created aria-sort = %q, want %q", tt.query, got, tt.createdAS)
		}
	}
	p := b.get("/console/clients?sort=sideways").wantStatus(http.StatusOK)
	if !strings.Contains(p.text("form-error"), "no such order") || !slices.Equal(p.clientIDs(), []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}) {
		t.Errorf("an unknown order: %q, %v", p.text("form-error"), p.clientIDs())
	}

	// 30 more clients: the name order's pages follow each other and back,
	// and the search box keeps the order.
	for i := range 30 {
		s.seed(t, fmt.Sprintf("n_%02d", i), fmt.Sprintf("Name %02d", 29-i), fmt.Sprintf("n%02d@example.com", i), "", switchboard.StatusActive)
	}
	first := b.get("/console/clients?sort=name").wantStatus(http.StatusOK)
	if v := first.Doc.Find(`[data-testid="client-filter"] input[name="sort"]`).AttrOr("value", ""); v != "name" {
		t.Errorf("the search form keeps sort %q, want name", v)
	}
	older := first.testid("older-page").AttrOr("href", "")
	if !strings.Contains(older, "sort=name") {
		t.Fatalf("next page link %q loses the order", older)
	}
	second := b.get(older).wantStatus(http.StatusOK)
	all := append(first.clientIDs(), second.clientIDs()...)
	if len(all) != 34 || all[0] != "c1_ada" || all[3] != "n_29" || all[33] != "c4_zoe" {
		t.Errorf("the name order over two pages = %v", all)
	}
	back := b.get(second.testid("newer-page").AttrOr("href", "")).wantStatus(http.StatusOK)
	if !slices.Equal(back.clientIDs(), first.clientIDs()) {
		t.Errorf("back to the first page = %v", back.clientIDs())
	}
	// A creation-order page link does not work in the name order.
	bad := b.get("/console/clients?sort=name&after=" + strings.TrimPrefix(
		b.get("/console/clients").testid("older-page").AttrOr("href", ""), "/console/clients?after=")).wantStatus(http.StatusOK)
	if !strings.Contains(bad.text("form-error"), "page link is broken") {
		t.Errorf("a creation cursor in the name order: %q", bad.text("form-error"))
	}
}

// readCSV downloads the export at path and parses it.
func readCSV(t *testing.T, b *browser, path string) [][]string {
	t.Helper()
	p := b.get(path).wantStatus(http.StatusOK)
	if got := p.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("%s: Content-Type = %q", path, got)
	}
	if got := p.Header.Get("Content-Disposition"); !strings.HasPrefix(got, `attachment; filename="clients-`) || !strings.HasSuffix(got, `.csv"`) {
		t.Errorf("%s: Content-Disposition = %q", path, got)
	}
	records, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, p.Body)
	}
	return records
}

// The export holds every client the list's filter matches, in its order,
// every page of it, with cells a spreadsheet will not run as formulas.
func TestConsole_ClientsExport(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s)
	for i := range 230 {
		s.seed(t, fmt.Sprintf("bulk_%03d", i), fmt.Sprintf("Bulk %03d", i), fmt.Sprintf("bulk%03d@example.com", i), "", switchboard.StatusInactive)
	}
	s.seed(t, "evil_1", `=HYPERLINK("http://evil.example","click")`, "evil@example.com", "@SUM(A1)", switchboard.StatusSuspended)
	b := s.signedIn(t)

	all := readCSV(t, b, "/console/clients.csv")
	header := strings.Join(all[0], ",")
	if header != "clientId,status,clientMeta.fullName,clientMeta.email,clientMeta.phone,clientMeta.businessName,"+
		"clientMeta.city,clientMeta.jobTitle,clientMeta.notes,agentId,twilioPhoneNumber,createdAt,updatedAt" {
		t.Errorf("header = %s", header)
	}
	if len(all) != 1+4+230+1 || all[1][0] != "evil_1" || all[len(all)-1][0] != "c1_ada" {
		t.Fatalf("%d rows, first %v, last %v; want every client, newest first", len(all)-1, all[1], all[len(all)-1])
	}
	evil := all[1]
	for i, want := range map[int]string{
		2: `'=HYPERLINK("http://evil.example","click")`, 5: "'@SUM(A1)", 4: "'+14155550123", 10: "'+14155550100", 3: "evil@example.com",
	} {
		if evil[i] != want {
			t.Errorf("column %s = %q, want %q", all[0][i], evil[i], want)
		}
	}

	// The list's filter and order.
	active := readCSV(t, b, "/console/clients.csv?status=Active&sort=name")
	var ids []string
	for _, r := range active[1:] {
		ids = append(ids, r[0])
	}
	if !slices.Equal(ids, []string{"c1_ada", "c3_alan"}) {
		t.Errorf("Active by name = %v", ids)
	}
	if got := readCSV(t, b, "/console/clients.csv?search=bulk_1"); len(got) != 1+100 {
		t.Errorf("search bulk_1: %d rows, want 100", len(got)-1)
	}
	// The list links to the export of what it shows.
	if href := b.get("/console/clients?search=al&sort=name").testid("export-csv").AttrOr("href", ""); href != "/console/clients.csv?search=al&sort=name" {
		t.Errorf("export link = %q", href)
	}
	b.get("/console/clients.csv?status=Deleted").wantError(http.StatusBadRequest)
	// Signed out, there is nothing to export.
	if p := s.browser(t).get("/console/clients.csv"); p.Status != http.StatusSeeOther || strings.Contains(p.Body, "c1_ada") {
		t.Errorf("signed out: %d %q", p.Status, p.Body)
	}
}
