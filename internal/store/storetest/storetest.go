// Package storetest opens throwaway databases for tests: a SQLite file in the
// test's temp folder always, and a fresh PostgreSQL schema when
// TEST_DATABASE_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for schema set-up

	"switchboard/internal/store"
)

// EachDialect runs fn as a subtest per database: "sqlite" always, and
// "postgres" when TEST_DATABASE_URL is set. Without it the PostgreSQL subtest
// skips with a message, except under CI, where it fails: CI must test both.
func EachDialect(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			fn(t, Open(t, dialect))
		})
	}
}

// Open returns a migrated, empty store of the dialect, closed when t ends.
func Open(t testing.TB, dialect string) *store.Store {
	t.Helper()
	return OpenURL(t, URL(t, dialect))
}

// OpenTwice returns two stores opened separately on one migrated, empty
// database of the dialect, each with its own connections, as two instances
// of the service would have them.
func OpenTwice(t testing.TB, dialect string) (*store.Store, *store.Store) {
	t.Helper()
	rawURL := URL(t, dialect)
	return OpenURL(t, rawURL), OpenURL(t, rawURL)
}

// OpenURL opens and migrates the store at rawURL, closed when t ends.
func OpenURL(t testing.TB, rawURL string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s store: %v", s.Dialect(), err)
	}
	return s
}

// URL returns a DATABASE_URL for an empty database of the dialect, removed
// when t ends: a SQLite file in t.TempDir(), or a new PostgreSQL schema.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == store.SQLite {
		// Tests cut no power: an fsync per commit would only slow them. The
		// crash test in cmd/switchboard runs the binary with the default, FULL.
		return filepath.Join(t.TempDir(), "test.db") + "?_synchronous=NORMAL"
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema on TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
