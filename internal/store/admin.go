package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"switchboard/internal/switchboard"
)

type adminRow struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string
	PasswordHash string
	TokenVersion int64
	Role         string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (adminRow) TableName() string { return "admins" }

var errAdminNotFound = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Admin not found"}

// FindAdminByUsername implements switchboard.AdminService.
func (s *Store) FindAdminByUsername(ctx context.Context, username string) (*switchboard.Admin, error) {
	if !storableKey(username) {
		return nil, errAdminNotFound
	}
	st, err := s.stmt(ctx, "SELECT username, password_hash, token_version, role, disabled, created_at FROM admins WHERE username = ?")
	if err != nil {
		return nil, wrap("find admin", err)
	}
	var row adminRow
	err = st.QueryRowContext(ctx, username).Scan(&row.Username, &row.PasswordHash, &row.TokenVersion, &row.Role, &row.Disabled, &row.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAdminNotFound
	} else if err != nil {
		return nil, wrap("find admin", err)
	}
	return &switchboard.Admin{
		Username: row.Username, PasswordHash: row.PasswordHash, TokenVersion: row.TokenVersion,
		Role: switchboard.Role(row.Role), Disabled: row.Disabled, CreatedAt: row.CreatedAt.UTC(),
	}, nil
}

// CountAdmins implements switchboard.AdminService.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&adminRow{}).Count(&n).Error; err != nil {
		return 0, wrap("count admins", err)
	}
	return int(n), nil
}

// CreateAdmin implements switchboard.AdminService.
func (s *Store) CreateAdmin(ctx context.Context, a *switchboard.Admin) error {
	if a.Role == "" {
		a.Role = switchboard.RoleOwner
	} else if !a.Role.Valid() {
		return switchboard.InvalidField("role", "must be owner, operator or viewer")
	}
	t := now()
	row := adminRow{Username: a.Username, PasswordHash: a.PasswordHash, TokenVersion: firstTokenVersion(),
		Role: string(a.Role), Disabled: a.Disabled, CreatedAt: t, UpdatedAt: t}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		if _, ok := uniqueViolation(err); ok {
			return switchboard.Errorf(switchboard.ECONFLICT, "Admin %q already exists", a.Username)
		}
		return wrap("create admin", err)
	}
	a.CreatedAt, a.TokenVersion = t, row.TokenVersion
	return nil
}

// SetAdminPasswordHash implements switchboard.AdminService.
func (s *Store) SetAdminPasswordHash(ctx context.Context, username, hash string) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	res := s.db.WithContext(ctx).Model(&adminRow{}).Where("username = ?", username).
		Updates(map[string]any{"password_hash": hash, "token_version": gorm.Expr("token_version + 1"), "updated_at": now()})
	if res.Error != nil {
		return wrap("set admin password", res.Error)
	} else if res.RowsAffected == 0 {
		return errAdminNotFound
	}
	return nil
}

var errLastOwner = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "The last owner cannot be disabled, demoted or deleted"}

// SetAdminRole implements switchboard.AdminService.
func (s *Store) SetAdminRole(ctx context.Context, username string, role switchboard.Role) error {
	if !role.Valid() {
		return switchboard.InvalidField("role", "must be owner, operator or viewer")
	}
	return s.changeAdmin(ctx, username, func(tx *gorm.DB, a *adminRow, owners []uint64) error {
		if a.Role == string(role) {
			return nil
		}
		if role != switchboard.RoleOwner {
			if err := keepAnOwner(a, owners); err != nil {
				return err
			}
		}
		if err := tx.Model(&adminRow{}).Where("id = ?", a.ID).
			Updates(map[string]any{"role": string(role), "updated_at": now()}).Error; err != nil {
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventAdminRoleChanged, "", a.Username+": "+a.Role+" → "+string(role), now())
	})
}

// SetAdminDisabled implements switchboard.AdminService.
func (s *Store) SetAdminDisabled(ctx context.Context, username string, disabled bool) error {
	return s.changeAdmin(ctx, username, func(tx *gorm.DB, a *adminRow, owners []uint64) error {
		if a.Disabled == disabled {
			return nil
		}
		action := switchboard.EventAdminEnabled
		if disabled {
			action = switchboard.EventAdminDisabled
			if err := keepAnOwner(a, owners); err != nil {
				return err
			}
		}
		if err := tx.Model(&adminRow{}).Where("id = ?", a.ID).
			Updates(map[string]any{"disabled": disabled, "updated_at": now()}).Error; err != nil {
			return err
		}
		return recordEvent(ctx, tx, action, "", a.Username, now())
	})
}

// changeAdmin runs change on the admin's row in a transaction. On
// PostgreSQL it first locks every enabled owner's row, in one order, then
// the admin's: so two owners demoting each other at once cannot both
// succeed, nor deadlock. SQLite runs one writer at a time.
func (s *Store) changeAdmin(ctx context.Context, username string, change func(tx *gorm.DB, a *adminRow, owners []uint64) error) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var owners []uint64
		err := s.forUpdate(tx).Model(&adminRow{}).Where("role = ? AND disabled = ?", string(switchboard.RoleOwner), false).
			Order("id").Pluck("id", &owners).Error
		if err != nil {
			return err
		}
		var row adminRow
		res := s.forUpdate(tx).Where("username = ?", username).Limit(1).Find(&row)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return errAdminNotFound
		}
		return change(tx, &row, owners)
	})
	if switchboard.ErrorCode(err) != "" {
		return err
	}
	return wrap("change admin", err)
}

// keepAnOwner refuses a change that takes a away from the enabled owners
// when no other enabled owner remains.
func keepAnOwner(a *adminRow, owners []uint64) error {
	if a.Role != string(switchboard.RoleOwner) || a.Disabled {
		return nil
	}
	for _, id := range owners {
		if id != a.ID {
			return nil
		}
	}
	return errLastOwner
}
