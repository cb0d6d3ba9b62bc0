package store

import (
	"context"
	"slices"
	"strings"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// clientOrder is a listing order of FindClientPage: a key column and
// client_id, both ascending or both descending. The tie-break is
// client_id, not the row id, so that a cursor is domain data. Migrations
// 00003 (by creation) and 00014 (by name) add the indexes that serve
// exactly these orders, unfiltered and by status, so each page is an index
// range read, backwards or forwards, that stops after Limit+1 rows (see
// TestClientPageQueryPlan).
type clientOrder struct {
	key  string // created_at or name_key
	desc bool
}

func orderOf(sort switchboard.ClientSort) clientOrder {
	key := "created_at"
	if sort.ByName() {
		key = "name_key"
	}
	return clientOrder{key: key, desc: sort.Descending()}
}

// walk returns the condition that selects the rows past a cursor and the
// ORDER BY that reads them, going forward in the listing (the next page),
// or backward (the previous page, read in reverse).
func (o clientOrder) walk(backward bool) (cond, order string) {
	less := o.desc != backward
	if less {
		return "(" + o.key + ", client_id) < (?, ?)", o.key + " DESC, client_id DESC"
	}
	return "(" + o.key + ", client_id) > (?, ?)", o.key + " ASC, client_id ASC"
}

// bound is the cursor's key, as the condition compares it.
func (o clientOrder) bound(cur *switchboard.ClientCursor) any {
	if o.key == "name_key" {
		return cur.Name
	}
	// Stored times are UTC; SQLite compares them as text, so the bound
	// must be written the same way.
	return cur.CreatedAt.UTC()
}

// errTwoClientCursors is switchboard.ErrBadCursor saying why.
var errTwoClientCursors = &switchboard.Error{
	Code: switchboard.EINVALID, Message: switchboard.ErrBadCursor.Message,
	Details: "Ask for the page after a client or before one, not both",
}

// clientPageQuery selects up to limit clients matching f's status and
// search, walking the listing in f's order from cur (exclusive; from the
// start or the end when nil): forward, or with newer set backward, in
// reverse order.
func (s *Store) clientPageQuery(ctx context.Context, f switchboard.ClientPageFilter, cur *switchboard.ClientCursor, newer bool, limit int) *gorm.DB {
	q := s.clientsMatching(ctx, f.Status, f.Search)
	o := orderOf(f.Sort)
	cond, order := o.walk(newer)
	if cur != nil {
		q = q.Where(cond, o.bound(cur), cur.ID)
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
		// A cursor of another order names no place in this one.
		if cur != nil && (!storableKey(cur.ID) || !storableKey(cur.Name) || (cur.Name != "") != f.Sort.ByName()) {
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
		newest, oldest = switchboard.CursorIn(page.Clients[0], f.Sort), switchboard.CursorIn(page.Clients[n-1], f.Sort)
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

// CountClientsUpTo implements switchboard.ClientService: without a search
// the sum of client_counts (CountClientsByStatus's rows), with one a count
// over a subquery that stops at max+1 matching rows, so a common search
// term costs what reading max rows does, whatever the table's size.
func (s *Store) CountClientsUpTo(ctx context.Context, status *switchboard.Status, search string, max int) (int, error) {
	var n int64
	if strings.TrimSpace(search) == "" {
		if err := s.clientCountQuery(ctx, status).Row().Scan(&n); err != nil {
			return 0, wrap("count clients", err)
		}
		return int(n), nil
	}
	sub := s.clientsMatching(ctx, status, search).Select("1").Limit(max + 1)
	if err := s.rdb.WithContext(ctx).Table("(?) AS matching", sub).Count(&n).Error; err != nil {
		return 0, wrap("count clients", err)
	}
	return int(n), nil
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
