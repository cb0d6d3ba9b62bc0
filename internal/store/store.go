// Package store implements the domain services on SQL through GORM: an
// embedded SQLite file by default, PostgreSQL when the URL says so. GORM types
// never leave this package; callers see only switchboard types and errors.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"switchboard/internal/switchboard"
	"switchboard/migrations"
)

// DefaultSQLitePath is where the database lives when no URL is given.
const DefaultSQLitePath = "data/switchboard.db"

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is an open database. Its methods implement switchboard.ClientService,
// AdminService and TokenService.
type Store struct {
	db      *gorm.DB
	rdb     *gorm.DB // the list reads outside transactions: db but for a SQLite file (on readDB)
	sqlDB   *sql.DB
	readDB  *sql.DB // the kept statements' connections: sqlDB but for a SQLite file
	dialect string

	mu       sync.Mutex
	provider *goose.Provider // built once, by migrator()

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // the kept statements of prepared.go
}

var (
	_ switchboard.ClientService = (*Store)(nil)
	_ switchboard.AdminService  = (*Store)(nil)
	_ switchboard.TokenService  = (*Store)(nil)
)

// ParseURL tells which dialect a DATABASE_URL selects and returns the DSN its
// driver takes: postgres:// and postgresql:// select PostgreSQL; anything else
// is a SQLite file path, optionally written sqlite://path or file:path.
func ParseURL(raw string) (dialect, dsn string, err error) {
	switch {
	case raw == "":
		return SQLite, sqliteDSN(DefaultSQLitePath, nil), nil
	case hasPrefixFold(raw, "postgres://"), hasPrefixFold(raw, "postgresql://"):
		scheme, rest, _ := strings.Cut(raw, "://")
		dsn := strings.ToLower(scheme) + "://" + rest // pgx knows the scheme in lower case only
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fmt.Errorf("DATABASE_URL is not a valid URL")
		}
		return Postgres, dsn, nil
	}
	path, query, err := sqliteFile(raw)
	if err != nil {
		return "", "", err
	}
	return SQLite, sqliteDSN(path, query), nil
}

// SQLiteFile returns the file a SQLite DATABASE_URL names, and false for a
// PostgreSQL one.
func SQLiteFile(raw string) (string, bool, error) {
	if dialect, _, err := ParseURL(raw); err != nil || dialect != SQLite {
		return "", false, err
	}
	if raw == "" {
		return DefaultSQLitePath, true, nil
	}
	path, _, err := sqliteFile(raw)
	return path, err == nil, err
}

// sqliteFile splits sqlite://path?query, file:path?query or path?query.
func sqliteFile(raw string) (string, url.Values, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite://"), "file:")
	var query url.Values
	if i := strings.IndexByte(path, '?'); i >= 0 {
		q, err := url.ParseQuery(path[i+1:])
		if err != nil {
			return "", nil, fmt.Errorf("DATABASE_URL has a malformed query: %w", err)
		}
		path, query = path[:i], q
	}
	if path == "" {
		return "", nil, errors.New("DATABASE_URL names no SQLite file")
	}
	return path, query, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sqliteDSN adds the connection settings the store relies on to the user's:
// WAL so readers never block the writer, synchronous=FULL so a write that was
// acknowledged survives a power cut too (the driver's WAL default, NORMAL,
// survives only a process crash; FULL costs one fsync per commit, about 3 ms
// here, see docs/RELIABILITY.md), a busy timeout so a second process waits
// instead of failing, foreign keys (off by default in SQLite) for the
// cascades, and IMMEDIATE transactions so a transaction takes the write lock
// when it starts rather than failing when it upgrades. A setting in the URL
// wins over these.
func sqliteDSN(path string, query url.Values) string {
	if query == nil {
		query = url.Values{}
	}
	for k, v := range map[string]string{
		"_journal_mode": "WAL", "_synchronous": "FULL", "_busy_timeout": "10000", "_foreign_keys": "on",
		"_txlock": "immediate",
	} {
		if query.Get(k) == "" {
			query.Set(k, v)
		}
	}
	return "file:" + path + "?" + query.Encode()
}

// Open connects to the database that rawURL names (see ParseURL) and checks
// that it answers. It does not migrate: call Migrate.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	dialect, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var dialector gorm.Dialector
	if dialect == Postgres {
		dialector = postgres.Open(dsn)
	} else {
		path := strings.TrimPrefix(dsn[:strings.IndexByte(dsn, '?')], "file:")
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
			if err := createPrivate(path); err != nil {
				return nil, fmt.Errorf("create database file: %w", err)
			}
		}
		dialector = sqlite.Open(dsn)
	}
	gormConfig := func() *gorm.Config {
		return &gorm.Config{
			// GORM's logger prints statements with their values, and some values
			// are secret hashes: the store reports errors to its callers instead.
			Logger:  logger.Discard,
			NowFunc: now,
			// Each statement is its own transaction already; GORM's extra
			// BEGIN/COMMIT around single writes only costs a round trip.
			SkipDefaultTransaction: true,
		}
	}
	db, err := gorm.Open(dialector, gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	var readDB *sql.DB
	if dialect == SQLite {
		// SQLite has one writer at a time. One connection serializes writes in
		// the process instead of letting them race for the lock, so no request
		// ever sees SQLITE_BUSY.
		sqlDB.SetMaxOpenConns(1)
		// The kept statements (prepared.go), the reads of every signed-in
		// request, and the client lists run on connections of their own, so they use both cores
		// instead of queueing for the writer's: in WAL mode a read sees
		// every transaction committed before it began, so a revocation or a
		// suspension is seen by the next request as before. (":memory:" is
		// a database per connection: there it shares the writer's.)
		if !strings.Contains(dsn, ":memory:") {
			if readDB, err = sql.Open("sqlite3", dsn+"&_query_only=1"); err != nil {
				sqlDB.Close()
				return nil, err
			}
			readDB.SetMaxOpenConns(2 * runtime.GOMAXPROCS(0))
			readDB.SetMaxIdleConns(2 * runtime.GOMAXPROCS(0))
		}
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, rdb: db, sqlDB: sqlDB, readDB: sqlDB, dialect: dialect}
	if readDB != nil {
		s.readDB = readDB
		if s.rdb, err = gorm.Open(sqlite.Dialector{Conn: readDB}, gormConfig()); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return s, nil
}

// createPrivate creates path, empty and readable by its owner only, unless
// it exists. The database holds secret hashes and contact details; SQLite
// gives its -wal and -shm files the same mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return err
	}
	return f.Close()
}

// now is the store's clock: UTC at millisecond precision, which is what the
// API shows and what both databases round-trip exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Dialect returns SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.sqlDB.PingContext(ctx) }

// Close closes the connections.
func (s *Store) Close() error {
	s.closeStmts()
	if s.readDB != s.sqlDB {
		s.readDB.Close()
	}
	return s.sqlDB.Close()
}

// Migrate applies every pending migration. On PostgreSQL an advisory lock,
// keyed by the schema, keeps instances that start together from racing.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrator(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ready reports why the store cannot serve yet: the database does not
// answer, or migrations are pending (another instance may be applying them).
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	p, err := s.migrator(ctx)
	if err != nil {
		return err
	}
	if pending, err := p.HasPending(ctx); err != nil {
		return fmt.Errorf("read migration state: %w", err)
	} else if pending {
		return errors.New("migrations pending")
	}
	return nil
}

// migrator returns the goose provider over this dialect's migrations.
func (s *Store) migrator(ctx context.Context) (*goose.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	fsys, err := fs.Sub(migrations.FS, s.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		var schema string
		if err := s.sqlDB.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, err
		}
		h := fnv.New64a()
		h.Write([]byte("switchboard migrations " + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.sqlDB, fsys, opts...)
	if err != nil {
		return nil, err
	}
	s.provider = p
	return p, nil
}

// Backup writes a consistent copy of the SQLite database to path while the
// service keeps running (VACUUM INTO reads one snapshot; writers go on). The
// copy is a complete database: restore by putting it where DATABASE_URL
// points while the service is stopped. path must not exist yet.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump")
	}
	// VACUUM INTO writes into an empty file, so create it first: private, and
	// refusing to replace anything that is already there.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; choose a new file", path)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Setting returns the value stored under key, storing value first if the key
// has none. Instances racing to set it all read back the one that won.
func (s *Store) Setting(ctx context.Context, key, value string) (string, error) {
	err := s.db.WithContext(ctx).Exec(
		"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value).Error
	if err != nil {
		return "", fmt.Errorf("store setting: %w", err)
	}
	var stored string
	if err := s.db.WithContext(ctx).Raw("SELECT value FROM settings WHERE key = ?", key).Scan(&stored).Error; err != nil {
		return "", fmt.Errorf("read setting: %w", err)
	}
	return stored, nil
}

// storableKey reports whether key can name a row. PostgreSQL refuses text
// with a NUL or invalid UTF-8 with an error, so such a key, which no stored row
// can have, is answered "not found" before it reaches the database, as SQLite
// answers it.
func storableKey(key string) bool {
	return utf8.ValidString(key) && strings.IndexByte(key, 0) < 0
}

// wrap is the store's one translation of an error for its callers. nil stays
// nil. An error a user may see (a *switchboard.Error: not found, conflict,
// invalid input) passes as it is: the store builds those where it knows the
// row and the values, so that "Client not found" or a conflict's Details
// name them. Any other error is a database failure, wrapped with the
// operation's name for the log.
func wrap(op string, err error) error {
	if err == nil || switchboard.ErrorCode(err) != switchboard.EINTERNAL {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// uniqueViolation reports whether err is a unique-constraint violation and,
// if so, which of our unique keys it hit ("client_id", "email_key", ...).
func uniqueViolation(err error) (key string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) && liteErr.ExtendedCode == sqlite3.ErrConstraintUnique {
		// "UNIQUE constraint failed: clients.email_key"
		return liteErr.Error(), true
	}
	return "", false
}
