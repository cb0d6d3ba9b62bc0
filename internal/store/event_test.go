package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// ev is an event without its id and time, for comparisons.
type ev struct{ Actor, Action, ClientID, Detail string }

func (e ev) String() string {
	return fmt.Sprintf("{%s %s %s %q}", e.Actor, e.Action, e.ClientID, e.Detail)
}

// allEvents returns every stored event, oldest first, checking on the way
// that each has an id and a UTC time at millisecond precision.
func allEvents(t *testing.T, s *store.Store) []ev {
	t.Helper()
	got, err := s.FindEvents(context.Background(), switchboard.MaxEventLimit)
	if err != nil {
		t.Fatalf("FindEvents: %v", err)
	}
	out := make([]ev, len(got))
	for i, e := range got {
		if e.ID == 0 {
			t.Errorf("event %d has no ID", i)
		}
		if e.CreatedAt.IsZero() || e.CreatedAt.Location() != time.UTC || !e.CreatedAt.Equal(e.CreatedAt.Truncate(time.Millisecond)) {
			t.Errorf("event %d CreatedAt = %v, want a UTC time at millisecond precision", i, e.CreatedAt)
		}
		out[len(got)-1-i] = ev{e.Actor, e.Action, e.ClientID, e.Detail}
	}
	return out
}

// wantEvents asserts the stored events, oldest first, are exactly want.
func wantEvents(t *testing.T, s *store.Store, want ...ev) {
	t.Helper()
	got := allEvents(t, s)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events =\n%v\nwant\n%v", got, want)
	}
}

// latestEvent returns the newest event.
func latestEvent(t *testing.T, s *store.Store) *switchboard.Event {
	t.Helper()
	got, err := s.FindEvents(context.Background(), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("FindEvents(1) = %v, %v; want one event", got, err)
	}
	return got[0]
}

const alice = "admin:alice"

func TestEventService_Mutations(t *testing.T) {
	admin := switchboard.NewContextWithActor(context.Background(), switchboard.AdminActor("alice"))
	self := switchboard.NewContextWithActor(context.Background(), switchboard.ClientActor("client_a"))

	each(t, "CreateClient", func(t *testing.T, s *store.Store) {
		wantEvents(t, s)
		c := newClient("client_a", "john@example.com")
		if err := s.CreateClient(admin, c); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, s, ev{alice, switchboard.EventClientCreated, "client_a", "Active"})
		if got := latestEvent(t, s).CreatedAt; !got.Equal(c.CreatedAt) {
			t.Errorf("event CreatedAt = %v, want the client's %v", got, c.CreatedAt)
		}

		// Refused creations write nothing: a taken id, a taken email, a bad field.
		for _, bad := range []*switchboard.Client{
			newClient("client_a", "other@example.com"),
			newClient("client_b", "JOHN@example.com"),
			func() *switchboard.Client {
				c := newClient("client_c", "c@example.com")
				c.Meta.Phone = "555"
				return c
			}(),
		} {
			if err := s.CreateClient(admin, bad); err == nil {
				t.Fatalf("CreateClient(%q, %q) succeeded", bad.ID, bad.Meta.Email)
			}
		}
		b := newClient("client_b", "jane@example.com")
		b.Status = switchboard.StatusInactive
		if err := s.CreateClient(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, s,
			ev{alice, switchboard.EventClientCreated, "client_a", "Active"},
			ev{switchboard.SystemActor, switchboard.EventClientCreated, "client_b", "Inactive"})
	})

	each(t, "UpdateClient", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		mustCreate(t, s, newClient("client_b", "jane@example.com"))
		created := []ev{
			{switchboard.SystemActor, switchboard.EventClientCreated, "client_a", "Active"},
			{switchboard.SystemActor, switchboard.EventClientCreated, "client_b", "Active"},
		}
		steps := []struct {
			name string
			ctx  context.Context
			upd  switchboard.ClientUpdate
			want *ev // nil: no event
		}{
			{"Fields", admin, switchboard.ClientUpdate{
				AgentID: ptr("agent_new"), Meta: switchboard.ClientMetaUpdate{Phone: ptr("+442071234567")},
			}, &ev{alice, switchboard.EventClientUpdated, "client_a", "clientMeta.phone, agentId"}},
			{"EveryField", admin, switchboard.ClientUpdate{
				Meta: switchboard.ClientMetaUpdate{
					FullName: ptr("Jane Roe"), Email: ptr("roe@example.org"), Phone: ptr("+12125550000"),
					BusinessName: ptr("Roe Ltd"), City: ptr("London"), JobTitle: ptr("CTO"), Notes: ptr("private words"),
				},
				AgentID: ptr("agent_2"), TwilioPhoneNumber: ptr("+18005550000"),
			}, &ev{alice, switchboard.EventClientUpdated, "client_a",
				"clientMeta.fullName, clientMeta.email, clientMeta.phone, clientMeta.businessName, clientMeta.city, " +
					"clientMeta.jobTitle, clientMeta.notes, agentId, twilioPhoneNumber"}},
			{"OwnContact", self, switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Notes: ptr("other words")}},
				&ev{"client:client_a", switchboard.EventClientUpdated, "client_a", "clientMeta.notes"}},
			{"EmailCase", admin, switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{Email: ptr("Roe@Example.org")}},
				&ev{alice, switchboard.EventClientUpdated, "client_a", "clientMeta.email"}},
			{"Status", admin, switchboard.ClientUpdate{Status: ptr(switchboard.StatusSuspended)},
				&ev{alice, switchboard.EventClientStatusChanged, "client_a", "Active → Suspended"}},
			{"StatusAndFields", admin, switchboard.ClientUpdate{
				Status: ptr(switchboard.StatusActive), AgentID: ptr("agent_3"),
				Meta: switchboard.ClientMetaUpdate{City: ptr(""), FullName: ptr("Jane Roe")},
			}, &ev{alice, switchboard.EventClientStatusChanged, "client_a", "Suspended → Active; also: clientMeta.city, agentId"}},
			{"StatusSame", admin, switchboard.ClientUpdate{Status: ptr(switchboard.StatusActive)}, nil},
			{"SameValues", admin, switchboard.ClientUpdate{
				Status: ptr(switchboard.StatusActive), AgentID: ptr("agent_3"),
				Meta: switchboard.ClientMetaUpdate{FullName: ptr("  Jane Roe "), City: ptr(""), Email: ptr("Roe@Example.org")},
			}, nil},
			{"Empty", admin, switchboard.ClientUpdate{}, nil},
		}
		var want []ev
		want = append(want, created...)
		for _, st := range steps {
			if _, err := s.UpdateClient(st.ctx, "client_a", st.upd); err != nil {
				t.Fatalf("%s: UpdateClient: %v", st.name, err)
			}
			if st.want != nil {
				want = append(want, *st.want)
			}
			t.Logf("after %s", st.name)
			wantEvents(t, s, want...)
		}
		if got, c := latestEvent(t, s).CreatedAt, mustFind(t, s, "client_a"); !got.Equal(c.UpdatedAt) {
			t.Errorf("event CreatedAt = %v, want the client's UpdatedAt %v", got, c.UpdatedAt)
		}
		for _, e := range allEvents(t, s) {
			if strings.Contains(e.Detail, "words") || strings.Contains(e.Detail, "London") || strings.Contains(e.Detail, "@") {
				t.Errorf("event detail %q carries a value", e.Detail)
			}
		}

		// Refused updates write nothing: invalid, conflicting, unknown client.
		for _, bad := range []struct {
			id  string
			upd switchboard.ClientUpdate
		}{
			{"client_a", switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive), Meta: switchboard.ClientMetaUpdate{Phone: ptr("555")}}},
			{"client_a", switchboard.ClientUpdate{Status: ptr(switchboard.Status("Gone"))}},
			{"client_a", switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive), Meta: switchboard.ClientMetaUpdate{Email: ptr("JANE@example.com")}}},
			{"client_x", switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive)}},
		} {
			if _, err := s.UpdateClient(admin, bad.id, bad.upd); err == nil {
				t.Fatalf("UpdateClient(%q, %+v) succeeded", bad.id, bad.upd)
			}
		}
		wantEvents(t, s, want...)
	})

	each(t, "SetClientSecretHash", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.SetClientSecretHash(admin, "client_a", "hash-2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetClientSecretHash(self, "client_a", "hash-3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetClientSecretHash(admin, "client_x", "hash-x"); err == nil {
			t.Fatal("SetClientSecretHash of an unknown client succeeded")
		}
		wantEvents(t, s,
			ev{switchboard.SystemActor, switchboard.EventClientCreated, "client_a", "Active"},
			ev{alice, switchboard.EventClientSecretReset, "client_a", ""},
			ev{"client:client_a", switchboard.EventClientSecretReset, "client_a", ""})
		if got, c := latestEvent(t, s).CreatedAt, mustFind(t, s, "client_a"); !got.Equal(c.UpdatedAt) {
			t.Errorf("event CreatedAt = %v, want the client's UpdatedAt %v", got, c.UpdatedAt)
		}
	})

	each(t, "RevokeClientTokens", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.RevokeClientTokens(self, "client_a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevokeClientTokens(self, "client_x"); err == nil {
			t.Fatal("RevokeClientTokens of an unknown client succeeded")
		}
		wantEvents(t, s,
			ev{switchboard.SystemActor, switchboard.EventClientCreated, "client_a", "Active"},
			ev{"client:client_a", switchboard.EventClientTokensRevoked, "client_a", ""})
	})

	each(t, "DeleteClient", func(t *testing.T, s *store.Store) {
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		if _, err := s.UpdateClient(admin, "client_a", switchboard.ClientUpdate{Status: ptr(switchboard.StatusInactive)}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteClient(admin, "client_a"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteClient(admin, "client_a"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Fatalf("second DeleteClient = %v, want ENOTFOUND", err)
		}
		// The deleted client's events stay, and so do they when its id is reused.
		want := []ev{
			{switchboard.SystemActor, switchboard.EventClientCreated, "client_a", "Active"},
			{alice, switchboard.EventClientStatusChanged, "client_a", "Active → Inactive"},
			{alice, switchboard.EventClientDeleted, "client_a", ""},
		}
		wantEvents(t, s, want...)
		if err := s.CreateClient(admin, newClient("client_a", "john@example.com")); err != nil {
			t.Fatal(err)
		}
		wantEvents(t, s, append(want, ev{alice, switchboard.EventClientCreated, "client_a", "Active"})...)
	})
}

// TestEventService_SameTransaction: when the event cannot be written, the
// change it records is not made either.
func TestEventService_SameTransaction(t *testing.T) {
	ctx := context.Background()
	each(t, "NoEventNoChange", func(t *testing.T, s *store.Store) {
		a := mustCreate(t, s, newClient("client_a", "john@example.com"))
		s.Exec(t, "DROP TABLE events")

		if err := s.CreateClient(ctx, newClient("client_b", "jane@example.com")); switchboard.ErrorCode(err) != switchboard.EINTERNAL {
			t.Errorf("CreateClient = %v, want an internal error", err)
		}
		if _, err := s.FindClientByID(ctx, "client_b"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Errorf("client_b was stored without its event (FindClientByID: %v)", err)
		}
		if _, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{Status: ptr(switchboard.StatusSuspended)}); err == nil {
			t.Errorf("UpdateClient succeeded without its event")
		}
		if _, err := s.SetClientSecretHash(ctx, "client_a", "hash-2"); err == nil {
			t.Errorf("SetClientSecretHash succeeded without its event")
		}
		if err := s.DeleteClient(ctx, "client_a"); err == nil {
			t.Errorf("DeleteClient succeeded without its event")
		}
		sameClient(t, mustFind(t, s, "client_a"), a)
	})
}

func TestEventService_FindEvents(t *testing.T) {
	ctx := context.Background()
	each(t, "OrderAndLimit", func(t *testing.T, s *store.Store) {
		if got, err := s.FindEvents(ctx, 10); err != nil || len(got) != 0 {
			t.Fatalf("FindEvents on an empty table = %v, %v; want none", got, err)
		}
		// 105 events, many within one millisecond: newest first means the
		// reverse of the order they were written in.
		mustCreate(t, s, newClient("client_a", "john@example.com"))
		for i := range 104 {
			city := fmt.Sprintf("City %d", i)
			if _, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{
				Meta: switchboard.ClientMetaUpdate{City: &city},
			}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.FindEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != switchboard.MaxEventLimit {
			t.Fatalf("FindEvents(1000) returned %d events, want %d", len(all), switchboard.MaxEventLimit)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID || all[i].CreatedAt.After(all[i-1].CreatedAt) {
				t.Fatalf("event %d (id %d, %v) is not older than event %d (id %d, %v)",
					i, all[i].ID, all[i].CreatedAt, i-1, all[i-1].ID, all[i-1].CreatedAt)
			}
		}
		for _, tt := range []struct{ limit, want int }{{-5, 1}, {0, 1}, {1, 1}, {7, 7}, {100, 100}, {101, 100}} {
			got, err := s.FindEvents(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("FindEvents(%d) returned %d events, want %d", tt.limit, len(got), tt.want)
				continue
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], all[i]) {
					t.Errorf("FindEvents(%d)[%d] = %+v, want %+v", tt.limit, i, got[i], all[i])
				}
			}
		}
		if got := all[0]; got.Action != switchboard.EventClientUpdated || got.Detail != "clientMeta.city" {
			t.Errorf("newest event = %+v, want the last city change", got)
		}
	})
}

func TestEventService_FindEventPage(t *testing.T) {
	ctx := context.Background()
	each(t, "FiltersPagesAndNames", func(t *testing.T, s *store.Store) {
		// client_a: created and 29 edits; client_b: created and deleted.
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		mustCreate(t, s, newClient("client_b", "b@example.com"))
		for i := range 29 {
			city := fmt.Sprintf("City %d", i)
			if _, err := s.UpdateClient(ctx, "client_a", switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: &city}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteClient(ctx, "client_b"); err != nil {
			t.Fatal(err)
		}
		all, err := s.FindEvents(ctx, switchboard.MaxEventLimit)
		if err != nil || len(all) != 32 {
			t.Fatalf("FindEvents = %d events, %v; want 32", len(all), err)
		}

		// Every event, page by page, in FindEvents' order, each page ending
		// where the next begins.
		walk := func(f switchboard.EventPageFilter) []*switchboard.Event {
			t.Helper()
			var got []*switchboard.Event
			for range 10 {
				page, err := s.FindEventPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Events) > f.Limit {
					t.Fatalf("a page of %d events, limit %d", len(page.Events), f.Limit)
				}
				got = append(got, page.Events...)
				if page.Older == nil {
					return got
				}
				f.After = page.Older
			}
			t.Fatal("more than 10 pages")
			return nil
		}
		got := walk(switchboard.EventPageFilter{Limit: 10})
		if !reflect.DeepEqual(got, all) {
			t.Errorf("the pages hold %d events, not FindEvents' %d in its order", len(got), len(all))
		}
		// Exactly a page: no older page is offered.
		if page, _ := s.FindEventPage(ctx, switchboard.EventPageFilter{Limit: 32}); page.Older != nil || len(page.Events) != 32 {
			t.Errorf("a page of all 32: %d events, older %v", len(page.Events), page.Older)
		}

		onlyA := walk(switchboard.EventPageFilter{ClientID: "client_a", Limit: 7})
		if len(onlyA) != 30 {
			t.Errorf("client_a has %d events, want 30", len(onlyA))
		}
		for _, e := range onlyA {
			if e.ClientID != "client_a" || e.ClientName != "Name of client_a" {
				t.Errorf("client_a's page holds %+v", e)
			}
		}
		deleted := walk(switchboard.EventPageFilter{Action: switchboard.EventClientDeleted, Limit: 5})
		if len(deleted) != 1 || deleted[0].ClientID != "client_b" || deleted[0].ClientName != "" {
			t.Errorf("deletions = %+v, want client_b's with no name (it is gone)", deleted)
		}
		both := walk(switchboard.EventPageFilter{ClientID: "client_b", Action: switchboard.EventClientCreated, Limit: 5})
		if len(both) != 1 || both[0].Action != switchboard.EventClientCreated {
			t.Errorf("client_b's creation = %+v", both)
		}
		for _, f := range []switchboard.EventPageFilter{
			{ClientID: "nobody", Limit: 5}, {Action: "client.nothing", Limit: 5}, {ClientID: "client_a\x00", Limit: 5},
		} {
			if page, err := s.FindEventPage(ctx, f); err != nil || len(page.Events) != 0 || page.Older != nil {
				t.Errorf("FindEventPage(%+v) = %+v, %v; want an empty page", f, page, err)
			}
		}
	})
}

// TestEventService_FindEventPageByActor: the actor filter keeps the events
// of exactly that actor, page by page, alone or with the client and action
// filters; an actor no event has, or one that cannot be stored, is an empty
// page.
func TestEventService_FindEventPageByActor(t *testing.T) {
	ctx := context.Background()
	each(t, "ByActor", func(t *testing.T, s *store.Store) {
		asAlice := switchboard.NewContextWithActor(ctx, alice)
		asBob := switchboard.NewContextWithActor(ctx, "admin:bob")
		for _, id := range []string{"client_a", "client_b"} {
			if err := s.CreateClient(asAlice, newClient(id, id+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 12 {
			city := fmt.Sprintf("City %d", i)
			id, as := "client_a", asBob
			if i%3 == 0 {
				id, as = "client_b", asAlice
			}
			if _, err := s.UpdateClient(as, id, switchboard.ClientUpdate{Meta: switchboard.ClientMetaUpdate{City: &city}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteClient(asBob, "client_b"); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, newClient("client_c", "c@example.com")) // by the system

		all, err := s.FindEvents(ctx, switchboard.MaxEventLimit)
		if err != nil {
			t.Fatal(err)
		}
		// want is all's events that f keeps, in all's order.
		want := func(f switchboard.EventPageFilter) []*switchboard.Event {
			var out []*switchboard.Event
			for _, e := range all {
				if e.Actor == f.Actor && (f.ClientID == "" || e.ClientID == f.ClientID) && (f.Action == "" || e.Action == f.Action) {
					out = append(out, e)
				}
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    switchboard.EventPageFilter
			n    int
		}{
			{"Alice", switchboard.EventPageFilter{Actor: alice}, 6},
			{"Bob", switchboard.EventPageFilter{Actor: "admin:bob"}, 9},
			{"System", switchboard.EventPageFilter{Actor: switchboard.SystemActor}, 1},
			{"AliceClientB", switchboard.EventPageFilter{Actor: alice, ClientID: "client_b"}, 5},
			{"BobDeleted", switchboard.EventPageFilter{Actor: "admin:bob", Action: switchboard.EventClientDeleted}, 1},
			{"AliceDeleted", switchboard.EventPageFilter{Actor: alice, Action: switchboard.EventClientDeleted}, 0},
			{"Prefix", switchboard.EventPageFilter{Actor: "admin:"}, 0},
			{"Nobody", switchboard.EventPageFilter{Actor: "admin:carol"}, 0},
			{"NUL", switchboard.EventPageFilter{Actor: "admin:alice\x00"}, 0},
			{"NotUTF8", switchboard.EventPageFilter{Actor: "admin:\xff"}, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []*switchboard.Event
				f := tt.f
				f.Limit = 4
				for range 10 {
					page, err := s.FindEventPage(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, page.Events...)
					if page.Older == nil {
						break
					}
					f.After = page.Older
				}
				if w := want(tt.f); len(got) != tt.n || !reflect.DeepEqual(got, w) {
					t.Errorf("%d events, want %d in FindEvents' order:\n%v\nwant\n%v", len(got), tt.n, got, w)
				}
			})
		}
	})
}

// TestEventService_DoNotCall: adding a number to a client's do-not-call
// list and taking it off are recorded, without the number; adding a listed
// number again or removing one not listed changes nothing and records
// nothing.
func TestEventService_DoNotCall(t *testing.T) {
	each(t, "DoNotCall", func(t *testing.T, s *store.Store) {
		ctx := switchboard.NewContextWithActor(context.Background(), alice)
		mustCreate(t, s, newClient("client_a", "a@example.com"))
		created := ev{switchboard.SystemActor, switchboard.EventClientCreated, "client_a", "Active"}
		added := ev{alice, switchboard.EventDoNotCallAdded, "client_a", ""}
		for range 2 {
			if err := s.AddDoNotCall(ctx, "client_a", "+14155550100", time.Now()); err != nil {
				t.Fatal(err)
			}
			wantEvents(t, s, created, added)
		}
		if err := s.AddDoNotCall(ctx, "nobody", "+14155550100", time.Now()); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Fatalf("AddDoNotCall(nobody) = %v, want ENOTFOUND", err)
		}
		if err := s.RemoveDoNotCall(ctx, "client_a", "+14155550100"); err != nil {
			t.Fatal(err)
		}
		removed := ev{alice, switchboard.EventDoNotCallRemoved, "client_a", ""}
		wantEvents(t, s, created, added, removed)
		if err := s.RemoveDoNotCall(ctx, "client_a", "+14155550100"); switchboard.ErrorCode(err) != switchboard.ENOTFOUND {
			t.Fatalf("RemoveDoNotCall again = %v, want ENOTFOUND", err)
		}
		wantEvents(t, s, created, added, removed)
	})
}
