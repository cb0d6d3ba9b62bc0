package auth

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

// An owner resets ada's password: the old password and ada's token stop
// working at once; the link sets a new one, once; two-factor stays.
func TestResetAdminPassword(t *testing.T) {
	m := newMFATester(t)
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
	hash, err := m.Hasher.Hash("root's password")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.store.CreateAdmin(ctx, &switchboard.Admin{Username: "root", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	secret, _ := m.enable(t)
	m.clock.advance(30 * time.Second)
	_, token, _, err := m.LoginAdmin(ctx, "ada", "the password", codeAt(t, secret, m.clock.t), ip)
	if err != nil {
		t.Fatalf("LoginAdmin before the reset: %v", err)
	}

	if _, err := m.ResetAdminPassword(ctx, "nobody"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
		t.Errorf("ResetAdminPassword(nobody) = %v, want ENOTFOUND", err)
	}
	link, err := m.ResetAdminPassword(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(link) != 64 {
		t.Errorf("token = %q, want 64 hex digits", link)
	}
	if _, _, err := m.Admin(ctx, token); switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED {
		t.Errorf("Admin(token from before the reset) = %v, want EUNAUTHORIZED", err)
	}
	m.clock.advance(30 * time.Second)
	_, _, _, err = m.LoginAdmin(ctx, "ada", "the password", codeAt(t, secret, m.clock.t), ip)
	checkErr(t, err, switchboard.EUNAUTHORIZED, MsgInvalidAdminLogin)

	if _, err := m.AcceptAdminInvite(ctx, link, "ada's new long password", ip); err != nil {
		t.Fatalf("AcceptAdminInvite(reset link): %v", err)
	}
	_, err = m.AcceptAdminInvite(ctx, link, "another long password", ip)
	checkErr(t, err, switchboard.EUNAUTHORIZED, MsgInvalidInvite)

	// The new password, and still the second factor.
	_, _, _, err = m.LoginAdmin(ctx, "ada", "ada's new long password", "", ip)
	checkErr(t, err, switchboard.EUNAUTHORIZED, MsgMFARequired)
	m.clock.advance(30 * time.Second)
	if _, _, _, err := m.LoginAdmin(ctx, "ada", "ada's new long password", codeAt(t, secret, m.clock.t), ip); err != nil {
		t.Errorf("LoginAdmin with the new password and a code: %v", err)
	}
	_, _, _, err = m.LoginAdmin(ctx, "ada", "the password", codeAt(t, secret, m.clock.t.Add(30*time.Second)), ip)
	checkErr(t, err, switchboard.EUNAUTHORIZED, MsgInvalidAdminLogin)

	// The last owner who can sign in: refused.
	if err := m.store.DeleteAdmin(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ResetAdminPassword(ctx, "root"); switchboard.ErrorCode(err) != switchboard.ECONFLICT {
		t.Errorf("ResetAdminPassword(last owner) = %v, want ECONFLICT", err)
	}
}
