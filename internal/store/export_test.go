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
