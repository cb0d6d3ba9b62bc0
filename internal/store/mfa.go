package store

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

// adminIDSQL selects the admins.id of the username bound to it.
const adminIDSQL = "(SELECT id FROM admins WHERE username = ?)"

var (
	errMFAEnabled    = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "Two-factor sign-in is already enabled"}
	errMFANotPending = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "Two-factor sign-in is not being set up"}
	errMFANotEnabled = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "Two-factor sign-in is not enabled"}
)

// adminExists tells ENOTFOUND from another reason an update changed nothing.
func adminExists(db *gorm.DB, username string) (bool, error) {
	var n int64
	err := db.Raw("SELECT COUNT(*) FROM admins WHERE username = ?", username).Scan(&n).Error
	return n > 0, err
}

// SetMFASecret implements switchboard.MFAService. One statement: the
// insert, or the update of a secret never confirmed, never of an enabled one.
func (s *Store) SetMFASecret(ctx context.Context, username, sealed string) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	db := s.db.WithContext(ctx)
	res := db.Exec(`INSERT INTO admin_mfa (admin_id, secret, enabled, last_step, updated_at)
SELECT id, ?, ?, 0, ? FROM admins WHERE username = ?
ON CONFLICT (admin_id) DO UPDATE SET secret = excluded.secret, last_step = 0, updated_at = excluded.updated_at
WHERE NOT admin_mfa.enabled`, sealed, false, now(), username)
	if res.Error != nil {
		return wrap("set mfa secret", res.Error)
	} else if res.RowsAffected > 0 {
		return nil
	}
	if ok, err := adminExists(db, username); err != nil {
		return wrap("set mfa secret", err)
	} else if !ok {
		return errAdminNotFound
	}
	return errMFAEnabled
}

// EnableMFA implements switchboard.MFAService.
func (s *Store) EnableMFA(ctx context.Context, username string, step int64, recoveryHashes []string) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id uint64
		if err := tx.Raw("SELECT id FROM admins WHERE username = ?", username).Scan(&id).Error; err != nil {
			return err
		} else if id == 0 {
			return errAdminNotFound
		}
		res := tx.Exec("UPDATE admin_mfa SET enabled = ?, last_step = ?, updated_at = ? WHERE admin_id = ? AND NOT enabled",
			true, step, now(), id)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errMFANotPending
		}
		if err := tx.Exec("DELETE FROM admin_recovery_codes WHERE admin_id = ?", id).Error; err != nil {
			return err
		}
		for _, h := range recoveryHashes {
			if err := tx.Exec("INSERT INTO admin_recovery_codes (admin_id, code_hash) VALUES (?, ?)", id, h).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("enable mfa", err)
}

// DisableMFA implements switchboard.MFAService.
func (s *Store) DisableMFA(ctx context.Context, username string) error {
	if !storableKey(username) {
		return nil
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM admin_recovery_codes WHERE admin_id = "+adminIDSQL, username).Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM admin_mfa WHERE admin_id = "+adminIDSQL, username).Error
	})
	return wrap("disable mfa", err)
}

// ResetMFA implements switchboard.MFAService. A set-up never confirmed is
// no two-factor sign-in: it is left to its admin.
func (s *Store) ResetMFA(ctx context.Context, username string) error {
	return s.changeAdmin(ctx, username, func(tx *gorm.DB, a *adminRow, _ []uint64) error {
		if byItself(ctx, a) {
			return errResetOwnMFA
		}
		res := tx.Exec("DELETE FROM admin_mfa WHERE admin_id = ? AND enabled", a.ID)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errMFANotEnabled
		}
		if err := tx.Exec("DELETE FROM admin_recovery_codes WHERE admin_id = ?", a.ID).Error; err != nil {
			return err
		}
		t := now()
		err := tx.Model(&adminRow{}).Where("id = ?", a.ID).
			Updates(map[string]any{"token_version": gorm.Expr("token_version + 1"), "updated_at": t}).Error
		if err != nil {
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventAdminMFAReset, "", a.Username, t)
	})
}

// MFAState implements switchboard.MFAService.
func (s *Store) MFAState(ctx context.Context, username string) (*switchboard.MFAState, error) {
	if !storableKey(username) {
		return nil, errAdminNotFound
	}
	var (
		secret  sql.NullString
		enabled sql.NullBool
		step    sql.NullInt64
		st      switchboard.MFAState
	)
	err := s.db.WithContext(ctx).Raw(`SELECT m.secret, m.enabled, m.last_step,
  (SELECT COUNT(*) FROM admin_recovery_codes r WHERE r.admin_id = a.id)
FROM admins a LEFT JOIN admin_mfa m ON m.admin_id = a.id WHERE a.username = ?`, username).
		Row().Scan(&secret, &enabled, &step, &st.RecoveryCodes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAdminNotFound
	} else if err != nil {
		return nil, wrap("read mfa state", err)
	}
	st.Secret, st.Enabled, st.LastStep = secret.String, enabled.Bool, step.Int64
	return &st, nil
}

// AcceptTOTPStep implements switchboard.MFAService: one conditional update,
// atomic in both databases.
func (s *Store) AcceptTOTPStep(ctx context.Context, username string, step int64) (bool, error) {
	if !storableKey(username) {
		return false, nil
	}
	res := s.db.WithContext(ctx).Exec("UPDATE admin_mfa SET last_step = ?, updated_at = ? WHERE admin_id = "+adminIDSQL+
		" AND enabled AND last_step < ?", step, now(), username, step)
	if res.Error != nil {
		return false, wrap("accept totp step", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UseRecoveryCode implements switchboard.MFAService: the delete is the use,
// so of two sign-ins with one code, one wins.
func (s *Store) UseRecoveryCode(ctx context.Context, username, hash string) (bool, error) {
	if !storableKey(username) || !storableKey(hash) {
		return false, nil
	}
	res := s.db.WithContext(ctx).Exec("DELETE FROM admin_recovery_codes WHERE admin_id = "+adminIDSQL+" AND code_hash = ?", username, hash)
	if res.Error != nil {
		return false, wrap("use recovery code", res.Error)
	}
	return res.RowsAffected == 1, nil
}

var _ switchboard.MFAService = (*Store)(nil)
