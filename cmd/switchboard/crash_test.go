package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// The crash test: the real binary under write load is killed with SIGKILL at
// random moments, restarted on the same SQLite file, and every write it
// acknowledged with a 2xx must still be there.

const (
	crashRounds = 6
	// crashWorkers write concurrently.
	crashWorkers = 8
	// The kill comes at a random moment in [crashMinDelay, crashMaxDelay)
	// after the round's first acknowledged write. Under -race the server
	// writes several times slower, so the window is crashRaceStretch times
	// longer there, for each round to see a few hundred writes at least.
	crashMinDelay    = 100 * time.Millisecond
	crashMaxDelay    = 800 * time.Millisecond
	crashRaceStretch = 2.5
	// crashUpdateEvery: every so many operations a writer updates one of
	// its clients instead of creating one.
	crashUpdateEvery = 4
	// crashFirstWrite bounds the wait for a round's first acknowledged write.
	crashFirstWrite = 15 * time.Second
)

// binaryOrSkip is binary(t), but skips the test with the reason when the
// binary cannot be built because the go tool is missing or an earlier test
// of this run already failed to build it. (A first build that fails here
// still fails the test: binary reports it with t.Fatal.)
func binaryOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("cannot build the switchboard binary: go tool not found: %v", err)
	}
	if buildErr != nil {
		t.Skipf("cannot build the switchboard binary: %v", buildErr)
	}
	return binary(t)
}

// crashClient is what the test knows of one client it tried to create.
type crashClient struct {
	owner int // the worker index; only that worker ever writes the client
	email string
	// cities are the city values sent for the client in order: the create's
	// first, then each update's. cities[known:] are the values the stored
	// one may be: the last one known to be stored (acknowledged, or read
	// back after a restart) and every later attempt, which may or may not
	// have landed. known is -1 while nothing is known to be stored.
	cities []string
	known  int
	// gone: the create was not acknowledged and the client was absent after
	// the restart, so it must stay absent.
	gone bool
}

func (c *crashClient) mustExist() bool { return c.known >= 0 }

// crashLedger records every write the workers attempt and which ones were
// acknowledged.
type crashLedger struct {
	mu      sync.Mutex
	clients map[string]*crashClient
	// owned[w] are the ids worker w may update: clients known to exist. Only
	// worker w touches its slice during a round; the test between rounds.
	owned [][]string
}

// crashRound is one round of load: its counts, filled by the workers under
// mu, and what the workers share.
type crashRound struct {
	round  int
	ledger *crashLedger
	hc     *http.Client
	base   string
	token  string

	killed   atomic.Bool   // set just before the SIGKILL
	stop     chan struct{} // closed once the server is dead
	acked    chan struct{} // closed at the round's first acknowledged write
	ackedOne sync.Once

	mu                           sync.Mutex
	firstWrite                   time.Duration // from the start of the load to its first acknowledged write
	delay                        time.Duration // from the first acknowledged write to the kill
	creates, updates             int           // acknowledged
	unackCreates, unackUpdates   int           // attempted, not acknowledged
	storedCreates, storedUpdates int           // of those, found stored after the restart
	unexpected                   []string
	clientsAfter                 int
}

func (r *crashRound) count(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// note records an unexpected answer, which fails the round.
func (r *crashRound) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.unexpected) < 10 {
		r.unexpected = append(r.unexpected, fmt.Sprintf(format, args...))
	}
}

// ack counts an acknowledged write.
func (r *crashRound) ack(n *int) {
	r.count(func() { *n++ })
	r.ackedOne.Do(func() { close(r.acked) })
}

// worker creates clients and updates its own known ones as fast as it can
// until a request fails, which is the kill, or stop is closed. It must not
// call t.Fatal: it runs outside the test's goroutine.
func (r *crashRound) worker(w int, rng *rand.Rand) {
	l, round := r.ledger, r.round
	for n := 0; ; n++ {
		select {
		case <-r.stop:
			return
		default:
		}
		if owned := l.owned[w]; n%crashUpdateEvery == crashUpdateEvery-1 && len(owned) > 0 {
			id := owned[rng.IntN(len(owned))]
			city := fmt.Sprintf("r%d-w%d-u%d", round, w, n)
			l.mu.Lock()
			c := l.clients[id]
			c.cities = append(c.cities, city)
			idx := len(c.cities) - 1
			l.mu.Unlock()
			status, raw, err := crashSend(r.hc, "PUT", r.base+"/admin/clients/"+id, r.token,
				map[string]any{"clientMeta": map[string]string{"city": city}})
			if err != nil {
				r.count(func() { r.unackUpdates++ })
				if !r.killed.Load() {
					r.note("PUT %s before the kill: %v", id, err)
				}
				return
			}
			if status/100 != 2 {
				r.count(func() { r.unackUpdates++ })
				r.note("PUT %s: status %d: %s", id, status, raw)
				continue
			}
			l.mu.Lock()
			c.known = max(c.known, idx)
			l.mu.Unlock()
			r.ack(&r.updates)
			continue
		}
		id := fmt.Sprintf("crash_r%d_w%d_%d", round, w, n)
		email := fmt.Sprintf("crash.r%d.w%d.%d@example.com", round, w, n)
		city := fmt.Sprintf("r%d-w%d-c%d", round, w, n)
		l.mu.Lock()
		l.clients[id] = &crashClient{owner: w, email: email, cities: []string{city}, known: -1}
		l.mu.Unlock()
		status, raw, err := crashSend(r.hc, "POST", r.base+"/admin/clients", r.token, map[string]any{
			"clientId":     id,
			"clientSecret": "crash-secret-" + id,
			"clientMeta": map[string]string{
				"fullName": "Crash Test", "email": email, "phone": "+12125551234",
				"businessName": "Acme Corp", "city": city, "jobTitle": "CEO", "notes": "crash test",
			},
			"agentId":           "agent_crash",
			"twilioPhoneNumber": "+18001234567",
			"status":            "Active",
		})
		if err != nil {
			r.count(func() { r.unackCreates++ })
			if !r.killed.Load() {
				r.note("POST %s before the kill: %v", id, err)
			}
			return
		}
		if status != http.StatusCreated {
			r.count(func() { r.unackCreates++ })
			r.note("POST %s: status %d: %s", id, status, raw)
			continue
		}
		l.mu.Lock()
		l.clients[id].known = 0
		l.mu.Unlock()
		l.owned[w] = append(l.owned[w], id)
		r.ack(&r.creates)
	}
}

// crashSend sends one JSON request and reads the whole answer. An error means
// the write's fate is unknown.
func crashSend(hc *http.Client, method, url, token string, body any) (int, string, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(data))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line arrived but the body was cut: the handler ran to
		// its end, but count it as unacknowledged, as a client would.
		return 0, "", fmt.Errorf("reading the body: %w", err)
	}
	return resp.StatusCode, string(raw), nil
}

// listAllClients pages through GET /admin/clients and returns each client's
// JSON object by id.
func listAllClients(t *testing.T, srv *server, token string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	total := -1
	for offset := 0; ; offset += 100 {
		r := srv.do("GET", "/admin/clients?limit=100&offset="+strconv.Itoa(offset), token, nil).
			expect(t, "GET /admin/clients", 200)
		n, _ := r.get("total").(float64)
		if total < 0 {
			total = int(n)
		} else if int(n) != total {
			t.Fatalf("GET /admin/clients: total changed from %d to %v while paging", total, n)
		}
		list, _ := r.get("clients").([]any)
		for _, v := range list {
			c, _ := v.(map[string]any)
			id, _ := c["clientId"].(string)
			if _, dup := out[id]; dup || id == "" {
				t.Fatalf("GET /admin/clients: client %q listed twice or without an id", id)
			}
			out[id] = c
		}
		if len(list) == 0 || offset+100 >= total {
			break
		}
	}
	if len(out) != total {
		t.Fatalf("GET /admin/clients: %d clients listed, total says %d", len(out), total)
	}
	return out
}

// verify checks the restarted server's clients against the ledger, then
// takes what it read as known for the next rounds. It returns how many
// unacknowledged creates and updates turned out to be stored.
func (l *crashLedger) verify(t *testing.T, round int, stored map[string]map[string]any) (creates, updates int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range slices.Sorted(mapKeys(stored)) {
		c := l.clients[id]
		got := stored[id]
		meta, _ := got["clientMeta"].(map[string]any)
		city, _ := meta["city"].(string)
		switch {
		case c == nil:
			t.Errorf("round %d: client %q is stored but was never sent", round, id)
			continue
		case c.gone:
			t.Errorf("round %d: client %q, absent after an earlier restart, is back", round, id)
			continue
		}
		if meta["email"] != c.email || got["status"] != "Active" {
			t.Errorf("round %d: client %q stored as %v, want email %s, status Active", round, id, got, c.email)
		}
		from := max(c.known, 0)
		i := slices.Index(c.cities[from:], city)
		if i < 0 {
			if c.known >= 0 {
				t.Errorf("round %d: client %q has city %q, want the last acknowledged %q or a later attempt of %q",
					round, id, city, c.cities[c.known], c.cities[c.known+1:])
			} else {
				t.Errorf("round %d: unacknowledged client %q has city %q, never sent as its first (%q)", round, id, city, c.cities[0])
			}
			continue
		}
		if c.known < 0 {
			creates++ // an unacknowledged create landed; it is owned from now on
			l.owned[c.owner] = append(l.owned[c.owner], id)
		}
		if from+i > max(c.known, 0) {
			updates++
		}
		c.cities, c.known = []string{city}, 0
	}
	for id, c := range l.clients {
		if _, ok := stored[id]; ok {
			continue
		}
		if c.mustExist() {
			t.Errorf("round %d: acknowledged client %q (last acknowledged city %q) is missing after the restart",
				round, id, c.cities[c.known])
		}
		c.gone = true
	}
	return creates, updates
}

// sqliteCheck opens the SQLite file and runs integrity_check, which must
// answer the single row "ok", and foreign_key_check, which must answer none.
func sqliteCheck(path string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		got = append(got, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !slices.Equal(got, []string{"ok"}) {
		return fmt.Errorf("integrity_check: %q, want [ok]", got)
	}
	rows, err = db.Query("PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer rows.Close()
	var bad int
	for rows.Next() {
		bad++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("foreign_key_check: %d rows, want none", bad)
	}
	return db.Close()
}

// copyCrashImage copies the database file and its WAL, as the kill left them,
// to a new folder and returns the copy's path, so that they can be checked
// without the check's own recovery touching the original.
func copyCrashImage(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(path))
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(path + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestCrashSafety runs the real binary under write load, kills it with
// SIGKILL at random moments several times, restarts it on the same SQLite
// file, and checks that every write acknowledged with a 2xx is there, that
// nothing never sent or already found absent appears, and that the database
// passes SQLite's integrity and foreign-key checks, after each kill and at
// the end.
//
// The seed of the kill moments and of the update choices is logged; set
// CRASH_SEED to it to replay them (the scheduling of the writers, and so the
// exact writes in flight at each kill, is not replayable).
func TestCrashSafety(t *testing.T) {
	binaryOrSkip(t)
	ctx := testContext(t)
	began := time.Now()

	seed := rand.Uint64()
	if v := os.Getenv("CRASH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CRASH_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (replay with CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	workers, minDelay, maxDelay := crashWorkers, crashMinDelay, crashMaxDelay
	if raceEnabled() {
		minDelay = time.Duration(float64(minDelay) * crashRaceStretch)
		maxDelay = time.Duration(float64(maxDelay) * crashRaceStretch)
	}
	db := filepath.Join(t.TempDir(), "sb.db")
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": db, "SECRET_HASH_COST": "4",
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
	}
	ledger := &crashLedger{clients: map[string]*crashClient{}, owned: make([][]string, workers)}
	var stats []*crashRound
	var logs strings.Builder

	srv := startServer(ctx, t, env)
	for round := 1; round <= crashRounds; round++ {
		transport := &http.Transport{MaxIdleConnsPerHost: workers}
		st := &crashRound{
			round: round, ledger: ledger, base: srv.base,
			hc:    &http.Client{Transport: transport, Timeout: 20 * time.Second},
			delay: minDelay + time.Duration(rng.Int64N(int64(maxDelay-minDelay))),
			stop:  make(chan struct{}), acked: make(chan struct{}),
		}
		stats = append(stats, st)
		st.token = srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
			expect(t, "admin login", 200).str(t, "token")

		var wg sync.WaitGroup
		loadStart := time.Now()
		for w := range workers {
			wrng := rand.New(rand.NewPCG(seed, uint64(round*1000+w)))
			wg.Go(func() { st.worker(w, wrng) })
		}
		// The delay runs from the first acknowledged write, so that a
		// slow start (a loaded machine, -race) cannot make a round with
		// no write before the kill.
		select {
		case <-st.acked:
			st.firstWrite = time.Since(loadStart)
		case <-time.After(crashFirstWrite):
			t.Errorf("round %d: no write acknowledged within %v", round, crashFirstWrite)
		case <-ctx.Done():
		}
		select {
		case <-time.After(st.delay):
		case <-ctx.Done():
		}
		st.killed.Store(true)
		if err := srv.cmd.Process.Kill(); err != nil {
			t.Fatalf("round %d: SIGKILL: %v", round, err)
		}
		select {
		case <-srv.done:
		case <-ctx.Done():
			t.Fatalf("round %d: the server did not die after SIGKILL", round)
		}
		// Each worker's next request fails on the dead server; stop covers a
		// worker that was between requests.
		close(st.stop)
		wg.Wait()
		transport.CloseIdleConnections()
		logs.WriteString(srv.stderr.String())
		for _, u := range st.unexpected {
			t.Errorf("round %d: %s", round, u)
		}
		// The kill must have come during the load, or the round tests nothing.
		if st.unackCreates+st.unackUpdates == 0 {
			t.Errorf("round %d: no write was in flight at the kill", round)
		}
		if ctx.Err() != nil {
			t.Fatalf("round %d: %v", round, ctx.Err())
		}

		// The crash image, as a restart will find it, is a sound database.
		if err := sqliteCheck(copyCrashImage(t, db)); err != nil {
			t.Errorf("round %d: the database as the kill left it: %v", round, err)
		}

		srv = startServer(ctx, t, env)
		token := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
			expect(t, "admin login after the restart", 200).str(t, "token")
		stored := listAllClients(t, srv, token)
		st.clientsAfter = len(stored)
		st.storedCreates, st.storedUpdates = ledger.verify(t, round, stored)
		t.Logf("round %d: first write acknowledged after %v, killed %v later: acknowledged %d creates, %d updates; unacknowledged %d creates (%d stored), %d updates (%d stored); %d clients after the restart",
			round, st.firstWrite.Round(time.Millisecond), st.delay.Round(time.Millisecond), st.creates, st.updates,
			st.unackCreates, st.storedCreates, st.unackUpdates, st.storedUpdates, st.clientsAfter)
		if t.Failed() {
			t.Fatalf("round %d failed; stderr of the killed server:\n%s", round, lastLines(logs.String(), 40))
		}
	}
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	logs.WriteString(srv.stderr.String())
	// After the crashes, a clean stop still closes the database: the WAL is
	// checkpointed and deleted (see TestGracefulShutdown).
	if _, err := os.Stat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after the clean stop, the WAL is still there (%v)", err)
	}
	if err := sqliteCheck(db); err != nil {
		t.Errorf("the database after the clean stop: %v", err)
	}
	if strings.Contains(logs.String(), "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs.String())
	}

	var sum crashRound
	for _, st := range stats {
		sum.creates += st.creates
		sum.updates += st.updates
		sum.unackCreates += st.unackCreates
		sum.unackUpdates += st.unackUpdates
		sum.storedCreates += st.storedCreates
		sum.storedUpdates += st.storedUpdates
	}
	t.Logf("crash safety summary: %d SIGKILL rounds, %d writers, seed %d, %v: acknowledged %d creates and %d updates, every one present after the restarts; unacknowledged at the kills %d creates (%d stored) and %d updates (%d stored); %d clients at the end; integrity_check ok, foreign_key_check clean",
		len(stats), workers, seed, time.Since(began).Round(time.Millisecond), sum.creates, sum.updates,
		sum.unackCreates, sum.storedCreates, sum.unackUpdates, sum.storedUpdates, stats[len(stats)-1].clientsAfter)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
