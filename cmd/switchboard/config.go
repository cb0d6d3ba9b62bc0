package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/internal/auth"
	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// Config is everything the service reads from its environment. It is read
// once, here; nothing below cmd looks at the environment.
type Config struct {
	Host        string
	Port        int
	DatabaseURL string
	// ServerSecret signs tokens. Empty: one is generated and kept in the
	// database, so tokens survive a restart.
	ServerSecret   string
	AdminUsername  string
	AdminPassword  string
	SecretHashCost int
	// TokenTTL is the client token lifetime; 0 means no expiry.
	TokenTTL      time.Duration
	AdminTokenTTL time.Duration
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// SessionKeys sign and encrypt browser session cookies, the first for new
	// cookies. Empty: derived from the server secret.
	SessionKeys []string
	// MaxConcurrentHashes bounds the sign-ins' bcrypt comparisons that run at
	// once; by default all cores but one.
	MaxConcurrentHashes int

	// ElevenLabsAPIKey turns calling on; ElevenLabsAPIURL is where the API is.
	ElevenLabsAPIKey string
	ElevenLabsAPIURL string
	// ElevenLabsWebhookSecret checks the post-call webhook; empty: it answers 503.
	ElevenLabsWebhookSecret string
	// SimulateCalls places calls with the in-process simulator instead.
	SimulateCalls bool
	// RequireAdminMFA (REQUIRE_ADMIN_MFA=1) requires two-factor sign-in of
	// every admin, as an owner's stored setting can (auth.Service): one
	// without it is sent to set it up before any other console page, and
	// refused every /admin route.
	RequireAdminMFA bool
	// SimulateCallsDelay is how long a simulated call takes to get its
	// outcome; 0: the simulator's own (3 s). Tests shorten it.
	SimulateCallsDelay time.Duration
	// PublicBaseURL is where ElevenLabs reaches this server, for the webhook
	// URL printed at start-up; never taken from a request's Host header.
	PublicBaseURL string

	// PprofAddr, when set, serves net/http/pprof on its own listener
	// (host:port), apart from the API so it is never exposed with it.
	PprofAddr string
	// MetricsAddr, when set, serves Prometheus metrics at /metrics on its
	// own listener (host:port), so they are never public by accident.
	MetricsAddr string
}

// DefaultElevenLabsAPIURL is ELEVENLABS_API_URL's default.
const DefaultElevenLabsAPIURL = "https://api.elevenlabs.io"

// CallingMode says how calls are placed: "elevenlabs", "simulated" or "off".
func (c Config) CallingMode() string {
	switch {
	case c.SimulateCalls:
		return "simulated"
	case c.ElevenLabsAPIKey != "":
		return "elevenlabs"
	}
	return "off"
}

// Config bounds.
const (
	minServerSecretLength  = 32
	minAdminPasswordLength = 12
)

// LoadConfig reads the environment through getenv, fills defaults and
// validates. Its errors are one line naming the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		ElevenLabsAPIKey:        getenv("ELEVENLABS_API_KEY"),
		ElevenLabsAPIURL:        strings.TrimSuffix(getenv("ELEVENLABS_API_URL"), "/"),
		ElevenLabsWebhookSecret: getenv("ELEVENLABS_WEBHOOK_SECRET"),
		PublicBaseURL:           strings.TrimSuffix(getenv("PUBLIC_BASE_URL"), "/"),
		Host:                    "127.0.0.1",
		Port:                    8080,
		DatabaseURL:             getenv("DATABASE_URL"),
		ServerSecret:            getenv("SERVER_SECRET"),
		AdminUsername:           getenv("ADMIN_USERNAME"),
		AdminPassword:           getenv("ADMIN_PASSWORD"),
		AdminTokenTTL:           12 * time.Hour,

		MaxConcurrentHashes: auth.DefaultMaxConcurrentHashes(),
	}
	if v := getenv("HOST"); v != "" {
		cfg.Host = v
	}
	if v := getenv("PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 0 || port > 65535 {
			return cfg, fmt.Errorf("PORT must be a number from 0 to 65535, not %q", v)
		}
		cfg.Port = port
	}
	if _, _, err := store.ParseURL(cfg.DatabaseURL); err != nil {
		return cfg, err
	}
	if cfg.ServerSecret != "" && len(cfg.ServerSecret) < minServerSecretLength {
		return cfg, fmt.Errorf("SERVER_SECRET must be at least %d characters (or unset, to have one generated)", minServerSecretLength)
	}
	if v := getenv("SESSION_KEYS"); v != "" {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); len(k) < minServerSecretLength {
				return cfg, fmt.Errorf("SESSION_KEYS must be a comma-separated list of keys of at least %d characters each", minServerSecretLength)
			}
			cfg.SessionKeys = append(cfg.SessionKeys, k)
		}
	}
	if cfg.AdminPassword != "" && len(cfg.AdminPassword) < minAdminPasswordLength {
		return cfg, fmt.Errorf("ADMIN_PASSWORD must be at least %d characters", minAdminPasswordLength)
	}
	if cfg.AdminPassword != "" && len(cfg.AdminPassword) > switchboard.MaxSecretLength {
		return cfg, fmt.Errorf("ADMIN_PASSWORD must be at most %d bytes (bcrypt ignores the rest)", switchboard.MaxSecretLength)
	}
	if cfg.AdminPassword != "" && cfg.AdminUsername == "" {
		cfg.AdminUsername = "admin"
	}
	if v := getenv("SECRET_HASH_COST"); v != "" {
		cost, err := strconv.Atoi(v)
		if err != nil || cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
			return cfg, fmt.Errorf("SECRET_HASH_COST must be a bcrypt cost from %d to %d, not %q", bcrypt.MinCost, bcrypt.MaxCost, v)
		}
		cfg.SecretHashCost = cost
	}
	if v := getenv("MAX_CONCURRENT_HASHES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("MAX_CONCURRENT_HASHES must be a whole number of at least 1, not %q", v)
		}
		cfg.MaxConcurrentHashes = n
	}
	var err error
	if cfg.TokenTTL, err = duration(getenv, "TOKEN_TTL", 0); err != nil {
		return cfg, err
	}
	if cfg.AdminTokenTTL, err = duration(getenv, "ADMIN_TOKEN_TTL", cfg.AdminTokenTTL); err != nil {
		return cfg, err
	}
	if cfg.AdminTokenTTL == 0 {
		return cfg, fmt.Errorf("ADMIN_TOKEN_TTL must be more than 0: admin tokens always expire")
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return cfg, fmt.Errorf("TRUSTED_PROXIES must list IP addresses or CIDR ranges, not %q", p)
			}
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	for _, side := range []struct {
		name string
		addr *string
	}{{"PPROF_ADDR", &cfg.PprofAddr}, {"METRICS_ADDR", &cfg.MetricsAddr}} {
		name, addr := side.name, side.addr
		v := getenv(name)
		if v == "" {
			continue
		}
		host, port, err := net.SplitHostPort(v)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
			return cfg, fmt.Errorf("%s must be host:port such as 127.0.0.1:6060, not %q", name, v)
		}
		*addr = v
	}
	if err := cfg.loadCalling(getenv); err != nil {
		return cfg, err
	}
	switch v := getenv("REQUIRE_ADMIN_MFA"); v {
	case "", "0", "false":
	case "1", "true":
		cfg.RequireAdminMFA = true
	default:
		return cfg, fmt.Errorf("REQUIRE_ADMIN_MFA must be 1 or 0, not %q", v)
	}
	return cfg, nil
}

// loadCalling checks the calling settings.
func (cfg *Config) loadCalling(getenv func(string) string) error {
	switch v := getenv("SIMULATE_CALLS"); v {
	case "", "0", "false":
	case "1", "true":
		cfg.SimulateCalls = true
	default:
		return fmt.Errorf("SIMULATE_CALLS must be 1 or 0, not %q", v)
	}
	var err error
	if cfg.SimulateCallsDelay, err = duration(getenv, "SIMULATE_CALLS_DELAY", 0); err != nil {
		return err
	}
	if cfg.SimulateCallsDelay > time.Hour {
		return errors.New("SIMULATE_CALLS_DELAY must be at most 1h")
	}
	if cfg.SimulateCalls && cfg.ElevenLabsAPIKey != "" {
		return errors.New("SIMULATE_CALLS and ELEVENLABS_API_KEY are both set: simulate, or call through ElevenLabs, not both")
	}
	if cfg.ElevenLabsAPIURL == "" {
		cfg.ElevenLabsAPIURL = DefaultElevenLabsAPIURL
	}
	if !httpURL(cfg.ElevenLabsAPIURL) {
		return fmt.Errorf("ELEVENLABS_API_URL must be an http or https URL, not %q", cfg.ElevenLabsAPIURL)
	}
	if cfg.PublicBaseURL != "" && !httpURL(cfg.PublicBaseURL) {
		return fmt.Errorf("PUBLIC_BASE_URL must be an http or https URL, not %q", cfg.PublicBaseURL)
	}
	if s := cfg.ElevenLabsWebhookSecret; s != "" && len(s) < 16 {
		return errors.New("ELEVENLABS_WEBHOOK_SECRET must be at least 16 characters (ElevenLabs generates a longer one)")
	}
	return nil
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// duration reads a Go duration ("90m", "24h"); "" gives def, and "0" means none.
func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s must be a duration such as 24h or 90m, not %q", name, v)
	}
	return d, nil
}
