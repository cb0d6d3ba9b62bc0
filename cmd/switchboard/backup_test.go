package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackup_Online copies the database with `switchboard backup` while a
// server is using it, then serves the copy, as the README's restore says.
func TestBackup_Online(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	ctx := testContext(t)
	dir := t.TempDir()
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": filepath.Join(dir, "live.db"),
		"SECRET_HASH_COST": "4", "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": adminPass,
	}
	srv := startServer(ctx, t, env)
	adminToken := srv.do("POST", "/auth/admin/login", "", map[string]string{"username": "admin", "password": adminPass}).
		expect(t, "admin login", 200).str(t, "token")
	srv.do("POST", "/admin/clients", adminToken, createBody).expect(t, "create client", 201)
	clientToken := srv.do("POST", "/auth/login", "", map[string]string{"clientId": clientID, "clientSecret": clientSecret}).
		expect(t, "client login", 200).str(t, "token")

	backupFile := filepath.Join(dir, "copy.db")
	backup := func(file string) (string, error) {
		cmd := exec.CommandContext(ctx, binary(t), "backup", file)
		cmd.Env = []string{"DATABASE_URL=" + env["DATABASE_URL"]}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := backup(backupFile); err != nil {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	if out, err := backup(backupFile); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("a second backup to the same file = %v, %q; want refused", err, out)
	}
	// The live server is unaffected.
	srv.do("GET", "/secure/client", clientToken, nil).expect(t, "live server after backup", 200)
	if code := srv.stop(ctx); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	// Restore: serve the copy. Clients, secrets and the signing secret came along.
	env["DATABASE_URL"] = backupFile
	restored := startServer(ctx, t, env)
	restored.do("GET", "/secure/client", clientToken, nil).expect(t, "old token on the restored copy", 200).
		fields(t, "restored client", map[string]any{"clientId": clientID, "clientMeta.email": "john@example.com"})
	restored.do("POST", "/auth/login", "", map[string]string{"clientId": clientID, "clientSecret": clientSecret}).
		expect(t, "client login on the restored copy", 200)
	restored.stop(ctx)
}
