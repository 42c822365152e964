package tak

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
)

// maxPending bounds the positions waiting for the database. Past it (the
// database has been failing for a long while) new positions are refused,
// counted and logged rather than exhausting memory.
const maxPending = 1_000_000

// position is one position report waiting to be stored in the picture's
// tracks and track_positions tables (internal/picture's migration).
type position struct {
	roomID, roomSlug string
	uid, typ, title  string
	member           access.Principal
	r                resolved
	at, stale        time.Time
	lat, lon         float64
	hae, ce          *float64
	course, speed    *float64
}

type trackKey struct{ roomID, uid string }

// trackRow is what the persister knows of a stored track.
type trackRow struct {
	itemID, owner, member string
	seq                   int64
}

// persister group-commits positions: devices' positions reach other
// devices at once through the fan-out, and are written here every
// BatchInterval in one transaction with one audit record per room.
type persister struct {
	s       *Server
	mu      sync.Mutex // guards pending
	pending []*position
}

func newPersister(s *Server) *persister {
	return &persister{s: s}
}

func optional(v float64) *float64 {
	if v == cot.Unknown {
		return nil
	}
	return &v
}

// add queues a device's position report. It never blocks the reader.
func (p *persister) add(c *conn, ev *cot.Event, r resolved) {
	pos := &position{roomID: c.roomID, roomSlug: c.roomSlug, uid: ev.UID, typ: ev.Type, title: ev.UID, member: c.principal, r: r,
		at: ev.Time, stale: ev.Stale, lat: ev.Point.Lat, lon: ev.Point.Lon, hae: optional(ev.Point.Hae), ce: optional(ev.Point.Ce)}
	if ct := ev.Detail.Contact; ct != nil && ct.Callsign != "" {
		pos.title = ct.Callsign
	}
	if t := ev.Detail.Track; t != nil {
		pos.course, pos.speed = &t.Course, &t.Speed
	}
	p.s.m.PositionsIn.Add(1)
	p.mu.Lock()
	full := len(p.pending) >= maxPending
	if !full {
		p.pending = append(p.pending, pos)
	}
	p.mu.Unlock()
	if full {
		p.s.m.PositionsDropped.Add(1)
		p.s.log.Error("tak: position refused: the database is not keeping up", "uid", ev.UID, "pending", maxPending)
	}
}

// run commits a batch every interval until ctx ends, then the last one.
func (p *persister) run(ctx context.Context) {
	t := time.NewTicker(p.s.cfg.BatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.flush(context.Background())
			return
		case <-t.C:
			p.flush(ctx)
		}
	}
}

// flush writes the pending positions in one transaction. On failure they
// are put back in front of the newer ones for the next batch.
func (p *persister) flush(ctx context.Context) {
	p.mu.Lock()
	batch := p.pending
	p.pending = nil
	p.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	learned := map[trackKey]trackRow{}
	var saved, refused int
	err := p.s.db.Write(ctx, func(tx *store.Tx) error {
		clear(learned)
		var err error
		saved, refused, err = p.write(ctx, tx, batch, learned)
		return err
	})
	if err != nil {
		p.s.m.BatchErrors.Add(1)
		p.s.log.Error("tak: position batch failed; retrying with the next", "positions", len(batch), "err", err)
		p.mu.Lock()
		p.pending = append(batch, p.pending...)
		p.mu.Unlock()
		return
	}
	// What the database now says of these uids replaces the claims their
	// events made (and the cache the next batch reads).
	for k, row := range learned {
		p.s.owners.put(uidKey(k), uidOwner{kind: "track", itemID: row.itemID, seq: row.seq, partner: row.owner, member: row.member})
	}
	p.s.m.Batches.Add(1)
	p.s.m.PositionsSaved.Add(int64(saved))
	p.s.m.refuse(refusedTrack, int64(refused))
}

// trackView is a track as the picture's API shows it, for the live stream
// of a track a device created.
type trackView struct {
	item.Item
	UID          string `json:"uid"`
	Type         string `json:"type"`
	StaleSeconds int64  `json:"stale_seconds"`
	Via          string `json:"via"`
}

// track finds or creates the track of a position inside tx.
func (p *persister) track(ctx context.Context, tx *store.Tx, k trackKey, pos *position, learned map[trackKey]trackRow) (trackRow, error) {
	if row, ok := learned[k]; ok {
		return row, nil
	}
	if e, ok := p.s.owners.get(uidKey(k)); ok && e.state == stored && e.kind == "track" && e.itemID != "" {
		return trackRow{itemID: e.itemID, owner: e.partner, member: e.member, seq: e.seq}, nil
	}
	var row trackRow
	tr, err := picture.TrackByUID(ctx, tx, k.roomID, k.uid)
	if err == nil {
		row = trackRow{itemID: tr.ItemID, owner: tr.PartnerID, member: tr.AuthorID, seq: tr.Seq}
		learned[k] = row
		return row, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return row, err
	}
	// A new track: Insert writes the items row with its own audit record
	// and publishes it; the tracks row follows the picture's rules.
	rec := &item.Record{ID: store.NewID(), RoomID: pos.roomID, Room: pos.roomSlug, Kind: "track", Title: pos.title,
		Marking: pos.r.m, Shown: pos.r.shown, Owner: pos.member.PartnerID, Author: pos.member.ID}
	data := trackView{Item: item.Item{ID: rec.ID, Room: pos.roomSlug, Kind: "track", Title: pos.title, Marking: pos.r.shown,
		Owner: pos.member.Partner, CreatedBy: pos.member.Username, Version: 1}, UID: pos.uid, Type: pos.typ, Via: "tak"}
	if err := item.Insert(ctx, tx, p.s.bus, rec, audit.By(pos.member), data); err != nil {
		return row, err
	}
	seq, err := picture.InsertTrackRow(ctx, tx, rec.ID, pos.roomID, pos.uid, pos.typ, 0)
	if err != nil {
		return row, err
	}
	row.seq = seq
	row.itemID, row.owner, row.member = rec.ID, pos.member.PartnerID, pos.member.ID
	learned[k] = row
	return row, nil
}

func (p *persister) write(ctx context.Context, tx *store.Tx, batch []*position, learned map[trackKey]trackRow) (saved, refused int, err error) {
	type perTrack struct {
		row       trackRow
		pos       *position // the newest, for the live change's marking
		positions []picture.Position
	}
	tracks := map[trackKey]*perTrack{}
	var order []trackKey
	ins, err := picture.NewPositionWriter(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	for _, pos := range batch {
		k := trackKey{pos.roomID, pos.uid}
		row, err := p.track(ctx, tx, k, pos, learned)
		if err != nil {
			return 0, 0, err
		}
		if row.owner != pos.member.PartnerID {
			refused++ // another partner's track is never written to
			continue
		}
		at, stale := pos.at.UTC().Truncate(time.Microsecond), pos.stale.UTC().Truncate(time.Microsecond)
		ap := picture.Position{At: at, Lon: pos.lon, Lat: pos.lat, HAE: pos.hae, Course: pos.course, Speed: pos.speed, Accuracy: pos.ce, Stale: &stale}
		if err := ins.Add(ctx, row.seq, ap); err != nil {
			return 0, 0, err
		}
		pt := tracks[k]
		if pt == nil {
			pt = &perTrack{row: row}
			tracks[k] = pt
			order = append(order, k)
		}
		pt.pos = pos
		pt.positions = append(pt.positions, ap)
		saved++
	}
	// One audit record and one live change per room and marking per
	// batch: the positions of many tracks are one change to the room's
	// picture, and the bus applies need-to-know to the change's marking.
	// The change only says which tracks moved (web clients refetch what
	// they show): the bus keeps recent changes for resuming streams, and
	// positions there would cost memory for nothing.
	type group struct {
		roomID string
		m      access.Marking
		ids    []string
		n      int
	}
	groups := map[string]*group{}
	var keys []string
	for _, k := range order {
		pt := tracks[k]
		gk := k.roomID + "\x00" + pt.pos.r.access + "\x00" + pt.pos.r.relTo
		g := groups[gk]
		if g == nil {
			g = &group{roomID: k.roomID, m: pt.pos.r.m}
			groups[gk] = g
			keys = append(keys, gk)
		}
		g.ids = append(g.ids, pt.row.itemID)
		g.n += len(pt.positions)
	}
	for _, gk := range keys {
		g := groups[gk]
		rec, err := audit.Append(ctx, tx, audit.Record{Action: "track.positions", RoomID: g.roomID, Kind: "track",
			Detail: audit.Detail(map[string]any{"tracks": len(g.ids), "positions": g.n, "source": "tak"})})
		if err != nil {
			return 0, 0, err
		}
		if p.s.bus == nil {
			continue
		}
		data, _ := json.Marshal(map[string]any{"tracks": len(g.ids), "positions": g.n, "via": "tak"})
		ch := live.Change{Seq: rec.Seq, RoomID: g.roomID, Kind: "track", Op: "update", At: rec.At, Marking: g.m, Data: data}
		if err := live.Persist(ctx, tx, ch); err != nil {
			return 0, 0, err
		}
		tx.AfterCommit(func() { p.s.bus.Publish(ch) })
	}
	return saved, refused, nil
}
