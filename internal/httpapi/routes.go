package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/version"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type roomMemberRequest struct {
	Role string `json:"role"`
}

type health struct {
	Status string `json:"status"`
}

func (s *Server) routes(a *API) {
	a.Handle(Route{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This API's OpenAPI 3.1 document", Tag: "meta", Response: map[string]any{}},
		func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON(w, http.StatusOK, a.OpenAPI(version.String()))
		})
	a.Handle(Route{Method: "GET", Path: "/healthz", Summary: "Liveness: the process answers", Tag: "meta", Response: health{}},
		func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON(w, http.StatusOK, health{"ok"})
		})
	a.Handle(Route{Method: "GET", Path: "/readyz", Summary: "Readiness: the database answers", Tag: "meta", Response: health{}},
		func(w http.ResponseWriter, r *http.Request) error {
			// A database that does not answer at all must not hold the
			// probe: a load balancer's check times out on its own terms.
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := s.DB.Ping(ctx); err != nil {
				return &statusError{status: http.StatusServiceUnavailable, detail: "the database does not answer"}
			}
			return writeJSON(w, http.StatusOK, health{"ready"})
		})

	// Sign-in.
	a.Handle(Route{Method: "POST", Path: "/api/v1/login", Summary: "Sign in with a username and password; sets the session cookie", Tag: "auth",
		Request: loginRequest{}, Response: access.Member{}}, s.login)
	a.Handle(Route{Method: "POST", Path: "/api/v1/logout", Summary: "End this session", Tag: "auth", Auth: Member, Status: http.StatusNoContent}, s.logout)
	Call(a, Route{Method: "GET", Path: "/api/v1/me", Summary: "The signed-in member", Tag: "auth"},
		func(r *http.Request, p access.Principal) (access.Member, error) { return p.Member, nil })

	// Partners.
	List(a, Route{Method: "GET", Path: "/api/v1/partners", Summary: "List partners", Tag: "partners"}, func(p room.Partner) string { return p.Code },
		func(r *http.Request, p access.Principal, after string, limit int) ([]room.Partner, error) {
			return s.Rooms.Partners(r.Context(), after, limit)
		})
	JSON(a, Route{Method: "POST", Path: "/api/v1/partners", Summary: "Add a partner (server admins)", Tag: "partners", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in room.NewPartner) (room.Partner, error) {
			return s.Rooms.CreatePartner(r.Context(), p, in)
		})
	Call(a, Route{Method: "GET", Path: "/api/v1/partners/{code}", Summary: "One partner", Tag: "partners"},
		func(r *http.Request, p access.Principal) (room.Partner, error) {
			return s.Rooms.Partner(r.Context(), r.PathValue("code"))
		})

	// Members.
	List(a, Route{Method: "GET", Path: "/api/v1/members", Summary: "List members (server admins: all; others: their own partner's)", Tag: "members",
		Query: []Param{{Name: "partner", Type: "string", Description: "partner code"}}}, func(m access.Member) string { return m.Username },
		func(r *http.Request, p access.Principal, after string, limit int) ([]access.Member, error) {
			partner := r.URL.Query().Get("partner")
			if !p.IsAdmin {
				partner = p.Partner
			}
			return s.Members.Members(r.Context(), partner, after, limit)
		})
	JSON(a, Route{Method: "POST", Path: "/api/v1/members", Summary: "Add a member (server admins)", Tag: "members", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in account.NewMember) (access.Member, error) {
			if !p.IsAdmin {
				return access.Member{}, access.ErrForbidden
			}
			return s.Members.CreateMember(r.Context(), p, in)
		})
	Call(a, Route{Method: "GET", Path: "/api/v1/members/{username}", Summary: "One member", Tag: "members"},
		func(r *http.Request, p access.Principal) (access.Member, error) {
			m, err := s.Members.Member(r.Context(), r.PathValue("username"))
			if err != nil {
				return access.Member{}, err
			}
			if !p.IsAdmin && m.PartnerID != p.PartnerID {
				return access.Member{}, store.ErrNotFound
			}
			return m, nil
		})
	JSON(a, Route{Method: "PATCH", Path: "/api/v1/members/{username}", Summary: "Change a member (admins; members: own name and password)", Tag: "members"},
		func(r *http.Request, p access.Principal, in account.MemberPatch) (access.Member, error) {
			return s.Members.UpdateMember(r.Context(), p, r.PathValue("username"), in)
		})

	// Tokens.
	Call(a, Route{Method: "GET", Path: "/api/v1/tokens", Summary: "List your API tokens (admins: ?member=)", Tag: "tokens",
		Query: []Param{{Name: "member", Type: "string", Description: "username (admins)"}}},
		func(r *http.Request, p access.Principal) (Page[account.Token], error) {
			ts, err := s.Members.Tokens(r.Context(), p, r.URL.Query().Get("member"))
			return Page[account.Token]{Items: ts}, err
		})
	JSON(a, Route{Method: "POST", Path: "/api/v1/tokens", Summary: "Make an API token; the secret is shown only in this answer", Tag: "tokens", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in account.NewToken) (account.Token, error) {
			return s.Members.CreateToken(r.Context(), p, in)
		})
	Call(a, Route{Method: "DELETE", Path: "/api/v1/tokens/{id}", Summary: "Revoke a token", Tag: "tokens", Status: http.StatusNoContent},
		func(r *http.Request, p access.Principal) (Empty, error) {
			return Empty{}, s.Members.RevokeToken(r.Context(), p, r.PathValue("id"))
		})

	// Rooms.
	Call(a, Route{Method: "GET", Path: "/api/v1/rooms", Summary: "The rooms you belong to (admins: all)", Tag: "rooms"},
		func(r *http.Request, p access.Principal) (Page[room.Room], error) {
			rs, err := s.Rooms.Rooms(r.Context(), p)
			return Page[room.Room]{Items: rs}, err
		})
	JSON(a, Route{Method: "POST", Path: "/api/v1/rooms", Summary: "Open a room (server admins)", Tag: "rooms", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in room.NewRoom) (room.Room, error) {
			if !p.IsAdmin {
				return room.Room{}, access.ErrForbidden
			}
			return s.Rooms.CreateRoom(r.Context(), p, in)
		})
	Call(a, Route{Method: "GET", Path: "/api/v1/rooms/{room}", Summary: "One room", Tag: "rooms"},
		func(r *http.Request, p access.Principal) (room.Room, error) {
			return s.Rooms.Room(r.Context(), p, r.PathValue("room"))
		})
	JSON(a, Route{Method: "PATCH", Path: "/api/v1/rooms/{room}", Summary: "Change a room's name, purpose, note, default label or establishment (server admins), or its watch log grade (admins and the room's authority)", Tag: "rooms"},
		func(r *http.Request, p access.Principal, in room.RoomPatch) (room.Room, error) {
			return s.Rooms.UpdateRoom(r.Context(), p, r.PathValue("room"), in)
		})
	Call(a, Route{Method: "PUT", Path: "/api/v1/rooms/{room}/partners/{code}", Summary: "Let a partner take part in the room (server admins)", Tag: "rooms", Status: http.StatusNoContent},
		func(r *http.Request, p access.Principal) (Empty, error) {
			return Empty{}, s.Rooms.AddPartner(r.Context(), p, r.PathValue("room"), r.PathValue("code"))
		})
	Call(a, Route{Method: "DELETE", Path: "/api/v1/rooms/{room}/partners/{code}", Summary: "End a partner's part in the room; its members leave it (server admins)", Tag: "rooms", Status: http.StatusNoContent},
		func(r *http.Request, p access.Principal) (Empty, error) {
			return Empty{}, s.Rooms.RemovePartner(r.Context(), p, r.PathValue("room"), r.PathValue("code"))
		})
	Call(a, Route{Method: "GET", Path: "/api/v1/rooms/{room}/members", Summary: "The room's members and their roles", Tag: "rooms"},
		func(r *http.Request, p access.Principal) (Page[room.Member], error) {
			ms, err := s.Rooms.Members(r.Context(), p, r.PathValue("room"))
			return Page[room.Member]{Items: ms}, err
		})
	JSON(a, Route{Method: "PUT", Path: "/api/v1/rooms/{room}/members/{username}", Summary: "Add a member to the room or set its role (server admins)", Tag: "rooms", Status: http.StatusNoContent},
		func(r *http.Request, p access.Principal, in roomMemberRequest) (Empty, error) {
			return Empty{}, s.Rooms.SetMember(r.Context(), p, r.PathValue("room"), r.PathValue("username"), in.Role)
		})
	Call(a, Route{Method: "DELETE", Path: "/api/v1/rooms/{room}/members/{username}", Summary: "Take a member out of the room (server admins)", Tag: "rooms", Status: http.StatusNoContent},
		func(r *http.Request, p access.Principal) (Empty, error) {
			return Empty{}, s.Rooms.RemoveMember(r.Context(), p, r.PathValue("room"), r.PathValue("username"))
		})

	// Shared items.
	List(a, Route{Method: "GET", Path: "/api/v1/rooms/{room}/items", Summary: "The room's shared items you may see, newest first", Tag: "items",
		Query: []Param{{Name: "kind", Type: "string", Description: "only this kind"}, {Name: "q", Type: "string", Description: "title contains"}}},
		func(i item.Item) string { return i.ID },
		func(r *http.Request, p access.Principal, after string, limit int) ([]item.Item, error) {
			return s.Items.List(r.Context(), p, r.PathValue("room"),
				item.ListQuery{Kind: r.URL.Query().Get("kind"), Search: r.URL.Query().Get("q"), After: after, Limit: limit})
		})
	JSON(a, Route{Method: "POST", Path: "/api/v1/rooms/{room}/notes", Summary: "Share a note in the room", Tag: "items", Status: http.StatusCreated},
		func(r *http.Request, p access.Principal, in item.NewNote) (item.Item, error) {
			return s.Items.CreateNote(r.Context(), p, r.PathValue("room"), in)
		})
	Call(a, Route{Method: "GET", Path: "/api/v1/items/{id}", Summary: "One shared item of any kind", Tag: "items"},
		func(r *http.Request, p access.Principal) (item.Item, error) {
			return s.Items.Get(r.Context(), p, r.PathValue("id"))
		})

	// Audit.
	List(a, Route{Method: "GET", Path: "/api/v1/audit", Summary: "The audit trail, newest first: server admins see all; room directors their room's (?room=)", Tag: "audit",
		Query: []Param{{Name: "room", Type: "string", Description: "room slug"}}},
		func(rec audit.Record) string { return strconv.FormatInt(rec.Seq, 10) }, s.auditList)
}

var pageQuery = []Param{
	{Name: "limit", Type: "integer", Description: "page size, 1 to 500 (default 50)"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
}

func principal(r *http.Request) access.Principal {
	p, _ := PrincipalFrom(r.Context())
	return p
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in loginRequest
	if err := decode(r, w, &in); err != nil {
		return err
	}
	p, secret, err := s.Members.Login(r.Context(), in.Username, in.Password, s.clientAddr(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.SecureCookies,
		SameSite: http.SameSiteLaxMode, Expires: time.Now().Add(s.Members.SessionTTL)})
	return writeJSON(w, http.StatusOK, p.Member)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.Members.Logout(r.Context(), principal(r), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) auditList(r *http.Request, p access.Principal, after string, limit int) ([]audit.Record, error) {
	q := audit.Query{Limit: limit}
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 1 {
			return nil, badRequest("cursor", "cursor is not one this server gave out")
		}
		q.Before = n
	}
	if slug := r.URL.Query().Get("room"); slug != "" {
		rm, err := s.Rooms.Room(r.Context(), p, slug)
		if err != nil {
			return nil, err
		}
		q.RoomID = rm.ID
		if !p.IsAdmin {
			role, err := s.Rooms.Role(r.Context(), rm.ID, p.ID)
			if err != nil {
				return nil, err
			}
			if role != room.RoleDirector && role != room.RoleCoDirector {
				return nil, access.ErrForbidden
			}
		}
	} else if !p.IsAdmin {
		return nil, access.ErrForbidden
	}
	recs, err := audit.List(r.Context(), s.DB, q)
	if err != nil {
		return nil, err
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	// A record about an item the reader may not see keeps its place in
	// the trail without naming the item.
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		if rec.ObjectID != "" {
			ids = append(ids, rec.ObjectID)
		}
	}
	hidden, err := item.Hidden(r.Context(), s.DB, p.Viewer, ids)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if hidden[recs[i].ObjectID] {
			recs[i].ObjectID = ""
		}
	}
	return recs, nil
}
