package store

import (
	"context"
	"database/sql"

	"switchboard/internal/switchboard"
)

// RevokeToken implements switchboard.TokenService. It also forgets the
// revocations of tokens that have expired by now, which keeps the table as
// small as the set of tokens that could still be presented.
func (s *Store) RevokeToken(ctx context.Context, t switchboard.RevokedToken) error {
	t0 := now()
	var clientID, expiresAt any
	if t.ClientID != "" {
		clientID = t.ClientID
	}
	if !t.ExpiresAt.IsZero() {
		expiresAt = t.ExpiresAt.UTC()
	}
	db := s.db.WithContext(ctx)
	err := db.Exec(`INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (jti) DO NOTHING`, t.ID, clientID, expiresAt, t0).Error
	if err != nil {
		return wrap("revoke token", err)
	}
	if err := db.Exec("DELETE FROM revoked_tokens WHERE expires_at < ?", t0).Error; err != nil {
		return wrap("purge revoked tokens", err)
	}
	return nil
}

// IsTokenRevoked implements switchboard.TokenService.
func (s *Store) IsTokenRevoked(ctx context.Context, id string) (bool, error) {
	var found sql.NullString
	err := s.db.WithContext(ctx).Raw("SELECT jti FROM revoked_tokens WHERE jti = ?", id).Scan(&found).Error
	if err != nil {
		return false, wrap("check revoked token", err)
	}
	return found.Valid, nil
}
