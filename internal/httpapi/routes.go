package httpapi

import (
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
			if err := s.DB.Ping(r.Context()); err != nil {
				return &statusError{status: http.StatusServiceUnavailable, detail: "the database does not answer"}
			}
			return writeJSON(w, http.StatusOK, health{"ready"})
		})

	// Sign-in.
	a.Handle(Route{Method: "POST", Path: "/api/v1/login", Summary: "Sign in with a username and password; sets the session cookie", Tag: "auth",
		Request: loginRequest{}, Response: access.Member{}}, s.login)
	a.Handle(Route{Method: "POST", Path: "/api/v1/logout", Summary: "End this session", Tag: "auth", Auth: Member, Status: http.StatusNoContent}, s.logout)
	a.Handle(Route{Method: "GET", Path: "/api/v1/me", Summary: "The signed-in member", Tag: "auth", Auth: Member, Response: access.Member{}},
		func(w http.ResponseWriter, r *http.Request) error {
			p, _ := PrincipalFrom(r.Context())
			return writeJSON(w, http.StatusOK, p.Member)
		})

	// Partners.
	a.Handle(Route{Method: "GET", Path: "/api/v1/partners", Summary: "List partners", Tag: "partners", Auth: Member,
		Query: pageQuery, Response: Page[room.Partner]{}}, func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := pageParams(r)
		if err != nil {
			return err
		}
		ps, err := s.Rooms.Partners(r.Context(), after, limit+1)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, page(ps, limit, func(p room.Partner) string { return p.Code }))
	})
	a.Handle(Route{Method: "POST", Path: "/api/v1/partners", Summary: "Add a partner (server admins)", Tag: "partners", Auth: Member,
		Request: room.NewPartner{}, Response: room.Partner{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in room.NewPartner
		if err := decode(r, w, &in); err != nil {
			return err
		}
		p, err := s.Rooms.CreatePartner(r.Context(), principal(r), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, p)
	})
	a.Handle(Route{Method: "GET", Path: "/api/v1/partners/{code}", Summary: "One partner", Tag: "partners", Auth: Member, Response: room.Partner{}},
		func(w http.ResponseWriter, r *http.Request) error {
			p, err := s.Rooms.Partner(r.Context(), r.PathValue("code"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, p)
		})

	// Members.
	a.Handle(Route{Method: "GET", Path: "/api/v1/members", Summary: "List members (server admins: all; others: their own partner's)", Tag: "members", Auth: Member,
		Query: append([]Param{{Name: "partner", Type: "string", Description: "partner code"}}, pageQuery...), Response: Page[access.Member]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			p := principal(r)
			limit, after, err := pageParams(r)
			if err != nil {
				return err
			}
			partner := r.URL.Query().Get("partner")
			if !p.IsAdmin {
				partner = p.Partner
			}
			ms, err := s.Members.Members(r.Context(), partner, after, limit+1)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, page(ms, limit, func(m access.Member) string { return m.Username }))
		})
	a.Handle(Route{Method: "POST", Path: "/api/v1/members", Summary: "Add a member (server admins)", Tag: "members", Auth: Member,
		Request: account.NewMember{}, Response: access.Member{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in account.NewMember
		if err := decode(r, w, &in); err != nil {
			return err
		}
		if p := principal(r); !p.IsAdmin {
			return access.ErrForbidden
		}
		m, err := s.Members.CreateMember(r.Context(), principal(r), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, m)
	})
	a.Handle(Route{Method: "GET", Path: "/api/v1/members/{username}", Summary: "One member", Tag: "members", Auth: Member, Response: access.Member{}},
		func(w http.ResponseWriter, r *http.Request) error {
			p := principal(r)
			m, err := s.Members.Member(r.Context(), r.PathValue("username"))
			if err != nil {
				return err
			}
			if !p.IsAdmin && m.PartnerID != p.PartnerID {
				return store.ErrNotFound
			}
			return writeJSON(w, http.StatusOK, m)
		})
	a.Handle(Route{Method: "PATCH", Path: "/api/v1/members/{username}", Summary: "Change a member (admins; members: own name and password)", Tag: "members", Auth: Member,
		Request: account.MemberPatch{}, Response: access.Member{}}, func(w http.ResponseWriter, r *http.Request) error {
		var in account.MemberPatch
		if err := decode(r, w, &in); err != nil {
			return err
		}
		m, err := s.Members.UpdateMember(r.Context(), principal(r), r.PathValue("username"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, m)
	})

	// Tokens.
	a.Handle(Route{Method: "GET", Path: "/api/v1/tokens", Summary: "List your API tokens (admins: ?member=)", Tag: "tokens", Auth: Member,
		Query: []Param{{Name: "member", Type: "string", Description: "username (admins)"}}, Response: Page[account.Token]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			ts, err := s.Members.Tokens(r.Context(), principal(r), r.URL.Query().Get("member"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, Page[account.Token]{Items: ts})
		})
	a.Handle(Route{Method: "POST", Path: "/api/v1/tokens", Summary: "Make an API token; the secret is shown only in this answer", Tag: "tokens", Auth: Member,
		Request: account.NewToken{}, Response: account.Token{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in account.NewToken
		if err := decode(r, w, &in); err != nil {
			return err
		}
		t, err := s.Members.CreateToken(r.Context(), principal(r), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, t)
	})
	a.Handle(Route{Method: "DELETE", Path: "/api/v1/tokens/{id}", Summary: "Revoke a token", Tag: "tokens", Auth: Member, Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Members.RevokeToken(r.Context(), principal(r), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})

	// Rooms.
	a.Handle(Route{Method: "GET", Path: "/api/v1/rooms", Summary: "The rooms you belong to (admins: all)", Tag: "rooms", Auth: Member, Response: Page[room.Room]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			rs, err := s.Rooms.Rooms(r.Context(), principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, Page[room.Room]{Items: rs})
		})
	a.Handle(Route{Method: "POST", Path: "/api/v1/rooms", Summary: "Open a room (server admins)", Tag: "rooms", Auth: Member,
		Request: room.NewRoom{}, Response: room.Room{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in room.NewRoom
		if err := decode(r, w, &in); err != nil {
			return err
		}
		if !principal(r).IsAdmin {
			return access.ErrForbidden
		}
		rm, err := s.Rooms.CreateRoom(r.Context(), principal(r), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, rm)
	})
	a.Handle(Route{Method: "GET", Path: "/api/v1/rooms/{room}", Summary: "One room", Tag: "rooms", Auth: Member, Response: room.Room{}},
		func(w http.ResponseWriter, r *http.Request) error {
			rm, err := s.Rooms.Room(r.Context(), principal(r), r.PathValue("room"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, rm)
		})
	a.Handle(Route{Method: "PATCH", Path: "/api/v1/rooms/{room}", Summary: "Change a room's name, purpose, note, default label or establishment (server admins), or its watch log grade (admins and the room's authority)", Tag: "rooms", Auth: Member,
		Request: room.RoomPatch{}, Response: room.Room{}}, func(w http.ResponseWriter, r *http.Request) error {
		var in room.RoomPatch
		if err := decode(r, w, &in); err != nil {
			return err
		}
		rm, err := s.Rooms.UpdateRoom(r.Context(), principal(r), r.PathValue("room"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, rm)
	})
	a.Handle(Route{Method: "PUT", Path: "/api/v1/rooms/{room}/partners/{code}", Summary: "Let a partner take part in the room (server admins)", Tag: "rooms", Auth: Member,
		Status: http.StatusNoContent}, func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Rooms.AddPartner(r.Context(), principal(r), r.PathValue("room"), r.PathValue("code")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.Handle(Route{Method: "DELETE", Path: "/api/v1/rooms/{room}/partners/{code}", Summary: "End a partner's part in the room; its members leave it (server admins)", Tag: "rooms", Auth: Member,
		Status: http.StatusNoContent}, func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Rooms.RemovePartner(r.Context(), principal(r), r.PathValue("room"), r.PathValue("code")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.Handle(Route{Method: "GET", Path: "/api/v1/rooms/{room}/members", Summary: "The room's members and their roles", Tag: "rooms", Auth: Member, Response: Page[room.Member]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			ms, err := s.Rooms.Members(r.Context(), principal(r), r.PathValue("room"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, Page[room.Member]{Items: ms})
		})
	a.Handle(Route{Method: "PUT", Path: "/api/v1/rooms/{room}/members/{username}", Summary: "Add a member to the room or set its role (server admins)", Tag: "rooms", Auth: Member,
		Request: roomMemberRequest{}, Status: http.StatusNoContent}, func(w http.ResponseWriter, r *http.Request) error {
		var in roomMemberRequest
		if err := decode(r, w, &in); err != nil {
			return err
		}
		if err := s.Rooms.SetMember(r.Context(), principal(r), r.PathValue("room"), r.PathValue("username"), in.Role); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.Handle(Route{Method: "DELETE", Path: "/api/v1/rooms/{room}/members/{username}", Summary: "Take a member out of the room (server admins)", Tag: "rooms", Auth: Member,
		Status: http.StatusNoContent}, func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Rooms.RemoveMember(r.Context(), principal(r), r.PathValue("room"), r.PathValue("username")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})

	// Shared items.
	a.Handle(Route{Method: "GET", Path: "/api/v1/rooms/{room}/items", Summary: "The room's shared items you may see, newest first", Tag: "items", Auth: Member,
		Query:    append([]Param{{Name: "kind", Type: "string", Description: "only this kind"}, {Name: "q", Type: "string", Description: "title contains"}}, pageQuery...),
		Response: Page[item.Item]{}}, func(w http.ResponseWriter, r *http.Request) error {
		limit, after, err := pageParams(r)
		if err != nil {
			return err
		}
		its, err := s.Items.List(r.Context(), principal(r), r.PathValue("room"),
			item.ListQuery{Kind: r.URL.Query().Get("kind"), Search: r.URL.Query().Get("q"), After: after, Limit: limit + 1})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, page(its, limit, func(i item.Item) string { return i.ID }))
	})
	a.Handle(Route{Method: "POST", Path: "/api/v1/rooms/{room}/notes", Summary: "Share a note in the room", Tag: "items", Auth: Member,
		Request: item.NewNote{}, Response: item.Item{}, Status: http.StatusCreated}, func(w http.ResponseWriter, r *http.Request) error {
		var in item.NewNote
		if err := decode(r, w, &in); err != nil {
			return err
		}
		it, err := s.Items.CreateNote(r.Context(), principal(r), r.PathValue("room"), in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, it)
	})
	a.Handle(Route{Method: "GET", Path: "/api/v1/items/{id}", Summary: "One shared item of any kind", Tag: "items", Auth: Member, Response: item.Item{}},
		func(w http.ResponseWriter, r *http.Request) error {
			it, err := s.Items.Get(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, it)
		})

	// Audit.
	a.Handle(Route{Method: "GET", Path: "/api/v1/audit", Summary: "The audit trail: server admins see all; room directors their room's (?room=)", Tag: "audit", Auth: Member,
		Query:    []Param{{Name: "room", Type: "string", Description: "room slug"}, {Name: "before", Type: "integer", Description: "records before this seq"}, {Name: "limit", Type: "integer"}},
		Response: Page[audit.Record]{}}, s.auditList)
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
	p, secret, err := s.Members.Login(r.Context(), in.Username, in.Password, remoteAddr(r))
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

func (s *Server) auditList(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	limit, after, err := pageParams(r)
	if err != nil {
		return err
	}
	q := audit.Query{Limit: limit + 1}
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 1 {
			return badRequest("cursor", "cursor is not one this server gave out")
		}
		q.Before = n
	}
	if slug := r.URL.Query().Get("room"); slug != "" {
		rm, err := s.Rooms.Room(r.Context(), p, slug)
		if err != nil {
			return err
		}
		q.RoomID = rm.ID
		if !p.IsAdmin {
			role, err := s.Rooms.Role(r.Context(), rm.ID, p.ID)
			if err != nil {
				return err
			}
			if role != room.RoleDirector && role != room.RoleCoDirector {
				return access.ErrForbidden
			}
		}
	} else if !p.IsAdmin {
		return access.ErrForbidden
	}
	recs, err := audit.List(r.Context(), s.DB, q)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	out := page(recs, limit, func(rec audit.Record) string { return strconv.FormatInt(rec.Seq, 10) })
	return writeJSON(w, http.StatusOK, out)
}
