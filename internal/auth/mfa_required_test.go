package auth

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
	"switchboard/internal/switchboard"
)

// TestMFASetupRequired: the one decision both transports ask. Nothing
// requires two-factor sign-in until an owner's stored setting or the
// environment does; then an admin without it must set it up, and one
// with it passes. The environment's requirement cannot be turned off.
func TestMFASetupRequired(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, s *store.Store) {
		ts := newServiceOn(t, s)
		ts.MFA, ts.Settings = s, s
		ctx := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("root"))
		ada := &switchboard.Admin{Username: "ada", PasswordHash: "unused"}
		if err := s.CreateAdmin(ctx, ada); err != nil {
			t.Fatal(err)
		}
		mustSetUp := func(want bool) {
			t.Helper()
			a, err := s.FindAdminByUsername(ctx, "ada") // as each request reads it
			if err != nil {
				t.Fatal(err)
			}
			got, err := ts.MFASetupRequired(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("MFASetupRequired = %v, want %v", got, want)
			}
		}
		requirement := func(want MFARequirement) {
			t.Helper()
			got, err := ts.AdminMFARequirement(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("AdminMFARequirement = %+v, want %+v", got, want)
			}
		}
		events := func() int {
			t.Helper()
			e, err := s.FindEvents(ctx, switchboard.MaxEventLimit)
			if err != nil {
				t.Fatal(err)
			}
			return len(e)
		}

		mustSetUp(false)
		requirement(MFARequirement{})

		if err := ts.SetAdminMFARequired(ctx, true); err != nil {
			t.Fatal(err)
		}
		requirement(MFARequirement{Stored: true})
		mustSetUp(true)
		e, err := s.FindEvents(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(e) != 1 || e[0].Action != switchboard.EventTeamMFARequired || e[0].Actor != "admin:root" {
			t.Errorf("events = %+v, want %s by admin:root", e, switchboard.EventTeamMFARequired)
		}

		// Off again, but the environment requires it: the owners cannot
		// turn that off, and the refusal changes nothing.
		if err := ts.SetAdminMFARequired(ctx, false); err != nil {
			t.Fatal(err)
		}
		mustSetUp(false)
		ts.RequireAdminMFA = true
		requirement(MFARequirement{ByEnvironment: true})
		mustSetUp(true)
		before := events()
		checkErr(t, ts.SetAdminMFARequired(ctx, false), switchboard.ECONFLICT, errRequiredByEnvironment.Message)
		if events() != before {
			t.Error("a refused change recorded an event")
		}

		// With two-factor on, the admin passes.
		setup, err := ts.SetupMFA(ctx, ada)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.ConfirmMFA(ctx, ada, codeAt(t, setup.Secret, time.Now()), ip); err != nil {
			t.Fatal(err)
		}
		mustSetUp(false)
	})
}

// Without a settings store only the environment counts.
func TestMFASetupRequiredWithoutSettings(t *testing.T) {
	ts := newService(t)
	ts.MFA = ts.store
	ada := &switchboard.Admin{Username: "ada", PasswordHash: "unused"}
	if err := ts.store.CreateAdmin(context.Background(), ada); err != nil {
		t.Fatal(err)
	}
	for _, env := range []bool{false, true} {
		ts.RequireAdminMFA = env
		if got, err := ts.MFASetupRequired(context.Background(), ada); err != nil || got != env {
			t.Errorf("REQUIRE_ADMIN_MFA %v: MFASetupRequired = %v, %v; want %v", env, got, err, env)
		}
	}
}
