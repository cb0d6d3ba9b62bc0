package store

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// The listing order of FindClientPage and the keyset conditions that match
// it. The tie-break is client_id, not the row id, so that a cursor is domain
// data. Migration 00003 adds the indexes that serve exactly this order,
// (created_at, client_id) and (status, created_at, client_id), so each page
// is an index range read backwards (or forwards for a Before page) that
// stops after Limit+1 rows (see TestClientPageQueryPlan).
const (
	clientsNewestFirst = "created_at DESC, client_id DESC"
	clientsOldestFirst = "created_at ASC, client_id ASC"
	clientsOlderThan   = "(created_at, client_id) < (?, ?)"
	clientsNewerThan   = "(created_at, client_id) > (?, ?)"
)

// errTwoClientCursors is switchboard.ErrBadCursor saying why.
var errTwoClientCursors = &switchboard.Error{
	Code: switchboard.EINVALID, Message: switchboard.ErrBadCursor.Message,
	Details: "Ask for the page after a client or before one, not both",
}

// clientPageQuery selects up to limit clients matching f's status and
// search, walking the listing from cur (exclusive; from the newest or the
// oldest end when nil): towards older clients, newest first, or with newer
// set towards newer clients, oldest first.
func (s *Store) clientPageQuery(ctx context.Context, f switchboard.ClientPageFilter, cur *switchboard.ClientCursor, newer bool, limit int) *gorm.DB {
	q := s.clientsMatching(ctx, f.Status, f.Search)
	cond, order := clientsOlderThan, clientsNewestFirst
	if newer {
		cond, order = clientsNewerThan, clientsOldestFirst
	}
	if cur != nil {
		// Stored times are UTC; SQLite compares them as text, so the bound
		// must be written the same way.
		q = q.Where(cond, cur.CreatedAt.UTC(), cur.ID)
	}
	return q.Order(order).Limit(limit)
}

// clientExists reports whether any client matching f lies beyond cur in the
// direction newer says: one index probe, LIMIT 1.
func (s *Store) clientExists(ctx context.Context, f switchboard.ClientPageFilter, cur *switchboard.ClientCursor, newer bool) (bool, error) {
	var ids []string
	if err := s.clientPageQuery(ctx, f, cur, newer, 1).Pluck("client_id", &ids).Error; err != nil {
		return false, err
	}
	return len(ids) > 0, nil
}

// FindClientPage implements switchboard.ClientService. It reads Limit+1
// rows in the direction asked for, which tells whether a page lies beyond,
// and probes the other direction for one row; it never counts. A Before
// page is read oldest first and reversed.
func (s *Store) FindClientPage(ctx context.Context, f switchboard.ClientPageFilter) (*switchboard.ClientPage, error) {
	if f.After != nil && f.Before != nil {
		return nil, errTwoClientCursors
	}
	for _, cur := range []*switchboard.ClientCursor{f.After, f.Before} {
		if cur != nil && !storableKey(cur.ID) {
			return nil, switchboard.ErrBadCursor
		}
	}
	limit := clientLimit(f.Limit)
	newer := f.Before != nil
	from := f.After
	if newer {
		from = f.Before
	}

	var rows []clientRow
	if err := s.clientPageQuery(ctx, f, from, newer, limit+1).Find(&rows).Error; err != nil {
		return nil, wrap("find client page", err)
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	if newer {
		slices.Reverse(rows)
	}
	page := &switchboard.ClientPage{Clients: make([]*switchboard.Client, len(rows))}
	for i := range rows {
		page.Clients[i] = rows[i].domain()
	}

	// The edges of the page; an empty page's edge is the cursor it was asked from.
	newest, oldest := from, from
	if n := len(page.Clients); n > 0 {
		newest, oldest = switchboard.CursorOf(page.Clients[0]), switchboard.CursorOf(page.Clients[n-1])
	}
	if newer {
		if more {
			page.Newer = newest
		}
		ok, err := s.clientExists(ctx, f, oldest, false)
		if err != nil {
			return nil, wrap("find client page", err)
		} else if ok {
			page.Older = oldest
		}
		return page, nil
	}
	if more {
		page.Older = oldest
	}
	if from != nil && newest != nil { // the first page has nothing newer
		ok, err := s.clientExists(ctx, f, newest, true)
		if err != nil {
			return nil, wrap("find client page", err)
		} else if ok {
			page.Newer = newest
		}
	}
	return page, nil
}

// CountClientsByStatus implements switchboard.ClientService: the three rows
// of client_counts, which triggers keep in every write's transaction
// (migration 00010).
func (s *Store) CountClientsByStatus(ctx context.Context) (map[switchboard.Status]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := s.rdb.WithContext(ctx).Table("client_counts").Select("status, n").Scan(&rows).Error
	if err != nil {
		return nil, wrap("count clients by status", err)
	}
	counts := make(map[switchboard.Status]int, len(switchboard.Statuses))
	for _, st := range switchboard.Statuses {
		counts[st] = 0
	}
	for _, r := range rows {
		counts[switchboard.Status(r.Status)] = r.N
	}
	return counts, nil
}
