package access

import (
	"errors"
	"time"
)

// Member kinds.
const (
	Person = "person"
	Device = "device"
)

// Member is a person or device account of one partner, as a caller is
// known to the rest of the server. Package account keeps members and
// their credentials.
type Member struct {
	ID          string    `json:"id"`
	PartnerID   string    `json:"-"`
	Partner     string    `json:"partner"` // partner code
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Kind        string    `json:"kind"`
	IsAdmin     bool      `json:"is_admin"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// Principal is an authenticated caller: a member, with the viewer the
// policy needs, and how it signed in.
type Principal struct {
	Member
	Viewer  Viewer
	Via     string // "session", "token" or "cli"
	TokenID string
}

// System is the server acting on its operator's behalf: the CLI run on
// the server's own machine (init, import, demo). It administers; like any
// admin it reads no item without room membership.
var System = Principal{Member: Member{Username: "system", DisplayName: "opsroom CLI", IsAdmin: true}, Via: "cli"}

// ErrUnauthenticated refuses a caller without a valid session or token;
// the API answers it with 401 and the same words whatever was wrong, so a
// caller learns nothing about which part it was.
var ErrUnauthenticated = errors.New("not signed in, or the session or token is invalid, expired or revoked")

// ErrForbidden refuses a caller that is known but not allowed to do what
// it asks (an item it may not see is answered as missing instead).
var ErrForbidden = errors.New("not allowed")
