package store

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// adminMFARequiredKey names the settings row of the team's two-factor
// requirement: "true" or "false"; no row is false.
const adminMFARequiredKey = "require_admin_mfa"

// AdminMFARequired implements switchboard.TeamSettingsService: one read of
// the row by its primary key, on every admin request, so a change made
// through any instance applies at the next request everywhere.
func (s *Store) AdminMFARequired(ctx context.Context) (bool, error) {
	st, err := s.stmt(ctx, "SELECT value FROM settings WHERE key = ?")
	if err != nil {
		return false, wrap("read mfa requirement", err)
	}
	var value string
	err = st.QueryRowContext(ctx, adminMFARequiredKey).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, wrap("read mfa requirement", err)
	}
	return value == "true", nil
}

// SetAdminMFARequired implements switchboard.TeamSettingsService. Each
// statement changes the row only when its value differs (no row reads as
// "false"), so a change records one event, also when two owners make it
// at once: the second finds it made.
func (s *Store) SetAdminMFARequired(ctx context.Context, required bool) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var res *gorm.DB
		action := switchboard.EventTeamMFARequired
		if required {
			res = tx.Exec(`INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value <> excluded.value`, adminMFARequiredKey, "true")
		} else {
			action = switchboard.EventTeamMFANotRequired
			res = tx.Exec("UPDATE settings SET value = ? WHERE key = ? AND value <> ?", "false", adminMFARequiredKey, "false")
		}
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return nil // it was so already
		}
		return recordEvent(ctx, tx, action, "", "", now())
	})
	return wrap("set mfa requirement", err)
}

// environmentPasswordKey names the settings row of the hash of the
// password ADMIN_PASSWORD last gave the admin.
func environmentPasswordKey(username string) string {
	return "admin_password_from_environment:" + username
}

// EnvironmentPassword implements switchboard.TeamSettingsService.
func (s *Store) EnvironmentPassword(ctx context.Context, username string) (string, error) {
	var hash string
	err := s.db.WithContext(ctx).Raw("SELECT value FROM settings WHERE key = ?", environmentPasswordKey(username)).Scan(&hash).Error
	return hash, wrap("read environment password", err)
}

// SetEnvironmentPassword implements switchboard.TeamSettingsService.
func (s *Store) SetEnvironmentPassword(ctx context.Context, username, hash string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, environmentPasswordKey(username), hash).Error
	return wrap("store environment password", err)
}

var _ switchboard.TeamSettingsService = (*Store)(nil)
