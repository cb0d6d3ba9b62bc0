package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The graceful-shutdown test holds requests in flight across the SIGTERM in
// two ways. Client creates wait on a SQLite write lock that the test itself
// holds, so they are in flight for exactly as long as the test wants, on any
// machine, however fast or loaded. Admin sign-ins sent after them usually
// queue behind them for the store's one connection and then run bcrypt, a
// CPU-bound handler, during the drain; on a loaded machine some may get the
// connection first and end earlier, so only the creates carry the proof.
//
// The bcrypt cost is deliberately low. The drain is CPU-bound, and on a
// loaded machine (go test ./... runs packages in parallel; here other jobs
// ran fuzzers) it stretches by the load factor: with four sign-ins alone as
// the slow requests, at cost 14 as first planned and then at cost 12, loaded
// runs drained in 8-11 s against the server's 10 s shutdownTimeout, and
// failed when the server then gave up and cut the requests, which is its
// documented behaviour, not the property under test.
// The lock keeps the requests in flight; bcrypt only needs to be work.

const (
	shutdownCreates = 4
	shutdownLogins  = 4
	// shutdownHold is how long the lock is held after the requests are sent,
	// and again after the SIGTERM: the server must wait for them.
	shutdownHold = 300 * time.Millisecond
)

// shutdownHashCost: cost 10 takes about 60 ms here; under -race bcrypt is
// about twelve times slower, and cost 6 is sixteen times cheaper.
func shutdownHashCost() int {
	if raceEnabled() {
		return 6
	}
	return 10
}

var shuttingDownLine = regexp.MustCompile(`msg="shutting down"`)

// flight is one request sent from a goroutine that is not the test's: it
// must not call t.Fatal, so it records how the request ended.
type flight struct {
	what   string
	status int
	body   map[string]any
	err    error
	ended  time.Time
}

// refused reports whether err is a refused TCP connection.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// TestGracefulShutdown sends SIGTERM while requests are in flight and checks
// that the server at once stops accepting connections but stays up while
// they are pending, lets every one of them finish with a whole answer, exits
// 0 within its shutdown bound, and closes the SQLite database cleanly, with
// the writes of the in-flight requests in it.
func TestGracefulShutdown(t *testing.T) {
	binaryOrSkip(t)
	ctx := testContext(t)
	db := filepath.Join(t.TempDir(), "sb.db")
	cost := shutdownHashCost()
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": db, "SECRET_HASH_COST": strconv.Itoa(cost),
		"ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
		// The sign-ins in flight hash at once, as they did before the hash
		// limit: queued behind one hasher, the last could wait past its
		// 250 ms and get a 503, which is not what this test is about.
		"MAX_CONCURRENT_HASHES": strconv.Itoa(shutdownLogins),
	}
	srv := startServer(ctx, t, env)
	addr := strings.TrimPrefix(srv.base, "http://")
	login := map[string]string{"username": "admin", "password": adminPass}
	token := srv.do("POST", "/auth/admin/login", "", login).expect(t, "admin login", 200).str(t, "token")
	srv.http.CloseIdleConnections() // the drain should not wait on the test's own idle connection

	// The test's own connection takes the database's write lock; the
	// server's writes wait for it (busy_timeout, 10 s).
	lock := lockSQLite(ctx, t, db)

	var (
		wg      sync.WaitGroup
		flights []*flight
		// ended counts the requests that ended, by kind.
		createsEnded, loginsEnded atomic.Int32
	)
	// send starts a request on its own connection and returns once the
	// request is written.
	send := func(what, path, token string, body any, ended *atomic.Int32) {
		f := &flight{what: what}
		flights = append(flights, f)
		data, _ := json.Marshal(body)
		wrote := make(chan struct{})
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }}
		wg.Go(func() {
			defer once.Do(func() { close(wrote) }) // if it failed before it was written
			defer ended.Add(1)
			defer func() { f.ended = time.Now() }()
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), "POST", srv.base+path, bytes.NewReader(data))
			if err != nil {
				f.err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
			resp, err := hc.Do(req)
			if err != nil {
				f.err = err
				return
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			f.status = resp.StatusCode
			if err != nil {
				f.err = fmt.Errorf("reading the body: %w", err)
			} else if err := json.Unmarshal(raw, &f.body); err != nil {
				f.err = fmt.Errorf("body %q: %w", raw, err)
			}
		})
		select {
		case <-wrote:
		case <-ctx.Done():
			t.Fatalf("%s was never written: %v", what, ctx.Err())
		}
	}
	ids := make([]string, shutdownCreates)
	for i := range ids {
		ids[i] = fmt.Sprintf("shutdown_%d", i)
		body := strings.NewReplacer(`"client_unique_id"`, strconv.Quote(ids[i]),
			`"john@example.com"`, strconv.Quote(ids[i]+"@example.com")).Replace(createBody)
		send("create "+ids[i], "/admin/clients", token, json.RawMessage(body), &createsEnded)
	}
	// The sleeps only let the server read the requests and reach the lock
	// (it asserts nothing). Then the sign-ins queue behind the creates.
	time.Sleep(shutdownHold)
	for i := range shutdownLogins {
		send(fmt.Sprintf("login %d", i), "/auth/admin/login", "", login, &loginsEnded)
	}
	time.Sleep(shutdownHold)
	if n := createsEnded.Load(); n != 0 {
		wg.Wait()
		for _, f := range flights {
			t.Logf("%s: status %d, %v, %v", f.what, f.status, f.body, f.err)
		}
		t.Fatalf("%d creates ended while the test held the lock, before the SIGTERM", n)
	}
	inFlight := shutdownCreates + shutdownLogins - int(loginsEnded.Load())

	sigAt := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if _, err := srv.stderr.waitFor(ctx, srv.done, shuttingDownLine); err != nil {
		t.Fatalf("no shutdown line: %v\nstderr:\n%s", err, srv.stderr)
	}

	// A new connection after the SIGTERM is refused: the listener closes
	// right after the shutdown line, and the loop only covers the instant
	// between the two (a connection that slips in is closed unused; one made
	// as the listener closes is reset). The server is still up: the creates
	// cannot finish while the lock is held.
	refusedAfter := time.Duration(-1)
probe:
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		switch {
		case err == nil:
			conn.Close()
		case errors.Is(err, syscall.ECONNRESET):
			// The listener closed while the connection was being made.
		case refused(err):
			refusedAfter = time.Since(sigAt)
			break probe
		default:
			t.Errorf("a new connection after the SIGTERM: %v, want connection refused", err)
			break probe
		}
		time.Sleep(5 * time.Millisecond)
	}
	if refusedAfter < 0 {
		t.Errorf("new connections were still accepted %v after the SIGTERM", time.Since(sigAt).Round(time.Millisecond))
	} else {
		t.Logf("a new connection %v after the SIGTERM was refused", refusedAfter.Round(time.Millisecond))
	}

	// The server waits for the pending requests, however long they take
	// (within the 10 s its writes wait for a lock: on a machine so loaded
	// that the lock is 8 s old already, it is released at once).
	time.Sleep(min(shutdownHold, 8*time.Second-time.Since(lock.takenAt)))
	select {
	case <-srv.done:
		t.Errorf("the server exited %v after the SIGTERM, while the test's lock still held its requests",
			time.Since(sigAt).Round(time.Millisecond))
	default:
	}
	if n := createsEnded.Load(); n != 0 {
		t.Errorf("%d creates ended while the lock was held", n)
	}
	lock.release(t)

	wg.Wait()
	for _, f := range flights {
		want := 200
		if strings.HasPrefix(f.what, "create") {
			want = 201
		}
		switch {
		case f.err != nil:
			t.Errorf("%s was cut %v after the SIGTERM: %v", f.what, f.ended.Sub(sigAt).Round(time.Millisecond), f.err)
		case f.status != want:
			t.Errorf("%s: status %d, want %d; body %v", f.what, f.status, want, f.body)
		case want == 200 && f.body["token"] == nil:
			t.Errorf("%s: no token in %v", f.what, f.body)
		}
	}
	select {
	case <-srv.done:
	case <-ctx.Done():
		t.Fatalf("the server did not exit after SIGTERM: %v\nstderr:\n%s", ctx.Err(), srv.stderr)
	}
	took := time.Since(sigAt)
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; stderr:\n%s", code, srv.stderr)
	}
	last := slices.MaxFunc(flights, func(a, b *flight) int { return a.ended.Compare(b.ended) }).ended
	t.Logf("graceful shutdown with %d requests in flight (%d creates held by the lock, %d sign-ins) took %v (lock held %v of it; last answer after %v; bound %v)",
		inFlight, shutdownCreates, inFlight-shutdownCreates, took.Round(time.Millisecond), lock.releasedAt.Sub(sigAt).Round(time.Millisecond),
		last.Sub(sigAt).Round(time.Millisecond), shutdownTimeout)
	// shutdownTimeout bounds the drain (exit code 0 says it was met); closing
	// the database, which checkpoints the WAL, and exiting come on top.
	if limit := shutdownTimeout + 5*time.Second; took > limit {
		t.Errorf("shutdown took %v, more than shutdownTimeout %v and 5 s to close and exit", took, shutdownTimeout)
	}
	logs := srv.stderr.String()
	if took > shutdownTimeout/2 {
		t.Logf("slow shutdown; the server's log:\n%s", logs)
	}
	for what, want := range map[string]int{
		"path=/auth/admin/login status=200": shutdownLogins + 1,
		"path=/admin/clients status=201":    shutdownCreates,
	} {
		if n := strings.Count(logs, what); n != want {
			t.Errorf("the log has %d %q, want %d:\n%s", n, what, want, logs)
		}
	}
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the server has a data race:\n%s", logs)
	}

	// After the exit, nothing listens.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("a connection to %s after the exit was accepted", addr)
	} else if !refused(err) {
		t.Errorf("a connection to %s after the exit: %v, want connection refused", addr, err)
	}

	// The last connection to close checkpoints the WAL into the database and
	// deletes it and the shared-memory file; the test closed its own before
	// the server could finish, so files left behind mean the server did not
	// close the database.
	for _, suffix := range []string{"-wal", "-shm"} {
		if fi, err := os.Stat(db + suffix); err == nil {
			t.Errorf("%s is left after the exit (%d bytes): the database was not closed cleanly", filepath.Base(db+suffix), fi.Size())
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Error(err)
		}
	}
	if err := sqliteCheck(db); err != nil {
		t.Errorf("the database after the shutdown: %v", err)
	}
	// The in-flight creates are in it.
	sdb, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	for _, id := range ids {
		var n int
		if err := sdb.QueryRow("SELECT count(*) FROM clients WHERE client_id = ?", id).Scan(&n); err != nil || n != 1 {
			t.Errorf("client %s, created by a request in flight at the SIGTERM: %d rows, %v; want 1", id, n, err)
		}
	}
}

// sqliteLock is a write lock on a SQLite database held by the test.
type sqliteLock struct {
	db         *sql.DB
	conn       *sql.Conn
	takenAt    time.Time
	releasedAt time.Time
}

// lockSQLite takes the write lock of the database at path: the server's
// writes then wait (busy_timeout) until release; its reads go on (WAL).
func lockSQLite(ctx context.Context, t *testing.T, path string) *sqliteLock {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		db.Close()
		t.Fatalf("take the write lock: %v", err)
	}
	l := &sqliteLock{db: db, conn: conn, takenAt: time.Now()}
	t.Cleanup(func() { l.close() })
	return l
}

// release ends the transaction and closes the connection at once, so that
// the server's connection is the last one to close.
func (l *sqliteLock) release(t *testing.T) {
	t.Helper()
	if _, err := l.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Errorf("release the write lock: %v", err)
	}
	l.releasedAt = time.Now()
	if err := l.close(); err != nil {
		t.Errorf("close the test's database connection: %v", err)
	}
}

func (l *sqliteLock) close() error {
	if l.conn == nil {
		return nil
	}
	err := errors.Join(l.conn.Close(), l.db.Close())
	l.conn, l.db = nil, nil
	return err
}
