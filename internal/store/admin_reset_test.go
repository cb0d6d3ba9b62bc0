package store_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

func TestAdminPasswordReset(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	find := func(t *testing.T, s *store.Store, username string) *switchboard.Admin {
		t.Helper()
		a, err := s.FindAdminByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	latest := func(t *testing.T, s *store.Store) *switchboard.Event {
		t.Helper()
		evs, err := s.FindEvents(ctx, 1)
		if err != nil || len(evs) != 1 {
			t.Fatalf("FindEvents = %v, %v", evs, err)
		}
		return evs[0]
	}

	// An admin still invited has no password to reset: the reset gives it a
	// new invitation, and the trail says so, not that a password was reset.
	each(t, "Reinvite", func(t *testing.T, s *store.Store) {
		if err := s.InviteAdmin(ctx, &switchboard.Admin{Username: "newbie", Role: switchboard.RoleViewer}, "first-hash", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetAdminPassword(ctx, "newbie", "second-hash", at.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminInvited || e.Detail != "newbie (viewer)" || e.Actor != "admin:root" {
			t.Errorf("latest event = %s %q by %s, want %s \"newbie (viewer)\" by admin:root", e.Action, e.Detail, e.Actor, switchboard.EventAdminInvited)
		}
		if got := find(t, s, "newbie"); got.Status() != "invited" {
			t.Errorf("newbie = %s, want invited", got.Status())
		}
		_, err := s.AcceptAdminInvite(ctx, "first-hash", "pw-hash", at)
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
		if _, err := s.AcceptAdminInvite(ctx, "second-hash", "pw-hash", at); err != nil {
			t.Errorf("the new invitation: %v", err)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminJoined {
			t.Errorf("latest event = %s, want %s", e.Action, switchboard.EventAdminJoined)
		}
	})

	each(t, "ResetThenSet", func(t *testing.T, s *store.Store) {
		for _, u := range []string{"root", "ops"} {
			if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: u, PasswordHash: "old-" + u}); err != nil {
				t.Fatal(err)
			}
		}
		before := find(t, s, "ops")
		if before.Invited || before.PasswordReset || before.Status() != "active" {
			t.Fatalf("ops before = %+v, want active", before)
		}
		if err := s.ResetAdminPassword(ctx, "ops", "reset-hash", at.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := find(t, s, "ops")
		if got.PasswordHash != "" || got.TokenVersion != before.TokenVersion+1 || !got.PasswordReset || got.Invited || got.Status() != "reset" {
			t.Errorf("ops after reset = %+v, want no password, token version %d, status reset", got, before.TokenVersion+1)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminPasswordReset || e.Detail != "ops" || e.Actor != "admin:root" {
			t.Errorf("event = %s %q by %s, want %s \"ops\" by admin:root", e.Action, e.Detail, e.Actor, switchboard.EventAdminPasswordReset)
		}
		// The reset's link sets the new password: the admin is active again,
		// and the event says a password was set, not that anyone joined.
		_, err := s.AcceptAdminInvite(ctx, "reset-hash", "new-hash", at.Add(48*time.Hour))
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
		a, err := s.AcceptAdminInvite(ctx, "reset-hash", "new-hash", at)
		if err != nil {
			t.Fatal(err)
		}
		if a.PasswordHash != "new-hash" || a.Status() != "active" || a.TokenVersion != before.TokenVersion+2 {
			t.Errorf("accepted = %+v", a)
		}
		if got := find(t, s, "ops"); got.Status() != "active" || got.PasswordHash != "new-hash" {
			t.Errorf("ops after the new password = %+v", got)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminPasswordSet || e.Detail != "ops" || e.Actor != "admin:ops" {
			t.Errorf("event = %s %q by %s, want %s \"ops\" by admin:ops", e.Action, e.Detail, e.Actor, switchboard.EventAdminPasswordSet)
		}
		_, err = s.AcceptAdminInvite(ctx, "reset-hash", "again", at)
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
	})

	each(t, "DisabledComesFirst", func(t *testing.T, s *store.Store) {
		for _, u := range []string{"root", "ops"} {
			if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: u, PasswordHash: "h"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetAdminDisabled(ctx, "ops", true); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetAdminPassword(ctx, "ops", "reset-hash", at); err != nil {
			t.Fatal(err)
		}
		if got := find(t, s, "ops"); got.Status() != "disabled" || !got.PasswordReset {
			t.Errorf("ops = %+v (%s), want disabled and reset", got, got.Status())
		}
	})

	each(t, "ErrConflictLastOwner", func(t *testing.T, s *store.Store) {
		// The system, not root itself: root may reset no password of its own.
		ctx := context.Background()
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "root", PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		before := find(t, s, "root")
		checkErr(t, s.ResetAdminPassword(ctx, "root", "reset-hash", at), switchboard.ECONFLICT, "The last owner's password cannot be reset", "")
		if got := find(t, s, "root"); *got != *before {
			t.Errorf("root after the refusal = %+v, want %+v", got, before)
		}
		if evs, err := s.FindEvents(ctx, 10); err != nil || len(evs) != 0 {
			t.Errorf("events after the refusal = %v, %v; want none", evs, err)
		}
		_, err := s.AcceptAdminInvite(ctx, "reset-hash", "x", at.Add(-time.Hour))
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
		// A second owner may be reset, but then it is no owner to lean on:
		// root is still the last one who can sign in.
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "root2", PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetAdminPassword(ctx, "root2", "reset-hash", at); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.ResetAdminPassword(ctx, "root", "other-hash", at), switchboard.ECONFLICT, "The last owner's password cannot be reset", "")
		checkErr(t, s.SetAdminRole(ctx, "root", switchboard.RoleViewer), switchboard.ECONFLICT,
			"The last owner cannot be disabled, demoted or deleted", "")
	})

	// An owner resets no password or two-factor of its own, even with other
	// owners: its token alone must not take its account over.
	each(t, "ErrConflictItself", func(t *testing.T, s *store.Store) {
		for _, name := range []string{"root", "root2"} {
			if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: name, PasswordHash: "h"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetMFASecret(ctx, "root", "sealed"); err != nil {
			t.Fatal(err)
		} else if err := s.EnableMFA(ctx, "root", 0, nil); err != nil {
			t.Fatal(err)
		}
		before := find(t, s, "root")
		checkErr(t, s.ResetAdminPassword(ctx, "root", "reset-hash", at), switchboard.ECONFLICT,
			"You cannot reset your own password: change it on your Security page", "")
		checkErr(t, s.ResetMFA(ctx, "root"), switchboard.ECONFLICT, "You cannot reset your own two-factor sign-in: ask another owner", "")
		if got := find(t, s, "root"); *got != *before {
			t.Errorf("root after the refusals = %+v, want %+v", got, before)
		}
		if evs, err := s.FindEvents(ctx, 10); err != nil || len(evs) != 0 {
			t.Errorf("events after the refusals = %v, %v; want none", evs, err)
		}
	})

	each(t, "ErrNotFound", func(t *testing.T, s *store.Store) {
		checkErr(t, s.ResetAdminPassword(ctx, "nobody", "reset-hash", at), switchboard.ENOTFOUND, "Admin not found", "")
		checkErr(t, s.ResetMFA(ctx, "nobody"), switchboard.ENOTFOUND, "Admin not found", "")
	})

	each(t, "SetPasswordEndsTheLink", func(t *testing.T, s *store.Store) {
		for _, u := range []string{"root", "ops"} {
			if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: u, PasswordHash: "h"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ResetAdminPassword(ctx, "ops", "reset-hash", at); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdminPasswordHash(ctx, "ops", "from-env"); err != nil {
			t.Fatal(err)
		}
		if got := find(t, s, "ops"); got.Status() != "active" || got.PasswordHash != "from-env" {
			t.Errorf("ops = %+v", got)
		}
		_, err := s.AcceptAdminInvite(ctx, "reset-hash", "x", at.Add(-time.Hour))
		checkErr(t, err, switchboard.ENOTFOUND, "Invalid or expired invitation", "")
	})

	// A new password, the admin's own change or the environment's, ends
	// every token (the version moves on) and is in the trail, by whoever
	// the context names; an unknown admin changes and records nothing.
	each(t, "SetPasswordIsRecorded", func(t *testing.T, s *store.Store) {
		if err := s.CreateAdmin(ctx, &switchboard.Admin{Username: "ops", PasswordHash: "old"}); err != nil {
			t.Fatal(err)
		}
		before := find(t, s, "ops")
		self := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("ops"))
		if err := s.SetAdminPasswordHash(self, "ops", "new"); err != nil {
			t.Fatal(err)
		}
		if got := find(t, s, "ops"); got.PasswordHash != "new" || got.TokenVersion != before.TokenVersion+1 {
			t.Errorf("ops = %+v, want hash new, token version %d", got, before.TokenVersion+1)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminPasswordChanged || e.Detail != "ops" || e.Actor != "admin:ops" || e.ClientID != "" {
			t.Errorf("event = %s %q %q by %s, want %s \"ops\" by admin:ops", e.Action, e.ClientID, e.Detail, e.Actor, switchboard.EventAdminPasswordChanged)
		}
		if err := s.SetAdminPasswordHash(context.Background(), "ops", "from-env"); err != nil {
			t.Fatal(err)
		}
		if e := latest(t, s); e.Action != switchboard.EventAdminPasswordChanged || e.Actor != switchboard.SystemActor {
			t.Errorf("event = %s by %s, want %s by the system", e.Action, e.Actor, switchboard.EventAdminPasswordChanged)
		}
		trail, err := s.FindEvents(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.SetAdminPasswordHash(ctx, "nobody", "x"), switchboard.ENOTFOUND, "Admin not found", "")
		if after, err := s.FindEvents(ctx, 10); err != nil || len(after) != len(trail) {
			t.Errorf("events after a refused change = %d, %v; want %d", len(after), err, len(trail))
		}
	})
}

func TestAdminMFAReset(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
	each(t, "OK", func(t *testing.T, s *store.Store) {
		mfaAdmin(t, s, "root")
		mfaAdmin(t, s, "ada")
		mfaAdmin(t, s, "bob")
		for _, u := range []string{"ada", "bob"} {
			if err := s.SetMFASecret(ctx, u, "sealed"); err != nil {
				t.Fatal(err)
			}
			if err := s.EnableMFA(ctx, u, 7, []string{"h1", "h2"}); err != nil {
				t.Fatal(err)
			}
		}
		admins, err := s.ListAdmins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var twoFactor []string
		for _, a := range admins {
			if a.TwoFactor {
				twoFactor = append(twoFactor, a.Username)
			}
		}
		if len(twoFactor) != 2 || twoFactor[0] != "ada" || twoFactor[1] != "bob" {
			t.Errorf("ListAdmins: two-factor on for %v, want ada, bob", twoFactor)
		}
		before, err := s.FindAdminByUsername(ctx, "ada")
		if err != nil || !before.TwoFactor {
			t.Fatalf("ada = %+v, %v; want two-factor on", before, err)
		}

		if err := s.ResetMFA(ctx, "ada"); err != nil {
			t.Fatal(err)
		}
		if got := mfaState(t, s, "ada"); got != (switchboard.MFAState{}) {
			t.Errorf("ada's state after the reset = %+v, want zero (no secret, no recovery codes)", got)
		}
		if got := mfaState(t, s, "bob"); !got.Enabled || got.RecoveryCodes != 2 {
			t.Errorf("bob's state = %+v, want untouched", got)
		}
		after, err := s.FindAdminByUsername(ctx, "ada")
		if err != nil || after.TwoFactor || after.TokenVersion != before.TokenVersion+1 {
			t.Errorf("ada after the reset = %+v, %v; want two-factor off, token version %d", after, err, before.TokenVersion+1)
		}
		evs, err := s.FindEvents(ctx, 1)
		if err != nil || len(evs) != 1 {
			t.Fatal(evs, err)
		}
		if e := evs[0]; e.Action != switchboard.EventAdminMFAReset || e.Detail != "ada" || e.Actor != "admin:root" {
			t.Errorf("event = %s %q by %s", e.Action, e.Detail, e.Actor)
		}

		// Nothing to reset: refused, and nothing changes.
		checkErr(t, s.ResetMFA(ctx, "ada"), switchboard.ECONFLICT, "Two-factor sign-in is not enabled", "")
		if err := s.SetMFASecret(ctx, "root", "pending"); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.ResetMFA(context.Background(), "root"), switchboard.ECONFLICT, "Two-factor sign-in is not enabled", "")
		if got := mfaState(t, s, "root"); got.Secret != "pending" {
			t.Errorf("root's set-up after the refusal = %+v, want it kept", got)
		}
		if a, err := s.FindAdminByUsername(ctx, "ada"); err != nil || a.TokenVersion != after.TokenVersion {
			t.Errorf("ada after the refusal = %+v, %v; want token version %d", a, err, after.TokenVersion)
		}
		if evs, err := s.FindEvents(ctx, 10); err != nil || len(evs) != 1 {
			t.Errorf("%d events after the refusals, want 1 (%v)", len(evs), err)
		}
	})
}

// Migration 00018: the admins with a password have joined; one without is
// still invited, not reset.
func TestMigrations_AdminJoinedAt(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, storetest.URL(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.MigrateTo(t, 17) // the last before it
			s.InsertOldAdmin(t, "root", "pw-hash")
			s.InsertOldAdmin(t, "newbie", "")
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for username, want := range map[string]string{"root": "active", "newbie": "invited"} {
				a, err := s.FindAdminByUsername(ctx, username)
				if err != nil {
					t.Fatal(err)
				}
				if a.Status() != want {
					t.Errorf("%s after the migration: %s, want %s", username, a.Status(), want)
				}
			}
		})
	}
}
