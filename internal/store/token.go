package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// revocationCapDetail is the Detail of the client.tokens_revoked event that
// the cap on revocations records, so the audit trail says why every token
// of the client ended.
var revocationCapDetail = fmt.Sprintf("more than %d revoked tokens", switchboard.MaxRevokedTokens)

// RevokeToken implements switchboard.TokenService. A client token's
// revocation first locks the client's row (PostgreSQL; SQLite has one
// writer anyway), so concurrent revocations count one after another and the
// cap holds exactly. It also forgets the revocations of tokens that have
// expired by now, which keeps the table as small as the set of tokens that
// could still be presented.
func (s *Store) RevokeToken(ctx context.Context, t switchboard.RevokedToken) (ended bool, err error) {
	t0 := now()
	var clientID, expiresAt any
	if t.ClientID != "" {
		clientID = t.ClientID
	}
	if !t.ExpiresAt.IsZero() {
		expiresAt = t.ExpiresAt.UTC()
	}
	db := s.db.WithContext(ctx)
	err = db.Transaction(func(tx *gorm.DB) error {
		if t.ClientID != "" {
			var err error
			if ended, err = s.capRevocations(ctx, tx, t.ClientID, t0); err != nil || ended {
				return err
			}
		}
		return tx.Exec(`INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (jti) DO NOTHING`, t.ID, clientID, expiresAt, t0).Error
	})
	if err != nil {
		return false, wrap("revoke token", err)
	}
	if err := db.Exec("DELETE FROM revoked_tokens WHERE expires_at < ?", t0).Error; err != nil {
		return ended, wrap("purge revoked tokens", err)
	}
	return ended, nil
}

// capRevocations ends every token of the client inside tx, and reports it,
// when the client has MaxRevokedTokens revocations of unexpired tokens
// already: the raised TokenVersion ends them all, so their rows go too.
func (s *Store) capRevocations(ctx context.Context, tx *gorm.DB, clientID string, t0 time.Time) (bool, error) {
	lock := "SELECT token_version FROM clients WHERE client_id = ?"
	if s.dialect == Postgres {
		lock += " FOR UPDATE"
	}
	var version int64
	if err := tx.Raw(lock, clientID).Row().Scan(&version); errors.Is(err, sql.ErrNoRows) {
		return false, nil // deleted meanwhile: nothing to cap (the insert then fails its foreign key, as before)
	} else if err != nil {
		return false, err
	}
	var n int64
	err := tx.Raw(`SELECT COUNT(*) FROM revoked_tokens
		WHERE client_id = ? AND (expires_at IS NULL OR expires_at >= ?)`, clientID, t0).Row().Scan(&n)
	if err != nil || n < switchboard.MaxRevokedTokens {
		return false, err
	}
	err = tx.Exec("UPDATE clients SET token_version = token_version + 1, updated_at = ? WHERE client_id = ?",
		t0, clientID).Error
	if err != nil {
		return false, err
	}
	if err := tx.Exec("DELETE FROM revoked_tokens WHERE client_id = ?", clientID).Error; err != nil {
		return false, err
	}
	return true, recordEvent(ctx, tx, switchboard.EventClientTokensRevoked, clientID, revocationCapDetail, t0)
}

// IsTokenRevoked implements switchboard.TokenService.
func (s *Store) IsTokenRevoked(ctx context.Context, id string) (bool, error) {
	st, err := s.stmt(ctx, "SELECT 1 FROM revoked_tokens WHERE jti = ?")
	if err != nil {
		return false, wrap("check revoked token", err)
	}
	var one int
	err = st.QueryRowContext(ctx, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, wrap("check revoked token", err)
	}
	return true, nil
}
