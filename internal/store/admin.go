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
	st, err := s.stmt(ctx, "SELECT username, password_hash, token_version, created_at FROM admins WHERE username = ?")
	if err != nil {
		return nil, wrap("find admin", err)
	}
	var row adminRow
	err = st.QueryRowContext(ctx, username).Scan(&row.Username, &row.PasswordHash, &row.TokenVersion, &row.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAdminNotFound
	} else if err != nil {
		return nil, wrap("find admin", err)
	}
	return &switchboard.Admin{
		Username: row.Username, PasswordHash: row.PasswordHash, TokenVersion: row.TokenVersion, CreatedAt: row.CreatedAt.UTC(),
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
	t := now()
	row := adminRow{Username: a.Username, PasswordHash: a.PasswordHash, TokenVersion: firstTokenVersion(), CreatedAt: t, UpdatedAt: t}
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
