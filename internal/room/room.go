// Package room keeps the partners taking part in the server, the rooms
// they share, who belongs to which room and each room's command model:
// one director with full authority, named co-directors who must all
// approve, or none reported.
package room

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// Command models.
const (
	Director    = "director"
	CoDirectors = "co-directors"
	Unspecified = "unspecified"
)

// Roles of a member in a room.
const (
	RoleMember     = "member"
	RoleDirector   = "director"
	RoleCoDirector = "co-director"
)

// Partner is an organization taking part.
type Partner struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

// Place is where a room sits.
type Place struct {
	Name string   `json:"name"`
	Lat  *float64 `json:"lat,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
}

// Room is a joint operations room.
type Room struct {
	ID           string        `json:"id"`
	Slug         string        `json:"slug"`
	Name         string        `json:"name"`
	Purpose      string        `json:"purpose"`
	Place        Place         `json:"place"`
	CommandModel string        `json:"command_model"`
	Established  timespan.Span `json:"established"`
	DefaultTLP   access.Label  `json:"default_tlp"`
	Note         string        `json:"note,omitempty"`
	// LogGrade is the Admiralty grade ("B2") at or above which a shared
	// report is entered in the room's watch log automatically: source
	// reliability at least B and credibility at least 2. Empty: never.
	LogGrade    string    `json:"log_grade"`
	Partners    []string  `json:"partners"`    // partner codes
	Authorities []string  `json:"authorities"` // usernames of the director or co-directors
	CreatedAt   time.Time `json:"created_at"`
}

// Member is a member's place in a room.
type Member struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Partner     string `json:"partner"`
	Role        string `json:"role"`
}

// Service keeps partners and rooms.
type Service struct {
	db *store.DB
}

// NewService returns the room service on db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

func requireAdmin(p access.Principal) error {
	if !p.IsAdmin {
		return access.ErrForbidden
	}
	return nil
}

// NewPartner is the input to CreatePartner.
type NewPartner struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// PartnerKinds are the kinds of organization a partner may be.
var PartnerKinds = []string{"state", "non-state armed group", "agency", "ngo", "international organization", "company", "other"}

// CreatePartner adds a partner (server admins).
func (s *Service) CreatePartner(ctx context.Context, actor access.Principal, in NewPartner) (Partner, error) {
	if err := requireAdmin(actor); err != nil {
		return Partner{}, err
	}
	var errs validate.Errors
	errs.Code("code", in.Code, 16)
	errs.Line("name", in.Name, true, 200)
	errs.OneOf("kind", in.Kind, PartnerKinds...)
	if err := errs.Err(); err != nil {
		return Partner{}, err
	}
	p := Partner{ID: store.NewID(), Code: strings.ToUpper(in.Code), Name: in.Name, Kind: in.Kind, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO partners (id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.Code, p.Name, p.Kind, store.Micros(p.CreatedAt)); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return validate.Field("code", "partner %q exists already", p.Code)
			}
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "partner.create", "", "partner", p.ID, map[string]string{"code": p.Code}))
		return err
	})
	return p, err
}

// Partner returns a partner by code.
func (s *Service) Partner(ctx context.Context, code string) (Partner, error) {
	var p Partner
	var created int64
	err := store.Scan(s.db.QueryRow(ctx, `SELECT id, code, name, kind, created_at FROM partners WHERE code = ?`, strings.ToUpper(code)),
		&p.ID, &p.Code, &p.Name, &p.Kind, &created)
	p.CreatedAt = store.Time(created)
	return p, err
}

// Partners lists partners by code after the cursor code.
func (s *Service) Partners(ctx context.Context, after string, limit int) ([]Partner, error) {
	rows, err := s.db.Query(ctx, `SELECT id, code, name, kind, created_at FROM partners WHERE code > ? ORDER BY code LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Partner{}
	for rows.Next() {
		var p Partner
		var created int64
		if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.Kind, &created); err != nil {
			return nil, err
		}
		p.CreatedAt = store.Time(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// NewRoom is the input to CreateRoom.
type NewRoom struct {
	Slug         string        `json:"slug"`
	Name         string        `json:"name"`
	Purpose      string        `json:"purpose"`
	Place        Place         `json:"place"`
	CommandModel string        `json:"command_model"`
	Established  timespan.Span `json:"established"`
	DefaultTLP   string        `json:"default_tlp"`
	Note         string        `json:"note"`
	// LogGrade is the watch log threshold (Room.LogGrade), e.g. "B2".
	LogGrade string   `json:"log_grade,omitempty"`
	Partners []string `json:"partners"`
}

// CreateRoom opens a room with its partners (server admins). Members and
// authorities are added with SetMember.
func (s *Service) CreateRoom(ctx context.Context, actor access.Principal, in NewRoom) (Room, error) {
	if err := requireAdmin(actor); err != nil {
		return Room{}, err
	}
	var errs validate.Errors
	errs.Code("slug", in.Slug, 64)
	errs.Line("name", in.Name, true, 200)
	errs.Text("purpose", in.Purpose, true, 2000)
	errs.Line("place.name", in.Place.Name, false, 200)
	errs.Text("note", in.Note, false, 2000)
	if (in.Place.Lat == nil) != (in.Place.Lon == nil) {
		errs.Add("place", "give both lat and lon, or neither")
	}
	if in.Place.Lat != nil && (*in.Place.Lat < -90 || *in.Place.Lat > 90) {
		errs.Add("place.lat", "must be between -90 and 90")
	}
	if in.Place.Lon != nil && (*in.Place.Lon < -180 || *in.Place.Lon > 180) {
		errs.Add("place.lon", "must be between -180 and 180")
	}
	errs.OneOf("command_model", in.CommandModel, Director, CoDirectors, Unspecified)
	logGrade, ok := ParseLogGrade(in.LogGrade)
	if !ok {
		errs.Add("log_grade", "%q is not a grade; want a reliability A-F and a credibility 1-6 such as B2, or empty for none", in.LogGrade)
	}
	tlp := access.Amber
	if in.DefaultTLP != "" {
		l, ok := access.ParseLabel(in.DefaultTLP)
		if !ok || l == access.Red {
			errs.Add("default_tlp", "must be CLEAR, GREEN, AMBER or AMBER+STRICT")
		}
		tlp = l
	}
	partnerIDs := make([]string, len(in.Partners))
	for i, code := range in.Partners {
		p, err := s.Partner(ctx, code)
		if errors.Is(err, store.ErrNotFound) {
			errs.Add("partners", "entry %d: no partner with code %q", i, code)
			continue
		} else if err != nil {
			return Room{}, err
		}
		if slices.Contains(partnerIDs, p.ID) {
			errs.Add("partners", "entry %d: %q is listed twice", i, code)
		}
		partnerIDs[i] = p.ID
		in.Partners[i] = p.Code
	}
	if len(in.Partners) == 0 {
		errs.Add("partners", "a room needs at least one partner")
	}
	if err := errs.Err(); err != nil {
		return Room{}, err
	}
	r := Room{ID: store.NewID(), Slug: strings.ToLower(in.Slug), Name: in.Name, Purpose: in.Purpose, Place: in.Place,
		CommandModel: in.CommandModel, Established: in.Established, DefaultTLP: tlp, Note: in.Note, LogGrade: logGrade,
		Partners: in.Partners, Authorities: []string{}, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rooms (id, slug, name, purpose, place_name, lat, lon, command_model, established_start, established_end, default_tlp, note, log_grade, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Slug, r.Name, r.Purpose, r.Place.Name, r.Place.Lat, r.Place.Lon,
			r.CommandModel, store.NullMicros(r.Established.Start), store.NullMicros(r.Established.End), string(r.DefaultTLP), r.Note, r.LogGrade, store.Micros(r.CreatedAt)); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return validate.Field("slug", "room %q exists already", r.Slug)
			}
			return err
		}
		for _, pid := range partnerIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO room_partners (room_id, partner_id) VALUES (?, ?)`, r.ID, pid); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "room.create", r.ID, "room", r.ID, map[string]any{"slug": r.Slug, "partners": r.Partners, "command_model": r.CommandModel}))
		return err
	})
	return r, err
}

// Room returns a room by slug or ID for a caller who belongs to it (or a
// server admin, who administers every room but reads none of its items
// without membership). Anyone else gets ErrNotFound.
func (s *Service) Room(ctx context.Context, p access.Principal, slug string) (Room, error) {
	r, err := s.load(ctx, slug)
	if err != nil {
		return Room{}, err
	}
	if !p.Viewer.Rooms[r.ID] && !p.IsAdmin {
		return Room{}, store.ErrNotFound
	}
	return r, nil
}

func (s *Service) load(ctx context.Context, slug string) (Room, error) {
	var r Room
	var created int64
	var estStart, estEnd *int64
	var tlp string
	err := store.Scan(s.db.QueryRow(ctx, `SELECT id, slug, name, purpose, place_name, lat, lon, command_model, established_start, established_end, default_tlp, note, log_grade, created_at
		FROM rooms WHERE slug = ? OR id = ?`, strings.ToLower(slug), slug),
		&r.ID, &r.Slug, &r.Name, &r.Purpose, &r.Place.Name, &r.Place.Lat, &r.Place.Lon, &r.CommandModel, &estStart, &estEnd, &tlp, &r.Note, &r.LogGrade, &created)
	if err != nil {
		return Room{}, err
	}
	r.DefaultTLP = access.Label(tlp)
	r.CreatedAt = store.Time(created)
	if estStart != nil && estEnd != nil {
		r.Established = timespan.Span{Start: store.Time(*estStart), End: store.Time(*estEnd)}
	}
	r.Partners, err = s.strings(ctx, `SELECT p.code FROM room_partners rp JOIN partners p ON p.id = rp.partner_id WHERE rp.room_id = ? ORDER BY p.code`, r.ID)
	if err != nil {
		return Room{}, err
	}
	r.Authorities, err = s.strings(ctx, `SELECT m.username FROM room_members rm JOIN members m ON m.id = rm.member_id WHERE rm.room_id = ? AND rm.role <> 'member' ORDER BY m.username`, r.ID)
	return r, err
}

func (s *Service) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	out, err := store.Strings(ctx, s.db, q, args...)
	if out == nil && err == nil {
		out = []string{}
	}
	return out, err
}

// Rooms lists the rooms the caller belongs to (server admins: every room).
func (s *Service) Rooms(ctx context.Context, p access.Principal) ([]Room, error) {
	q := `SELECT slug FROM rooms ORDER BY name`
	args := []any{}
	if !p.IsAdmin {
		q = `SELECT r.slug FROM rooms r JOIN room_members rm ON rm.room_id = r.id WHERE rm.member_id = ? ORDER BY r.name`
		args = append(args, p.ID)
	}
	slugs, err := s.strings(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Room, 0, len(slugs))
	for _, slug := range slugs {
		r, err := s.load(ctx, slug)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Members lists a room's members (for those in the room and admins).
func (s *Service) Members(ctx context.Context, p access.Principal, slug string) ([]Member, error) {
	r, err := s.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.username, m.display_name, pa.code, rm.role FROM room_members rm
		JOIN members m ON m.id = rm.member_id JOIN partners pa ON pa.id = m.partner_id WHERE rm.room_id = ? ORDER BY pa.code, m.username`, r.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.Username, &m.DisplayName, &m.Partner, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetMember adds a member to a room or changes its role (server admins).
// The member's partner must take part in the room; a director room has
// exactly one director, a co-directors room any number of co-directors.
func (s *Service) SetMember(ctx context.Context, actor access.Principal, slug, username, role string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	r, err := s.load(ctx, slug)
	if err != nil {
		return err
	}
	var errs validate.Errors
	if role == "" {
		role = RoleMember
	}
	errs.OneOf("role", role, RoleMember, RoleDirector, RoleCoDirector)
	switch {
	case role == RoleDirector && r.CommandModel != Director:
		errs.Add("role", "this room's command model is %s; it has no director", r.CommandModel)
	case role == RoleCoDirector && r.CommandModel != CoDirectors:
		errs.Add("role", "this room's command model is %s; it has no co-directors", r.CommandModel)
	}
	var memberID, partnerCode string
	err = store.Scan(s.db.QueryRow(ctx, `SELECT m.id, p.code FROM members m JOIN partners p ON p.id = m.partner_id WHERE m.username = ?`,
		strings.ToLower(username)), &memberID, &partnerCode)
	if errors.Is(err, store.ErrNotFound) {
		errs.Add("username", "no member %q", username)
	} else if err != nil {
		return err
	} else if !slices.Contains(r.Partners, partnerCode) {
		errs.Add("username", "%s's partner %s does not take part in this room", username, partnerCode)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if role == RoleDirector {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM room_members WHERE room_id = ? AND role = 'director' AND member_id <> ?`, r.ID, memberID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return validate.Field("role", "the room has a director already; make that member a plain member first")
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM room_members WHERE room_id = ? AND member_id = ?`, r.ID, memberID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO room_members (room_id, member_id, role) VALUES (?, ?, ?)`, r.ID, memberID, role); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "room.member.set", r.ID, "member", memberID, map[string]string{"role": role}))
		return err
	})
}

// RemoveMember takes a member out of a room (server admins). From then on
// the member sees nothing of the room.
func (s *Service) RemoveMember(ctx context.Context, actor access.Principal, slug, username string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	r, err := s.load(ctx, slug)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM room_members WHERE room_id = ? AND member_id = (SELECT id FROM members WHERE username = ?)`, r.ID, strings.ToLower(username))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = audit.Append(ctx, tx, audit.Of(actor, "room.member.remove", r.ID, "member", "", map[string]string{"username": username}))
		return err
	})
}

// View returns what marking validation needs to know of a room, with the
// maps from partner codes and usernames to IDs.
func (s *Service) View(ctx context.Context, roomID string) (View, error) {
	v := View{RoomView: access.RoomView{ID: roomID, Partners: map[string]bool{}, Members: map[string]bool{}},
		PartnerIDs: map[string]string{}, MemberIDs: map[string]string{}, PartnerCodes: map[string]string{}, Usernames: map[string]string{}}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.code FROM room_partners rp JOIN partners p ON p.id = rp.partner_id WHERE rp.room_id = ?`, roomID)
	if err != nil {
		return v, err
	}
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			rows.Close()
			return v, err
		}
		v.Partners[id], v.PartnerIDs[code], v.PartnerCodes[id] = true, id, code
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT m.id, m.username FROM room_members rm JOIN members m ON m.id = rm.member_id WHERE rm.room_id = ?`, roomID)
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return v, err
		}
		v.Members[id], v.MemberIDs[name], v.Usernames[id] = true, id, name
	}
	return v, rows.Err()
}

// View is a room's partners and members by ID and by name.
type View struct {
	access.RoomView
	PartnerIDs   map[string]string // code -> id
	PartnerCodes map[string]string // id -> code
	MemberIDs    map[string]string // username -> id
	Usernames    map[string]string // id -> username
}

// Role returns the member's role in the room, or "" if not a member.
func (s *Service) Role(ctx context.Context, roomID, memberID string) (string, error) {
	var role string
	err := store.Scan(s.db.QueryRow(ctx, `SELECT role FROM room_members WHERE room_id = ? AND member_id = ?`, roomID, memberID), &role)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return role, err
}

// Authorities returns a room's command model and the members holding
// command authority in it (its director and co-directors), ordered by
// member id, with each one's partner id at the same index. q may be the
// transaction of a change that depends on them (an approval).
func Authorities(ctx context.Context, q store.Reader, roomID string) (model string, members, partners []string, err error) {
	models, err := store.Strings(ctx, q, `SELECT command_model FROM rooms WHERE id = ?`, roomID)
	if err != nil {
		return "", nil, nil, err
	}
	if len(models) == 0 {
		return "", nil, nil, store.ErrNotFound
	}
	rows, err := q.Query(ctx, `SELECT rm.member_id, m.partner_id FROM room_members rm JOIN members m ON m.id = rm.member_id
		WHERE rm.room_id = ? AND rm.role IN (?, ?) ORDER BY rm.member_id`, roomID, RoleDirector, RoleCoDirector)
	if err != nil {
		return "", nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, pid string
		if err := rows.Scan(&id, &pid); err != nil {
			return "", nil, nil, err
		}
		members = append(members, id)
		partners = append(partners, pid)
	}
	return models[0], members, partners, rows.Err()
}

// RoomPatch changes a room's description and settings; nil fields stay
// as they are.
type RoomPatch struct {
	Name        *string        `json:"name,omitempty"`
	Purpose     *string        `json:"purpose,omitempty"`
	Note        *string        `json:"note,omitempty"`
	DefaultTLP  *string        `json:"default_tlp,omitempty"`
	Established *timespan.Span `json:"established,omitempty"`
	// LogGrade sets the watch log threshold ("B2"; "" turns it off).
	LogGrade *string `json:"log_grade,omitempty"`
}

// UpdateRoom changes a room's name, purpose, note, default label or
// establishment interval (server admins), or its watch log threshold
// (server admins and the room's authority: its director or co-directors).
// Anyone else is refused; a member of the room gets ErrForbidden, anyone
// outside it ErrNotFound.
func (s *Service) UpdateRoom(ctx context.Context, actor access.Principal, slug string, p RoomPatch) (Room, error) {
	r, err := s.load(ctx, slug)
	if err != nil {
		return Room{}, err
	}
	if !actor.IsAdmin {
		if !actor.Viewer.Rooms[r.ID] {
			return Room{}, store.ErrNotFound
		}
		role, err := s.Role(ctx, r.ID, actor.ID)
		if err != nil {
			return Room{}, err
		}
		onlyLog := p.Name == nil && p.Purpose == nil && p.Note == nil && p.DefaultTLP == nil && p.Established == nil
		if role == RoleMember || role == "" || !onlyLog {
			return Room{}, access.ErrForbidden
		}
	}
	var errs validate.Errors
	var changed []string
	if p.LogGrade != nil {
		g, ok := ParseLogGrade(*p.LogGrade)
		if !ok {
			errs.Add("log_grade", "%q is not a grade; want a reliability A-F and a credibility 1-6 such as B2, or empty for none", *p.LogGrade)
		}
		r.LogGrade = g
		changed = append(changed, "log_grade")
	}
	if p.Name != nil {
		r.Name = errs.Line("name", *p.Name, true, 200)
		changed = append(changed, "name")
	}
	if p.Purpose != nil {
		r.Purpose = errs.Text("purpose", *p.Purpose, true, 2000)
		changed = append(changed, "purpose")
	}
	if p.Note != nil {
		r.Note = errs.Text("note", *p.Note, false, 2000)
		changed = append(changed, "note")
	}
	if p.DefaultTLP != nil {
		l, ok := access.ParseLabel(*p.DefaultTLP)
		if !ok || l == access.Red {
			errs.Add("default_tlp", "must be CLEAR, GREEN, AMBER or AMBER+STRICT")
		}
		r.DefaultTLP = l
		changed = append(changed, "default_tlp")
	}
	if p.Established != nil {
		r.Established = *p.Established
		changed = append(changed, "established")
	}
	if err := errs.Err(); err != nil {
		return Room{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE rooms SET name = ?, purpose = ?, note = ?, default_tlp = ?, established_start = ?, established_end = ?, log_grade = ? WHERE id = ?`,
			r.Name, r.Purpose, r.Note, string(r.DefaultTLP), store.NullMicros(r.Established.Start), store.NullMicros(r.Established.End), r.LogGrade, r.ID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "room.update", r.ID, "room", r.ID, map[string]any{"fields": changed}))
		return err
	})
	return r, err
}

// AddPartner lets a partner take part in a room (server admins).
func (s *Service) AddPartner(ctx context.Context, actor access.Principal, slug, code string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	r, err := s.load(ctx, slug)
	if err != nil {
		return err
	}
	p, err := s.Partner(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return validate.Field("code", "no partner with code %q", code)
	} else if err != nil {
		return err
	}
	if slices.Contains(r.Partners, p.Code) {
		return nil
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO room_partners (room_id, partner_id) VALUES (?, ?)`, r.ID, p.ID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Of(actor, "room.partner.add", r.ID, "partner", p.ID, nil))
		return err
	})
}

// RemovePartner ends a partner's part in a room (server admins): its
// members leave the room in the same transaction, and with it everything
// in the room stops being visible to them.
func (s *Service) RemovePartner(ctx context.Context, actor access.Principal, slug, code string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	r, err := s.load(ctx, slug)
	if err != nil {
		return err
	}
	p, err := s.Partner(ctx, code)
	if err != nil {
		return err
	}
	if !slices.Contains(r.Partners, p.Code) {
		return store.ErrNotFound
	}
	if len(r.Partners) == 1 {
		return validate.Field("code", "%s is the room's only partner; a room needs at least one", p.Code)
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM room_members WHERE room_id = ? AND member_id IN (SELECT id FROM members WHERE partner_id = ?)`, r.ID, p.ID)
		if err != nil {
			return err
		}
		left, _ := res.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM room_partners WHERE room_id = ? AND partner_id = ?`, r.ID, p.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Of(actor, "room.partner.remove", r.ID, "partner", p.ID, map[string]any{"members_removed": left}))
		return err
	})
}

// ParseLogGrade reads a watch log threshold: an Admiralty reliability
// letter A-F and credibility digit 1-6 ("B2", "b2"), or "" for none. It
// returns the grade in its canonical form.
func ParseLogGrade(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", true
	}
	if len(s) != 2 || s[0] < 'A' || s[0] > 'F' || s[1] < '1' || s[1] > '6' {
		return "", false
	}
	return s, true
}

// LogGradeMet reports whether a report graded reliability (a letter A-F)
// and credibility (1-6) is at or above the threshold: its reliability is
// the threshold's or better (nearer A) and its credibility the
// threshold's or better (nearer 1). An empty threshold is never met, nor
// is an unknown grade.
func LogGradeMet(threshold, reliability string, credibility int) bool {
	if len(threshold) != 2 || len(reliability) != 1 || reliability[0] < 'A' || reliability[0] > 'F' || credibility < 1 || credibility > 6 {
		return false
	}
	return reliability[0] <= threshold[0] && credibility <= int(threshold[1]-'0')
}
