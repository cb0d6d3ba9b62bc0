package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// The call statistics, the dashboard's counts and a client's call counts
// read call_counts (migration 00015), which triggers keep in the
// transaction of every write of a call: a few rows, however many calls.

// callCountRow is one row of call_counts.
type callCountRow struct {
	Status, Outcome string
	N, Duration     int
}

// callStatsQuery selects the all-time rows of call_counts of the client that
// has clientID now, or of every client for "" (client_pk 0): one per status
// and outcome, a range of the primary key.
func (s *Store) callStatsQuery(ctx context.Context, clientID string) *gorm.DB {
	q := s.rdb.WithContext(ctx).Table("call_counts").Select("status, outcome, n, duration").Where("hour = ''")
	if clientID == "" {
		return q.Where("client_pk = 0")
	}
	return q.Where(clientScope, clientID)
}

// callCounts returns the rows of callStatsQuery; none for a clientId no
// client can have.
func (s *Store) callCounts(ctx context.Context, clientID string) ([]callCountRow, error) {
	var rows []callCountRow
	if !storableKey(clientID) {
		return rows, nil
	}
	err := s.callStatsQuery(ctx, clientID).Scan(&rows).Error
	return rows, err
}

// CallStats implements switchboard.CallService. Every status and the three
// outcomes ElevenLabs gives are counted, at zero when no call has them; a
// call without an outcome (not ended, or never connected), or with any
// other, counts under none, as the earlier system's fixed keys did.
// AverageDuration is TotalDuration over TotalCalls, as the earlier system
// computed it.
func (s *Store) CallStats(ctx context.Context, clientID string) (*switchboard.CallStats, error) {
	stats := &switchboard.CallStats{
		CallsByStatus:  make(map[switchboard.CallStatus]int, len(switchboard.CallStatuses)),
		CallsByOutcome: make(map[string]int, 3),
	}
	for _, st := range switchboard.CallStatuses {
		stats.CallsByStatus[st] = 0
	}
	for _, o := range []string{switchboard.OutcomeSuccess, switchboard.OutcomeFailure, switchboard.OutcomeUnknown} {
		stats.CallsByOutcome[o] = 0
	}
	rows, err := s.callCounts(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("call stats: %w", err)
	}
	for _, r := range rows {
		stats.TotalCalls += r.N
		stats.TotalDuration += r.Duration
		stats.CallsByStatus[switchboard.CallStatus(r.Status)] += r.N
		if _, ok := stats.CallsByOutcome[r.Outcome]; ok {
			stats.CallsByOutcome[r.Outcome] += r.N
		}
	}
	if stats.TotalCalls > 0 {
		stats.AverageDuration = float64(stats.TotalDuration) / float64(stats.TotalCalls)
	}
	return stats, nil
}

// hourSplit splits the calls created at or after since into whole UTC
// hours, counted in call_counts from the hour from on, and a part of
// since's hour, read from calls_created_at_idx: the calls in [lo, hi) added
// (sign 1) or taken off (sign -1). For a since in the second half of its
// hour: the hours after, plus its calls from since to the hour's end;
// otherwise its own hour and after, less its calls from the hour's start to
// since. The index read is at most half an hour of calls, none for a since
// on the hour. day is since's day, which that part is counted in.
type hourSplit struct {
	from, day string
	lo, hi    time.Time
	sign      int
}

// hourKey is call_counts.hour of the hour t begins: what the triggers write.
const hourKey = "2006-01-02 15"

func splitHour(since time.Time) hourSplit {
	since = storeTime(since)
	hour := since.Truncate(time.Hour)
	next := hour.Add(time.Hour)
	day := hour.Format(time.DateOnly)
	if since.Sub(hour) >= 30*time.Minute {
		return hourSplit{from: next.Format(hourKey), day: day, lo: since, hi: next, sign: 1}
	}
	return hourSplit{from: hour.Format(hourKey), day: day, lo: hour, hi: since, sign: -1}
}

// callsSinceQuery counts the calls created at or after an hourSplit's
// since: (from, sign, lo, hi). One statement, so one snapshot of both tables.
const callsSinceQuery = `SELECT CAST(COALESCE((SELECT SUM(n) FROM call_counts WHERE client_pk = 0 AND hour >= ? AND status = ''), 0)
	+ ? * (SELECT COUNT(*) FROM calls WHERE created_at >= ? AND created_at < ?) AS BIGINT)`

// callsByDayQuery counts them by day and outcome: (from, day, sign, lo, hi).
// Thirty days are at most 720 hours' rows per outcome.
const callsByDayQuery = `SELECT day, outcome, CAST(SUM(n) AS BIGINT) AS n FROM (
		SELECT substr(hour, 1, 10) AS day, outcome, n FROM call_counts WHERE client_pk = 0 AND hour >= ? AND status = ''
		UNION ALL
		SELECT CAST(? AS TEXT), outcome, ? * COUNT(*) FROM calls WHERE created_at >= ? AND created_at < ? GROUP BY outcome
	) AS c GROUP BY day, outcome HAVING SUM(n) > 0 ORDER BY day, outcome`

// CountCallsSince implements switchboard.CallService, exactly.
func (s *Store) CountCallsSince(ctx context.Context, since time.Time) (int, error) {
	d := splitHour(since)
	var n int64
	if err := s.rdb.WithContext(ctx).Raw(callsSinceQuery, d.from, d.sign, d.lo, d.hi).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count calls: %w", err)
	}
	return int(n), nil
}

// CountCallsByDay implements switchboard.CallService, exactly.
func (s *Store) CountCallsByDay(ctx context.Context, since time.Time) ([]switchboard.CallDayCount, error) {
	d := splitHour(since)
	var groups []struct {
		Day, Outcome string
		N            int
	}
	if err := s.rdb.WithContext(ctx).Raw(callsByDayQuery, d.from, d.day, d.sign, d.lo, d.hi).Scan(&groups).Error; err != nil {
		return nil, fmt.Errorf("count calls by day: %w", err)
	}
	out := make([]switchboard.CallDayCount, 0, len(groups))
	for _, g := range groups {
		day, err := time.Parse(time.DateOnly, g.Day)
		if err != nil {
			return nil, fmt.Errorf("count calls by day: day %q: %w", g.Day, err)
		}
		out = append(out, switchboard.CallDayCount{Day: day, Outcome: g.Outcome, Calls: g.N})
	}
	return out, nil
}
