package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

var _ switchboard.EventService = (*Store)(nil)

// eventRow is the events table: the audit trail of client-account changes.
type eventRow struct {
	ID        int64 `gorm:"primaryKey"`
	Actor     string
	Action    string
	ClientID  string
	Detail    string
	CreatedAt time.Time
}

func (eventRow) TableName() string { return "events" }

// recordEvent writes an event inside tx, the transaction of the change it
// records, with the actor that ctx names. A failure fails the change.
func recordEvent(ctx context.Context, tx *gorm.DB, action, clientID, detail string, at time.Time) error {
	row := eventRow{
		Actor: switchboard.ActorFromContext(ctx), Action: action, ClientID: clientID, Detail: detail, CreatedAt: at,
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("record %s event: %w", action, err)
	}
	return nil
}

// updateEvent returns the action and detail of the event that an update
// from before to after records, and false when it changed no value.
func updateEvent(before, after *switchboard.Client) (action, detail string, changed bool) {
	fields := switchboard.ChangedFields(before, after)
	switch {
	case before.Status != after.Status:
		detail = string(before.Status) + " → " + string(after.Status)
		if len(fields) > 0 {
			detail += "; also: " + strings.Join(fields, ", ")
		}
		return switchboard.EventClientStatusChanged, detail, true
	case len(fields) > 0:
		return switchboard.EventClientUpdated, strings.Join(fields, ", "), true
	}
	return "", "", false
}

// namedEventRow is an event with the name its client has now ("" for a
// client that is gone), read in one query.
type namedEventRow struct {
	ID         int64
	Actor      string
	Action     string
	ClientID   string
	Detail     string
	CreatedAt  time.Time
	ClientName string
}

// eventsNewestFirst selects events newest first (ties in time broken by
// insertion order) with their client's name, at most limit of them: the
// index on (created_at, id) read backwards, or the one on (client_id,
// created_at, id), (action, created_at, id) or (actor, created_at, id)
// for a filtered page (migrations 00012 and 00019), and one lookup in the clients' unique index per event.
func (s *Store) eventsNewestFirst(ctx context.Context, f switchboard.EventPageFilter, limit int) ([]*switchboard.Event, error) {
	var rows []namedEventRow
	if err := s.eventsQuery(ctx, f, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	events := make([]*switchboard.Event, len(rows))
	for i, r := range rows {
		events[i] = &switchboard.Event{
			ID: r.ID, Actor: r.Actor, Action: r.Action, ClientID: r.ClientID, Detail: r.Detail,
			CreatedAt: r.CreatedAt.UTC(), ClientName: r.ClientName,
		}
	}
	return events, nil
}

// eventsQuery is eventsNewestFirst's query.
func (s *Store) eventsQuery(ctx context.Context, f switchboard.EventPageFilter, limit int) *gorm.DB {
	q := s.db.WithContext(ctx).Table("events").Select("events.*, clients.full_name AS client_name").
		Joins("LEFT JOIN clients ON clients.client_id = events.client_id")
	if f.ClientID != "" {
		q = q.Where("events.client_id = ?", f.ClientID)
	}
	if f.Action != "" {
		q = q.Where("events.action = ?", f.Action)
	}
	if f.Actor != "" {
		q = q.Where("events.actor = ?", f.Actor)
	}
	if f.After != nil {
		// Stored times are UTC; SQLite compares them as text, so the bound
		// must be written the same way.
		q = q.Where("(events.created_at, events.id) < (?, ?)", f.After.CreatedAt.UTC(), f.After.ID)
	}
	return q.Order("events.created_at DESC, events.id DESC").Limit(limit)
}

// FindEvents implements switchboard.EventService: the latest events, newest
// first (ties in time broken by insertion order), limit clamped to
// 1..switchboard.MaxEventLimit.
func (s *Store) FindEvents(ctx context.Context, limit int) ([]*switchboard.Event, error) {
	events, err := s.eventsNewestFirst(ctx, switchboard.EventPageFilter{}, min(max(limit, 1), switchboard.MaxEventLimit))
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	return events, nil
}

// FindEventPage implements switchboard.EventService. It reads Limit+1
// events, which tells whether an older page exists; it never counts.
func (s *Store) FindEventPage(ctx context.Context, f switchboard.EventPageFilter) (*switchboard.EventPage, error) {
	for _, key := range []string{f.ClientID, f.Action, f.Actor} {
		if key != "" && !storableKey(key) {
			return &switchboard.EventPage{}, nil // no event has such a key
		}
	}
	limit := min(max(f.Limit, 1), switchboard.MaxEventLimit)
	events, err := s.eventsNewestFirst(ctx, f, limit+1)
	if err != nil {
		return nil, wrap("find event page", err)
	}
	page := &switchboard.EventPage{Events: events[:min(len(events), limit)]}
	if len(events) > limit {
		page.Older = switchboard.EventCursorOf(page.Events[limit-1])
	}
	return page, nil
}
