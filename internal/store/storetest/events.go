package storetest

import (
	"context"
	"slices"
	"testing"

	"switchboard/internal/store"
	"switchboard/internal/switchboard"
)

// Change marks the audit trail before a change, so that ByActor can tell
// the events the change recorded by their ids: the time of a call's event
// is the clock of the calling service, which a test may have set anywhere.
type Change struct {
	s     *store.Store
	after int64
}

// StartChange marks the audit trail of s as it is now.
func StartChange(t testing.TB, s *store.Store) Change {
	t.Helper()
	var id int64
	for _, e := range events(t, s) {
		id = max(id, e.ID)
	}
	return Change{s: s, after: id}
}

// WantActor asserts that every event recorded since StartChange names
// actor, and that one of them is action.
func (c Change) WantActor(t testing.TB, actor, action string) {
	t.Helper()
	var actions []string
	for _, e := range events(t, c.s) {
		if e.ID <= c.after {
			continue
		}
		actions = append(actions, e.Action)
		if e.Actor != actor {
			t.Errorf("%s event by %q, want %s", e.Action, e.Actor, actor)
		}
	}
	if !slices.Contains(actions, action) {
		t.Errorf("events %v, want a %s", actions, action)
	}
}

// WantNone asserts that no event was recorded since StartChange: a
// refused change leaves none.
func (c Change) WantNone(t testing.TB) {
	t.Helper()
	for _, e := range events(t, c.s) {
		if e.ID > c.after {
			t.Errorf("%s event by %s %q recorded, want none", e.Action, e.Actor, e.Detail)
		}
	}
}

func events(t testing.TB, s *store.Store) []*switchboard.Event {
	t.Helper()
	events, err := s.FindEvents(context.Background(), switchboard.MaxEventLimit)
	if err != nil {
		t.Fatal(err)
	}
	return events
}
