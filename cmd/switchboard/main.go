// Command switchboard runs the client-account service: `switchboard` or
// `switchboard serve` starts the HTTP server, `switchboard migrate` applies
// the database migrations and exits.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"switchboard/internal/api"
	"switchboard/internal/auth"
	"switchboard/internal/calling"
	"switchboard/internal/elevenlabs"
	"switchboard/internal/httpserver"
	"switchboard/internal/metrics"
	"switchboard/internal/store"
	"switchboard/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal starts the graceful shutdown, restore the
	// default handling so a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

const usage = `usage: switchboard [serve | migrate | backup FILE | help]

  serve        start the HTTP server (the default)
  migrate      apply database migrations and exit
  backup FILE  copy the SQLite database to FILE, consistently, while it serves

Configuration is read from the environment; see the README.`

// run is the whole program; main only adds the signals and the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	command := "serve"
	if len(args) > 0 {
		command = args[0]
	}
	switch command {
	case "serve", "migrate":
	case "backup":
		if len(args) != 2 || args[1] == "" {
			return fmt.Errorf("backup needs one argument, the file to write\n%s", usage)
		}
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", command, usage)
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(stderr, nil)), Stdout: stdout}
	if command == "backup" {
		return m.backup(ctx, args[1])
	}
	if command == "migrate" {
		if err := m.openStore(ctx); err != nil {
			m.Close()
			return err
		}
		m.Log.Info("migrations applied", "database", m.Store.Dialect())
		return m.Close()
	}
	// Listen before Open, which may create the first admin and print its
	// password once: a taken port must fail the start before that, or the
	// password is printed and lost and the next start prints none.
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	closeListeners := func() {
		for _, l := range []net.Listener{ln, m.pprofLn, m.metricsLn} {
			if l != nil {
				l.Close()
			}
		}
	}
	if cfg.PprofAddr != "" {
		if m.pprofLn, err = net.Listen("tcp", cfg.PprofAddr); err != nil {
			closeListeners()
			return fmt.Errorf("PPROF_ADDR: %w", err)
		}
	}
	if cfg.MetricsAddr != "" {
		if m.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			closeListeners()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
	}
	if err := m.Open(ctx); err != nil {
		closeListeners()
		m.Close()
		return err
	}
	return m.Serve(ctx, ln)
}

// metricsHandler serves the metrics at /metrics and nothing else.
func metricsHandler(mt *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mt.Handler())
	return mux
}

// pprofHandler serves net/http/pprof's pages under /debug/pprof/ on a mux of
// its own: the default mux would also carry anything else a library put there.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Main is the running program: its config, database and HTTP app. The
// end-to-end test drives the built binary; Main keeps run small.
type Main struct {
	Config Config
	Log    *slog.Logger
	// Stdout receives the generated admin password, the one thing printed
	// outside the log, and only once.
	Stdout io.Writer

	Store *store.Store
	App   *httpserver.App
	// Calling places and follows calls; its reconciler runs while serving.
	Calling *calling.Service

	simulator *elevenlabs.Simulator // SIMULATE_CALLS only
	// Metrics counts what the server does; nil without METRICS_ADDR.
	Metrics *metrics.Metrics

	pprofLn   net.Listener // PPROF_ADDR only
	metricsLn net.Listener // METRICS_ADDR only
	selfURL   atomic.Value // string: where this server listens, for the simulator's webhooks
}

func (m *Main) openStore(ctx context.Context) error {
	s, err := store.Open(ctx, m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	m.Store = s
	return s.Migrate(ctx)
}

// Open connects and migrates the database, sets up signing and the first
// admin, and builds the HTTP app.
func (m *Main) Open(ctx context.Context) error {
	if err := m.openStore(ctx); err != nil {
		return err
	}
	secret := m.Config.ServerSecret
	if secret == "" {
		var err error
		if secret, err = m.Store.Setting(ctx, "server_secret", auth.GenerateSecret()); err != nil {
			return err
		}
	}
	signer, err := auth.NewSigner([]byte(secret))
	if err != nil {
		return err
	}
	hasher, err := auth.NewHasher(m.Config.SecretHashCost)
	if err != nil {
		return err
	}
	if m.metricsLn != nil {
		m.Metrics = metrics.New()
		for name, db := range m.Store.Pools() {
			m.Metrics.AddDB(name, db)
		}
		m.Metrics.AddThrottleSize(m.Store.ThrottleSize)
	}
	svc := &auth.Service{
		Clients: m.Store, Admins: m.Store, Tokens: m.Store, Metrics: m.Metrics,
		Hasher: hasher, Signer: signer, Log: m.Log,
		MFA: m.Store, Settings: m.Store, RequireAdminMFA: m.Config.RequireAdminMFA,
		// The throttle's state is in the database: every instance on it
		// shares one allowance (docs/SECURITY.md).
		Throttle:  auth.NewThrottle(m.Store, []byte(secret), auth.DefaultThrottlePolicy),
		HashLimit: auth.NewHashLimit(m.Config.MaxConcurrentHashes, auth.HashWait),
		TokenTTL:  m.Config.TokenTTL, AdminTokenTTL: m.Config.AdminTokenTTL,
	}
	generated, err := svc.EnsureAdmin(ctx, m.Config.AdminUsername, m.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("set up admin: %w", err)
	}
	if generated != "" {
		username := m.Config.AdminUsername
		if username == "" {
			username = "admin"
		}
		fmt.Fprintf(m.Stdout, "\nCreated admin %q with a generated password, shown only this once:\n\n    %s\n\n"+
			"Set ADMIN_USERNAME and ADMIN_PASSWORD to choose your own.\n\n", username, generated)
	}
	webhookSecret := m.openCalling()
	m.App = httpserver.New(httpserver.Config{Log: m.Log, TrustedProxies: m.Config.TrustedProxies, Metrics: m.Metrics})
	(&api.Server{
		Auth: svc, Clients: m.Store, Ping: m.Store.Ping, Ready: m.Store.Ready, Log: m.Log,
		Calls: m.Store, Events: m.Store, Calling: m.Calling, WebhookSecret: webhookSecret, PublicBaseURL: m.Config.PublicBaseURL,
	}).Register(m.App)
	sessionKeys := [][]byte{[]byte(secret)}
	if len(m.Config.SessionKeys) > 0 {
		sessionKeys = nil
		for _, k := range m.Config.SessionKeys {
			sessionKeys = append(sessionKeys, []byte(k))
		}
	}
	(&web.Server{
		Auth: svc, Clients: m.Store, Events: m.Store, Log: m.Log, Calls: m.Store, Calling: m.Calling,
		SessionKeys: sessionKeys, SessionTTL: m.Config.AdminTokenTTL, PublicBaseURL: m.Config.PublicBaseURL,
	}).Register(m.App)
	return nil
}

// openCalling sets up calling as the config says: through ElevenLabs, with
// the simulator, or off. It returns the secret that webhooks are checked
// with: ELEVENLABS_WEBHOOK_SECRET, or for the simulator a new one of its own.
func (m *Main) openCalling() (webhookSecret string) {
	m.Calling = &calling.Service{Calls: m.Store, Log: m.Log, Metrics: m.Metrics}
	webhookSecret = m.Config.ElevenLabsWebhookSecret
	switch m.Config.CallingMode() {
	case "elevenlabs":
		m.Calling.Dialer = elevenlabs.New(m.Config.ElevenLabsAPIURL, m.Config.ElevenLabsAPIKey, nil)
	case "simulated":
		if webhookSecret == "" {
			webhookSecret = auth.GenerateSecret()
		}
		m.simulator = &elevenlabs.Simulator{Secret: webhookSecret, Deliver: m.deliverToSelf, Delay: m.Config.SimulateCallsDelay}
		m.Calling.Dialer, m.Calling.Simulated = m.simulator, true
	}
	return webhookSecret
}

// deliverToSelf posts a simulated webhook to this server's own webhook
// route, so it goes through the signature check like a real one.
func (m *Main) deliverToSelf(body []byte, signature string) {
	base, _ := m.selfURL.Load().(string)
	req, err := http.NewRequest(http.MethodPost, base+api.WebhookPath, bytes.NewReader(body))
	if err != nil {
		m.Log.Error("simulated webhook", "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(elevenlabs.SignatureHeader, signature)
	res, err := selfClient.Do(req)
	if err != nil {
		m.Log.Error("simulated webhook", "err", err)
		return
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		m.Log.Error("simulated webhook refused", "status", res.StatusCode)
	}
}

var selfClient = &http.Client{Timeout: 10 * time.Second}

// callingLine says in one line how calls are placed and which URL to
// register in ElevenLabs as the post-call webhook.
func (m *Main) callingLine(self string) (msg string, attrs []any) {
	switch m.Config.CallingMode() {
	case "simulated":
		return "calling simulated (SIMULATE_CALLS=1): no real call is placed", []any{"webhook", self + api.WebhookPath}
	case "elevenlabs":
		webhook := "set PUBLIC_BASE_URL to print it"
		if m.Config.PublicBaseURL != "" {
			webhook = m.Config.PublicBaseURL + api.WebhookPath
		}
		if m.Config.ElevenLabsWebhookSecret == "" {
			webhook += " (ELEVENLABS_WEBHOOK_SECRET is not set: the webhook answers 503)"
		}
		return "calling through ElevenLabs", []any{"api", m.Config.ElevenLabsAPIURL, "webhook", webhook}
	}
	return "calling off: set ELEVENLABS_API_KEY, or SIMULATE_CALLS=1 to try it", nil
}

// reconcileInterval is how often stale calls are looked for.
const reconcileInterval = 30 * time.Second

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 10 * time.Second

// Serve answers requests on ln until ctx ends, then lets in-flight requests
// finish and closes the database.
func (m *Main) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	self := "http://" + ln.Addr().String()
	m.selfURL.Store(self)
	go func() { errc <- m.App.Listener(ln) }()
	m.Log.Info("listening", "addr", self, "database", m.Store.Dialect())
	msg, attrs := m.callingLine(self)
	m.Log.Info(msg, attrs...)
	if m.pprofLn != nil {
		// Profiles take up to their seconds parameter (30 s by default), so
		// no write timeout; the listener closes with the server.
		ps := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second}
		go ps.Serve(m.pprofLn)
		defer ps.Close()
		m.Log.Info("pprof listening", "addr", "http://"+m.pprofLn.Addr().String()+"/debug/pprof/")
	}
	if m.metricsLn != nil {
		ms := &http.Server{Handler: metricsHandler(m.Metrics), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		go ms.Serve(m.metricsLn)
		defer ms.Close()
		m.Log.Info("metrics listening", "addr", "http://"+m.metricsLn.Addr().String()+"/metrics")
	}
	reconcileCtx, stopReconciling := context.WithCancel(ctx)
	reconciled := make(chan struct{})
	go func() { defer close(reconciled); m.Calling.Run(reconcileCtx, reconcileInterval) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		m.Log.Info("shutting down")
		if m.simulator != nil {
			m.simulator.Close()
		}
		serveErr = m.App.ShutdownWithTimeout(shutdownTimeout)
	}
	// The reconciler stops before the database closes under it.
	stopReconciling()
	<-reconciled
	return errors.Join(serveErr, m.Close())
}

// backup copies the SQLite database to file without stopping a server that
// uses it. It opens the database as it is: no migration, and no new empty
// database when DATABASE_URL names a missing file.
func (m *Main) backup(ctx context.Context, file string) error {
	path, isSQLite, err := store.SQLiteFile(m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	if !isSQLite {
		return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database to back up: %w", err)
	}
	s, err := store.Open(ctx, m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, file); err != nil {
		return err
	}
	m.Log.Info("backup written", "file", file)
	return nil
}

// Close closes the database.
func (m *Main) Close() error {
	if m.Store == nil {
		return nil
	}
	return m.Store.Close()
}
