package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

func TestStore_Ready(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		if err := s.Ready(ctx); err != nil {
			t.Errorf("Ready on a migrated store = %v", err)
		}
	})
	t.Run("ErrMigrationsPending", func(t *testing.T) {
		s, err := store.Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "migrations pending") {
			t.Errorf("Ready before Migrate = %v, want migrations pending", err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		s := storetest.Open(t, store.SQLite)
		s.Close()
		if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "database unreachable") {
			t.Errorf("Ready after Close = %v, want database unreachable", err)
		}
	})
}

func TestStore_Backup(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		c := &switchboard.Client{ID: "backed_up", AgentID: "agent_1", TwilioPhoneNumber: "+18001234567",
			Meta: switchboard.ClientMeta{FullName: "Backed Up", Email: "b@example.com", Phone: "+12125551234"}, SecretHash: "hash"}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "copy.db")
		err := s.Backup(ctx, file)
		if s.Dialect() == store.Postgres {
			if err == nil || !strings.Contains(err.Error(), "pg_dump") {
				t.Errorf("Backup on PostgreSQL = %v, want a pointer to pg_dump", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("backup file mode = %v, %v; want 0600", info.Mode().Perm(), err)
		}
		copied, err := store.Open(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		defer copied.Close()
		if err := copied.Ready(ctx); err != nil {
			t.Errorf("the copy is not a ready database: %v", err)
		}
		got, err := copied.FindClientByID(ctx, "backed_up")
		if err != nil || got.SecretHash != "hash" || got.Meta.Email != "b@example.com" {
			t.Errorf("client in the copy = %+v, %v", got, err)
		}
		if err := s.Backup(ctx, file); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("Backup over an existing file = %v, want refused", err)
		}
	})
}

func TestOpen_PrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "private.db")
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s mode = %v, %v; want %v", p, info.Mode().Perm(), err, want)
		}
	}
}

// TestOpen_Durable: an acknowledged write is synced to disk before the answer
// (synchronous=FULL), unless the URL asks otherwise.
func TestOpen_Durable(t *testing.T) {
	for url, want := range map[string]int{
		filepath.Join(t.TempDir(), "durable.db"):                       2, // FULL
		filepath.Join(t.TempDir(), "fast.db") + "?_synchronous=NORMAL": 1,
	} {
		s, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.SQLiteSynchronous(t); got != want {
			t.Errorf("%s: PRAGMA synchronous = %d, want %d", url, got, want)
		}
		s.Close()
	}
}

// TestClientService_UpdateClient_ConcurrentFields: updates of different
// fields of one client, at the same time, all land: none writes back a
// stale copy of a field another one changed.
func TestClientService_UpdateClient_ConcurrentFields(t *testing.T) {
	ctx := context.Background()
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		c := &switchboard.Client{ID: "contended", AgentID: "agent_1", TwilioPhoneNumber: "+18001234567",
			Meta: switchboard.ClientMeta{FullName: "Before", Email: "c@example.com", Phone: "+12125551234"}, SecretHash: "h"}
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		for round := range 10 {
			v := fmt.Sprintf("round %d", round)
			updates := []switchboard.ClientUpdate{
				{Meta: switchboard.ClientMetaUpdate{City: &v}},
				{Meta: switchboard.ClientMetaUpdate{JobTitle: &v}},
				{Meta: switchboard.ClientMetaUpdate{Notes: &v}},
				{Meta: switchboard.ClientMetaUpdate{BusinessName: &v}},
				{Meta: switchboard.ClientMetaUpdate{FullName: &v}},
				{AgentID: ptr(fmt.Sprintf("agent_%d", round))},
			}
			var wg sync.WaitGroup
			for _, upd := range updates {
				wg.Go(func() {
					if _, err := s.UpdateClient(ctx, "contended", upd); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got, err := s.FindClientByID(ctx, "contended")
			if err != nil {
				t.Fatal(err)
			}
			m := got.Meta
			if m.City != v || m.JobTitle != v || m.Notes != v || m.BusinessName != v || m.FullName != v ||
				got.AgentID != fmt.Sprintf("agent_%d", round) {
				t.Fatalf("round %d: an update was lost: %+v agent %s", round, m, got.AgentID)
			}
		}
	})
}
