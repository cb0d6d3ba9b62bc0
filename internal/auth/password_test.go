package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

func TestService_ChangeAdminPassword(t *testing.T) {
	ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
	const (
		password = "correct-horse-battery"
		next     = "a-new-long-admin-password"
	)
	// setup stores root and signs it in: the admin as its token finds it,
	// and the token.
	setup := func(t *testing.T, st *store.Store) (testService, *switchboard.Admin, string) {
		t.Helper()
		s := newServiceOn(t, st)
		if _, err := s.EnsureAdmin(ctx, "root", password); err != nil {
			t.Fatal(err)
		}
		_, token, _, err := s.LoginAdmin(ctx, "root", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := s.Admin(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		return s, a, token
	}

	t.Run("OK", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s, a, token := setup(t, st)
			change := storetest.StartChange(t, st)
			updated, err := s.ChangeAdminPassword(ctx, a, password, next, ip)
			if err != nil {
				t.Fatal(err)
			}
			if updated.Username != "root" || updated.TokenVersion != a.TokenVersion+1 {
				t.Errorf("updated = %+v, want root at token version %d", updated, a.TokenVersion+1)
			}
			change.WantActor(t, "admin:root", switchboard.EventAdminPasswordChanged)

			// Every earlier token ends; one issued for the updated admin works.
			if _, _, err := s.Admin(ctx, token); switchboard.ErrorCode(err) != switchboard.EUNAUTHORIZED {
				t.Errorf("old token: %v, want EUNAUTHORIZED", err)
			}
			fresh, expires, err := s.IssueAdminToken(updated)
			if err != nil {
				t.Fatal(err)
			}
			if got, claims, err := s.Admin(ctx, fresh); err != nil || got.Username != "root" || !claims.ExpiresAt.Time.Equal(expires.Truncate(time.Second)) {
				t.Errorf("new token: %v, %+v, %v; want root until %v", got, claims, err, expires)
			}
			// The old password is refused, the new one signs in.
			_, _, _, err = s.LoginAdmin(ctx, "root", password, "", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
			if _, _, _, err := s.LoginAdmin(ctx, "root", next, "", ip); err != nil {
				t.Errorf("sign-in with the new password: %v", err)
			}
		})
	})

	tests := []struct {
		name, current, next string
		wantCode, wantMsg   string
	}{
		{"ErrUnauthorizedWrongCurrent", "correct-horse-batterz", next, switchboard.EUNAUTHORIZED, "Current password is incorrect"},
		{"ErrUnauthorizedEmptyCurrent", "", next, switchboard.EUNAUTHORIZED, "Current password is incorrect"},
		{"ErrInvalidShort", password, "eleven-char", switchboard.EINVALID, "newPassword must be at least 12 characters"},
		{"ErrInvalidLong", password, strings.Repeat("n", 73), switchboard.EINVALID, "newPassword must be at most 72 bytes"},
		{"ErrInvalidSame", password, password, switchboard.EINVALID, "newPassword must differ from the current password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
				s, a, token := setup(t, st)
				change := storetest.StartChange(t, st)
				updated, err := s.ChangeAdminPassword(ctx, a, tt.current, tt.next, ip)
				e := checkErr(t, err, tt.wantCode, tt.wantMsg)
				if tt.wantCode == switchboard.EINVALID && e.Fields["newPassword"] != tt.wantMsg {
					t.Errorf(`Fields["newPassword"] = %q, want %q`, e.Fields["newPassword"], tt.wantMsg)
				}
				if updated != nil {
					t.Errorf("admin %+v returned with an error", updated)
				}
				// Nothing changed: the token and the password still work,
				// and the trail has nothing new.
				if _, _, err := s.Admin(ctx, token); err != nil {
					t.Errorf("token after a refused change: %v", err)
				}
				if _, _, _, err := s.LoginAdmin(ctx, "root", password, "", ip); err != nil {
					t.Errorf("sign-in after a refused change: %v", err)
				}
				change.WantNone(t)
			})
		})
	}

	// An owner's reset that commits while the admin's own change is checking
	// the current password wins: the change is refused, the password stays
	// reset, and the reset's link is the one way back in.
	t.Run("ErrConflictResetMeanwhile", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s, a, _ := setup(t, st)
			if err := st.CreateAdmin(ctx, &switchboard.Admin{Username: "boss", PasswordHash: "h", Role: switchboard.RoleOwner}); err != nil {
				t.Fatal(err)
			}
			boss := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("boss"))
			link, err := s.ResetAdminPassword(boss, "root")
			if err != nil {
				t.Fatal(err)
			}
			change := storetest.StartChange(t, st)
			updated, err := s.ChangeAdminPassword(ctx, a, password, next, ip) // a: as read before the reset
			checkErr(t, err, switchboard.ECONFLICT, "Your sign-in changed meanwhile (a reset by an owner?): sign in again")
			if updated != nil {
				t.Errorf("admin %+v returned with an error", updated)
			}
			change.WantNone(t)
			if got, err := st.FindAdminByUsername(ctx, "root"); err != nil || !got.PasswordReset {
				t.Errorf("root after the refused change = %+v, %v; want its password still reset", got, err)
			}
			_, _, _, err = s.LoginAdmin(ctx, "root", next, "", ip)
			checkErr(t, err, switchboard.EUNAUTHORIZED, "Invalid credentials")
			if _, err := s.AcceptAdminInvite(ctx, link, next, ip); err != nil {
				t.Errorf("the reset's link after the refused change: %v", err)
			}
		})
	})

	// A wrong current password is a failed sign-in of the admin: after 10,
	// even the right one is throttled, and so is signing in.
	t.Run("ErrThrottled", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, st *store.Store) {
			s, a, token := setup(t, st)
			for range 10 {
				_, err := s.ChangeAdminPassword(ctx, a, "guess-guess-guess", next, ip)
				checkErr(t, err, switchboard.EUNAUTHORIZED, "Current password is incorrect")
			}
			_, err := s.ChangeAdminPassword(ctx, a, password, next, ip)
			if e := checkErr(t, err, switchboard.ETHROTTLED, msgThrottled); e.RetryAfter <= 0 {
				t.Errorf("RetryAfter = %v, want > 0", e.RetryAfter)
			}
			_, _, _, err = s.LoginAdmin(ctx, "root", password, "", otherIP)
			checkErr(t, err, switchboard.ETHROTTLED, msgThrottled)
			if _, _, err := s.Admin(ctx, token); err != nil {
				t.Errorf("token after throttled changes: %v", err)
			}
		})
	})
}
