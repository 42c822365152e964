// Package account keeps members and their credentials: accounts of
// partners' people and devices, passwords (argon2id), API tokens, browser
// sessions and sign-in throttling. It turns a credential into the
// access.Principal the rest of the server works with; what that principal
// may see is decided by package access, which has no database.
package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Service keeps members and their credentials.
type Service struct {
	db *store.DB
	// SessionTTL is how long a browser session lasts (default 12 h, a
	// watch's length).
	SessionTTL time.Duration
	now        func() time.Time
	byPair     *throttle // failures per username and address
	byAddr     *throttle // failures per address, whatever the username
}

// NewService returns the member service on db.
func NewService(db *store.DB) *Service {
	// Ten failures in 15 minutes per username from one address; a hundred
	// per address, since a whole operations centre may sit behind one
	// address. There is no count per username alone: an attacker failing
	// against a username must not lock its owner out, so the failing
	// address is slowed and the owner, from another address, signs in.
	return &Service{db: db, SessionTTL: 12 * time.Hour, now: time.Now,
		byPair: newThrottle(10, 15*time.Minute), byAddr: newThrottle(100, 15*time.Minute)}
}

const memberCols = `m.id, m.partner_id, p.code, m.username, m.display_name, m.kind, m.is_admin, m.disabled, m.created_at`

func scanMember(s interface{ Scan(...any) error }) (access.Member, error) {
	var m access.Member
	var created int64
	err := s.Scan(&m.ID, &m.PartnerID, &m.Partner, &m.Username, &m.DisplayName, &m.Kind, &m.IsAdmin, &m.Disabled, &created)
	m.CreatedAt = store.Time(created)
	return m, err
}

// NewMember is the input to CreateMember.
type NewMember struct {
	Partner     string `json:"partner"` // partner code
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Kind        string `json:"kind"` // person (default) or device
	Password    string `json:"password,omitempty"`
	IsAdmin     bool   `json:"is_admin"`
}

// CreateMember adds a member (server admins and the CLI).
func (s *Service) CreateMember(ctx context.Context, actor access.Principal, in NewMember) (access.Member, error) {
	if !actor.IsAdmin {
		return access.Member{}, access.ErrForbidden
	}
	var errs validate.Errors
	errs.Code("username", in.Username, 64)
	in.Username = strings.ToLower(in.Username)
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	errs.Line("display_name", in.DisplayName, true, 200)
	if in.Kind == "" {
		in.Kind = access.Person
	}
	errs.OneOf("kind", in.Kind, access.Person, access.Device)
	// A person without a password cannot sign in until an admin sets one
	// (members imported from another server arrive so).
	if in.Kind == access.Device && in.Password != "" {
		errs.Add("password", "devices sign in with tokens or certificates, not passwords")
	} else if in.Password != "" {
		if why := PasswordProblem(in.Username, in.Password); why != "" {
			errs.Add("password", "%s", why)
		}
	}
	var partnerID string
	if in.Partner == "" {
		errs.Add("partner", "is required")
	} else if err := store.Scan(s.db.QueryRow(ctx, `SELECT id FROM partners WHERE code = ?`, in.Partner), &partnerID); errors.Is(err, store.ErrNotFound) {
		errs.Add("partner", "no partner with code %q", in.Partner)
	} else if err != nil {
		return access.Member{}, err
	}
	if err := errs.Err(); err != nil {
		return access.Member{}, err
	}
	var hash sql.NullString
	if in.Password != "" {
		h, err := HashPassword(in.Password)
		if err != nil {
			return access.Member{}, err
		}
		hash = sql.NullString{String: h, Valid: true}
	}
	m := access.Member{ID: store.NewID(), PartnerID: partnerID, Partner: in.Partner, Username: in.Username,
		DisplayName: in.DisplayName, Kind: in.Kind, IsAdmin: in.IsAdmin, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO members (id, partner_id, username, display_name, kind, password_hash, is_admin, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.PartnerID, m.Username, m.DisplayName, m.Kind, hash, m.IsAdmin, false, store.Micros(m.CreatedAt)); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return validate.Field("username", "%q is taken", m.Username)
			}
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "member.create", "", "member", m.ID, map[string]any{"username": m.Username, "partner": m.Partner, "admin": m.IsAdmin}))
		return err
	})
	return m, err
}

// MemberPatch changes a member; nil fields stay as they are.
type MemberPatch struct {
	DisplayName *string `json:"display_name,omitempty"`
	Password    *string `json:"password,omitempty"`
	IsAdmin     *bool   `json:"is_admin,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// UpdateMember changes a member. Admins change anyone; a member may change
// its own display name and password. Disabling a member ends its sessions
// and revokes its tokens.
func (s *Service) UpdateMember(ctx context.Context, actor access.Principal, username string, p MemberPatch) (access.Member, error) {
	m, err := s.Member(ctx, username)
	if err != nil {
		return access.Member{}, err
	}
	self := actor.ID == m.ID
	if !actor.IsAdmin && !(self && p.IsAdmin == nil && p.Disabled == nil) {
		return access.Member{}, access.ErrForbidden
	}
	var errs validate.Errors
	if p.DisplayName != nil {
		errs.Line("display_name", *p.DisplayName, true, 200)
	}
	var hash string
	if p.Password != nil {
		if m.Kind != access.Person {
			errs.Add("password", "devices have no password")
		} else if why := PasswordProblem(m.Username, *p.Password); why != "" {
			errs.Add("password", "%s", why)
		} else if hash, err = HashPassword(*p.Password); err != nil {
			return access.Member{}, err
		}
	}
	if self && p.IsAdmin != nil && !*p.IsAdmin {
		errs.Add("is_admin", "an admin cannot remove its own admin right")
	}
	if err := errs.Err(); err != nil {
		return access.Member{}, err
	}
	var changed []string
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.now())
		if p.DisplayName != nil {
			m.DisplayName = *p.DisplayName
			changed = append(changed, "display_name")
			if _, err := tx.Exec(ctx, `UPDATE members SET display_name = ? WHERE id = ?`, m.DisplayName, m.ID); err != nil {
				return err
			}
		}
		if hash != "" {
			changed = append(changed, "password")
			if _, err := tx.Exec(ctx, `UPDATE members SET password_hash = ? WHERE id = ?`, hash, m.ID); err != nil {
				return err
			}
		}
		if p.IsAdmin != nil {
			m.IsAdmin = *p.IsAdmin
			changed = append(changed, "is_admin")
			if _, err := tx.Exec(ctx, `UPDATE members SET is_admin = ? WHERE id = ?`, m.IsAdmin, m.ID); err != nil {
				return err
			}
		}
		if p.Disabled != nil {
			m.Disabled = *p.Disabled
			changed = append(changed, "disabled")
			if _, err := tx.Exec(ctx, `UPDATE members SET disabled = ? WHERE id = ?`, m.Disabled, m.ID); err != nil {
				return err
			}
		}
		if m.Disabled || hash != "" {
			// A new password or a disabled account ends every session.
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE member_id = ?`, m.ID); err != nil {
				return err
			}
		}
		if m.Disabled {
			if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE member_id = ? AND revoked_at IS NULL`, now, m.ID); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "member.update", "", "member", m.ID, map[string]any{"fields": changed}))
		return err
	})
	return m, err
}

// Member returns a member by username (or ID).
func (s *Service) Member(ctx context.Context, username string) (access.Member, error) {
	return scanMember(s.db.QueryRow(ctx, `SELECT `+memberCols+` FROM members m JOIN partners p ON p.id = m.partner_id
		WHERE m.username = ? OR m.id = ?`, strings.ToLower(username), username))
}

// Members lists members ordered by username, after the cursor username.
// partner filters by partner code when not empty.
func (s *Service) Members(ctx context.Context, partner, after string, limit int) ([]access.Member, error) {
	q := `SELECT ` + memberCols + ` FROM members m JOIN partners p ON p.id = m.partner_id WHERE m.username > ?`
	args := []any{after}
	if partner != "" {
		q += ` AND p.code = ?`
		args = append(args, partner)
	}
	q += ` ORDER BY m.username LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []access.Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// principal loads a member and the rooms it belongs to.
func (s *Service) principal(ctx context.Context, memberID, via string) (access.Principal, error) {
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return access.Principal{}, err
	}
	if m.Disabled {
		return access.Principal{}, access.ErrUnauthenticated
	}
	rooms, err := s.memberRooms(ctx, m.ID)
	if err != nil {
		return access.Principal{}, err
	}
	return access.Principal{Member: m, Via: via, Viewer: access.Viewer{MemberID: m.ID, PartnerID: m.PartnerID, Rooms: rooms}}, nil
}

func (s *Service) memberRooms(ctx context.Context, memberID string) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT room_id FROM room_members WHERE member_id = ?`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rooms := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		rooms[id] = true
	}
	return rooms, rows.Err()
}

// AsMember returns the principal of a member for trusted local callers
// (the CLI, the TAK listener's configured identities).
func (s *Service) AsMember(ctx context.Context, username, via string) (access.Principal, error) {
	m, err := s.Member(ctx, username)
	if err != nil {
		return access.Principal{}, fmt.Errorf("member %q: %w", username, err)
	}
	return s.principal(ctx, m.ID, via)
}

// Login checks a username and password and opens a session. It returns
// the session secret for the cookie. Success and failure are audited.
func (s *Service) Login(ctx context.Context, username, password, remote string) (access.Principal, string, error) {
	// The address is a key of its own; the pair key puts the address
	// first so that no username can collide with another address's key.
	addr := remote
	pair := remote + "\x00" + strings.ToLower(username)
	if s.byPair.blocked(s.now(), pair) || s.byAddr.blocked(s.now(), addr) {
		_ = audit.Log(ctx, s.db, audit.Record{Action: "login.throttled",
			Detail: audit.Detail(map[string]string{"username": truncate(username, 64), "remote": remote})})
		return access.Principal{}, "", ErrTooManyAttempts
	}
	var id, hash string
	var disabled bool
	err := store.Scan(s.db.QueryRow(ctx, `SELECT id, COALESCE(password_hash, ''), disabled FROM members WHERE username = ?`,
		strings.ToLower(username)), &id, &hash, &disabled)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return access.Principal{}, "", err
	}
	if hash == "" {
		CheckPassword(dummyHash, password) // same work whether or not the account exists
	}
	if hash == "" || !CheckPassword(hash, password) || disabled {
		s.byPair.fail(s.now(), pair)
		s.byAddr.fail(s.now(), addr)
		_ = audit.Log(ctx, s.db, audit.Record{ActorID: id, Action: "login.fail", Kind: "member", ObjectID: id,
			Detail: audit.Detail(map[string]string{"username": truncate(username, 64), "remote": remote})})
		return access.Principal{}, "", ErrBadCredentials
	}
	// Success forgets this address's failures against this username, not
	// the address's other failures: signing in to one's own account must
	// not buy more guesses at others.
	s.byPair.reset(pair)
	p, err := s.principal(ctx, id, "session")
	if err != nil {
		return access.Principal{}, "", err
	}
	secret, sh := NewSecret(SessionPrefix)
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE member_id = ? AND expires_at < ?`, id, store.Micros(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sh, id, store.Micros(now), store.Micros(now.Add(s.SessionTTL))); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(p, "login.ok", "", "member", id, map[string]string{"remote": remote}))
		return err
	})
	return p, secret, err
}

// Logout ends the session with the given secret.
func (s *Service) Logout(ctx context.Context, p access.Principal, secret string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE hash = ?`, HashSecret(secret)); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(p, "logout", "", "member", p.ID, nil))
		return err
	})
}

// Session returns the principal of a live session.
func (s *Service) Session(ctx context.Context, secret string) (access.Principal, error) {
	if !strings.HasPrefix(secret, SessionPrefix) {
		return access.Principal{}, access.ErrUnauthenticated
	}
	var id string
	var expires int64
	err := store.Scan(s.db.QueryRow(ctx, `SELECT member_id, expires_at FROM sessions WHERE hash = ?`, HashSecret(secret)), &id, &expires)
	if errors.Is(err, store.ErrNotFound) || (err == nil && store.Time(expires).Before(s.now())) {
		return access.Principal{}, access.ErrUnauthenticated
	}
	if err != nil {
		return access.Principal{}, err
	}
	return s.principal(ctx, id, "session")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
