package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// callDayExpr is the UTC day of a call's created_at as YYYY-MM-DD. SQLite
// holds times as text, written in UTC by storeTime, whose first ten
// characters are the day; PostgreSQL's timestamptz is converted.
func (s *Store) callDayExpr() string {
	if s.dialect == Postgres {
		return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(created_at, 1, 10)"
}

// CountCallsByDay implements switchboard.CallService with one GROUP BY over
// a range of calls_created_at_idx, which holds the outcome (migration
// 00009): the table's rows, transcripts and all, are not read.
func (s *Store) CountCallsByDay(ctx context.Context, since time.Time) ([]switchboard.CallDayCount, error) {
	var groups []struct {
		Day, Outcome string
		N            int
	}
	if err := s.callsByDayQuery(ctx, since).Scan(&groups).Error; err != nil {
		return nil, fmt.Errorf("count calls by day: %w", err)
	}
	out := make([]switchboard.CallDayCount, 0, len(groups))
	for _, g := range groups {
		d, err := time.Parse(time.DateOnly, g.Day)
		if err != nil {
			return nil, fmt.Errorf("count calls by day: day %q: %w", g.Day, err)
		}
		out = append(out, switchboard.CallDayCount{Day: d, Outcome: g.Outcome, Calls: g.N})
	}
	return out, nil
}

// callsByDayQuery counts the calls created at or after since by day and
// outcome.
func (s *Store) callsByDayQuery(ctx context.Context, since time.Time) *gorm.DB {
	day := s.callDayExpr()
	return s.db.WithContext(ctx).Model(&callRow{}).Select(day+" AS day, outcome, COUNT(*) AS n").
		Where("created_at >= ?", storeTime(since)).Group(day + ", outcome").Order("day, outcome")
}
