package store_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

func TestAdminRoles(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))

	create := func(t *testing.T, s *store.Store, username string, role switchboard.Role) {
		t.Helper()
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: username, PasswordHash: "h", Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	find := func(t *testing.T, s *store.Store, username string) *switchboard.Admin {
		t.Helper()
		a, err := s.FindAdminByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	each(t, "OK", func(t *testing.T, s *store.Store) {
		create(t, s, "root", "") // as before roles: an owner
		create(t, s, "ops", switchboard.RoleOperator)
		if a := find(t, s, "root"); a.Role != switchboard.RoleOwner || a.Disabled {
			t.Errorf("root = %q, disabled %v; want owner, enabled", a.Role, a.Disabled)
		}
		if err := s.SetAdminRole(ctx, "ops", switchboard.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdminDisabled(ctx, "ops", true); err != nil {
			t.Fatal(err)
		}
		if a := find(t, s, "ops"); a.Role != switchboard.RoleViewer || !a.Disabled {
			t.Errorf("ops = %q, disabled %v; want viewer, disabled", a.Role, a.Disabled)
		}
		events, err := s.FindEvents(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ action, detail string }{
			{switchboard.EventAdminDisabled, "ops"},
			{switchboard.EventAdminRoleChanged, "ops: operator → viewer"},
		}
		if len(events) != len(want) {
			t.Fatalf("%d events, want %d", len(events), len(want))
		}
		for i, w := range want {
			if e := events[i]; e.Action != w.action || e.Detail != w.detail || e.Actor != "admin:root" {
				t.Errorf("event %d = %s %q by %s; want %s %q by admin:root", i, e.Action, e.Detail, e.Actor, w.action, w.detail)
			}
		}
	})

	each(t, "ErrConflictLastOwner", func(t *testing.T, s *store.Store) {
		create(t, s, "root", switchboard.RoleOwner)
		create(t, s, "ops", switchboard.RoleOperator)
		const msg = "The last owner cannot be disabled, demoted or deleted"
		checkErr(t, s.SetAdminRole(ctx, "root", switchboard.RoleOperator), switchboard.ECONFLICT, msg, "")
		checkErr(t, s.SetAdminDisabled(ctx, "root", true), switchboard.ECONFLICT, msg, "")
		if a := find(t, s, "root"); a.Role != switchboard.RoleOwner || a.Disabled {
			t.Errorf("root = %q, disabled %v; want owner, enabled (unchanged)", a.Role, a.Disabled)
		}
		// With a second owner, the first may step down.
		if err := s.SetAdminRole(ctx, "ops", switchboard.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdminRole(ctx, "root", switchboard.RoleViewer); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.SetAdminDisabled(ctx, "ops", true), switchboard.ECONFLICT, msg, "")
	})

	each(t, "ErrInvalidRole", func(t *testing.T, s *store.Store) {
		create(t, s, "root", switchboard.RoleOwner)
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "x", PasswordHash: "h", Role: "god"}); switchboard.ErrorCode(err) != switchboard.EINVALID {
			t.Errorf("CreateAdmin(role god) = %v, want EINVALID", err)
		}
		if err := s.SetAdminRole(ctx, "root", "god"); switchboard.ErrorCode(err) != switchboard.EINVALID {
			t.Errorf("SetAdminRole(god) = %v, want EINVALID", err)
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		checkErr(t, s.SetAdminRole(ctx, "nobody", switchboard.RoleViewer), switchboard.ENOTFOUND, "Admin not found", "")
		checkErr(t, s.SetAdminDisabled(ctx, "nobody", true), switchboard.ENOTFOUND, "Admin not found", "")
	})

	each(t, "Invite", func(t *testing.T, s *store.Store) {
		create(t, s, "root", switchboard.RoleOwner)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		a := &switchboard.Admin{Username: "alice", Role: switchboard.RoleOwner}
		if err := s.InviteAdmin(ctx, a, "hash-of-token", at.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.InviteAdmin(ctx, &switchboard.Admin{Username: "alice", Role: switchboard.RoleViewer}, "other", at),
			switchboard.ECONFLICT, `Admin "alice" already exists`, "")
		if got := find(t, s, "alice"); !got.Invited || got.Status() != "invited" || got.PasswordHash != "" {
			t.Errorf("alice = %+v, want invited without a password", got)
		}
		// An invited owner is no owner yet: root is still the last one.
		checkErr(t, s.SetAdminRole(ctx, "root", switchboard.RoleViewer), switchboard.ECONFLICT,
			"The last owner cannot be disabled, demoted or deleted", "")
		_, err := s.AcceptAdminInvite(ctx, "hash-of-token", "pw-hash", at.Add(48*time.Hour))
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
		got, err := s.AcceptAdminInvite(ctx, "hash-of-token", "pw-hash", at.Add(47*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "alice" || got.Invited || got.PasswordHash != "pw-hash" {
			t.Errorf("accepted = %+v", got)
		}
		_, err = s.AcceptAdminInvite(ctx, "hash-of-token", "pw-hash-2", at)
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")

		admins, err := s.ListAdmins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(admins) != 2 || admins[0].Username != "alice" || admins[1].Username != "root" {
			t.Errorf("ListAdmins = %+v, want alice, root", admins)
		}
		if err := s.DeleteAdmin(ctx, "root"); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.DeleteAdmin(ctx, "alice"), switchboard.ECONFLICT, "The last owner cannot be disabled, demoted or deleted", "")
		checkErr(t, s.DeleteAdmin(ctx, "root"), switchboard.ENOTFOUND, "Admin not found", "")
	})
}
