package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/auth"
	"switchboard/internal/calling"
	"switchboard/internal/httpserver"
	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
	"switchboard/views"
	"switchboard/web"
)

// BenchmarkConsoleClients measures whole requests for the clients list
// (app.Test: routing, the session cookie, the admin token check, the page
// read, templ) over SQLite with 100 and 100,000 clients, signed in
// through the real sign-in pages:
//
//	First        GET /console/clients
//	Deep         the page after the client 90% down the listing (?after=;
//	             with 100 clients, the last full page: the page after the
//	             75th)
//	Status       ?status=Active (80% of the clients)
//	SearchCommon ?search=acme (half of the clients match)
//	SearchRare   ?search=zebracorn (one client matches)
//	Fragment     ?search=acme as htmx's live search asks for it: only
//	             #client-results, no layout
//
// Each size runs twice over the same file: with synchronous=NORMAL, as every
// test store, and with FULL, the server's default, where a commit costs an
// fsync. It asserts no timing; see the Console section of
// docs/PERFORMANCE.md for the figures and the command.
func BenchmarkConsoleClients(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			path, _, _ := strings.Cut(storetest.URL(b, store.SQLite), "?")
			order := benchSeedClients(b, path, n)
			// Every page measured shows 25 rows at either size, so that the
			// sizes differ by the database's work only.
			deepAt := min(n*9/10, n-26)
			deep := switchboard.CursorOf(order[deepAt])
			for _, sync := range []string{"NORMAL", "FULL"} {
				b.Run("sync="+sync, func(b *testing.B) {
					rawURL := path + "?_synchronous=" + sync
					if _, dsn, err := store.ParseURL(rawURL); err != nil || !strings.Contains(dsn, "_synchronous="+sync) {
						b.Fatalf("ParseURL(%q) = %q, %v: want synchronous=%s", rawURL, dsn, err, sync)
					}
					s, err := store.Open(context.Background(), rawURL)
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					br := benchSite(b, s).browser(b)
					br.signIn()
					br.get("/console").wantStatus(http.StatusOK)
					if br.cookies["switchboard_console"] == "" {
						b.Fatalf("cookies after sign-in: %v", slices.Sorted(maps.Keys(br.cookies)))
					}
					cookie := benchCookieHeader(br.cookies)

					for _, tt := range []struct {
						name   string
						path   string
						htmx   bool
						rows   int    // client rows the response must show
						shows  string // a clientId the response must show, "" for any
						layout bool   // a whole page, not the fragment
					}{
						{"First", "/console/clients", false, 25, order[0].ID, true},
						{"Deep", views.ClientsURL("", "", url.Values{"after": {deep.String()}}), false, 25, order[deepAt+1].ID, true},
						{"Status", "/console/clients?status=Active", false, 25, "", true},
						{"SearchCommon", "/console/clients?search=acme", false, 25, "", true},
						{"SearchRare", "/console/clients?search=zebracorn", false, 1, benchRareID(n), true},
						{"Fragment", "/console/clients?search=acme", true, 25, "", false},
					} {
						b.Run(tt.name, func(b *testing.B) {
							// Once, outside the timing: the request shows what it should.
							body, res := benchGet(b, br.s, tt.path, cookie, tt.htmx)
							// The Cookie header stays what a browser would send.
							if cs := res.Cookies(); len(cs) > 0 {
								b.Fatalf("GET %s set cookies %v: the benchmark would send stale ones", tt.path, cs)
							}
							if got := bytes.Count(body, []byte(`data-testid="client-row"`)); got != tt.rows {
								b.Fatalf("GET %s: %d client rows, want %d", tt.path, got, tt.rows)
							}
							if tt.shows != "" && !bytes.Contains(body, []byte(`data-client-id="`+tt.shows+`"`)) {
								b.Fatalf("GET %s: no row for %s", tt.path, tt.shows)
							}
							if got := bytes.Contains(body, []byte("<html")); got != tt.layout {
								b.Fatalf("GET %s: whole page = %v, want %v", tt.path, got, tt.layout)
							}
							b.ReportAllocs()
							for b.Loop() {
								benchGet(b, br.s, tt.path, cookie, tt.htmx)
							}
						})
					}
				})
			}
		})
	}
}

// benchSite serves s as newSite does (JSON API and pages, bcrypt at its
// minimum cost, one admin) but over a store the benchmark opened itself.
func benchSite(b *testing.B, s *store.Store) *site {
	b.Helper()
	hasher, err := auth.NewHasher(4)
	if err != nil {
		b.Fatal(err)
	}
	secret := []byte("test-server-secret-of-at-least-32-bytes")
	signer, err := auth.NewSigner(secret)
	if err != nil {
		b.Fatal(err)
	}
	svc := &auth.Service{
		Clients: s, Admins: s, Tokens: s, Hasher: hasher, Signer: signer,
		Throttle:      auth.NewThrottle(s, secret, auth.DefaultThrottlePolicy),
		AdminTokenTTL: time.Hour,
	}
	if _, err := svc.EnsureAdmin(context.Background(), adminUsername, adminPassword); err != nil {
		b.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	app := httpserver.New(httpserver.Config{Log: log})
	(&api.Server{Auth: svc, Clients: s, Ping: s.Ping, Ready: s.Ready, Log: log}).Register(app)
	(&web.Server{
		Auth: svc, Clients: s, Events: s, Log: log, Calls: s, Calling: &calling.Service{Calls: s, Log: log},
		SessionKeys: [][]byte{secret}, SessionTTL: time.Hour,
	}).Register(app)
	return &site{t: b, app: app, svc: svc, store: s, log: logs}
}

// benchCookieHeader is the Cookie header of a signed-in browser.
func benchCookieHeader(cookies map[string]string) string {
	var parts []string
	for name, value := range cookies {
		parts = append(parts, (&http.Cookie{Name: name, Value: value}).String())
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// benchGet makes one GET through the whole app and returns the body; any
// status but 200 fails the benchmark. It does not parse the HTML.
func benchGet(b *testing.B, s *site, path, cookie string, htmx bool) ([]byte, *http.Response) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Cookie", cookie)
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "client-results")
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		b.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d:\n%s", path, res.StatusCode, body)
	}
	return body, res
}

// benchRareID is the one client whose business is "Zebracorn Ltd".
func benchRareID(n int) string { return fmt.Sprintf("client_%07d", n/2) }

// benchSeedClients migrates the SQLite file at path and stores n clients in
// it, as internal/store's BenchmarkFindClientPage does: a second apart with
// every tenth pair sharing a second; 80% Active, 15% Inactive, 5% Suspended;
// half with "Acme" in the business name and one, in the middle of the
// listing, "Zebracorn Ltd". It writes through database/sql, in one
// transaction of 500-row INSERTs, the columns CreateClient would (search_key
// and email_key as the store computes them, one real bcrypt hash shared by
// all), then checkpoints the WAL into the file, as a server that has been
// up a while would have. It returns the clients in listing order, newest
// first.
func benchSeedClients(b *testing.B, path string, n int) []*switchboard.Client {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	s, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	s.Close()

	hasher, err := auth.NewHasher(4)
	if err != nil {
		b.Fatal(err)
	}
	hash, err := hasher.Hash("seeded-client-secret-0123456789")
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()

	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	clients := make([]*switchboard.Client, n)
	for i := range clients {
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
		clients[i] = &switchboard.Client{
			ID: fmt.Sprintf("client_%07d", i), Status: status, AgentID: fmt.Sprintf("agent_%07d", i),
			TwilioPhoneNumber: "+18001234567",
			Meta: switchboard.ClientMeta{
				FullName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("person%d@example.com", i),
				Phone: "+12125551234", BusinessName: business, City: "Springfield", JobTitle: "Owner",
			},
			TokenVersion: 1,
			CreatedAt:    base.Add(time.Duration(i-i%10/9) * time.Second),
		}
	}

	const cols = 17
	const batch = 500
	insert := func(k int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
		return "INSERT INTO clients (client_id, status, agent_id, twilio_phone_number, full_name, email, email_key, " +
			"phone, business_name, city, job_title, notes, search_key, secret_hash, token_version, created_at, updated_at) VALUES " +
			strings.TrimSuffix(strings.Repeat(row+",", k), ",")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	full, err := tx.PrepareContext(ctx, insert(batch))
	if err != nil {
		b.Fatal(err)
	}
	args := make([]any, 0, cols*batch)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		args = args[:0]
		for _, c := range clients[lo:hi] {
			m := c.Meta
			args = append(args, c.ID, string(c.Status), c.AgentID, c.TwilioPhoneNumber, m.FullName, m.Email,
				switchboard.EmailKey(m.Email), m.Phone, m.BusinessName, m.City, m.JobTitle, m.Notes,
				strings.ToLower(m.FullName+"\n"+m.Email+"\n"+m.BusinessName), // the store's searchKey
				hash, c.TokenVersion, c.CreatedAt, c.CreatedAt)
		}
		if hi-lo == batch {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insert(hi-lo), args...)
		}
		if err != nil {
			b.Fatalf("seed clients: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d clients in %v", n, time.Since(start).Round(time.Millisecond))

	order := slices.Clone(clients)
	slices.SortFunc(order, func(x, y *switchboard.Client) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	return order
}
