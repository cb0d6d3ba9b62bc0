package mock

import (
	"context"

	"switchboard/internal/switchboard"
)

var _ switchboard.EventService = (*EventService)(nil)

// EventService implements switchboard.EventService with one function per
// method; calling a method whose function is nil panics, which names the
// method the test did not expect.
type EventService struct {
	FindEventsFn    func(ctx context.Context, limit int) ([]*switchboard.Event, error)
	FindEventPageFn func(ctx context.Context, f switchboard.EventPageFilter) (*switchboard.EventPage, error)
}

func (s *EventService) FindEvents(ctx context.Context, limit int) ([]*switchboard.Event, error) {
	return s.FindEventsFn(ctx, limit)
}

func (s *EventService) FindEventPage(ctx context.Context, f switchboard.EventPageFilter) (*switchboard.EventPage, error) {
	return s.FindEventPageFn(ctx, f)
}
