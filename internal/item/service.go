package item

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// Service reads shared items of every kind and writes notes, the plain
// kind of item that needs no table of its own.
type Service struct {
	db    *store.DB
	rooms *room.Service
	bus   *live.Bus
}

// NewService returns the item service.
func NewService(db *store.DB, rooms *room.Service, bus *live.Bus) *Service {
	return &Service{db: db, rooms: rooms, bus: bus}
}

// Columns selects the common item fields, for kinds that join their own
// table to items aliased as i.
const Columns = `i.id, r.slug, i.room_id, i.kind, i.title, i.marking, op.code, cm.username, i.created_at, i.updated_at, i.version, i.body`

// Joins are the joins Columns needs.
const Joins = ` JOIN rooms r ON r.id = i.room_id JOIN partners op ON op.id = i.owner_partner_id JOIN members cm ON cm.id = i.created_by`

// Scan scans Columns (followed by extra destinations).
func Scan(s interface{ Scan(...any) error }, it *Item, extra ...any) error {
	var marking, body string
	var created, updated int64
	dest := append([]any{&it.ID, &it.Room, &it.RoomID, &it.Kind, &it.Title, &marking, &it.Owner, &it.CreatedBy, &created, &updated, &it.Version, &body}, extra...)
	if err := s.Scan(dest...); err != nil {
		return err
	}
	it.CreatedAt, it.UpdatedAt = store.Time(created), store.Time(updated)
	it.Body = json.RawMessage(body)
	return json.Unmarshal([]byte(marking), &it.Marking)
}

// NewNote is the input to CreateNote.
type NewNote struct {
	Title   string          `json:"title"`
	Text    string          `json:"text"`
	Marking Marking         `json:"marking"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// CreateNote shares a note in a room.
func (s *Service) CreateNote(ctx context.Context, p access.Principal, slug string, in NewNote) (Item, error) {
	rm, rv, err := WritingRoom(ctx, s.rooms, p, slug)
	if err != nil {
		return Item{}, err
	}
	var errs validate.Errors
	errs.Line("title", in.Title, true, 500)
	errs.Text("text", in.Text, false, 100_000)
	if len(in.Data) > 0 && !json.Valid(in.Data) {
		errs.Add("data", "is not valid JSON")
	}
	m, shown, merr := Resolve("marking", in.Marking, p.Viewer, rv, rm.DefaultTLP)
	var verrs validate.Errors
	if errors.As(merr, &verrs) {
		errs = append(errs, verrs...)
	} else if merr != nil {
		return Item{}, merr
	}
	if err := errs.Err(); err != nil {
		return Item{}, err
	}
	body, _ := json.Marshal(map[string]any{"text": in.Text, "data": in.Data})
	// ID and time are fixed here so that the change published on the live
	// stream carries the item exactly as Get will show it.
	rec := &Record{ID: store.NewID(), At: time.Now().UTC().Truncate(time.Microsecond), RoomID: rm.ID, Room: rm.Slug, Kind: "note",
		Title: in.Title, Marking: m, Shown: shown, Owner: p.PartnerID, Author: p.ID, Body: body}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		it := rec.item(1)
		it.Owner, it.CreatedBy = rv.PartnerCodes[p.PartnerID], p.Username
		return Insert(ctx, tx, s.bus, rec, audit.By(p), it)
	})
	if err != nil {
		return Item{}, err
	}
	return s.Get(ctx, p, rec.ID)
}

// Get returns one item the viewer may see. An item the viewer may not see
// is ErrNotFound, exactly like one that does not exist; the refusal is
// audited in the background (NotFound).
func (s *Service) Get(ctx context.Context, p access.Principal, id string) (Item, error) {
	var it Item
	if err := Scan(For(p.Viewer).Select(Columns).Join(Joins).Where("i.id = ?", id).Row(ctx, s.db), &it); err != nil {
		return Item{}, NotFound(ctx, s.db, p, id, err)
	}
	one := []Item{it}
	if err := attach(ctx, s.db, For(p.Viewer), one); err != nil {
		return Item{}, err
	}
	return one[0], nil
}

// ListQuery selects a room's items.
type ListQuery struct {
	Kind   string // "" for every kind
	After  string // cursor: the last ID of the previous page
	Limit  int
	Search string // case-insensitive substring of the title
}

// List returns the items of a room the viewer may see, newest first,
// filtered inside the database.
func (s *Service) List(ctx context.Context, p access.Principal, slug string, q ListQuery) ([]Item, error) {
	rm, err := s.rooms.Room(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	sel := For(p.Viewer).Select(Columns).Join(Joins).Where("i.room_id = ?", rm.ID)
	if q.Kind != "" {
		sel.Where("i.kind = ?", q.Kind)
	}
	if q.After != "" {
		sel.Where("i.id < ?", q.After)
	}
	if q.Search != "" {
		sel.Where("LOWER(i.title) LIKE ?", "%"+strings.ToLower(q.Search)+"%")
	}
	rows, err := sel.OrderBy("i.id DESC").Limit(q.Limit).Rows(ctx, s.db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		if err := Scan(rows, &it); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, attach(ctx, s.db, For(p.Viewer), out)
}

// WritingRoom is the room p shares in, with its view (partners and
// members by code and name) for resolving markings. Only members of the
// room share in it: an admin administers rooms but does not write in
// them (access.ErrForbidden).
func WritingRoom(ctx context.Context, rooms *room.Service, p access.Principal, slug string) (room.Room, room.View, error) {
	rm, err := rooms.Room(ctx, p, slug)
	if err != nil {
		return rm, room.View{}, err
	}
	if !p.Viewer.Rooms[rm.ID] {
		return rm, room.View{}, access.ErrForbidden
	}
	rv, err := rooms.View(ctx, rm.ID)
	return rm, rv, err
}
