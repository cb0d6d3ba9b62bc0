package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenClientQueryPlan: the read behind every client request looks up
// the client and the revoked token by their unique indexes; neither table is
// scanned, however many rows they hold.
func TestTokenClientQueryPlan(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var steps []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := s.db.Raw("EXPLAIN QUERY PLAN "+tokenClientQuery, "jti", "client").Scan(&steps).Error; err != nil {
		t.Fatal(err)
	}
	var plan []string
	for _, st := range steps {
		plan = append(plan, st.Detail)
	}
	got := strings.Join(plan, "\n")
	for _, want := range []string{
		"SEARCH clients USING INDEX clients_client_id_key (client_id=?)",
		"SEARCH revoked_tokens USING COVERING INDEX sqlite_autoindex_revoked_tokens_1 (jti=?)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "SCAN") {
		t.Errorf("plan scans a table:\n%s", got)
	}
}
