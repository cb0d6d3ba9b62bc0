package store

import (
	"testing"
	"time"
)

// SetClock makes t read the time from now, for tests of expiry and purging.
func (t *CSRFTokens) SetClock(now func() time.Time) { t.now = now }

// CSRFRows returns every csrf_tokens row as key_hash → value, for tests that
// check what is stored.
func (s *Store) CSRFRows(t testing.TB) map[string]string {
	t.Helper()
	var rows []struct {
		KeyHash string
		Value   []byte
	}
	if err := s.db.Raw("SELECT key_hash, value FROM csrf_tokens").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.KeyHash] = string(r.Value)
	}
	return out
}

// Exec runs a statement on the database, for tests that break it on purpose.
func (s *Store) Exec(t testing.TB, sql string) {
	t.Helper()
	if err := s.db.Exec(sql).Error; err != nil {
		t.Fatal(err)
	}
}
