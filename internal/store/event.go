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

func (r *eventRow) domain() *switchboard.Event {
	return &switchboard.Event{
		ID: r.ID, Actor: r.Actor, Action: r.Action, ClientID: r.ClientID, Detail: r.Detail,
		CreatedAt: r.CreatedAt.UTC(),
	}
}

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

// FindEvents implements switchboard.EventService: the latest events, newest
// first (ties in time broken by insertion order), limit clamped to
// 1..switchboard.MaxEventLimit.
func (s *Store) FindEvents(ctx context.Context, limit int) ([]*switchboard.Event, error) {
	limit = min(max(limit, 1), switchboard.MaxEventLimit)
	var rows []eventRow
	if err := s.db.WithContext(ctx).Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	events := make([]*switchboard.Event, len(rows))
	for i := range rows {
		events[i] = rows[i].domain()
	}
	return events, nil
}
