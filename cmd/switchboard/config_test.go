package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// env returns a getenv that reads only m, so no test sees the real environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	// defaults is the Config of an empty environment.
	defaults := Config{Host: "127.0.0.1", Port: 8080, AdminTokenTTL: 12 * time.Hour, ElevenLabsAPIURL: DefaultElevenLabsAPIURL,
		MaxConcurrentHashes: max(1, runtime.GOMAXPROCS(0)-1)}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	secret := strings.Repeat("s", 32)

	tests := []struct {
		name string
		env  map[string]string
		want Config
		// errVar, when set, is the variable the error must name; want is
		// then ignored.
		errVar string
	}{
		{name: "defaults", env: nil, want: defaults},
		{name: "PORT", env: map[string]string{"PORT": "9090"}, want: with(func(c *Config) { c.Port = 9090 })},
		{name: "ElevenLabs", env: map[string]string{"ELEVENLABS_API_KEY": "xi-key", "ELEVENLABS_API_URL": "http://127.0.0.1:9999/",
			"ELEVENLABS_WEBHOOK_SECRET": "wsec_0123456789abcdef", "PUBLIC_BASE_URL": "https://calls.example.com/"},
			want: with(func(c *Config) {
				c.ElevenLabsAPIKey, c.ElevenLabsAPIURL = "xi-key", "http://127.0.0.1:9999"
				c.ElevenLabsWebhookSecret, c.PublicBaseURL = "wsec_0123456789abcdef", "https://calls.example.com"
			})},
		{name: "SIMULATE_CALLS", env: map[string]string{"SIMULATE_CALLS": "1"}, want: with(func(c *Config) { c.SimulateCalls = true })},
		{name: "SIMULATE_CALLS_DELAY", env: map[string]string{"SIMULATE_CALLS": "1", "SIMULATE_CALLS_DELAY": "300ms"},
			want: with(func(c *Config) { c.SimulateCalls, c.SimulateCallsDelay = true, 300*time.Millisecond })},
		{name: "SIMULATE_CALLS_DELAY bad", env: map[string]string{"SIMULATE_CALLS_DELAY": "soon"}, errVar: "SIMULATE_CALLS_DELAY"},
		{name: "SIMULATE_CALLS_DELAY long", env: map[string]string{"SIMULATE_CALLS_DELAY": "2h"}, errVar: "SIMULATE_CALLS_DELAY"},
		{name: "SIMULATE_CALLS 0", env: map[string]string{"SIMULATE_CALLS": "0"}, want: defaults},
		{name: "SIMULATE_CALLS bad", env: map[string]string{"SIMULATE_CALLS": "yes"}, errVar: "SIMULATE_CALLS"},
		{name: "SIMULATE_CALLS with a key", env: map[string]string{"SIMULATE_CALLS": "1", "ELEVENLABS_API_KEY": "k"}, errVar: "SIMULATE_CALLS"},
		{name: "ELEVENLABS_API_URL bad", env: map[string]string{"ELEVENLABS_API_URL": "ftp://x"}, errVar: "ELEVENLABS_API_URL"},
		{name: "PUBLIC_BASE_URL bad", env: map[string]string{"PUBLIC_BASE_URL": "calls.example.com"}, errVar: "PUBLIC_BASE_URL"},
		{name: "ELEVENLABS_WEBHOOK_SECRET short", env: map[string]string{"ELEVENLABS_WEBHOOK_SECRET": "short"}, errVar: "ELEVENLABS_WEBHOOK_SECRET"},
		{name: "PORT 0 picks a free port", env: map[string]string{"PORT": "0"}, want: with(func(c *Config) { c.Port = 0 })},
		{name: "PORT upper bound", env: map[string]string{"PORT": "65535"}, want: with(func(c *Config) { c.Port = 65535 })},
		{name: "HOST", env: map[string]string{"HOST": "0.0.0.0"}, want: with(func(c *Config) { c.Host = "0.0.0.0" })},
		{name: "DATABASE_URL sqlite path", env: map[string]string{"DATABASE_URL": "/var/lib/sb/sb.db"},
			want: with(func(c *Config) { c.DatabaseURL = "/var/lib/sb/sb.db" })},
		{name: "DATABASE_URL sqlite scheme", env: map[string]string{"DATABASE_URL": "sqlite://data/x.db"},
			want: with(func(c *Config) { c.DatabaseURL = "sqlite://data/x.db" })},
		{name: "DATABASE_URL postgres", env: map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/sb?sslmode=disable"},
			want: with(func(c *Config) { c.DatabaseURL = "postgres://u:p@db:5432/sb?sslmode=disable" })},
		{name: "SERVER_SECRET", env: map[string]string{"SERVER_SECRET": secret},
			want: with(func(c *Config) { c.ServerSecret = secret })},
		{name: "ADMIN_USERNAME and ADMIN_PASSWORD",
			env:  map[string]string{"ADMIN_USERNAME": "root", "ADMIN_PASSWORD": "twelve-chars"},
			want: with(func(c *Config) { c.AdminUsername, c.AdminPassword = "root", "twelve-chars" })},
		{name: "ADMIN_PASSWORD alone means user admin",
			env:  map[string]string{"ADMIN_PASSWORD": "a-long-admin-password"},
			want: with(func(c *Config) { c.AdminUsername, c.AdminPassword = "admin", "a-long-admin-password" })},
		{name: "ADMIN_USERNAME alone", env: map[string]string{"ADMIN_USERNAME": "root"},
			want: with(func(c *Config) { c.AdminUsername = "root" })},
		{name: "SECRET_HASH_COST min", env: map[string]string{"SECRET_HASH_COST": "4"},
			want: with(func(c *Config) { c.SecretHashCost = 4 })},
		{name: "SECRET_HASH_COST max", env: map[string]string{"SECRET_HASH_COST": "31"},
			want: with(func(c *Config) { c.SecretHashCost = 31 })},
		{name: "TOKEN_TTL", env: map[string]string{"TOKEN_TTL": "24h"},
			want: with(func(c *Config) { c.TokenTTL = 24 * time.Hour })},
		{name: "TOKEN_TTL 0 means none", env: map[string]string{"TOKEN_TTL": "0"}, want: defaults},
		{name: "REQUIRE_ADMIN_MFA", env: map[string]string{"REQUIRE_ADMIN_MFA": "1"},
			want: with(func(c *Config) { c.RequireAdminMFA = true })},
		{name: "ADMIN_TOKEN_TTL", env: map[string]string{"ADMIN_TOKEN_TTL": "90m"},
			want: with(func(c *Config) { c.AdminTokenTTL = 90 * time.Minute })},
		{name: "everything", env: map[string]string{
			"HOST": "::1", "PORT": "1234", "DATABASE_URL": "file:x.db", "SERVER_SECRET": secret,
			"ADMIN_USERNAME": "ops", "ADMIN_PASSWORD": "correct horse battery", "SECRET_HASH_COST": "10",
			"TOKEN_TTL": "720h", "ADMIN_TOKEN_TTL": "1h", "MAX_CONCURRENT_HASHES": "3",
		}, want: Config{
			Host: "::1", Port: 1234, DatabaseURL: "file:x.db", ServerSecret: secret,
			AdminUsername: "ops", AdminPassword: "correct horse battery", SecretHashCost: 10,
			TokenTTL: 720 * time.Hour, AdminTokenTTL: time.Hour, MaxConcurrentHashes: 3, ElevenLabsAPIURL: DefaultElevenLabsAPIURL,
		}},
		{name: "MAX_CONCURRENT_HASHES", env: map[string]string{"MAX_CONCURRENT_HASHES": "1"},
			want: with(func(c *Config) { c.MaxConcurrentHashes = 1 })},
		{name: "MAX_CONCURRENT_HASHES zero", env: map[string]string{"MAX_CONCURRENT_HASHES": "0"}, errVar: "MAX_CONCURRENT_HASHES"},
		{name: "MAX_CONCURRENT_HASHES not a number", env: map[string]string{"MAX_CONCURRENT_HASHES": "many"}, errVar: "MAX_CONCURRENT_HASHES"},

		{name: "TRUSTED_PROXIES", env: map[string]string{"TRUSTED_PROXIES": " 10.0.0.1, 192.168.0.0/16,,::1 "},
			want: with(func(c *Config) { c.TrustedProxies = []string{"10.0.0.1", "192.168.0.0/16", "::1"} })},
		{name: "TRUSTED_PROXIES not an address", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.1,proxy.local"}, errVar: "TRUSTED_PROXIES"},
		{name: "PPROF_ADDR", env: map[string]string{"PPROF_ADDR": "127.0.0.1:6060"},
			want: with(func(c *Config) { c.PprofAddr = "127.0.0.1:6060" })},
		{name: "PPROF_ADDR free port", env: map[string]string{"PPROF_ADDR": "[::1]:0"},
			want: with(func(c *Config) { c.PprofAddr = "[::1]:0" })},
		{name: "PPROF_ADDR without a host", env: map[string]string{"PPROF_ADDR": "6060"}, errVar: "PPROF_ADDR"},
		{name: "PPROF_ADDR bad port", env: map[string]string{"PPROF_ADDR": "127.0.0.1:http"}, errVar: "PPROF_ADDR"},
		{name: "PPROF_ADDR port too large", env: map[string]string{"PPROF_ADDR": "127.0.0.1:70000"}, errVar: "PPROF_ADDR"},
		{name: "METRICS_ADDR", env: map[string]string{"METRICS_ADDR": "127.0.0.1:9090"},
			want: with(func(c *Config) { c.MetricsAddr = "127.0.0.1:9090" })},
		{name: "METRICS_ADDR without a host", env: map[string]string{"METRICS_ADDR": "9090"}, errVar: "METRICS_ADDR"},
		{name: "PORT not a number", env: map[string]string{"PORT": "abc"}, errVar: "PORT"},
		{name: "PORT too large", env: map[string]string{"PORT": "70000"}, errVar: "PORT"},
		{name: "PORT negative", env: map[string]string{"PORT": "-1"}, errVar: "PORT"},
		{name: "SERVER_SECRET too short", env: map[string]string{"SERVER_SECRET": secret[:31]}, errVar: "SERVER_SECRET"},
		{name: "ADMIN_PASSWORD too short", env: map[string]string{"ADMIN_PASSWORD": "elevenchars"}, errVar: "ADMIN_PASSWORD"},
		{name: "ADMIN_PASSWORD too long", env: map[string]string{"ADMIN_PASSWORD": strings.Repeat("p", 73)}, errVar: "ADMIN_PASSWORD"},
		{name: "SECRET_HASH_COST too low", env: map[string]string{"SECRET_HASH_COST": "3"}, errVar: "SECRET_HASH_COST"},
		{name: "SECRET_HASH_COST too high", env: map[string]string{"SECRET_HASH_COST": "40"}, errVar: "SECRET_HASH_COST"},
		{name: "REQUIRE_ADMIN_MFA not a switch", env: map[string]string{"REQUIRE_ADMIN_MFA": "yes"}, errVar: "REQUIRE_ADMIN_MFA"},
		{name: "SECRET_HASH_COST not a number", env: map[string]string{"SECRET_HASH_COST": "high"}, errVar: "SECRET_HASH_COST"},
		{name: "TOKEN_TTL negative", env: map[string]string{"TOKEN_TTL": "-1h"}, errVar: "TOKEN_TTL"},
		{name: "TOKEN_TTL not a duration", env: map[string]string{"TOKEN_TTL": "soon"}, errVar: "TOKEN_TTL"},
		{name: "ADMIN_TOKEN_TTL zero", env: map[string]string{"ADMIN_TOKEN_TTL": "0"}, errVar: "ADMIN_TOKEN_TTL"},
		{name: "ADMIN_TOKEN_TTL negative", env: map[string]string{"ADMIN_TOKEN_TTL": "-5m"}, errVar: "ADMIN_TOKEN_TTL"},
		{name: "DATABASE_URL empty sqlite path", env: map[string]string{"DATABASE_URL": "sqlite://"}, errVar: "DATABASE_URL"},
		{name: "DATABASE_URL malformed sqlite query", env: map[string]string{"DATABASE_URL": "x.db?_busy_timeout=%zz"}, errVar: "DATABASE_URL"},
		{name: "DATABASE_URL malformed postgres URL", env: map[string]string{"DATABASE_URL": "postgres://u:hunter2@[::1/sb"}, errVar: "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(env(tt.env))
			if tt.errVar != "" {
				if err == nil {
					t.Fatalf("LoadConfig(%v) = %+v, nil; want an error naming %s", tt.env, got, tt.errVar)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.errVar) {
					t.Errorf("error %q does not name %s", msg, tt.errVar)
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("error %q is more than one line", msg)
				}
				// A secret must not be echoed back into the terminal or a log.
				for _, k := range []string{"SERVER_SECRET", "ADMIN_PASSWORD"} {
					if v := tt.env[k]; v != "" && strings.Contains(msg, v) {
						t.Errorf("error %q repeats the value of %s", msg, k)
					}
				}
				if strings.Contains(msg, "hunter2") {
					t.Errorf("error %q repeats the database password", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig(%v): %v", tt.env, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadConfig(%v)\n got %+v\nwant %+v", tt.env, got, tt.want)
			}
		})
	}
}

func TestRun_UnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bogus"}, env(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("run(bogus) = %v; want an error mentioning bogus", err)
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("run(bogus) wrote stdout %q, stderr %q; want nothing (main prints the error)", &stdout, &stderr)
	}
}

func TestRun_Help(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// An invalid environment proves help needs no config.
			err := run(context.Background(), []string{arg}, env(map[string]string{"PORT": "abc"}), &stdout, &stderr)
			if err != nil {
				t.Fatalf("run(%s): %v", arg, err)
			}
			if !strings.HasPrefix(stdout.String(), "usage: switchboard") {
				t.Errorf("run(%s) printed %q; want the usage", arg, &stdout)
			}
			for _, cmd := range []string{"serve", "migrate"} {
				if !strings.Contains(stdout.String(), cmd) {
					t.Errorf("usage does not mention %s: %q", cmd, &stdout)
				}
			}
			if stderr.Len() != 0 {
				t.Errorf("run(%s) wrote to stderr: %q", arg, &stderr)
			}
		})
	}
}

// TestRun_InvalidConfig checks that a bad environment stops run before it
// opens the database or a port: it returns at once, with the config error,
// having created no database file and logged nothing.
func TestRun_InvalidConfig(t *testing.T) {
	for _, args := range [][]string{nil, {"serve"}, {"migrate"}} {
		t.Run(strings.Join(append([]string{"args"}, args...), "_"), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "sb.db")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, args, env(map[string]string{"PORT": "abc", "DATABASE_URL": db}), &stdout, &stderr)
			}()
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				t.Fatal("run with PORT=abc did not return: it is serving")
			}
			if err == nil || !strings.Contains(err.Error(), "PORT") {
				t.Fatalf("run with PORT=abc = %v; want the PORT error", err)
			}
			if _, statErr := os.Stat(db); !os.IsNotExist(statErr) {
				t.Errorf("run with PORT=abc touched the database %s (stat: %v)", db, statErr)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("run with PORT=abc wrote stdout %q, stderr %q; want nothing", &stdout, &stderr)
			}
		})
	}
}

// TestRun_Migrate checks that `switchboard migrate` creates and migrates the
// database, then returns instead of serving; a second run finds nothing to do
// and succeeds too.
func TestRun_Migrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sb.db")
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var stdout, stderr bytes.Buffer
		err := run(ctx, []string{"migrate"}, env(map[string]string{"DATABASE_URL": db}), &stdout, &stderr)
		cancel()
		if err != nil {
			t.Fatalf("run %d of migrate: %v\nstderr: %s", i+1, err, &stderr)
		}
		if !strings.Contains(stderr.String(), "msg=\"migrations applied\" database=sqlite") {
			t.Errorf("run %d of migrate logged %q", i+1, &stderr)
		}
		if stdout.Len() != 0 {
			t.Errorf("run %d of migrate printed %q; it creates no admin, so it should print nothing", i+1, &stdout)
		}
		if _, err := os.Stat(db); err != nil {
			t.Fatalf("migrate left no database: %v", err)
		}
	}
}

// TestRun_PortTaken checks that a start on a taken port fails before it
// creates the first admin: the generated password, shown only once, is not
// printed to be lost with the failed start, and no admin is stored. The next
// start, on a free port, creates the admin and prints its password.
func TestRun_PortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	db := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{
		"HOST": "127.0.0.1", "PORT": strconv.Itoa(taken.Addr().(*net.TCPAddr).Port),
		"DATABASE_URL": db, "SECRET_HASH_COST": "4",
	}
	ctx := testContext(t)

	var stdout, stderr bytes.Buffer
	err = run(ctx, nil, env(vars), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("run on a taken port = %v; want the bind error", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("run on a taken port printed %q; want nothing", &stdout)
	}
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.CountAdmins(ctx)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("run on a taken port stored %d admins; want none", n)
	}

	vars["PORT"] = "0"
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	out, logs := newStream(), newStream()
	done, exited := make(chan error, 1), make(chan struct{})
	go func() {
		done <- run(serveCtx, nil, env(vars), out, logs)
		close(exited)
	}()
	if _, err := logs.waitFor(ctx, exited, listeningLine); err != nil {
		t.Fatalf("the start on a free port did not listen: %v\nstderr:\n%s", err, logs)
	}
	// The password is printed before the server says it listens.
	if !generatedPassword.MatchString(out.String()) {
		t.Errorf("the start on a free port printed no password; stdout:\n%s", out)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("run on a free port: %v\nstderr:\n%s", err, logs)
	}
}

// TestPprofHandler: PPROF_ADDR's listener answers pprof's index and its
// profiles, and nothing else (not the API).
func TestPprofHandler(t *testing.T) {
	h := pprofHandler()
	for path, want := range map[string]int{
		"/debug/pprof/":                  http.StatusOK,
		"/debug/pprof/heap?debug=1":      http.StatusOK,
		"/debug/pprof/goroutine?debug=1": http.StatusOK,
		"/debug/pprof/cmdline":           http.StatusOK,
		"/secure/client":                 http.StatusNotFound,
		"/healthz":                       http.StatusNotFound,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}
