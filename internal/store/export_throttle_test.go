package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// CountRows counts the rows of table, for tests of what the store keeps.
func (s *Store) CountRows(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := s.sqlDB.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// SeedRevokedTokens stores n revocations of clientID's never-expiring tokens
// in a few statements, for tests of the cap on them.
func (s *Store) SeedRevokedTokens(t testing.TB, clientID string, n int) {
	t.Helper()
	for done := 0; done < n; {
		batch := min(n-done, 200)
		args := make([]any, 0, 3*batch)
		for i := range batch {
			args = append(args, fmt.Sprintf("seed_%s_%d", clientID, done+i), clientID, time.Now().UTC())
		}
		q := "INSERT INTO revoked_tokens (jti, client_id, revoked_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", batch), ", ")
		if err := s.db.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
		done += batch
	}
}
