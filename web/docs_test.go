package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/openapi"
)

// GET /docs shows every operation of the OpenAPI document, under its tag,
// with each response status the document lists and a curl example, in the
// HTML itself (no script needed), to anyone.
func TestDocs_EveryOperation(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := newSite(t, nil).browser(t).get("/docs").wantStatus(http.StatusOK)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			sel := p.Doc.Find(`[data-testid="docs-operation"][data-method="` + method + `"][data-path="` + path + `"]`)
			if sel.Length() != 1 {
				t.Errorf("%s %s: %d operations on the page, want 1", method, path, sel.Length())
				continue
			}
			if tag := sel.Closest(`[data-testid="docs-tag"]`).AttrOr("id", ""); tag != "tag-"+op.Tags[0] {
				t.Errorf("%s %s is under %q, want tag-%s", method, path, tag, op.Tags[0])
			}
			if summary := sel.Find("summary").Text(); !strings.Contains(summary, op.Summary) {
				t.Errorf("%s %s: summary %q lacks %q", method, path, summary, op.Summary)
			}
			for status := range op.Responses.Map() {
				if sel.Find(`[data-testid="docs-response"][data-status="`+status+`"]`).Length() != 1 {
					t.Errorf("%s %s: no response %s", method, path, status)
				}
			}
			if (op.RequestBody != nil) != (sel.Find(`[data-testid="docs-request-body"]`).Length() == 1) {
				t.Errorf("%s %s: request body shown wrongly", method, path)
			}
			curl := sel.Find(`[data-testid="docs-curl"]`).Text()
			prefix, _, _ := strings.Cut(path, "{")
			if !strings.HasPrefix(curl, "curl") || !strings.Contains(curl, prefix) {
				t.Errorf("%s %s: curl example %q", method, path, curl)
			}
			if method != http.MethodGet && !strings.Contains(curl, "-X "+method) {
				t.Errorf("%s %s: curl example %q lacks the method", method, path, curl)
			}
		}
	}
	if got := p.testid("docs-operation").Length(); got != n {
		t.Errorf("%d operations on the page, the document has %d", got, n)
	}
	if got := p.Doc.Find("script:not([src])").Length(); got != 0 {
		t.Errorf("%d inline scripts", got)
	}
}

// The reference is linked from the landing page and the console's
// navigation, and links to the document itself.
func TestDocs_Linked(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	guest := s.browser(t)
	if href := guest.get("/").testid("api-docs-link").AttrOr("href", ""); href != "/docs" {
		t.Errorf("landing page's API reference link = %q, want /docs", href)
	}
	if href := guest.get("/docs").testid("openapi-json").AttrOr("href", ""); href != "/openapi.json" {
		t.Errorf("the reference's document link = %q, want /openapi.json", href)
	}
	console := s.signedIn(t).get("/console").wantStatus(http.StatusOK)
	var hrefs []string
	console.Doc.Find(`nav [data-testid="nav-docs"]`).Each(func(_ int, a *goquery.Selection) { hrefs = append(hrefs, a.AttrOr("href", "")) })
	if len(hrefs) != 1 || hrefs[0] != "/docs" {
		t.Errorf("console navigation's API reference links = %q, want [/docs]", hrefs)
	}
}
