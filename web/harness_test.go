package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/api"
	"switchboard/internal/auth"
	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs/elevenlabstest"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
	"switchboard/web"
)

const (
	adminUsername = "admin"
	adminPassword = "correct-horse-battery"
)

// site is the whole app (JSON API and pages) over a real SQLite store, wired
// as cmd/switchboard wires it, with bcrypt at its minimum cost.
type site struct {
	t     testing.TB
	app   *httpserver.App
	svc   *auth.Service
	store *store.Store
	log   *syncBuffer
	// fake is the ElevenLabs the pages' calls go to (see calls_harness_test.go).
	fake    *elevenlabstest.Fake
	calling *calling.Service
	// pages is the site's web.Server: its settings are read per request.
	pages *web.Server
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newSite serves a fresh SQLite store; clients, when not nil, replaces the
// store as the pages' and API's ClientService (a mock that fails, say).
func newSite(t testing.TB, clients switchboard.ClientService) *site {
	t.Helper()
	return newSiteWith(t, clients, nil)
}

// newSiteWith is newSite behind the given trusted proxies.
func newSiteWith(t testing.TB, clients switchboard.ClientService, trustedProxies []string) *site {
	t.Helper()
	return siteOn(t, storetest.Open(t, store.SQLite), clients, trustedProxies)
}

// newSiteOn is another app over base's store, with clients as the pages'
// and API's ClientService: a wrapper of the store that watches its calls.
func newSiteOn(t testing.TB, base *site, clients switchboard.ClientService) *site {
	t.Helper()
	return siteOn(t, base.store, clients, nil)
}

func siteOn(t testing.TB, s *store.Store, clients switchboard.ClientService, trustedProxies []string) *site {
	t.Helper()
	if clients == nil {
		clients = s
	}
	hasher, err := auth.NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("test-server-secret-of-at-least-32-bytes")
	signer, err := auth.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc := &auth.Service{
		Clients: clients, Admins: s, Tokens: s, MFA: s, Settings: s, Hasher: hasher, Signer: signer,
		Throttle:      auth.NewThrottle(s, secret, auth.DefaultThrottlePolicy),
		AdminTokenTTL: time.Hour,
	}
	if _, err := svc.EnsureAdmin(context.Background(), adminUsername, adminPassword); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	app := httpserver.New(httpserver.Config{Log: log, TrustedProxies: trustedProxies})
	(&api.Server{Auth: svc, Clients: clients, Ping: s.Ping, Ready: s.Ready, Log: log}).Register(app)
	fake := elevenlabstest.New(t)
	calls := &calling.Service{Calls: s, Dialer: fake.Client(), Log: log}
	pages := &web.Server{
		Auth: svc, Clients: clients, Events: s, Log: log, Calls: s, Calling: calls,
		SessionKeys: [][]byte{secret}, SessionTTL: time.Hour,
	}
	pages.Register(app)
	return &site{t: t, app: app, svc: svc, store: s, log: logs, fake: fake, calling: calls, pages: pages}
}

// browser is one visitor of the site: it keeps cookies between requests and
// remembers the CSRF token of the last page it loaded, as a browser would.
type browser struct {
	s       *site
	t       testing.TB
	cookies map[string]string
	csrf    string
}

func (s *site) browser(t testing.TB) *browser {
	return &browser{s: s, t: t, cookies: map[string]string{}}
}

// page is a response, parsed as HTML.
type page struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.s.app.Test(req, -1)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	p := &page{t: b.t, Status: res.StatusCode, Header: res.Header, Body: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
		if err != nil {
			b.t.Fatalf("%s %s: parse HTML: %v", method, path, err)
		}
		p.Doc = doc
		if token, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && token != "" {
			b.csrf = token
		} else if hx, ok := doc.Find("body").Attr("hx-headers"); ok {
			var h map[string]string
			if json.Unmarshal([]byte(hx), &h) == nil && h["X-CSRF-Token"] != "" {
				b.csrf = h["X-CSRF-Token"]
			}
		}
	}
	return p
}

// get loads a page.
func (b *browser) get(path string) *page {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, nil)
}

// post submits a form as a browser without JavaScript does, with the CSRF
// token of the last page unless form sets _csrf itself.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	return b.do(http.MethodPost, path, form, nil)
}

// htmx sends a request as htmx does: HX-Request, the target's id, and the
// CSRF token in the X-CSRF-Token header (from hx-headers).
func (b *browser) htmx(method, path, target string, form url.Values) *page {
	b.t.Helper()
	return b.do(method, path, form, map[string]string{
		"HX-Request": "true", "HX-Target": target, "X-CSRF-Token": b.csrf,
	})
}

// signIn signs the browser in to the console.
func (b *browser) signIn() {
	b.t.Helper()
	b.get("/console/login").wantStatus(http.StatusOK)
	p := b.post("/console/login", url.Values{"username": {adminUsername}, "password": {adminPassword}})
	p.wantStatus(http.StatusSeeOther)
}

func (p *page) wantStatus(want int) *page {
	p.t.Helper()
	if p.Status != want {
		p.t.Fatalf("status = %d, want %d; body:\n%s", p.Status, want, p.Body)
	}
	return p
}

// location is where a redirect points.
func (p *page) location() string { return p.Header.Get("Location") }

// testid returns the elements with the data-testid.
func (p *page) testid(id string) *goquery.Selection {
	p.t.Helper()
	if p.Doc == nil {
		p.t.Fatalf("response is not HTML: %s", p.Body)
	}
	return p.Doc.Find(`[data-testid="` + id + `"]`)
}

// text is the trimmed text of the first element with the data-testid; the
// test fails when there is none.
func (p *page) text(id string) string {
	p.t.Helper()
	sel := p.testid(id)
	if sel.Length() == 0 {
		p.t.Fatalf("no element with data-testid=%q in:\n%s", id, p.Body)
	}
	return strings.TrimSpace(sel.First().Text())
}

// fieldError is the message shown next to the named input, "" when none.
func (p *page) fieldError(field string) string {
	p.t.Helper()
	return strings.TrimSpace(p.Doc.Find(`[data-testid="field-error"][data-field="` + field + `"]`).Text())
}

// inputValue is what the named input (or textarea) holds.
func (p *page) inputValue(name string) string {
	p.t.Helper()
	sel := p.Doc.Find(`[name="` + name + `"]`)
	if sel.Length() == 0 {
		p.t.Fatalf("no input named %q", name)
	}
	if goquery.NodeName(sel) == "textarea" {
		return sel.Text()
	}
	v, _ := sel.Attr("value")
	return v
}

// newClientForm is a valid create form.
func newClientForm(id, email string) url.Values {
	return url.Values{
		"clientId":                {id},
		"clientSecret":            {""},
		"clientMeta.fullName":     {"Ada Lovelace"},
		"clientMeta.email":        {email},
		"clientMeta.phone":        {"+14155550123"},
		"clientMeta.businessName": {"Analytical Engines"},
		"clientMeta.city":         {"London"},
		"clientMeta.jobTitle":     {"Founder"},
		"clientMeta.notes":        {""},
		"agentId":                 {"agent_123"},
		"twilioPhoneNumber":       {"+14155550100"},
		"status":                  {"Active"},
	}
}
