package store

import "testing"

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

// SetSearchKey overwrites a client's stored search key, as an older
// version of the code wrote it.
func (s *Store) SetSearchKey(t testing.TB, clientID, key string) {
	t.Helper()
	if err := s.db.Exec("UPDATE clients SET search_key = ? WHERE client_id = ?", key, clientID).Error; err != nil {
		t.Fatal(err)
	}
}

// SearchKey is the search key of the stored client.
func (s *Store) SearchKey(t testing.TB, clientID string) string {
	t.Helper()
	var key string
	if err := s.db.Raw("SELECT search_key FROM clients WHERE client_id = ?", clientID).Scan(&key).Error; err != nil {
		t.Fatal(err)
	}
	return key
}

// SearchKeyOf is searchKey, for the migration's test.
var SearchKeyOf = searchKey
