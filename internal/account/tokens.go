package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Token is an API token of a member, for scripts and devices. Only its
// hash is stored; the secret is shown once, when it is made.
type Token struct {
	ID         string    `json:"id"`
	Member     string    `json:"member"` // username
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// Secret is set only in the answer that creates the token.
	Secret string `json:"secret,omitempty"`
}

// tokenUseInterval is how often one token's use is written to the audit
// trail: every use within it is the same session of a script or device,
// and writing each request would turn every read into a write.
const tokenUseInterval = time.Minute

// MaxTokenLifetime caps a token's expiry.
const MaxTokenLifetime = 366 * 24 * time.Hour

// NewToken is the input to CreateToken.
type NewToken struct {
	Member string `json:"member,omitempty"` // username; default: the caller
	Name   string `json:"name"`
	// ExpiresIn is a Go duration ("720h"); default 90 days, at most 366 days.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// CreateToken makes a token for the caller, or (admins) for any member.
func (s *Service) CreateToken(ctx context.Context, actor access.Principal, in NewToken) (Token, error) {
	owner := actor.Member
	if in.Member != "" && in.Member != actor.Username {
		if !actor.IsAdmin {
			return Token{}, access.ErrForbidden
		}
		m, err := s.Member(ctx, in.Member)
		if errors.Is(err, store.ErrNotFound) {
			return Token{}, validate.Field("member", "no member %q", in.Member)
		} else if err != nil {
			return Token{}, err
		}
		owner = m
	}
	var errs validate.Errors
	errs.Line("name", in.Name, true, 200)
	life := 90 * 24 * time.Hour
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		switch {
		case err != nil:
			errs.Add("expires_in", "is not a duration such as \"720h\"")
		case d <= 0 || d > MaxTokenLifetime:
			errs.Add("expires_in", "must be more than 0 and at most %v", MaxTokenLifetime)
		default:
			life = d
		}
	}
	if err := errs.Err(); err != nil {
		return Token{}, err
	}
	secret, hash := NewSecret(TokenPrefix)
	now := s.now().UTC().Truncate(time.Microsecond)
	t := Token{ID: store.NewID(), Member: owner.Username, Name: in.Name, CreatedAt: now, ExpiresAt: now.Add(life), Secret: secret}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tokens (id, member_id, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, owner.ID, t.Name, hash, store.Micros(t.CreatedAt), store.Micros(t.ExpiresAt)); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "token.create", "", "token", t.ID, map[string]string{"member": owner.Username, "expires_at": t.ExpiresAt.Format(time.RFC3339)}))
		return err
	})
	return t, err
}

// Tokens lists a member's tokens (the caller's own; admins: anyone's).
func (s *Service) Tokens(ctx context.Context, actor access.Principal, username string) ([]Token, error) {
	if username == "" {
		username = actor.Username
	}
	if username != actor.Username && !actor.IsAdmin {
		return nil, access.ErrForbidden
	}
	rows, err := s.db.Query(ctx, `SELECT t.id, m.username, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
		FROM tokens t JOIN members m ON m.id = t.member_id WHERE m.username = ? ORDER BY t.id`, username)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var created int64
		var expires, revoked, used sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Member, &t.Name, &created, &expires, &revoked, &used); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = store.Time(created), store.NullTime(expires), store.NullTime(revoked), store.NullTime(used)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token of the caller (admins: anyone's).
func (s *Service) RevokeToken(ctx context.Context, actor access.Principal, id string) error {
	var owner string
	if err := store.Scan(s.db.QueryRow(ctx, `SELECT member_id FROM tokens WHERE id = ?`, id), &owner); err != nil {
		return err
	}
	if owner != actor.ID && !actor.IsAdmin {
		return store.ErrNotFound // someone else's token does not exist for you
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, store.Micros(s.now()), id); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "token.revoke", "", "token", id, nil))
		return err
	})
}

// Token authenticates a bearer token and records its use (at most once a
// minute per token).
func (s *Service) Token(ctx context.Context, secret, remote string) (access.Principal, error) {
	if len(secret) < len(TokenPrefix)+40 || secret[:len(TokenPrefix)] != TokenPrefix {
		return access.Principal{}, access.ErrUnauthenticated
	}
	var id, member string
	var expires, revoked, used sql.NullInt64
	err := store.Scan(s.db.QueryRow(ctx, `SELECT id, member_id, expires_at, revoked_at, last_used_at FROM tokens WHERE hash = ?`,
		HashSecret(secret)), &id, &member, &expires, &revoked, &used)
	if errors.Is(err, store.ErrNotFound) {
		return access.Principal{}, access.ErrUnauthenticated
	}
	if err != nil {
		return access.Principal{}, err
	}
	now := s.now()
	if revoked.Valid || (expires.Valid && store.Time(expires.Int64).Before(now)) {
		_ = audit.Log(ctx, s.db, audit.Record{ActorID: member, Action: "token.refused", Kind: "token", ObjectID: id,
			Detail: audit.Detail(map[string]any{"revoked": revoked.Valid, "remote": remote})})
		return access.Principal{}, access.ErrUnauthenticated
	}
	p, err := s.principal(ctx, member, "token")
	if err != nil {
		return access.Principal{}, err
	}
	p.TokenID = id
	if !used.Valid || now.Sub(store.Time(used.Int64)) >= tokenUseInterval {
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, store.Micros(now), id); err != nil {
				return err
			}
			_, err := audit.Append(ctx, tx, audit.Of(p, "token.use", "", "token", id, map[string]string{"remote": remote}))
			return err
		})
		if err != nil {
			return access.Principal{}, err
		}
	}
	return p, nil
}
