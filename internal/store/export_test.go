package store

import (
	"strings"
	"testing"

	"switchboard/internal/switchboard"
)

// SQLiteSynchronous reads PRAGMA synchronous (0 OFF, 1 NORMAL, 2 FULL), for
// tests of the connection settings.
func (s *Store) SQLiteSynchronous(t testing.TB) int {
	t.Helper()
	var mode int
	if err := s.sqlDB.QueryRow("PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

// MigrateTo applies the migrations up to version and no further, for
// tests of a migration against rows stored before it.
func (s *Store) MigrateTo(t testing.TB, version int64) {
	t.Helper()
	p, err := s.migrator(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatal(err)
	}
}

// InsertOldClient stores c as the code of migration 00012's time did: no
// name_key, and a search key of the name, email and business name alone.
func (s *Store) InsertOldClient(t testing.TB, c *switchboard.Client) {
	t.Helper()
	c.Normalize()
	row := clientColumns(c)
	delete(row, "name_key")
	row["search_key"] = strings.ToLower(c.Meta.FullName + "\n" + c.Meta.Email + "\n" + c.Meta.BusinessName)
	t0 := now()
	row["client_id"], row["secret_hash"], row["token_version"], row["created_at"], row["updated_at"] = c.ID, "hash", 1, t0, t0
	if err := s.db.Model(&clientRow{}).Create(row).Error; err != nil {
		t.Fatal(err)
	}
}

// Keys are the search and name keys of the stored client.
func (s *Store) Keys(t testing.TB, clientID string) (search, name string) {
	t.Helper()
	var row clientRow
	if err := s.db.Where("client_id = ?", clientID).Take(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row.SearchKey, row.NameKey
}

// SearchKeyOf is searchKey, for the migration's test.
var SearchKeyOf = searchKey

// InsertOldAdmin stores an admin as the code before migration 00018 did:
// no joined_at; an invited admin is one without a password hash.
func (s *Store) InsertOldAdmin(t testing.TB, username, passwordHash string) {
	t.Helper()
	t0 := now()
	err := s.db.Exec("INSERT INTO admins (username, password_hash, token_version, role, created_at, updated_at) VALUES (?, ?, 1, 'owner', ?, ?)",
		username, passwordHash, t0, t0).Error
	if err != nil {
		t.Fatal(err)
	}
}
