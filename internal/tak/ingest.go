package tak

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
)

// resolved is an event's marking, checked against the room and the
// member: the policy's form and the attributes written on the way out.
type resolved struct {
	ok     bool
	m      access.Marking
	shown  item.Marking
	access string // "TLP:AMBER"
	relTo  string // "RU,SY"
}

// resolveMarking reads the marking an event carries (a TLP label in
// access or caveat, partner codes in releaseableTo), falling back to the
// room's default label. A marking the member may not share (an unknown
// partner, one that would hide the item from the member's own partner,
// TLP:RED, which CoT cannot name recipients for) is refused. Devices send
// the same few markings over and over, so results are cached per
// connection.
func (c *conn) resolveMarking(ev *cot.Event) resolved {
	key := ev.Access + "\x00" + ev.Caveat + "\x00" + ev.ReleaseableTo
	if r, ok := c.markings[key]; ok {
		return r
	}
	var in item.Marking
	for _, s := range []string{ev.Access, ev.Caveat} {
		if l, ok := access.ParseLabel(s); ok {
			in.TLP = string(l)
			break
		}
	}
	in.ReleasableTo = cot.SplitReleaseableTo(ev.ReleaseableTo)
	m, shown, err := item.Resolve("marking", in, c.viewer, c.rv, c.defTLP)
	r := resolved{ok: err == nil, m: m, shown: shown}
	if r.ok {
		r.access = "TLP:" + shown.TLP
		r.relTo = strings.Join(shown.ReleasableTo, ",")
	}
	if len(c.markings) < 64 {
		c.markings[key] = r
	}
	return r
}

// category is what opsroom makes of an event a device sends.
type category int

const (
	catRelay    category = iota // relayed to the room, not stored
	catPosition                 // a position report: the member's track
	catMarker                   // a point placed by a person
	catShape                    // a drawing: line, polygon, rectangle, circle
	catChat                     // a GeoChat message
)

// classify sorts an event. Atoms ("a-...") reported by a machine ("m-..."
// how, e.g. GPS) are positions of the device or a unit it tracks; atoms a
// person placed ("h-..." how) and map points ("b-m-p-...") are markers.
func classify(ev *cot.Event) category {
	switch {
	case ev.Type == "b-t-f" || strings.HasPrefix(ev.Type, "b-t-f-"):
		return catChat
	case strings.HasPrefix(ev.Type, "u-d-"):
		return catShape
	case strings.HasPrefix(ev.Type, "b-m-p-"):
		return catMarker
	case strings.HasPrefix(ev.Type, "a-"):
		if strings.HasPrefix(ev.How, "h-") {
			return catMarker
		}
		return catPosition
	}
	return catRelay
}

// ingest handles one event from a device. It is checked first: its
// marking must be one the member may share, and its uid must be free or
// its member's partner's (checkOwner); a refused event is counted and
// dropped, never relayed or stored. Then it is relayed at once to every
// connection of the room entitled to it (or, addressed with
// <marti><dest>, to the addressed members' connections only) and stored:
// positions through the batching persister, other items in a transaction
// of their own.
func (s *Server) ingest(c *conn, ev *cot.Event) {
	r := c.resolveMarking(ev)
	if !r.ok {
		s.m.refuse(refusedMarking, 1)
		s.log.Debug("tak: event refused: marking not shareable", "member", c.principal.Username, "uid", ev.UID)
		return
	}
	ev.Access, ev.Caveat, ev.ReleaseableTo = r.access, r.access, r.relTo
	cat := classify(ev)
	addressed := len(ev.Detail.Dest) > 0
	stores := cat == catPosition || (cat != catRelay && !addressed)
	ctx := context.Background()
	if why := s.checkOwner(ctx, c, ev, cat, stores); why != refusalNone {
		s.m.refuse(why, 1)
		s.log.Warn("tak: event refused: its uid is another partner's", "member", c.principal.Username, "uid", ev.UID, "reason", refusalReasons[why])
		return
	}
	f := &frame{ev: ev, roomID: c.roomID, marking: r.m, from: c, m: &s.m}
	if addressed {
		f.to = s.resolveDest(ctx, c.roomID, ev.Detail.Dest)
	}
	s.hub.publish(f)
	switch {
	case cat == catPosition:
		s.persist.add(c, ev, r)
	case stores:
		k := uidKey{c.roomID, ev.UID}
		own, err := s.storeItem(ctx, c, ev, r, cat)
		switch {
		case err == nil:
			s.owners.put(k, own)
		case errors.Is(err, errOtherOwner):
			// Stored by another partner since the check (another
			// instance, the API): the database's answer from now on.
			s.owners.put(k, own)
			s.m.refuse(refusedItem, 1)
		default:
			s.owners.release(k, c.principal.PartnerID)
			s.m.ItemErrors.Add(1)
		}
		if err != nil {
			s.log.Warn("tak: storing an item failed", "member", c.principal.Username, "uid", ev.UID, "err", err)
		}
	}
}

var errOtherOwner = errors.New("the uid belongs to another partner's item")

// itemBody is the body of an item made from a device's event: enough to
// show it in the web picture and to send it back as CoT.
type itemBody struct {
	UID      string          `json:"uid"`
	CotType  string          `json:"cot_type"`
	Callsign string          `json:"callsign,omitempty"`
	Lat      float64         `json:"lat"`
	Lon      float64         `json:"lon"`
	Hae      float64         `json:"hae,omitempty"`
	Ce       float64         `json:"ce,omitempty"`
	Course   *float64        `json:"course,omitempty"`
	Speed    *float64        `json:"speed,omitempty"`
	Time     time.Time       `json:"time"`
	Stale    time.Time       `json:"stale"`
	Geometry json.RawMessage `json:"geometry,omitempty"` // GeoJSON of a shape
	Text     string          `json:"text,omitempty"`     // chat message, remarks
	Detail   string          `json:"cot_detail,omitempty"`
	Source   string          `json:"source"` // "tak"
}

func bodyOf(ev *cot.Event) itemBody {
	b := itemBody{UID: ev.UID, CotType: ev.Type, Lat: ev.Point.Lat, Lon: ev.Point.Lon, Time: ev.Time, Stale: ev.Stale, Source: "tak"}
	if ev.Point.Hae != cot.Unknown {
		b.Hae = ev.Point.Hae
	}
	if ev.Point.Ce != cot.Unknown {
		b.Ce = ev.Point.Ce
	}
	if ct := ev.Detail.Contact; ct != nil {
		b.Callsign = ct.Callsign
	}
	if t := ev.Detail.Track; t != nil {
		b.Course, b.Speed = &t.Course, &t.Speed
	}
	if ev.Detail.Chat != nil {
		b.Text = ev.Detail.Chat.Message
	} else if ev.Detail.Remarks != nil {
		b.Text = ev.Detail.Remarks.Text
	}
	if vs := ev.Detail.Vertices(); len(vs) >= 2 {
		coords := make([][2]float64, len(vs))
		for i, v := range vs {
			coords[i] = [2]float64{v.Lon, v.Lat}
		}
		var g any = map[string]any{"type": "LineString", "coordinates": coords}
		if ev.IsClosedShape() {
			if coords[0] != coords[len(coords)-1] {
				coords = append(coords, coords[0])
			}
			g = map[string]any{"type": "Polygon", "coordinates": [][][2]float64{coords}}
		}
		b.Geometry, _ = json.Marshal(g)
	}
	b.Detail = ev.Detail.Raw
	return b
}

func titleOf(ev *cot.Event, b itemBody) string {
	t := b.Callsign
	if t == "" && b.Text != "" {
		t = b.Text
	}
	if t == "" {
		t = ev.UID
	}
	if len(t) > 200 {
		t = t[:200]
	}
	return t
}

var kindOf = map[category]string{catMarker: "marker", catShape: "shape", catChat: "chat", catPosition: "track"}

// viaTAK is the item as published on the live bus for changes that came
// from a device: devices already have it, so the CoT fan-out skips it,
// while web clients show it.
type viaTAK struct {
	item.Item
	Via string `json:"via"`
}

// storeItem stores a marker, shape or chat message as a room item owned by
// the member's partner, or updates the item an earlier event with the same
// uid became (only the same partner may). It returns the uid's owner as
// stored: the member's partner's, or, with errOtherOwner, another's.
func (s *Server) storeItem(ctx context.Context, c *conn, ev *cot.Event, r resolved, cat category) (uidOwner, error) {
	b := bodyOf(ev)
	body, err := json.Marshal(b)
	if err != nil {
		return uidOwner{}, err
	}
	kind := kindOf[cat]
	rec := &item.Record{RoomID: c.roomID, Room: c.roomSlug, Kind: kind, Title: titleOf(ev, b), Marking: r.m, Shown: r.shown,
		Owner: c.principal.PartnerID, Author: c.principal.ID, Body: body}
	var own uidOwner
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		data := func(v int) viaTAK {
			return viaTAK{Item: item.Item{ID: rec.ID, Room: c.roomSlug, RoomID: c.roomID, Kind: kind, Title: rec.Title, Marking: r.shown,
				Owner: c.principal.Partner, CreatedBy: c.principal.Username, Version: v, Body: body}, Via: "tak"}
		}
		id, err := takItem(ctx, tx, c.roomID, ev.UID)
		if errors.Is(err, store.ErrNotFound) {
			rec.ID = store.NewID()
			own = uidOwner{kind: kind, itemID: rec.ID, partner: c.principal.PartnerID, member: c.principal.ID}
			if err := item.Insert(ctx, tx, s.bus, rec, audit.By(c.principal), data(1)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO tak_uids (room_id, uid, item_id) VALUES (?, ?, ?)`, c.roomID, ev.UID, rec.ID)
			return err
		}
		if err != nil {
			return err
		}
		cur, err := item.LoadOwnership(ctx, tx, id)
		if err != nil {
			return err
		}
		own = uidOwner{kind: cur.Kind, itemID: id, partner: cur.PartnerID, member: cur.AuthorID}
		if cur.PartnerID != c.principal.PartnerID {
			return errOtherOwner
		}
		rec.ID = id
		return item.Update(ctx, tx, s.bus, rec, cur.Version, []string{"title", "marking", "body"}, audit.By(c.principal), data(cur.Version+1))
	})
	if err == nil {
		s.m.ItemsWritten.Add(1)
	}
	return own, err
}
