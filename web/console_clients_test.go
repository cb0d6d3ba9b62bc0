package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// seedSearchable stores four clients whose ids sort in creation order, so
// the newest-first listing is c4, c3, c2, c1 even when they share a
// creation time.
func seedSearchable(t *testing.T, s *site) {
	t.Helper()
	s.seed(t, "c1_ada", "Ada Lovelace", "ada@lovelace.example", "Analytical Engines", switchboard.StatusActive)
	s.seed(t, "c2_grace", "Grace Hopper", "grace@navy.example", "COBOL Compilers", switchboard.StatusInactive)
	s.seed(t, "c3_alan", "Alan Turing", "alan@bletchley.example", "Enigma Works", switchboard.StatusActive)
	s.seed(t, "c4_zoe", "Zoë Ångström", "zoe@nordic.example", "Fjord Fisheries", switchboard.StatusSuspended)
}

func TestConsole_ClientsRows(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s)
	p := s.signedIn(t).get("/console/clients").wantStatus(http.StatusOK)
	if got, want := p.clientIDs(), []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	row := p.Doc.Find(`[data-testid="client-row"][data-client-id="c2_grace"]`)
	for id, want := range map[string]string{"client-name": "Grace Hopper", "client-id": "c2_grace", "status-badge": "Inactive"} {
		if got := strings.TrimSpace(row.Find(`[data-testid="` + id + `"]`).Text()); got != want {
			t.Errorf("row %s = %q, want %q", id, got, want)
		}
	}
	for _, want := range []string{"COBOL Compilers", "grace@navy.example"} {
		if !strings.Contains(row.Text(), want) {
			t.Errorf("row does not show %q: %q", want, row.Text())
		}
	}
	if row.Find("time[datetime]").Length() != 1 {
		t.Error("row does not show when the client was created")
	}
	if href, _ := row.Find(`[data-testid="client-name"]`).Attr("href"); href != "/console/clients/c2_grace" {
		t.Errorf("name links to %q", href)
	}
	if id, _ := row.Attr("id"); id != "client-row-c2_grace" {
		t.Errorf("row id = %q", id)
	}
	// Each row's button offers the other state.
	for id, want := range map[string]string{"c1_ada": "Suspended", "c2_grace": "Active", "c4_zoe": "Active"} {
		btn := p.Doc.Find(`[data-client-id="` + id + `"] [data-action="toggle-status"]`)
		if v, _ := btn.Attr("value"); v != want || btn.Length() != 1 {
			t.Errorf("%s: toggle sets %q (%d buttons), want %q", id, v, btn.Length(), want)
		}
	}
	if p.testid("pager").Find(`[data-testid="older-page"], [data-testid="newer-page"]`).Length() != 0 {
		t.Error("one page of clients has page links")
	}
}

func TestConsole_ClientsSearchAndFilter(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s)
	b := s.signedIn(t)
	tests := []struct {
		name       string
		query      string
		want       []string
		wantSearch string // the search box shows
		wantStatus string // the status filter selects ("" for all)
	}{
		{"All", "", []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}, "", ""},
		{"NameLower", "search=ada", []string{"c1_ada"}, "ada", ""},
		{"NameUpper", "search=LOVELACE", []string{"c1_ada"}, "LOVELACE", ""},
		{"EmailMixedCase", "search=Navy.Example", []string{"c2_grace"}, "Navy.Example", ""},
		{"BusinessLower", "search=cobol", []string{"c2_grace"}, "cobol", ""},
		{"BusinessUpper", "search=ENGINES", []string{"c1_ada"}, "ENGINES", ""},
		{"SeveralMatches", "search=al", []string{"c3_alan", "c1_ada"}, "al", ""},
		{"NonASCIICase", "search=" + url.QueryEscape("ÅNGSTRÖM"), []string{"c4_zoe"}, "ÅNGSTRÖM", ""},
		{"Trimmed", "search=" + url.QueryEscape("  grace "), []string{"c2_grace"}, "grace", ""},
		{"PercentIsLiteral", "search=%25", nil, "%", ""},
		{"UnderscoreIsLiteral", "search=c__ada", nil, "c__ada", ""},
		{"NoMatch", "search=nobody", nil, "nobody", ""},
		{"ClientID", "search=c3_alan", []string{"c3_alan"}, "c3_alan", ""},
		{"Phone", "status=Suspended&search=" + url.QueryEscape("(415) 555-0123"), []string{"c4_zoe"}, "(415) 555-0123", "Suspended"},
		{"Status", "status=Suspended", []string{"c4_zoe"}, "", "Suspended"},
		{"StatusInactive", "status=Inactive", []string{"c2_grace"}, "", "Inactive"},
		{"StatusAndSearch", "status=Active&search=al", []string{"c3_alan", "c1_ada"}, "al", "Active"},
		{"StatusAndSearchNoMatch", "status=Suspended&search=ada", nil, "ada", "Suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/console/clients?" + tt.query).wantStatus(http.StatusOK)
			if got := p.clientIDs(); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
			if got := p.inputValue("search"); got != tt.wantSearch {
				t.Errorf("search box = %q, want %q", got, tt.wantSearch)
			}
			if got, _ := p.testid("status-filter").Find("option[selected]").Attr("value"); got != tt.wantStatus {
				t.Errorf("status filter selects %q, want %q", got, tt.wantStatus)
			}
			if n := p.testid("form-error").Length(); n != 0 {
				t.Errorf("form error shown: %q", p.text("form-error"))
			}
			empty := p.testid("empty-state")
			if len(tt.want) == 0 {
				if got := strings.TrimSpace(empty.Find("p").First().Text()); got != "No clients match this search." {
					t.Errorf("empty state = %q", got)
				}
			} else if empty.Length() != 0 {
				t.Errorf("empty state shown with %d rows", len(tt.want))
			}
		})
	}
}

// A filter the list cannot apply is explained, and the page still lists.
func TestConsole_ClientsBadFilter(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s)
	b := s.signedIn(t)
	all := []string{"c4_zoe", "c3_alan", "c2_grace", "c1_ada"}
	const (
		badStatus = "Invalid status: use Active, Inactive or Suspended."
		badCursor = "That page link is broken; showing the first page."
		tooLong   = "The search is too long (at most 200 characters)."
		control   = "The search cannot contain control or invisible formatting characters."
	)
	tests := []struct {
		name       string
		query      string
		wantError  string
		want       []string
		wantSearch string
	}{
		{"InvalidStatus", "status=Deleted", badStatus, all, ""},
		{"LowerCaseStatus", "status=active", badStatus, all, ""},
		{"InvalidStatusKeepsSearch", "status=Deleted&search=ada", badStatus, []string{"c1_ada"}, "ada"},
		{"BrokenAfter", "after=not-a-cursor", badCursor, all, ""},
		{"BrokenBefore", "before=%00%01", badCursor, all, ""},
		{"CursorOfUnknownForm", "after=" + url.QueryEscape("MTIzNDU2Nzg5.LiIi"), badCursor, all, ""},
		{"TooLongSearch", "search=" + strings.Repeat("a", 201), tooLong, all, ""},
		// A NUL failed the query on PostgreSQL ("Something went wrong")
		// and matched every client on SQLite.
		{"NULInSearch", "search=ada%00", control, all, ""},
		{"ZeroWidthInSearch", "search=" + url.QueryEscape("ada\u200b"), control, all, ""},
		{"Both", "status=x&after=y", badStatus + " " + badCursor, all, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/console/clients?" + tt.query).wantStatus(http.StatusOK)
			if got := p.text("form-error"); got != tt.wantError {
				t.Errorf("message = %q, want %q", got, tt.wantError)
			}
			if got := p.clientIDs(); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
			if got := p.inputValue("search"); got != tt.wantSearch {
				t.Errorf("search box = %q, want %q", got, tt.wantSearch)
			}
			if p.testid("client-filter").Length() != 1 {
				t.Error("no filter form: not the whole page")
			}
		})
	}
}

func TestConsole_ClientsEmptyStates(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	b := s.signedIn(t)

	none := b.get("/console/clients").wantStatus(http.StatusOK)
	noClients := strings.Join(strings.Fields(none.text("empty-state")), " ")
	if !strings.HasPrefix(noClients, "No clients yet.") {
		t.Errorf("no clients: %q", noClients)
	}
	if none.testid("empty-state").Find(`a[href="/console/clients/new"]`).Length() != 1 {
		t.Error("no clients: no link to create one")
	}
	if none.testid("clients-table").Length() != 0 {
		t.Error("no clients: a table is shown")
	}
	// A search over no clients says the search matched nothing.
	if got := b.get("/console/clients?search=ada").text("empty-state"); !strings.HasPrefix(got, "No clients match this search.") {
		t.Errorf("search over no clients: %q", got)
	}

	s.seed(t, "c1_ada", "Ada Lovelace", "ada@example.com", "Engines", switchboard.StatusActive)
	for _, q := range []string{"search=nobody", "status=Suspended"} {
		p := b.get("/console/clients?" + q).wantStatus(http.StatusOK)
		noMatch := strings.Join(strings.Fields(p.text("empty-state")), " ")
		if !strings.HasPrefix(noMatch, "No clients match this search.") {
			t.Errorf("%s: %q", q, noMatch)
		}
		if noMatch == noClients {
			t.Errorf("%s: the no-match state reads like the no-clients one", q)
		}
		if p.testid("empty-state").Find(`a[href="/console/clients"]`).Length() != 1 {
			t.Errorf("%s: no link to clear the filter", q)
		}
	}
}

// walk follows the links named linkID from p to the end and returns the ids
// of every page, in the order visited.
func walk(t *testing.T, b *browser, p *page, linkID string) [][]string {
	t.Helper()
	pages := [][]string{p.clientIDs()}
	for i := 0; ; i++ {
		link := p.testid(linkID)
		if link.Length() == 0 {
			return pages
		}
		if i > 10 {
			t.Fatal("more than 10 pages")
		}
		href, _ := link.Attr("href")
		if hx, _ := link.Attr("hx-get"); hx != href {
			t.Errorf("link hx-get %q differs from href %q", hx, href)
		}
		p = b.get(href).wantStatus(http.StatusOK)
		if p.testid("form-error").Length() != 0 {
			t.Fatalf("%s: %s", href, p.text("form-error"))
		}
		pages = append(pages, p.clientIDs())
	}
}

func TestConsole_ClientsPaging(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	// Created oldest first, ids in the same order, half of them Inactive.
	var newestFirst, inactiveNewestFirst []string
	for i := range 60 {
		id := fmt.Sprintf("client_%02d", i)
		st := switchboard.StatusActive
		if i%2 == 0 {
			st = switchboard.StatusInactive
		}
		s.seed(t, id, fmt.Sprintf("Paged Client %02d", i), id+"@example.com", "Pages Inc", st)
		newestFirst = append([]string{id}, newestFirst...)
		if st == switchboard.StatusInactive {
			inactiveNewestFirst = append([]string{id}, inactiveNewestFirst...)
		}
	}
	b := s.signedIn(t)

	tests := []struct {
		name      string
		start     string
		want      []string
		wantSizes []int
		wantQuery url.Values // what every page link keeps
	}{
		{"All", "/console/clients", newestFirst, []int{25, 25, 10}, url.Values{}},
		{"Status", "/console/clients?status=Inactive", inactiveNewestFirst, []int{25, 5},
			url.Values{"status": {"Inactive"}}},
		{"Search", "/console/clients?search=PAGED+client", newestFirst, []int{25, 25, 10},
			url.Values{"search": {"PAGED client"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := b.get(tt.start).wantStatus(http.StatusOK)
			if first.testid("newer-page").Length() != 0 {
				t.Error("the first page links to a newer one")
			}
			older := walk(t, b, first, "older-page")
			var sizes []int
			var seen []string
			for _, ids := range older {
				sizes = append(sizes, len(ids))
				seen = append(seen, ids...)
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("page sizes = %v, want %v", sizes, tt.wantSizes)
			}
			if !slices.Equal(seen, tt.want) {
				t.Errorf("walking Older saw %v,\nwant every client once, newest first: %v", seen, tt.want)
			}

			// Back from the last page by Newer links: the same pages, in reverse.
			last := b.get(lastHref(t, b, first)).wantStatus(http.StatusOK)
			if last.testid("older-page").Length() != 0 {
				t.Error("the last page links to an older one")
			}
			newer := walk(t, b, last, "newer-page")
			slices.Reverse(newer)
			if fmt.Sprint(newer) != fmt.Sprint(older) {
				t.Errorf("walking Newer back saw pages\n%v\nwant\n%v", newer, older)
			}

			// The links keep the filter.
			for _, link := range []string{"older-page", "newer-page"} {
				for _, p := range []*page{first, last} {
					href, ok := p.testid(link).Attr("href")
					if !ok {
						continue
					}
					u, err := url.Parse(href)
					if err != nil || u.Path != "/console/clients" {
						t.Fatalf("%s link %q", link, href)
					}
					for k := range tt.wantQuery {
						if u.Query().Get(k) != tt.wantQuery.Get(k) {
							t.Errorf("%s link %q lost %s=%q", link, href, k, tt.wantQuery.Get(k))
						}
					}
				}
			}
		})
	}
}

// lastHref follows Older links from p and returns the last page's address.
func lastHref(t *testing.T, b *browser, p *page) string {
	t.Helper()
	href := ""
	for range 10 {
		next, ok := p.testid("older-page").Attr("href")
		if !ok {
			return href
		}
		href = next
		p = b.get(href)
	}
	t.Fatal("no last page")
	return ""
}

// htmx's live search swaps the results alone; the same address loaded
// normally (a bookmark, a reload) is the whole page.
func TestConsole_ClientsHTMXFragment(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	seedSearchable(t, s)
	b := s.signedIn(t)

	frag := b.htmx(http.MethodGet, "/console/clients?search=al", "client-results", nil).wantStatus(http.StatusOK)
	if strings.Contains(strings.ToLower(frag.Body), "<html") || strings.Contains(frag.Body, "<head") {
		t.Errorf("fragment is a whole page:\n%s", frag.Body)
	}
	if !strings.HasPrefix(strings.TrimSpace(frag.Body), `<div id="client-results"`) {
		t.Errorf("fragment does not start with the results container:\n%.200s", frag.Body)
	}
	if got, want := frag.clientIDs(), []string{"c3_alan", "c1_ada"}; !slices.Equal(got, want) {
		t.Errorf("fragment rows = %v, want %v", got, want)
	}
	if frag.testid("client-filter").Length() != 0 || frag.testid("signed-in-as").Length() != 0 {
		t.Error("fragment carries the filter form or the page header")
	}
	if !strings.HasPrefix(frag.Header.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q", frag.Header.Get("Content-Type"))
	}
	noMatch := b.htmx(http.MethodGet, "/console/clients?search=nobody", "client-results", nil).wantStatus(http.StatusOK)
	if got := noMatch.text("empty-state"); !strings.HasPrefix(got, "No clients match this search.") {
		t.Errorf("fragment empty state = %q", got)
	}

	for name, header := range map[string]map[string]string{
		"Plain":          nil,
		"OtherTarget":    {"HX-Request": "true", "HX-Target": "main"},
		"HistoryRestore": {"HX-Request": "true", "HX-Target": "client-results", "HX-History-Restore-Request": "true"},
	} {
		p := b.do(http.MethodGet, "/console/clients?search=al", nil, header).wantStatus(http.StatusOK)
		if !strings.Contains(p.Body, "<html") || p.testid("client-filter").Length() != 1 || p.testid("client-results").Length() != 1 {
			t.Errorf("%s: not the whole page", name)
		}
		if got, want := p.clientIDs(), []string{"c3_alan", "c1_ada"}; !slices.Equal(got, want) {
			t.Errorf("%s: rows = %v, want %v", name, got, want)
		}
		if got := p.inputValue("search"); got != "al" {
			t.Errorf("%s: search box = %q", name, got)
		}
	}

	// The search form is set up to swap the results and keep the URL.
	form := b.get("/console/clients").testid("client-filter")
	for attr, want := range map[string]string{
		"method": "get", "action": "/console/clients", "hx-get": "/console/clients",
		"hx-target": "#client-results", "hx-push-url": "true",
	} {
		if got, _ := form.Attr(attr); got != want {
			t.Errorf("filter form %s = %q, want %q", attr, got, want)
		}
	}
}

// htmxTarget resolves a hx-target from the element elt that carries it, as
// htmx does for the forms htmx's docs give: "closest <selector>" (the
// nearest ancestor, or elt itself, that matches) or a CSS selector for the
// whole document.
func htmxTarget(p *page, elt *goquery.Selection, target string) *goquery.Selection {
	if sel, ok := strings.CutPrefix(target, "closest "); ok {
		return elt.Closest(sel)
	}
	return p.Doc.Find(target)
}

// wantRowTargetsItself checks that the status button's form of a client's
// row swaps that row: its hx-target, resolved from the form as htmx
// resolves it, is the row and nothing else, and the row's id is the one
// htmx then sends as HX-Target and the handler answers with the row for.
func wantRowTargetsItself(t *testing.T, p *page, id string) {
	t.Helper()
	row := p.Doc.Find(`[data-testid="client-row"][data-client-id="` + id + `"]`)
	if row.Length() != 1 {
		t.Fatalf("%d rows for %s", row.Length(), id)
	}
	form := row.Find("form")
	if form.Length() != 1 {
		t.Fatalf("%s: %d forms in the row, want the status form", id, form.Length())
	}
	target, _ := form.Attr("hx-target")
	if target != "closest tr" {
		t.Errorf("%s: hx-target = %q, want \"closest tr\"", id, target)
	}
	sel := htmxTarget(p, form, target)
	if sel.Length() != 1 || goquery.NodeName(sel) != "tr" || sel.AttrOr("data-client-id", "") != id {
		t.Errorf("%s: hx-target %q selects %d elements, want its row", id, target, sel.Length())
	}
	if got, want := sel.AttrOr("id", ""), "client-row-"+id; got != want {
		t.Errorf("%s: the target's id = %q, want %q", id, got, want)
	}
	if swap, _ := form.Attr("hx-swap"); swap != "outerHTML" {
		t.Errorf("%s: hx-swap = %q", id, swap)
	}
	// An active row asks first (hx-get of the confirmation row); the
	// confirmation and a suspended row's Activate post the change.
	if url := form.AttrOr("hx-post", form.AttrOr("hx-get", "")); url != "/console/clients/"+id+"/status" {
		t.Errorf("%s: hx-post or hx-get = %q", id, url)
	}
}

// Each row's status button swaps its own row, for any client ID, dots
// included: the target is "closest tr", not "#client-row-<id>", which for
// "acme.1" would be, to querySelector, the element with id
// "client-row-acme" and class "1". htmx sends the row's id as HX-Target, and
// the status handler answers with that row alone, which replaces it.
func TestConsole_ClientRowTarget(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ids := []string{"acme_1", "ACME-2", "3rd_client", "acme.1", "a.b.c", "acme-3.v2"}
	for i, id := range ids {
		s.seed(t, id, "Client", fmt.Sprintf("c%d@example.com", i), "", switchboard.StatusActive)
	}
	b := s.signedIn(t)
	p := b.get("/console/clients").wantStatus(http.StatusOK)
	for _, id := range ids {
		wantRowTargetsItself(t, p, id)
	}

	// The swap, as htmx makes it for a row: Suspend brings the row back
	// asking to confirm, under the same id; the confirmation's answer is
	// the row with the new status, and takes its place in the table.
	for _, id := range []string{"acme.1", "a.b.c"} {
		row := p.Doc.Find(`[data-testid="client-row"][data-client-id="` + id + `"]`)
		form := row.Find("form")
		target := htmxTarget(p, form, form.AttrOr("hx-target", ""))
		ask := b.htmx(http.MethodGet, form.AttrOr("hx-get", "")+"?to=Suspended", target.AttrOr("id", ""), nil).
			wantStatus(http.StatusOK).rowFragment()
		if ask.Length() != 1 || goquery.NodeName(ask) != "tr" || ask.AttrOr("id", "") != "client-row-"+id {
			t.Fatalf("%s: the question is not its row alone", id)
		}
		asking := &page{t: t, Doc: goquery.NewDocumentFromNode(ask.Parent().Parent().Get(0))}
		wantRowTargetsItself(t, asking, id)
		if st := s.mustClient(t, id).Status; st != switchboard.StatusActive {
			t.Errorf("%s: asking changed the status to %s", id, st)
		}
		form = ask.Find("form")
		h := b.htmx(http.MethodPost, form.AttrOr("hx-post", ""), target.AttrOr("id", ""), url.Values{"status": {"Suspended"}}).
			wantStatus(http.StatusOK)
		got := h.rowFragment()
		if got.Length() != 1 || goquery.NodeName(got) != "tr" || got.AttrOr("id", "") != "client-row-"+id {
			t.Fatalf("%s: the answer is not its row alone:\n%s", id, h.Body)
		}
		if badge := strings.TrimSpace(got.Find(`[data-testid="status-badge"]`).Text()); badge != "Suspended" {
			t.Errorf("%s: badge = %q, want Suspended", id, badge)
		}
		if st := s.mustClient(t, id).Status; st != switchboard.StatusSuspended {
			t.Errorf("%s: stored status %s", id, st)
		}
		// The new row targets itself too.
		swapped := &page{t: t, Doc: goquery.NewDocumentFromNode(got.Parent().Parent().Get(0))}
		wantRowTargetsItself(t, swapped, id)
	}
}

// A later page can be empty although clients exist: a page link followed
// after its clients were deleted, or a bookmarked one. It says so, not "No
// clients yet", and links to the first page of the same filter.
func TestConsole_EmptyLaterPageLinksToFirst(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	for i := range 30 {
		s.seed(t, fmt.Sprintf("client_%02d", i), "Paged Client", fmt.Sprintf("c%02d@example.com", i), "", switchboard.StatusActive)
	}
	s.seed(t, "other_1", "Someone Else", "else@example.com", "", switchboard.StatusInactive)
	b := s.signedIn(t)
	const filtered = "/console/clients?search=paged&status=Active"
	older, ok := b.get(filtered).testid("older-page").Attr("href")
	if !ok {
		t.Fatal("no second page")
	}
	second := b.get(older).wantStatus(http.StatusOK)
	if len(second.clientIDs()) == 0 {
		t.Fatal("the second page is empty before any deletion")
	}
	for _, id := range second.clientIDs() {
		if err := s.store.DeleteClient(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}

	check := func(t *testing.T, p *page) {
		t.Helper()
		if ids := p.clientIDs(); len(ids) != 0 {
			t.Fatalf("rows %v on the emptied page", ids)
		}
		empty := strings.Join(strings.Fields(p.text("empty-state")), " ")
		if !strings.HasPrefix(empty, "This page is empty now.") {
			t.Errorf("empty state = %q, want it to start with %q", empty, "This page is empty now.")
		}
		if strings.Contains(empty, "No clients yet") || strings.Contains(empty, "No clients match") {
			t.Errorf("a later page emptied by deletions says %q", empty)
		}
		link := p.testid("first-page")
		if link.Length() != 1 {
			t.Fatalf("%d first-page links, want 1", link.Length())
		}
		href, _ := link.Attr("href")
		u, err := url.Parse(href)
		if err != nil || u.Path != "/console/clients" {
			t.Fatalf("first-page link %q", href)
		}
		if got, want := u.Query(), (url.Values{"search": {"paged"}, "status": {"Active"}}); !reflect.DeepEqual(got, want) {
			t.Errorf("first-page link %q: query %v, want %v (the filter, no cursor)", href, got, want)
		}
	}
	p := b.get(older).wantStatus(http.StatusOK)
	check(t, p)
	check(t, b.htmx(http.MethodGet, older, "client-results", nil).wantStatus(http.StatusOK))

	first := b.get(p.testid("first-page").AttrOr("href", "")).wantStatus(http.StatusOK)
	if got := first.inputValue("search"); got != "paged" {
		t.Errorf("first page: search box = %q, want paged", got)
	}
	ids := first.clientIDs()
	if len(ids) == 0 || slices.Contains(ids, "other_1") {
		t.Errorf("first page rows = %v, want the remaining paged clients", ids)
	}

	// A first page with nothing to show still says so as before.
	for _, id := range ids {
		if err := s.store.DeleteClient(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	none := b.get(filtered).wantStatus(http.StatusOK)
	if got := none.text("empty-state"); !strings.HasPrefix(got, "No clients match this search.") {
		t.Errorf("empty first page = %q", got)
	}
	if none.testid("first-page").Length() != 0 {
		t.Error("the first page links to the first page")
	}
}
