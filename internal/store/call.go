package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"switchboard/internal/switchboard"
)

var _ switchboard.CallService = (*Store)(nil)

// callRow is the calls table (migration 00005).
type callRow struct {
	ID                uint64 `gorm:"primaryKey"`
	CallID            string
	ClientPK          uint64 `gorm:"column:client_pk"`
	ClientID          string
	ClientName        string
	Status            string
	ToNumber          string
	FromNumber        string
	AgentID           string
	ConversationID    string
	CallSID           string `gorm:"column:call_sid"`
	RequestedBy       string
	FirstMessage      string
	StartTime         *time.Time
	EndTime           *time.Time
	DurationSecs      int
	Outcome           string
	Summary           string
	TerminationReason string
	Error             string
	Simulated         bool
	// Transcript is JSON (storedTurn), read only by FindCall: the other
	// reads omit it (it may be hundreds of KiB), so it is "" in their rows.
	Transcript string
	LeaseUntil *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (callRow) TableName() string { return "calls" }

// domain returns the call without its transcript.
func (r *callRow) domain() *switchboard.Call {
	return &switchboard.Call{
		ID: r.CallID, ClientID: r.ClientID, ClientName: r.ClientName, Status: switchboard.CallStatus(r.Status),
		To: r.ToNumber, From: r.FromNumber, AgentID: r.AgentID, ConversationID: r.ConversationID, CallSID: r.CallSID,
		RequestedBy: r.RequestedBy, FirstMessage: r.FirstMessage, StartTime: utcPtr(r.StartTime), EndTime: utcPtr(r.EndTime),
		Duration: r.DurationSecs, Outcome: r.Outcome, Summary: r.Summary, TerminationReason: r.TerminationReason,
		Error: r.Error, Simulated: r.Simulated, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// storedTurn is a transcript turn as the transcript column holds it: the
// JSON names are the store's own, so renaming a Go field loses nothing.
type storedTurn struct {
	Role           string `json:"role"`
	Message        string `json:"message"`
	TimeInCallSecs int    `json:"time_in_call_secs"`
}

func encodeTranscript(turns []switchboard.TranscriptTurn) (string, error) {
	stored := make([]storedTurn, len(turns))
	for i, t := range turns {
		stored[i] = storedTurn(t)
	}
	b, err := json.Marshal(stored)
	return string(b), err
}

// decodeTranscript returns the turns, never nil: a single call's read always
// has a transcript, empty until the call ends.
func decodeTranscript(s string) ([]switchboard.TranscriptTurn, error) {
	var stored []storedTurn
	if err := json.Unmarshal([]byte(s), &stored); err != nil {
		return nil, err
	}
	turns := make([]switchboard.TranscriptTurn, len(stored))
	for i, t := range stored {
		turns[i] = switchboard.TranscriptTurn(t)
	}
	return turns, nil
}

// storeTime is a time as the store writes it: UTC (SQLite compares times
// as text) at millisecond precision (what both databases round-trip).
func storeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func storeTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	st := storeTime(*t)
	return &st
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// doNotCallRow is the do_not_call table.
type doNotCallRow struct {
	ClientPK  uint64 `gorm:"column:client_pk;primaryKey"`
	Phone     string `gorm:"primaryKey"`
	CreatedAt time.Time
}

func (doNotCallRow) TableName() string { return "do_not_call" }

var (
	errCallNotFound     = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Call not found"}
	errDoNotCall        = &switchboard.Error{Code: switchboard.EFORBIDDEN, Message: "This number is on the do-not-call list", Field: "phone"}
	errNotOnDoNotCall   = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "This number is not on the do-not-call list"}
	msgCallLimitReached = "Hourly call limit reached"
)

// clientScope restricts a query on calls or do_not_call to the client
// account that now has the clientId: the calls of a deleted client, or of
// an earlier client with the same clientId, have another client_pk.
const clientScope = "client_pk = (SELECT id FROM clients WHERE client_id = ?)"

// callsNewestFirst is the order of every listing of calls; the indexes of
// migration 00005 end in (created_at, call_id) to serve it.
const callsNewestFirst = "created_at DESC, call_id DESC"

// forUpdate locks the rows tx reads until it ends, on PostgreSQL. SQLite
// needs no lock: its IMMEDIATE transactions hold the write lock from BEGIN.
func (s *Store) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.dialect == Postgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// CreateCall implements switchboard.CallService. The client row is locked
// first, so that concurrent CreateCalls of one client count the calls one
// after the other and never exceed maxPerHour together. Of call, only the
// fields known before dialling are stored (To, From, AgentID, RequestedBy,
// FirstMessage, Simulated). The call.queued event's Detail is the callId and
// the status, never the number called: the audit trail holds no value a
// client typed, and the call row has it.
func (s *Store) CreateCall(ctx context.Context, call *switchboard.Call, maxPerHour int, now time.Time) error {
	if call.ID == "" {
		return errors.New("create call: no call id")
	}
	if maxPerHour < 1 {
		return fmt.Errorf("create call: hourly limit %d", maxPerHour)
	}
	if !storableKey(call.ClientID) {
		return errClientNotFound
	}
	t := storeTime(now)
	row := callRow{
		CallID: call.ID, ClientID: call.ClientID, Status: string(switchboard.CallQueued),
		ToNumber: call.To, FromNumber: call.From, AgentID: call.AgentID, RequestedBy: call.RequestedBy,
		FirstMessage: call.FirstMessage, Simulated: call.Simulated, Transcript: "[]", CreatedAt: t, UpdatedAt: t,
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var client clientRow
		err := s.forUpdate(tx).Select("id", "full_name").Where("client_id = ?", call.ClientID).Take(&client).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errClientNotFound
		} else if err != nil {
			return err
		}
		row.ClientPK, row.ClientName = client.ID, client.FullName

		var listed int64
		if err := tx.Model(&doNotCallRow{}).Where("client_pk = ? AND phone = ?", client.ID, call.To).Count(&listed).Error; err != nil {
			return err
		} else if listed > 0 {
			return errDoNotCall
		}

		// The maxPerHour-th newest call of the last hour, if there is one,
		// spends the limit; a call can be placed again once it is an hour old.
		var spent []time.Time
		if err := spentQuery(tx, client.ID, t, maxPerHour).Pluck("created_at", &spent).Error; err != nil {
			return err
		} else if len(spent) > 0 {
			return &switchboard.Error{
				Code: switchboard.ETHROTTLED, Message: msgCallLimitReached,
				Details:    fmt.Sprintf("This client may place at most %s per hour", plural(maxPerHour, "call")),
				RetryAfter: spent[0].Add(time.Hour).Sub(t),
			}
		}

		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventCallQueued, call.ClientID, call.ID+": "+string(switchboard.CallQueued), t)
	})
	if err != nil {
		return wrap("create call", err)
	}
	call.ClientName, call.Status, call.CreatedAt, call.UpdatedAt = row.ClientName, switchboard.CallQueued, t, t
	return nil
}

// spentQuery selects the maxPerHour-th newest of the client's calls created
// in the hour before now: the call that spends the hourly limit, if any.
// It reads at most maxPerHour entries of calls_client_pk_created_at_idx.
func spentQuery(tx *gorm.DB, clientPK uint64, now time.Time, maxPerHour int) *gorm.DB {
	return tx.Model(&callRow{}).Where("client_pk = ? AND created_at > ?", clientPK, now.Add(-time.Hour)).
		Order("created_at DESC").Offset(maxPerHour - 1).Limit(1)
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// changeCall reads the call whose column col equals key, locked, and lets
// change move it: change sets the new status and the columns that go with
// it on the row, and returns false when the call must stay as it is. The
// update is conditional on the status read as well, and records
// EventCallUpdated ("callId: old → new") in the same transaction. It returns
// the call, without its transcript, and whether it changed.
func (s *Store) changeCall(ctx context.Context, col, key string, at time.Time, change func(r *callRow) bool) (*switchboard.Call, bool, error) {
	if key == "" || !storableKey(key) {
		return nil, false, errCallNotFound
	}
	var row callRow
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := s.forUpdate(callByKey(tx, col, key)).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errCallNotFound
		} else if err != nil {
			return err
		}
		old := row.Status
		if !change(&row) {
			return nil
		}
		row.UpdatedAt = storeTime(at)
		set := map[string]any{
			"status": row.Status, "conversation_id": row.ConversationID, "call_sid": row.CallSID,
			"start_time": row.StartTime, "end_time": row.EndTime, "duration_secs": row.DurationSecs,
			"outcome": row.Outcome, "summary": row.Summary, "termination_reason": row.TerminationReason,
			"error": row.Error, "updated_at": row.UpdatedAt,
		}
		if row.Transcript != "" { // the read omitted it: set only by change
			set["transcript"] = row.Transcript
		}
		res := tx.Model(&callRow{}).Where("id = ? AND status = ?", row.ID, old).Updates(set)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected != 1 {
			return fmt.Errorf("call %s changed while locked", row.CallID)
		}
		changed = true
		return recordEvent(ctx, tx, switchboard.EventCallUpdated, row.ClientID, row.CallID+": "+old+" → "+row.Status, row.UpdatedAt)
	})
	if err != nil {
		return nil, false, err
	}
	return row.domain(), changed, nil
}

// callByKey selects the call whose col, call_id or conversation_id, is key,
// without its transcript. For conversation_id, the second term is the
// partial unique index's own condition, which lets the index serve.
func callByKey(tx *gorm.DB, col, key string) *gorm.DB {
	return tx.Model(&callRow{}).Omit("transcript").Where(col+" = ? AND "+col+" <> ''", key)
}

// MarkCallDialled implements switchboard.CallService.
func (s *Store) MarkCallDialled(ctx context.Context, id string, d switchboard.Dialled, at time.Time) (*switchboard.Call, error) {
	call, _, err := s.changeCall(ctx, "call_id", id, at, func(r *callRow) bool {
		if r.Status != string(switchboard.CallQueued) {
			return false
		}
		r.Status, r.ConversationID, r.CallSID = string(switchboard.CallInitiated), d.ConversationID, d.CallSID
		return true
	})
	return call, wrap("mark call dialled", err)
}

// FailCall implements switchboard.CallService.
func (s *Store) FailCall(ctx context.Context, id, reason string, at time.Time) (*switchboard.Call, error) {
	call, _, err := s.changeCall(ctx, "call_id", id, at, func(r *callRow) bool {
		if switchboard.CallStatus(r.Status).Final() {
			return false
		}
		r.Status, r.Error = string(switchboard.CallFailed), reason
		return true
	})
	return call, wrap("fail call", err)
}

// ApplyCallResult implements switchboard.CallService. A report changes the
// call only when its status moves the call forward, so the same report
// twice, or a report older than the call's status, writes nothing. The
// fields a final report leaves at their zero value keep what is stored.
func (s *Store) ApplyCallResult(ctx context.Context, r switchboard.CallResult, at time.Time) (*switchboard.Call, bool, error) {
	var transcript string
	if r.Status.Final() && r.Transcript != nil {
		var err error
		if transcript, err = encodeTranscript(r.Transcript); err != nil {
			return nil, false, fmt.Errorf("apply call result: %w", err)
		}
	}
	call, changed, err := s.changeCall(ctx, "conversation_id", r.ConversationID, at, func(row *callRow) bool {
		if !switchboard.CallStatus(row.Status).Precedes(r.Status) {
			return false
		}
		row.Status = string(r.Status)
		if !r.Status.Final() {
			return true
		}
		if r.StartTime != nil {
			row.StartTime = storeTimePtr(r.StartTime)
		}
		if r.EndTime != nil {
			row.EndTime = storeTimePtr(r.EndTime)
		}
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&row.Outcome, r.Outcome}, {&row.Summary, r.Summary}, {&row.TerminationReason, r.TerminationReason},
			{&row.Error, r.Error}, {&row.Transcript, transcript},
		} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
		if r.Duration != 0 {
			row.DurationSecs = r.Duration
		}
		return true
	})
	return call, changed, wrap("apply call result", err)
}

// FindCall implements switchboard.CallService.
func (s *Store) FindCall(ctx context.Context, clientID, id string) (*switchboard.Call, error) {
	if !storableKey(clientID) || !storableKey(id) {
		return nil, errCallNotFound
	}
	q := s.rdb.WithContext(ctx).Where("call_id = ?", id)
	if clientID != "" {
		q = q.Where(clientScope, clientID)
	}
	var row callRow
	if err := q.Take(&row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errCallNotFound
	} else if err != nil {
		return nil, fmt.Errorf("find call: %w", err)
	}
	call := row.domain()
	turns, err := decodeTranscript(row.Transcript)
	if err != nil {
		return nil, fmt.Errorf("find call %s: transcript: %w", id, err)
	}
	call.Transcript = turns
	return call, nil
}

// callLimit clamps a page size to 1..MaxCallLimit, DefaultCallLimit when
// zero or less.
func callLimit(limit int) int {
	if limit <= 0 {
		return switchboard.DefaultCallLimit
	}
	return min(limit, switchboard.MaxCallLimit)
}

// domainCalls maps rows read without their transcripts.
func domainCalls(rows []callRow) []*switchboard.Call {
	calls := make([]*switchboard.Call, len(rows))
	for i := range rows {
		calls[i] = rows[i].domain()
	}
	return calls
}

// clientCalls selects the calls of the client that has clientID now, with
// status if not nil.
func (s *Store) clientCalls(ctx context.Context, clientID string, status *switchboard.CallStatus) *gorm.DB {
	q := s.rdb.WithContext(ctx).Model(&callRow{}).Where(clientScope, clientID)
	if status != nil {
		q = q.Where("status = ?", string(*status))
	}
	return q
}

// clientCallsPage selects an offset page of the client's calls in two
// steps: the page's ids from the index alone, then their rows. PostgreSQL
// would otherwise read the row of every call the offset skips.
func (s *Store) clientCallsPage(ctx context.Context, clientID string, f switchboard.CallFilter) *gorm.DB {
	ids := s.clientCalls(ctx, clientID, f.Status).Select("id").Order(callsNewestFirst).
		Offset(max(f.Offset, 0)).Limit(callLimit(f.Limit))
	return s.rdb.WithContext(ctx).Model(&callRow{}).Omit("transcript").Where("id IN (?)", ids).Order(callsNewestFirst)
}

// FindClientCalls implements switchboard.CallService: the two counts from
// the client's rows of call_counts, and one page, a range of the client's
// (client_pk, ...) indexes. A clientId no client has now has no calls.
func (s *Store) FindClientCalls(ctx context.Context, clientID string, f switchboard.CallFilter) ([]*switchboard.Call, int, int, error) {
	if !storableKey(clientID) {
		return []*switchboard.Call{}, 0, 0, nil
	}
	counts, err := s.callCounts(ctx, clientID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("count client calls: %w", err)
	}
	total, filtered := 0, 0
	for _, c := range counts {
		total += c.N
		if f.Status == nil || c.Status == string(*f.Status) {
			filtered += c.N
		}
	}
	var rows []callRow
	if err := s.clientCallsPage(ctx, clientID, f).Find(&rows).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("find client calls: %w", err)
	}
	return domainCalls(rows), total, filtered, nil
}

// The keyset conditions of the newest-first listing, and its reverse for a
// Before page.
const (
	callsOldestFirst = "created_at ASC, call_id ASC"
	callsOlderThan   = "(created_at, call_id) < (?, ?)"
	callsNewerThan   = "(created_at, call_id) > (?, ?)"
)

// callPageQuery selects the calls of f's page, Limit+1 of them: newest
// first from f.After (exclusive), or with f.Before oldest first from it. Each
// filter has an index ending in (created_at, call_id), so a page is a range
// read of that index (TestCallQueryPlan, TestCallFilterQueryPlan).
func (s *Store) callPageQuery(ctx context.Context, f switchboard.CallPageFilter) *gorm.DB {
	q := s.rdb.WithContext(ctx).Model(&callRow{}).Omit("transcript")
	switch {
	case f.ClientID != "" && f.CurrentClient:
		q = q.Where(clientScope, f.ClientID)
	case f.ClientID != "":
		// The clientId recorded with each call: a deleted client's calls
		// are listed under it too, with those of a later client of that id.
		q = q.Where("client_id = ?", f.ClientID)
	}
	if f.Status != nil {
		q = q.Where("status = ?", string(*f.Status))
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", f.Outcome)
	}
	if f.To != "" {
		q = q.Where("to_number = ?", f.To)
	}
	cond, order, cur := callsOlderThan, callsNewestFirst, f.After
	if f.Before != nil {
		cond, order, cur = callsNewerThan, callsOldestFirst, f.Before
	}
	if cur != nil {
		q = q.Where(cond, storeTime(cur.CreatedAt), cur.ID)
	}
	return q.Order(order).Limit(callLimit(f.Limit) + 1)
}

// FindCallPage implements switchboard.CallService like FindClientPage: one
// index range read of Limit+1 rows in the direction asked for, whatever the
// depth, and for a page asked with a cursor a probe of one row the other
// way. A Before page is read oldest first and reversed.
func (s *Store) FindCallPage(ctx context.Context, f switchboard.CallPageFilter) (*switchboard.CallPage, error) {
	if f.After != nil && f.Before != nil {
		return nil, switchboard.ErrBadCursor
	}
	for _, cur := range []*switchboard.CallCursor{f.After, f.Before} {
		if cur != nil && !storableKey(cur.ID) {
			return nil, switchboard.ErrBadCursor
		}
	}
	if !storableKey(f.ClientID) || !storableKey(f.Outcome) || !storableKey(f.To) {
		return &switchboard.CallPage{Calls: []*switchboard.Call{}}, nil
	}
	limit := callLimit(f.Limit)
	newer := f.Before != nil
	from := f.After
	if newer {
		from = f.Before
	}
	var rows []callRow
	if err := s.callPageQuery(ctx, f).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find call page: %w", err)
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	if newer {
		slices.Reverse(rows)
	}
	page := &switchboard.CallPage{Calls: domainCalls(rows)}

	// The edges of the page; an empty page's edge is the cursor it was asked from.
	newest, oldest := from, from
	if n := len(page.Calls); n > 0 {
		newest, oldest = switchboard.CallCursorOf(page.Calls[0]), switchboard.CallCursorOf(page.Calls[n-1])
	}
	// The first page has nothing newer; any other page probes one row the
	// way it was not read.
	probe := f
	probe.After, probe.Before = nil, newest
	if newer {
		if more {
			page.Newer = newest
		}
		probe.After, probe.Before = oldest, nil
	} else if more {
		page.Next = oldest
	}
	if from == nil {
		return page, nil
	}
	var ids []string
	if err := s.callPageQuery(ctx, probe).Limit(1).Pluck("call_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("find call page: %w", err)
	}
	if len(ids) > 0 && newer {
		page.Next = oldest
	} else if len(ids) > 0 {
		page.Newer = newest
	}
	return page, nil
}

// claimCallsQuery leases the calls no webhook settled in time in one
// statement, and returns them. On PostgreSQL the inner SELECT locks the rows
// it picks and skips those another claim has locked, so two instances
// claiming at once take different calls; a call a committed claim leased
// is re-read and fails the lease condition. SQLite runs one writer at a time.
const claimCallsQuery = `UPDATE calls SET lease_until = ?
	WHERE id IN (
		SELECT id FROM calls
		WHERE ((status = 'queued' AND updated_at < ?) OR (status IN ('initiated', 'in-progress') AND updated_at < ?))
			AND (lease_until IS NULL OR lease_until <= ?)
		ORDER BY updated_at LIMIT ?%s)
	RETURNING %s`

// callColumns are the columns of a call row but its transcript.
const callColumns = `id, call_id, client_pk, client_id, client_name, status, to_number, from_number, agent_id,
	conversation_id, call_sid, requested_by, first_message, start_time, end_time, duration_secs, outcome, summary,
	termination_reason, error, simulated, lease_until, created_at, updated_at`

// ClaimCallsToReconcile implements switchboard.CallService. The calls come
// oldest change first.
func (s *Store) ClaimCallsToReconcile(ctx context.Context, queuedBefore, activeBefore, now time.Time, lease time.Duration, limit int) ([]*switchboard.Call, error) {
	if limit < 1 {
		return []*switchboard.Call{}, nil
	}
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	t := storeTime(now)
	var rows []callRow
	err := s.db.WithContext(ctx).Raw(fmt.Sprintf(claimCallsQuery, lock, callColumns),
		t.Add(lease), storeTime(queuedBefore), storeTime(activeBefore), t, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim calls: %w", err)
	}
	// RETURNING gives the rows in no particular order.
	slices.SortFunc(rows, func(a, b callRow) int {
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return domainCalls(rows), nil
}

// AddDoNotCall implements switchboard.CallService. Adding a listed number
// again keeps its first date and records no event.
func (s *Store) AddDoNotCall(ctx context.Context, clientID, phone string, at time.Time) error {
	if !storableKey(clientID) {
		return errClientNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var pk []uint64
		if err := tx.Model(&clientRow{}).Where("client_id = ?", clientID).Pluck("id", &pk).Error; err != nil {
			return err
		} else if len(pk) == 0 {
			return errClientNotFound
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&doNotCallRow{ClientPK: pk[0], Phone: phone, CreatedAt: storeTime(at)})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // a listed number: nothing changed, nothing to record
		}
		return recordEvent(ctx, tx, switchboard.EventDoNotCallAdded, clientID, "", storeTime(at))
	})
	return wrap("add do-not-call number", err)
}

// RemoveDoNotCall implements switchboard.CallService. The removal and its
// event are one transaction, as every change's.
func (s *Store) RemoveDoNotCall(ctx context.Context, clientID, phone string) error {
	if !storableKey(clientID) || !storableKey(phone) {
		return errNotOnDoNotCall
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where(clientScope+" AND phone = ?", clientID, phone).Delete(&doNotCallRow{})
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errNotOnDoNotCall
		}
		return recordEvent(ctx, tx, switchboard.EventDoNotCallRemoved, clientID, "", now())
	})
	return wrap("remove do-not-call number", err)
}

// FindDoNotCall implements switchboard.CallService. A clientId no client
// has now has an empty list.
func (s *Store) FindDoNotCall(ctx context.Context, clientID string) ([]switchboard.DoNotCallEntry, error) {
	entries := []switchboard.DoNotCallEntry{}
	if !storableKey(clientID) {
		return entries, nil
	}
	var rows []doNotCallRow
	if err := s.rdb.WithContext(ctx).Where(clientScope, clientID).Order("created_at DESC, phone").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find do-not-call numbers: %w", err)
	}
	for _, r := range rows {
		entries = append(entries, switchboard.DoNotCallEntry{Phone: r.Phone, CreatedAt: r.CreatedAt.UTC()})
	}
	return entries, nil
}
