package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// The reads of every authenticated request (the token's client or admin,
// the revocation check) and of every sign-in go through database/sql
// statements that the store prepares once and keeps: SQLite compiling the
// same SQL on each request, and GORM building and scanning it by
// reflection, cost more than running it (docs/PERFORMANCE.md). database/sql
// prepares a kept statement again on any other connection by itself.
// (GORM's PrepareStmt would do it for every query, but a statement first
// used by two goroutines at once, one of them in a transaction, can be
// handed out before it is prepared.) Nothing is cached but the compiled
// SQL: every request still reads the rows.

// stmt returns the kept statement for query, written with ? placeholders,
// preparing it on first use (after migrations, which make its tables).
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.readDB.PrepareContext(ctx, s.rebind(query))
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// rebind writes ? placeholders as PostgreSQL's $1, $2, ...
func (s *Store) rebind(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// closeStmts closes the kept statements.
func (s *Store) closeStmts() {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
}

// clientSelect lists clientRow's columns in scanClient's order.
const clientSelect = `clients.id, clients.client_id, clients.status, clients.agent_id, clients.twilio_phone_number,
	clients.full_name, clients.email, clients.email_key, clients.phone, clients.business_name, clients.city,
	clients.job_title, clients.notes, clients.search_key, clients.secret_hash, clients.token_version,
	clients.calling_max_per_hour, clients.calling_hours, clients.created_at, clients.updated_at`

// scanClient scans a row of clientSelect, then extra.
func scanClient(row *sql.Row, r *clientRow, extra ...any) error {
	return row.Scan(append([]any{&r.ID, &r.ClientID, &r.Status, &r.AgentID, &r.TwilioPhoneNumber,
		&r.FullName, &r.Email, &r.EmailKey, &r.Phone, &r.BusinessName, &r.City,
		&r.JobTitle, &r.Notes, &r.SearchKey, &r.SecretHash, &r.TokenVersion,
		&r.CallingMaxPerHour, &r.CallingHours, &r.CreatedAt, &r.UpdatedAt}, extra...)...)
}
