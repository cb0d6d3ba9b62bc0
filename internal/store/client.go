package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"switchboard/internal/switchboard"
)

// clientRow is the clients table. It stays private: callers get *switchboard.Client.
type clientRow struct {
	ID                uint64 `gorm:"primaryKey"`
	ClientID          string
	Status            string
	AgentID           string
	TwilioPhoneNumber string
	FullName          string
	Email             string
	EmailKey          string
	Phone             string
	BusinessName      string
	City              string
	JobTitle          string
	Notes             string
	SearchKey         string
	NameKey           string
	SecretHash        string
	TokenVersion      int64
	// The calling settings: the hourly limit (0: the default) and the
	// calling hours as JSON ("": any time).
	CallingMaxPerHour int
	CallingHours      string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (clientRow) TableName() string { return "clients" }

func (r *clientRow) domain() *switchboard.Client {
	return &switchboard.Client{
		ID:                r.ClientID,
		Status:            switchboard.Status(r.Status),
		AgentID:           r.AgentID,
		TwilioPhoneNumber: r.TwilioPhoneNumber,
		Meta: switchboard.ClientMeta{
			FullName: r.FullName, Email: r.Email, Phone: r.Phone,
			BusinessName: r.BusinessName, City: r.City, JobTitle: r.JobTitle, Notes: r.Notes,
		},
		Calling:      switchboard.CallingSettings{MaxCallsPerHour: r.CallingMaxPerHour, Hours: decodeHours(r.CallingHours)},
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
		SecretHash:   r.SecretHash,
		TokenVersion: r.TokenVersion,
	}
}

// clientColumns are the columns that c's fields fill, with the keys derived
// from them: what an update rewrites, and what a new row holds besides its
// id, credentials and times.
func clientColumns(c *switchboard.Client) map[string]any {
	m := c.Meta
	return map[string]any{
		"status": string(c.Status), "agent_id": c.AgentID, "twilio_phone_number": c.TwilioPhoneNumber,
		"full_name": m.FullName, "email": m.Email, "email_key": switchboard.EmailKey(m.Email),
		"phone": m.Phone, "business_name": m.BusinessName, "city": m.City,
		"job_title": m.JobTitle, "notes": m.Notes, "search_key": searchKey(c), "name_key": switchboard.NameKey(m.FullName),
		"calling_max_per_hour": c.Calling.MaxCallsPerHour, "calling_hours": encodeHours(c.Calling.Hours),
	}
}

// encodeHours stores calling hours as JSON, "" for none (any time).
func encodeHours(h *switchboard.CallingHours) string {
	if h == nil {
		return ""
	}
	b, _ := json.Marshal(h) // a struct of strings: never fails
	return string(b)
}

// decodeHours reads what encodeHours stored. The store validated it before
// writing; text that does not decode (a hand-edited row) is read as hours
// that allow no call, so a damaged row never widens when calls may go out,
// rather than failing every read of the client.
func decodeHours(s string) *switchboard.CallingHours {
	if s == "" {
		return nil
	}
	var h switchboard.CallingHours
	if json.Unmarshal([]byte(s), &h) != nil {
		return &switchboard.CallingHours{}
	}
	return &h
}

// searchKey is what a listing's Search matches against: the name, email,
// business name, clientId and both phone numbers, lower-cased. Migration
// 00013 wrote the last three onto the keys of the rows stored before
// (lower(client_id) in SQL is exact: a clientId is ASCII).
func searchKey(c *switchboard.Client) string {
	m := c.Meta
	return strings.ToLower(strings.Join([]string{
		m.FullName, m.Email, m.BusinessName, c.ID, m.Phone, c.TwilioPhoneNumber,
	}, "\n"))
}

// searchTerm is what a search text is looked for as in the key: the text
// lower-cased, or, for a text that can only be a phone number ("+1 (415)
// 555-0123"), its digits, as the key holds numbers in E.164
// ("+14155550123").
func searchTerm(search string) string {
	if digits := phoneDigits(search); digits != "" {
		return digits
	}
	return strings.ToLower(search)
}

// phoneDigits returns the digits of s when s is written like a phone
// number (digits with spaces, dashes, dots, parentheses and a leading +)
// and has at least three of them; "" otherwise.
func phoneDigits(s string) string {
	var digits []rune
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return ""
		}
	}
	if len(digits) < 3 {
		return ""
	}
	return string(digits)
}

var errClientNotFound = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Client not found"}

// clientConflict turns a unique violation on clients into the API's 409, or
// returns nil for any other error.
func clientConflict(err error, c *switchboard.Client) error {
	key, ok := uniqueViolation(err)
	if !ok {
		return nil
	}
	field, details := "clientMeta.email", fmt.Sprintf("clientMeta.email %q is already used by another client", c.Meta.Email)
	if strings.Contains(key, "client_id") {
		field, details = "clientId", fmt.Sprintf("clientId %q is already taken", c.ID)
	}
	return &switchboard.Error{
		Code: switchboard.ECONFLICT, Message: "Client already exists with this ID or email", Details: details, Field: field,
	}
}

// FindClientByID implements switchboard.ClientService.
func (s *Store) FindClientByID(ctx context.Context, id string) (*switchboard.Client, error) {
	if !storableKey(id) {
		return nil, errClientNotFound
	}
	st, err := s.stmt(ctx, "SELECT "+clientSelect+" FROM clients WHERE client_id = ?")
	if err != nil {
		return nil, wrap("find client", err)
	}
	var row clientRow
	err = scanClient(st.QueryRowContext(ctx, id), &row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errClientNotFound
	} else if err != nil {
		return nil, wrap("find client", err)
	}
	return row.domain(), nil
}

// FindClientByEmail implements switchboard.ClientService: one lookup in
// the unique index of email_key.
func (s *Store) FindClientByEmail(ctx context.Context, email string) (*switchboard.Client, error) {
	key := switchboard.EmailKey(switchboard.NormalizeEmail(email))
	if key == "" || !storableKey(key) {
		return nil, errClientNotFound
	}
	var row clientRow
	err := s.rdb.WithContext(ctx).Where("email_key = ?", key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errClientNotFound
	} else if err != nil {
		return nil, wrap("find client by email", err)
	}
	return row.domain(), nil
}

// tokenClientQuery reads a client by clientId and whether a jti is revoked:
// two unique-index lookups in one statement (see TestTokenClientQueryPlan).
const tokenClientQuery = `SELECT ` + clientSelect + `, revoked_tokens.jti IS NOT NULL AS revoked
	FROM clients LEFT JOIN revoked_tokens ON revoked_tokens.jti = ?
	WHERE clients.client_id = ?`

// FindTokenClient implements switchboard.ClientService with a single query:
// the client row and the revocation check travel together.
func (s *Store) FindTokenClient(ctx context.Context, clientID, tokenID string) (*switchboard.Client, bool, error) {
	if !storableKey(clientID) {
		return nil, false, errClientNotFound
	}
	st, err := s.stmt(ctx, tokenClientQuery)
	if err != nil {
		return nil, false, wrap("find token client", err)
	}
	var row clientRow
	var revoked bool
	err = scanClient(st.QueryRowContext(ctx, tokenID, clientID), &row, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, errClientNotFound
	} else if err != nil {
		return nil, false, wrap("find token client", err)
	}
	return row.domain(), revoked, nil
}

// likeEscaper makes a search string match literally inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// clientsMatching selects the clients with the status (any when nil) whose
// full name, email, business name, clientId or phone numbers contain
// search, ignoring case (see searchTerm). Both listings filter through
// it, so the JSON API and the console agree.
func (s *Store) clientsMatching(ctx context.Context, status *switchboard.Status, search string) *gorm.DB {
	q := s.rdb.WithContext(ctx).Model(&clientRow{})
	if status != nil {
		q = q.Where("status = ?", string(*status))
	}
	if search = strings.TrimSpace(search); search != "" {
		term := searchTerm(search)
		if ids, ok, err := s.searchCandidates(ctx, term); err != nil {
			q.AddError(err)
		} else if ok {
			q = q.Where("id IN ?", ids)
		}
		q = q.Where(`search_key LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(term)+"%")
	}
	return q
}

// gramSelective is how many clients a trigram may be in and still narrow a
// search: a search reads at most this many ids per trigram of its term.
const gramSelective = 1000

// searchCandidates returns the ids of the clients listed under the rarest
// trigram of term (lower-cased), from client_grams (migration 00011), which
// every client whose search_key contains term is under: the search then
// tests only these. ok is false when term is shorter than three characters
// or every trigram of it is in more than gramSelective clients: then the
// search walks the listing's index as before, where a term that common finds
// a page of matches soon. An empty list with ok means no client matches.
func (s *Store) searchCandidates(ctx context.Context, term string) (ids []uint64, ok bool, err error) {
	runes := []rune(term)
	seen := map[string]bool{}
	for i := 0; i+3 <= len(runes); i++ {
		gram := string(runes[i : i+3])
		if seen[gram] {
			continue
		}
		seen[gram] = true
		var pks []uint64
		err := s.rdb.WithContext(ctx).Table("client_grams").Where("gram = ?", gram).
			Limit(gramSelective+1).Pluck("client_pk", &pks).Error
		if err != nil {
			return nil, false, err
		}
		if len(pks) <= gramSelective && (!ok || len(pks) < len(ids)) {
			ids, ok = pks, true
		}
		if ok && len(ids) == 0 {
			break // a trigram no client has: nothing matches
		}
	}
	if ok && ids == nil {
		ids = []uint64{}
	}
	return ids, ok, nil
}

// clientLimit clamps a page size to 1..MaxClientLimit, DefaultClientLimit
// when zero or less.
func clientLimit(limit int) int {
	switch {
	case limit <= 0:
		return switchboard.DefaultClientLimit
	case limit > switchboard.MaxClientLimit:
		return switchboard.MaxClientLimit
	}
	return limit
}

// FindClients implements switchboard.ClientService. Limit is clamped by
// clientLimit and Offset to >= 0.
func (s *Store) FindClients(ctx context.Context, f switchboard.ClientFilter) ([]*switchboard.Client, int, error) {
	q := s.clientsMatching(ctx, f.Status, f.Search)
	total, err := s.countClients(ctx, q, f.Status, f.Search)
	if err != nil {
		return nil, 0, wrap("count clients", err)
	}
	var rows []clientRow
	err = clientsOffsetPage(q, f.Offset, f.Limit).Find(&rows).Error
	if err != nil {
		return nil, 0, wrap("find clients", err)
	}
	clients := make([]*switchboard.Client, len(rows))
	for i := range rows {
		clients[i] = rows[i].domain()
	}
	return clients, int(total), nil
}

// countClients counts the clients q selects. Without a search that is
// client_counts' rows (migration 00010), which triggers keep exact in every
// write's transaction: a read of three rows at most, however many clients.
// A search counts its matches.
func (s *Store) countClients(ctx context.Context, q *gorm.DB, status *switchboard.Status, search string) (int64, error) {
	var total int64
	if strings.TrimSpace(search) != "" {
		err := q.Count(&total).Error
		return total, err
	}
	err := s.clientCountQuery(ctx, status).Row().Scan(&total)
	return total, err
}

// clientCountQuery sums client_counts, one status's row or all three.
func (s *Store) clientCountQuery(ctx context.Context, status *switchboard.Status) *gorm.DB {
	c := s.rdb.WithContext(ctx).Table("client_counts").Select("COALESCE(SUM(n), 0)")
	if status != nil {
		c = c.Where("status = ?", string(*status))
	}
	return c
}

// clientsOffsetPage orders q as the JSON list does and takes one offset page.
func clientsOffsetPage(q *gorm.DB, offset, limit int) *gorm.DB {
	return q.Order("created_at DESC, id DESC").Offset(max(offset, 0)).Limit(clientLimit(limit))
}

// CreateClient implements switchboard.ClientService. The client.created
// event is written in the same transaction.
func (s *Store) CreateClient(ctx context.Context, c *switchboard.Client) error {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return err
	}
	if c.SecretHash == "" {
		return errors.New("create client: no secret hash")
	}
	t, version := now(), firstTokenVersion()
	row := clientColumns(c)
	row["client_id"], row["secret_hash"], row["token_version"], row["created_at"], row["updated_at"] =
		c.ID, c.SecretHash, version, t, t
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&clientRow{}).Create(row).Error; err != nil {
			if cerr := clientConflict(err, c); cerr != nil {
				return cerr
			}
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventClientCreated, c.ID, string(c.Status), t)
	})
	if err != nil {
		return wrap("create client", err)
	}
	c.CreatedAt, c.UpdatedAt, c.TokenVersion = t, t, version
	return nil
}

// firstTokenVersion is random rather than 1 so that a client (or admin)
// created under the id of a deleted one never accepts the deleted one's
// tokens. It stays below 2^52 so the claim is exact in any JSON reader.
func firstTokenVersion() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>12) + 1
}

// UpdateClient implements switchboard.ClientService. It records one event
// in the same transaction (client.status_changed when the status changed,
// client.updated otherwise). An update that changes no value writes nothing:
// no event, and UpdatedAt stays.
func (s *Store) UpdateClient(ctx context.Context, id string, upd switchboard.ClientUpdate) (*switchboard.Client, error) {
	upd.Normalize()
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	if !storableKey(id) {
		return nil, errClientNotFound
	}
	var updated *switchboard.Client
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The update rewrites every column from the row it read, so no other
		// update may change the row in between. SQLite's IMMEDIATE
		// transactions hold the write lock from BEGIN; PostgreSQL needs the
		// row locked (TestClientService_UpdateClient_ConcurrentFields).
		read := tx
		if s.dialect == Postgres {
			read = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		var row clientRow
		if err := read.Where("client_id = ?", id).Take(&row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return errClientNotFound
		} else if err != nil {
			return err
		}
		before, c := row.domain(), row.domain()
		c.Apply(upd)
		action, detail, changed := updateEvent(before, c)
		if !changed {
			// Every value is the one stored: nothing to write, no event, and
			// UpdatedAt keeps telling when the client last changed.
			updated = c
			return nil
		}
		c.UpdatedAt = now()
		changes := clientColumns(c)
		changes["updated_at"] = c.UpdatedAt
		if err := tx.Model(&clientRow{}).Where("id = ?", row.ID).Updates(changes).Error; err != nil {
			if cerr := clientConflict(err, c); cerr != nil {
				return cerr
			}
			return err
		}
		if err := recordEvent(ctx, tx, action, c.ID, detail, c.UpdatedAt); err != nil {
			return err
		}
		updated = c
		return nil
	})
	if err != nil {
		return nil, wrap("update client", err)
	}
	return updated, nil
}

// DeleteClient implements switchboard.ClientService. The revoked_tokens rows
// go with it through the foreign key's cascade; the client.deleted event is
// written in the same transaction, and the client's events stay.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if !storableKey(id) {
		return errClientNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("client_id = ?", id).Delete(&clientRow{})
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errClientNotFound
		}
		return recordEvent(ctx, tx, switchboard.EventClientDeleted, id, "", now())
	})
	return wrap("delete client", err)
}

// SetClientSecretHash implements switchboard.ClientService. Its event,
// client.secret_reset, has an actor that tells an admin's reset from the
// client's own change.
func (s *Store) SetClientSecretHash(ctx context.Context, id, hash string) (*switchboard.Client, error) {
	c, err := s.raiseTokenVersion(ctx, id, switchboard.EventClientSecretReset, map[string]any{"secret_hash": hash})
	return c, wrap("set client secret", err)
}

// RevokeClientTokens implements switchboard.ClientService.
func (s *Store) RevokeClientTokens(ctx context.Context, id string) (*switchboard.Client, error) {
	c, err := s.raiseTokenVersion(ctx, id, switchboard.EventClientTokensRevoked, nil)
	return c, wrap("revoke client tokens", err)
}

// raiseTokenVersion raises the client's token version, which ends every
// token issued before, together with the columns in set, and records the
// event action, all in one transaction. The client's revoked_tokens rows go
// too: the new version ends those tokens anyway.
func (s *Store) raiseTokenVersion(ctx context.Context, id, action string, set map[string]any) (*switchboard.Client, error) {
	if !storableKey(id) {
		return nil, errClientNotFound
	}
	var row clientRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t := now()
		cols := map[string]any{"token_version": gorm.Expr("token_version + 1"), "updated_at": t}
		for k, v := range set {
			cols[k] = v
		}
		res := tx.Model(&clientRow{}).Where("client_id = ?", id).Updates(cols)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errClientNotFound
		}
		if err := tx.Exec("DELETE FROM revoked_tokens WHERE client_id = ?", id).Error; err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, action, id, "", t); err != nil {
			return err
		}
		return tx.Where("client_id = ?", id).Take(&row).Error
	})
	if err != nil {
		return nil, err
	}
	return row.domain(), nil
}
