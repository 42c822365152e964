package tak

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/picture"
)

// defaultType is the CoT type of an item whose body names none; its keys
// are the kinds of item sent to devices (whatever has a place on the map).
var defaultType = map[string]string{
	"track":     "a-u-G",
	"site":      "b-m-p-s-m",
	"event":     "b-m-p-s-m",
	"marker":    "b-m-p-s-m",
	"area":      "u-d-f",
	"operation": "u-d-f",
	"movement":  "u-d-f",
	"shape":     "u-d-f",
}

// shownItem is an item as read for devices.
type shownItem struct {
	ID      string
	Kind    string
	Title   string
	Marking item.Marking
	Body    json.RawMessage
}

// geoBody is what the converter looks for in an item's body, whichever
// part of opsroom made it: a CoT uid and type if it came from a device, a
// point as lat/lon, position{lat,lon} or GeoJSON (geometry, location,
// area), course, speed and a stale time for tracks.
type geoBody struct {
	UID      string    `json:"uid"`
	CotType  string    `json:"cot_type"`
	Callsign string    `json:"callsign"`
	Lat      *float64  `json:"lat"`
	Lon      *float64  `json:"lon"`
	Hae      *float64  `json:"hae"`
	Ce       *float64  `json:"ce"`
	Course   *float64  `json:"course"`
	Speed    *float64  `json:"speed"`
	Stale    time.Time `json:"stale"`
	Text     string    `json:"text"`
	Detail   string    `json:"cot_detail"`
	Position *struct {
		Lat, Lon float64
	} `json:"position"`
	Geometry json.RawMessage `json:"geometry"`
	Location json.RawMessage `json:"location"`
	Area     json.RawMessage `json:"area"`
}

type geoJSON struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// itemEvent turns an item into the CoT event devices are sent, or nil if
// it has nothing to put on a map.
func itemEvent(it shownItem, b geoBody, now time.Time) *cot.Event {
	now = time.UnixMilli(now.UnixMilli()).UTC()
	ev := &cot.Event{Version: cot.DefaultVersion, UID: b.UID, Type: b.CotType, How: "h-g-i-g-o",
		Time: now, Start: now, Stale: now.Add(24 * time.Hour), Point: cot.Point{Hae: cot.Unknown, Ce: cot.Unknown, Le: cot.Unknown}}
	if ev.UID == "" {
		ev.UID = "opsroom-" + it.ID
	}
	if ev.Type == "" {
		ev.Type = defaultType[it.Kind]
	}
	if it.Kind == "track" {
		ev.How = "m-g"
		ev.Stale = now.Add(2 * time.Minute)
		if !b.Stale.IsZero() {
			if !b.Stale.After(now) {
				return nil // a stale track is no longer on the map
			}
			ev.Stale = time.UnixMilli(b.Stale.UnixMilli()).UTC()
		}
	}
	var vertices [][2]float64
	hasPoint := false
	switch {
	case b.Lat != nil && b.Lon != nil:
		ev.Point.Lat, ev.Point.Lon, hasPoint = *b.Lat, *b.Lon, true
	case b.Position != nil:
		ev.Point.Lat, ev.Point.Lon, hasPoint = b.Position.Lat, b.Position.Lon, true
	}
	for _, raw := range []json.RawMessage{b.Geometry, b.Location, b.Area} {
		if len(raw) == 0 || hasPoint && vertices != nil {
			continue
		}
		var g geoJSON
		if json.Unmarshal(raw, &g) != nil {
			continue
		}
		switch g.Type {
		case "Point":
			var c [2]float64
			if json.Unmarshal(g.Coordinates, &c) == nil && !hasPoint {
				ev.Point.Lat, ev.Point.Lon, hasPoint = c[1], c[0], true
			}
		case "LineString":
			json.Unmarshal(g.Coordinates, &vertices)
		case "Polygon":
			var rings [][][2]float64
			if json.Unmarshal(g.Coordinates, &rings) == nil && len(rings) > 0 {
				vertices = rings[0]
			}
		case "MultiPolygon":
			var polys [][][][2]float64
			if json.Unmarshal(g.Coordinates, &polys) == nil && len(polys) > 0 && len(polys[0]) > 0 {
				vertices = polys[0][0]
			}
		}
	}
	if len(vertices) >= 2 {
		if b.CotType == "" {
			ev.Type = "u-d-f"
		}
		if !hasPoint { // a drawing's point is its first vertex, as ATAK does
			ev.Point.Lat, ev.Point.Lon, hasPoint = vertices[0][1], vertices[0][0], true
		}
	}
	if !hasPoint {
		return nil
	}
	if b.Hae != nil {
		ev.Point.Hae = *b.Hae
	}
	if b.Ce != nil {
		ev.Point.Ce = *b.Ce
	}
	callsign := b.Callsign
	if callsign == "" {
		callsign = it.Title
	}
	if b.Detail != "" && b.CotType != "" {
		ev.Detail.Raw = b.Detail // a device's own detail, verbatim
	} else {
		ev.Detail.Contact = &cot.Contact{Callsign: callsign}
		if b.Course != nil || b.Speed != nil {
			ev.Detail.Track = &cot.Track{}
			if b.Course != nil {
				ev.Detail.Track.Course = *b.Course
			}
			if b.Speed != nil {
				ev.Detail.Track.Speed = *b.Speed
			}
		}
		if b.Text != "" {
			ev.Detail.Remarks = &cot.Remarks{Text: b.Text}
		}
		for _, v := range vertices {
			ev.Detail.Links = append(ev.Detail.Links, cot.Link{Point: &cot.Vertex{Lat: v[1], Lon: v[0]}})
		}
	}
	setOut(ev, it.Marking)
	if ev.Validate() != nil {
		return nil
	}
	return ev
}

// setOut writes an item's marking in the event's access, caveat and
// releaseableTo attributes.
func setOut(ev *cot.Event, m item.Marking) {
	ev.Access = "TLP:" + m.TLP
	ev.Caveat = ev.Access
	ev.ReleaseableTo = strings.Join(m.ReleasableTo, ",")
}

// deleteEvent tells devices an item is gone.
func deleteEvent(uid string, now time.Time) *cot.Event {
	now = time.UnixMilli(now.UnixMilli()).UTC()
	return &cot.Event{Version: cot.DefaultVersion, UID: "opsroom-delete-" + uid, Type: "t-x-d-d", How: "h-g-i-g-o",
		Time: now, Start: now, Stale: now.Add(time.Minute), Point: cot.Point{Hae: cot.Unknown, Ce: cot.Unknown, Le: cot.Unknown},
		Detail: cot.Detail{Links: []cot.Link{{UID: uid, Relation: "none", Type: "none"}}}}
}

// mapKinds are the kinds of item sent to devices: the keys of
// defaultType.
var mapKinds = func() []string {
	var ks []string
	for k := range defaultType {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}()

// readPicture reads, through the picture's own read, the room's items
// that c's member may see with what places them on the map (the geometry
// of sites, events and areas and the latest position of tracks; tracks
// whose latest position is stale are left out), or only the item itemID,
// and converts each to the event devices are sent.
func (s *Server) readPicture(ctx context.Context, c *conn, itemID string) ([]*frame, error) {
	now := time.Now()
	items, err := s.picture.MapItems(ctx, c.principal, c.roomID, picture.MapQuery{Kinds: mapKinds, ItemID: itemID, Now: now})
	if err != nil {
		return nil, err
	}
	var out []*frame
	for _, v := range items {
		it := shownItem{ID: v.ID, Kind: v.Kind, Title: v.Title, Marking: v.Marking, Body: v.Body}
		var b geoBody
		if json.Unmarshal(v.Body, &b) != nil {
			b = geoBody{}
		}
		if v.Geometry != nil {
			b.Geometry = v.Geometry
		}
		if v.Kind == "track" {
			if v.Track == nil || v.Track.Latest == nil {
				continue // a track without positions has no place yet
			}
			p := v.Track.Latest
			b.UID, b.CotType = v.Track.UID, v.Track.Type
			b.Lat, b.Lon = &p.Lat, &p.Lon
			b.Hae, b.Course, b.Speed, b.Ce = p.HAE, p.Course, p.Speed, p.Accuracy
			switch {
			case p.Stale != nil:
				b.Stale = *p.Stale
			case v.Track.StaleSeconds > 0:
				b.Stale = p.At.Add(time.Duration(v.Track.StaleSeconds) * time.Second)
			}
		}
		if ev := itemEvent(it, b, now); ev != nil {
			out = append(out, &frame{ev: ev, roomID: c.roomID, m: &s.m})
		}
	}
	return out, nil
}

// snapshot reads the room's picture as the connection's member may see it.
func (s *Server) snapshot(ctx context.Context, c *conn) ([]*frame, error) {
	return s.readPicture(ctx, c, "")
}

// changeCache converts each live change to a frame once, whichever
// connection's writer meets it first; the others reuse the frame and its
// encodings.
type changeCache struct {
	mu     sync.Mutex
	frames map[changeKey]*frame
}

type changeKey struct {
	seq int64
	id  string
}

func (cc *changeCache) init() { cc.frames = map[changeKey]*frame{} }

// changeFrame returns the frame of a live change for devices, or nil for
// changes devices do not get (a device sent it and it was relayed
// already, it has no place on the map). c is the connection asking: the
// bus has already decided that its member may see the change, and the
// item is read again with its rights.
func (s *Server) changeFrame(ch live.Change, c *conn) *frame {
	k := changeKey{ch.Seq, ch.ItemID}
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	if f, ok := s.changes.frames[k]; ok {
		return f
	}
	f := s.convertChange(ch, c)
	if len(s.changes.frames) >= 4096 {
		clear(s.changes.frames) // old changes have reached every writer still alive
	}
	s.changes.frames[k] = f
	return f
}

func (s *Server) convertChange(ch live.Change, c *conn) *frame {
	var d struct {
		Via string `json:"via"`
	}
	if json.Unmarshal(ch.Data, &d) == nil && d.Via == "tak" {
		return nil
	}
	if _, ok := defaultType[ch.Kind]; !ok {
		return nil
	}
	if ch.Op == "delete" {
		return &frame{ev: deleteEvent("opsroom-"+ch.ItemID, time.Now()), roomID: ch.RoomID, marking: ch.Marking, m: &s.m}
	}
	if ch.ItemID == "" {
		return nil // a batch of positions: web clients refetch, devices have them
	}
	frames, err := s.readPicture(context.Background(), c, ch.ItemID)
	if err != nil {
		s.log.Error("tak: reading a changed item", "item", ch.ItemID, "err", err)
		return nil
	}
	if len(frames) != 1 {
		return nil
	}
	f := frames[0]
	f.marking = ch.Marking
	return f
}
