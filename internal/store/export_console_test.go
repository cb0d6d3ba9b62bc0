package store

import (
	"testing"
)

// Exec runs a statement on the database, for tests that break it on purpose.
func (s *Store) Exec(t testing.TB, sql string) {
	t.Helper()
	if err := s.db.Exec(sql).Error; err != nil {
		t.Fatal(err)
	}
}
