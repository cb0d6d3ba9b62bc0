package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/internal/switchboard"
)

// jsonCall sends a JSON request to the API of the site, with the bearer
// token when not empty, and returns the status and the decoded body.
func (s *site) jsonCall(t testing.TB, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	status, _, out := s.jsonDo(t, method, path, token, body)
	return status, out
}

// jsonDo is jsonCall that also returns the response's headers.
func (s *site) jsonDo(t testing.TB, method, path, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, res.Header, out
}

// adminToken signs the admin in through the JSON API.
func (s *site) adminToken(t testing.TB) string {
	t.Helper()
	status, body := s.jsonCall(t, http.MethodPost, "/auth/admin/login", "",
		map[string]string{"username": adminUsername, "password": adminPassword})
	token, _ := body["token"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("POST /auth/admin/login = %d %v, want 200 with a token", status, body)
	}
	return token
}

// clientLogin signs a client in through POST /auth/login and returns the
// status and the token ("" when refused).
func (s *site) clientLogin(t testing.TB, id, secret string) (int, string) {
	t.Helper()
	status, body := s.jsonCall(t, http.MethodPost, "/auth/login", "",
		map[string]string{"clientId": id, "clientSecret": secret})
	token, _ := body["token"].(string)
	if status == http.StatusOK && token == "" {
		t.Fatalf("POST /auth/login = 200 without a token: %v", body)
	}
	return status, token
}

// mustClientLogin signs a client in and fails the test when it is refused.
func (s *site) mustClientLogin(t testing.TB, id, secret string) string {
	t.Helper()
	status, token := s.clientLogin(t, id, secret)
	if status != http.StatusOK {
		t.Fatalf("POST /auth/login as %s = %d, want 200", id, status)
	}
	return token
}

// secureClient is the status of GET /secure/client with the client token,
// and the clientId it answers with.
func (s *site) secureClient(t testing.TB, token string) (int, string) {
	t.Helper()
	status, body := s.jsonCall(t, http.MethodGet, "/secure/client", token, nil)
	id, _ := body["clientId"].(string)
	return status, id
}

// client loads a client from the store; nil when it does not exist.
func (s *site) client(t testing.TB, id string) *switchboard.Client {
	t.Helper()
	c, err := s.store.FindClientByID(context.Background(), id)
	if switchboard.ErrorCode(err) == switchboard.ENOTFOUND {
		return nil
	} else if err != nil {
		t.Fatalf("FindClientByID(%q): %v", id, err)
	}
	return c
}

// mustClient loads a client that must exist.
func (s *site) mustClient(t testing.TB, id string) *switchboard.Client {
	t.Helper()
	c := s.client(t, id)
	if c == nil {
		t.Fatalf("client %q is not in the store", id)
	}
	return c
}

// clientCount is the number of clients stored, by status.
func (s *site) clientCount(t testing.TB) int {
	t.Helper()
	counts, err := s.store.CountClientsByStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// events are the latest audit events, newest first.
func (s *site) events(t testing.TB) []*switchboard.Event {
	t.Helper()
	events, err := s.store.FindEvents(context.Background(), switchboard.MaxEventLimit)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// seed stores a client through the auth service (the path both transports
// take) with a generated secret, and returns that secret.
func (s *site) seed(t testing.TB, id, name, email, business string, status switchboard.Status) string {
	t.Helper()
	c := &switchboard.Client{
		ID: id, Status: status, AgentID: "agent_1", TwilioPhoneNumber: "+14155550100",
		Meta: switchboard.ClientMeta{FullName: name, Email: email, Phone: "+14155550123", BusinessName: business},
	}
	secret, err := s.svc.CreateClient(context.Background(), c, "")
	if err != nil {
		t.Fatalf("seed %s: %v", id, err)
	}
	return secret
}

// signedIn is a browser signed in to the console that has loaded a page,
// so it holds a CSRF token.
func (s *site) signedIn(t testing.TB) *browser {
	t.Helper()
	b := s.browser(t)
	b.signIn()
	b.get("/console").wantStatus(http.StatusOK)
	return b
}

// create submits the create form and returns the new client's id and the
// secret the page shows.
func (b *browser) create(form url.Values) (id, secret string) {
	b.t.Helper()
	b.get("/console/clients/new").wantStatus(http.StatusOK)
	p := b.createPage(form)
	return p.text("revealed-client-id"), p.secret()
}

// createPage posts the create form and follows its redirect to the page
// that shows the new client's secret, as a browser does.
func (b *browser) createPage(form url.Values) *page {
	b.t.Helper()
	p := b.post("/console/clients", form).wantStatus(http.StatusSeeOther)
	where := p.location()
	if !strings.HasPrefix(where, "/console/clients/") || !strings.HasSuffix(where, "/created") {
		b.t.Fatalf("the create form leads to %q, want /console/clients/<id>/created", where)
	}
	return b.get(where).wantStatus(http.StatusOK)
}

// changeSecret posts the account's change-secret form and follows its
// redirect to the page that shows the new secret, as a browser does.
func (b *browser) changeSecret(form url.Values) *page {
	b.t.Helper()
	p := b.post("/account/secret", form).wantStatus(http.StatusSeeOther)
	if where := p.location(); where != "/account/secret/changed" {
		b.t.Fatalf("the change-secret form leads to %q, want /account/secret/changed", where)
	}
	return b.get("/account/secret/changed").wantStatus(http.StatusOK)
}

// secret is the text of the page's [data-secret] element; the test fails
// when there is not exactly one.
func (p *page) secret() string {
	p.t.Helper()
	sel := p.Doc.Find("[data-secret]")
	if sel.Length() != 1 {
		p.t.Fatalf("%d [data-secret] elements, want 1, in:\n%s", sel.Length(), p.Body)
	}
	return strings.TrimSpace(sel.Text())
}

// cookie is the cookie the response sets, nil when it sets none by that name.
func (p *page) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// wantError checks that the page is the error page (or panel) with status.
func (p *page) wantError(status int) *page {
	p.t.Helper()
	p.wantStatus(status)
	sel := p.testid("error")
	if sel.Length() != 1 {
		p.t.Fatalf("%d error panels, want 1, in:\n%s", sel.Length(), p.Body)
	}
	if got, _ := sel.Attr("data-status"); got != strconv.Itoa(status) {
		p.t.Errorf("error panel data-status = %q, want %d", got, status)
	}
	return p
}

// rowFragment parses a response that is a table row alone (an htmx swap),
// which a whole-document parser would drop outside a table, and returns its
// top elements.
func (p *page) rowFragment() *goquery.Selection {
	p.t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + p.Body + "</tbody></table>"))
	if err != nil {
		p.t.Fatal(err)
	}
	return doc.Find("tbody").Children()
}

// clientIDs are the data-client-id of the page's client rows, in order.
func (p *page) clientIDs() []string {
	p.t.Helper()
	var ids []string
	p.testid("client-row").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-client-id")
		ids = append(ids, id)
	})
	return ids
}

// sessionCookie is the console session cookie the browser holds.
func (b *browser) sessionCookie() string { return b.cookies["switchboard_console"] }

// clone is another browser holding the same cookies and CSRF token, as a
// copy of a browser's cookie jar would.
func (b *browser) clone(t testing.TB) *browser {
	return &browser{s: b.s, t: t, cookies: maps.Clone(b.cookies), csrf: b.csrf}
}

// wantSessionGrantsNothing checks that a console session cookie signs no one
// in: a browser that holds it alone is sent to the sign-in page.
func (s *site) wantSessionGrantsNothing(t testing.TB, value string) {
	t.Helper()
	if value == "" {
		return
	}
	b := s.browser(t)
	b.cookies["switchboard_console"] = value
	b.get("/console").wantSignInRedirect("/console")
	b.get("/console/clients").wantSignInRedirect("/console/clients")
}

// wantSignInRedirect asserts that p sends a signed-out browser to the
// sign-in page, which will bring it back to next.
func (p *page) wantSignInRedirect(next string) {
	p.t.Helper()
	p.wantStatus(http.StatusSeeOther)
	if got, want := p.location(), "/console/login?next="+url.QueryEscape(next); got != want {
		p.t.Errorf("Location = %q, want %q", got, want)
	}
}

// shellWords splits a command line as a POSIX shell does for words made of
// plain characters, '…' (all literal), "…" (\ escapes $ ` " \ only) and \
// outside quotes; ok is false on an unterminated quote or anything this
// does not handle (expansions, operators), which a pasted line must not hold.
func shellWords(line string) (words []string, ok bool) {
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch {
				case line[i] == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0:
					i++
					cur.WriteByte(line[i])
				case line[i] == '$' || line[i] == '`':
					return nil, false
				default:
					cur.WriteByte(line[i])
				}
			}
			if i >= len(line) {
				return nil, false
			}
			inWord = true
		case ch == '\\':
			if i+1 >= len(line) {
				return nil, false
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		case strings.IndexByte(";&|<>()$`*?[#~", ch) >= 0:
			return nil, false
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// wantLoginCurl checks that the curl line, pasted into a shell, posts the
// client's id and secret as JSON to /auth/login and does nothing else.
func wantLoginCurl(t *testing.T, line, id, secret string) {
	t.Helper()
	words, ok := shellWords(line)
	if !ok {
		t.Errorf("curl line is not one plain shell command: %s", line)
		return
	}
	want := []string{"curl", "-s", "-X", "POST", "http://example.com/auth/login", "-H", "Content-Type: application/json", "-d"}
	if len(words) != len(want)+1 || strings.Join(words[:len(want)], "\x00") != strings.Join(want, "\x00") {
		t.Errorf("curl line words = %q, want %q and the body", words, want)
		return
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(words[len(want)]), &body); err != nil {
		t.Errorf("curl body %q is not JSON: %v", words[len(want)], err)
		return
	}
	if body["clientId"] != id || body["clientSecret"] != secret || len(body) != 2 {
		t.Errorf("curl body = %q, want clientId %q and clientSecret %q", body, id, secret)
	}
	wantShellReads(t, line, words)
}

// wantShellReads runs line in a real POSIX shell, when there is one, with
// curl replaced by a function that prints its arguments one a line, and
// checks that the shell reads the words want. It runs in an empty directory
// that must stay empty: a quote that let a secret out into the shell (a
// $(touch file) in it, say) would leave a trace there.
func wantShellReads(t *testing.T, line string, want []string) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(sh, "-c", `curl() { printf '%s\n' curl "$@"; }; `+line)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Errorf("sh -c %q: %v, stderr %q", line, err, stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("sh reads the curl line as %q, want %q", got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("pasting the curl line into sh left %d files behind: the line runs more than curl", len(left))
	}
}
