package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"switchboard/internal/switchboard"
)

// heldCallResultRow is a report about a conversation no call had when it
// arrived (migration 00020), as JSON.
type heldCallResultRow struct {
	ID             uint64 `gorm:"primaryKey"`
	ConversationID string
	Result         string
	ReceivedAt     time.Time
}

func (heldCallResultRow) TableName() string { return "held_call_results" }

// HoldCallResult implements switchboard.CallService.
func (s *Store) HoldCallResult(ctx context.Context, r switchboard.CallResult, at time.Time) error {
	if r.ConversationID == "" || !storableKey(r.ConversationID) {
		return switchboard.InvalidField("conversationId", "is not a conversation id")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("hold call result: %w", err)
	}
	row := heldCallResultRow{ConversationID: r.ConversationID, Result: string(body), ReceivedAt: storeTime(at)}
	return wrap("hold call result", s.db.WithContext(ctx).Create(&row).Error)
}

// TakeHeldCallResults implements switchboard.CallService. The rows are
// deleted with RETURNING, so two takers never both get one.
func (s *Store) TakeHeldCallResults(ctx context.Context, conversationID string) ([]switchboard.CallResult, error) {
	if conversationID == "" || !storableKey(conversationID) {
		return nil, nil
	}
	var rows []heldCallResultRow
	err := s.db.WithContext(ctx).Raw("DELETE FROM held_call_results WHERE conversation_id = ? RETURNING id, result", conversationID).
		Scan(&rows).Error
	if err != nil {
		return nil, wrap("take held call results", err)
	}
	out := make([]switchboard.CallResult, 0, len(rows))
	for _, row := range sortedByID(rows) {
		var r switchboard.CallResult
		if err := json.Unmarshal([]byte(row.Result), &r); err != nil {
			return nil, fmt.Errorf("take held call result %d: %w", row.ID, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// sortedByID orders rows as they were held: RETURNING has no ORDER BY.
func sortedByID(rows []heldCallResultRow) []heldCallResultRow {
	slices.SortFunc(rows, func(a, b heldCallResultRow) int { return cmp.Compare(a.ID, b.ID) })
	return rows
}

// PurgeHeldCallResults implements switchboard.CallService.
func (s *Store) PurgeHeldCallResults(ctx context.Context, before time.Time) (int, error) {
	res := s.db.WithContext(ctx).Where("received_at < ?", storeTime(before)).Delete(&heldCallResultRow{})
	if res.Error != nil {
		return 0, wrap("purge held call results", res.Error)
	}
	return int(res.RowsAffected), nil
}
