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
	// InviteHash and InviteExpiresAt are an invited admin's invitation.
	InviteHash      *string
	InviteExpiresAt *time.Time
	// JoinedAt is when the admin first had a password; nil while invited.
	JoinedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (adminRow) TableName() string { return "admins" }

var errAdminNotFound = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Admin not found"}

// adminSelect reads what makes an admin: its row, and whether its
// two-factor sign-in is enabled (admin_mfa's primary key is the admin's id,
// so the join costs one index lookup).
const adminSelect = `SELECT a.username, a.password_hash, a.token_version, a.role, a.disabled, a.joined_at, a.created_at,
  COALESCE(m.enabled, ?)
FROM admins a LEFT JOIN admin_mfa m ON m.admin_id = a.id`

// scanAdmin reads one row of adminSelect.
func scanAdmin(scan func(dest ...any) error) (*switchboard.Admin, error) {
	var row adminRow
	var twoFactor bool
	if err := scan(&row.Username, &row.PasswordHash, &row.TokenVersion, &row.Role, &row.Disabled, &row.JoinedAt, &row.CreatedAt, &twoFactor); err != nil {
		return nil, err
	}
	a := row.admin()
	a.TwoFactor = twoFactor
	return a, nil
}

// FindAdminByUsername implements switchboard.AdminService.
func (s *Store) FindAdminByUsername(ctx context.Context, username string) (*switchboard.Admin, error) {
	if !storableKey(username) {
		return nil, errAdminNotFound
	}
	st, err := s.stmt(ctx, adminSelect+" WHERE a.username = ?")
	if err != nil {
		return nil, wrap("find admin", err)
	}
	a, err := scanAdmin(st.QueryRowContext(ctx, false, username).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAdminNotFound
	} else if err != nil {
		return nil, wrap("find admin", err)
	}
	return a, nil
}

func (row *adminRow) admin() *switchboard.Admin {
	return &switchboard.Admin{
		Username: row.Username, PasswordHash: row.PasswordHash, TokenVersion: row.TokenVersion,
		Role: switchboard.Role(row.Role), Disabled: row.Disabled,
		Invited: row.JoinedAt == nil, PasswordReset: row.JoinedAt != nil && row.PasswordHash == "",
		CreatedAt: row.CreatedAt.UTC(),
	}
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
		Role: string(a.Role), Disabled: a.Disabled, JoinedAt: &t, CreatedAt: t, UpdatedAt: t}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		if _, ok := uniqueViolation(err); ok {
			return switchboard.Errorf(switchboard.ECONFLICT, "Admin %q already exists", a.Username)
		}
		return wrap("create admin", err)
	}
	a.CreatedAt, a.TokenVersion = t, row.TokenVersion
	return nil
}

// SetAdminPasswordHash implements switchboard.AdminService. The link of a
// pending invitation or reset stops working: the password set here is the
// one that counts.
func (s *Store) SetAdminPasswordHash(ctx context.Context, username, hash string) error {
	return s.setAdminPasswordHash(ctx, username, hash, nil)
}

var errAdminChangedMeanwhile = &switchboard.Error{Code: switchboard.ECONFLICT,
	Message: "Your sign-in changed meanwhile (a reset by an owner?): sign in again"}

// ChangeAdminPasswordHash implements switchboard.AdminService: the update
// is conditional on the version, so a reset committed while the current
// password was being checked wins.
func (s *Store) ChangeAdminPasswordHash(ctx context.Context, username string, version int64, hash string) error {
	return s.setAdminPasswordHash(ctx, username, hash, &version)
}

// setAdminPasswordHash sets the admin's password hash, only while its
// token version is *version when version is not nil.
func (s *Store) setAdminPasswordHash(ctx context.Context, username, hash string, version *int64) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	t := now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&adminRow{}).Where("username = ?", username)
		if version != nil {
			q = q.Where("token_version = ?", *version)
		}
		res := q.Updates(map[string]any{"password_hash": hash, "token_version": gorm.Expr("token_version + 1"), "updated_at": t,
			"invite_hash": nil, "invite_expires_at": nil, "joined_at": gorm.Expr("COALESCE(joined_at, ?)", t)})
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 && version != nil {
			return errAdminChangedMeanwhile
		} else if res.RowsAffected == 0 {
			return errAdminNotFound
		}
		return recordEvent(ctx, tx, switchboard.EventAdminPasswordChanged, "", username, t)
	})
	return wrap("set admin password", err)
}

var (
	errLastOwner      = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "The last owner cannot be disabled, demoted or deleted"}
	errLastOwnerReset = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "The last owner's password cannot be reset"}
	// An owner's token alone, without its password or second factor, must
	// not take its own account over through a reset: its own password
	// change asks for the current one.
	errResetOwnPassword = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "You cannot reset your own password: change it on your Security page"}
	errResetOwnMFA      = &switchboard.Error{Code: switchboard.ECONFLICT, Message: "You cannot reset your own two-factor sign-in: ask another owner"}
)

// byItself reports whether the admin of row a is the one ctx names as the
// actor.
func byItself(ctx context.Context, a *adminRow) bool {
	return switchboard.ActorFromContext(ctx) == switchboard.AdminActor(a.Username)
}

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

// changeAdmin runs change on the admin's row in a transaction, with the
// ids of the enabled owners (an invited owner, or one whose password was
// reset, has no password to sign in with, and is none). On PostgreSQL it
// first locks every enabled owner's row, in one order, then the admin's: so
// two owners demoting each other at once cannot both succeed, nor deadlock.
// SQLite runs one writer at a time.
func (s *Store) changeAdmin(ctx context.Context, username string, change func(tx *gorm.DB, a *adminRow, owners []uint64) error) error {
	if !storableKey(username) {
		return errAdminNotFound
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var owners []uint64
		err := s.forUpdate(tx).Model(&adminRow{}).Where("role = ? AND disabled = ? AND password_hash <> ''", string(switchboard.RoleOwner), false).
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
	if a.Role != string(switchboard.RoleOwner) || a.Disabled || a.PasswordHash == "" {
		return nil
	}
	for _, id := range owners {
		if id != a.ID {
			return nil
		}
	}
	return errLastOwner
}

// ListAdmins implements switchboard.AdminService.
func (s *Store) ListAdmins(ctx context.Context) ([]*switchboard.Admin, error) {
	rows, err := s.db.WithContext(ctx).Raw(adminSelect+" ORDER BY a.username", false).Rows()
	if err != nil {
		return nil, wrap("list admins", err)
	}
	defer rows.Close()
	var out []*switchboard.Admin
	for rows.Next() {
		a, err := scanAdmin(rows.Scan)
		if err != nil {
			return nil, wrap("list admins", err)
		}
		out = append(out, a)
	}
	return out, wrap("list admins", rows.Err())
}

// InviteAdmin implements switchboard.AdminService.
func (s *Store) InviteAdmin(ctx context.Context, a *switchboard.Admin, inviteHash string, expires time.Time) error {
	if !a.Role.Valid() {
		return switchboard.InvalidField("role", "must be owner, operator or viewer")
	}
	t := now()
	expires = expires.UTC()
	row := adminRow{Username: a.Username, TokenVersion: firstTokenVersion(), Role: string(a.Role),
		InviteHash: &inviteHash, InviteExpiresAt: &expires, CreatedAt: t, UpdatedAt: t}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventAdminInvited, "", a.Username+" ("+string(a.Role)+")", t)
	})
	if _, ok := uniqueViolation(err); ok {
		return switchboard.Errorf(switchboard.ECONFLICT, "Admin %q already exists", a.Username)
	} else if err != nil {
		return wrap("invite admin", err)
	}
	a.CreatedAt, a.TokenVersion, a.Invited = t, row.TokenVersion, true
	return nil
}

var errNoInvite = &switchboard.Error{Code: switchboard.ENOTFOUND, Message: "Invalid or expired invitation"}

// AcceptAdminInvite implements switchboard.AdminService. The admin who
// accepts is the actor of the event: EventAdminJoined the first time,
// EventAdminPasswordSet after a reset.
func (s *Store) AcceptAdminInvite(ctx context.Context, inviteHash, passwordHash string, at time.Time) (*switchboard.Admin, error) {
	if !storableKey(inviteHash) {
		return nil, errNoInvite
	}
	var row adminRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := s.forUpdate(tx).Where("invite_hash = ?", inviteHash).Limit(1).Find(&row)
		if res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 || row.InviteExpiresAt == nil || !at.Before(*row.InviteExpiresAt) {
			return errNoInvite
		}
		t := now()
		action := switchboard.EventAdminPasswordSet
		if row.JoinedAt == nil {
			action, row.JoinedAt = switchboard.EventAdminJoined, &t
		}
		err := tx.Model(&adminRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"password_hash": passwordHash, "invite_hash": nil, "invite_expires_at": nil, "joined_at": row.JoinedAt,
			"token_version": gorm.Expr("token_version + 1"), "updated_at": t,
		}).Error
		if err != nil {
			return err
		}
		row.PasswordHash, row.TokenVersion = passwordHash, row.TokenVersion+1
		actor := switchboard.NewContextWithActor(ctx, switchboard.AdminActor(row.Username))
		return recordEvent(actor, tx, action, "", row.Username, t)
	})
	if switchboard.ErrorCode(err) != "" {
		return nil, err
	} else if err != nil {
		return nil, wrap("accept admin invite", err)
	}
	return row.admin(), nil
}

// DeleteAdmin implements switchboard.AdminService.
func (s *Store) DeleteAdmin(ctx context.Context, username string) error {
	return s.changeAdmin(ctx, username, func(tx *gorm.DB, a *adminRow, owners []uint64) error {
		if err := keepAnOwner(a, owners); err != nil {
			return err
		}
		if err := tx.Delete(&adminRow{}, a.ID).Error; err != nil {
			return err
		}
		return recordEvent(ctx, tx, switchboard.EventAdminDeleted, "", a.Username, now())
	})
}

// ResetAdminPassword implements switchboard.AdminService, in one
// transaction: from its commit the old password matches nothing, and every
// token of the admin is refused (its TokenVersion moved on). An admin still
// invited gets a new invitation, and the trail says so.
func (s *Store) ResetAdminPassword(ctx context.Context, username, inviteHash string, expires time.Time) error {
	expires = expires.UTC()
	return s.changeAdmin(ctx, username, func(tx *gorm.DB, a *adminRow, owners []uint64) error {
		if byItself(ctx, a) {
			return errResetOwnPassword
		} else if keepAnOwner(a, owners) != nil {
			return errLastOwnerReset
		}
		t := now()
		err := tx.Model(&adminRow{}).Where("id = ?", a.ID).Updates(map[string]any{
			"password_hash": "", "invite_hash": inviteHash, "invite_expires_at": expires,
			"token_version": gorm.Expr("token_version + 1"), "updated_at": t,
		}).Error
		if err != nil {
			return err
		} else if a.JoinedAt == nil { // no password yet: a new invitation
			return recordEvent(ctx, tx, switchboard.EventAdminInvited, "", a.Username+" ("+a.Role+")", t)
		}
		return recordEvent(ctx, tx, switchboard.EventAdminPasswordReset, "", a.Username, t)
	})
}
