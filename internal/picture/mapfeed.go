package picture

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
)

// MapItem is an item of a room with what places it on a map: the
// geometry of a site, event or area, or a track's latest position. Items
// of kinds the picture does not keep (an operation, a device's marker)
// come with their body only.
type MapItem struct {
	item.Item
	Geometry json.RawMessage // sites, events and areas; nil otherwise
	Track    *MapTrack       // tracks only
}

// MapTrack is a track as a map shows it: its uid and type and its latest
// position.
type MapTrack struct {
	UID          string
	Type         string
	StaleSeconds int64
	Latest       *Position // nil: no position yet
}

// MapQuery selects the items MapItems reads.
type MapQuery struct {
	Kinds  []string  // item kinds to read (required)
	ItemID string    // only this item, when set
	Now    time.Time // leave out tracks whose latest position is stale at Now; zero keeps them
	Limit  int       // at most this many items, in id order; 0 means 20,000
}

// MapItems reads a room's items of the asked kinds that the viewer may
// see, with what places each on a map. It is the read of streaming
// clients (TAK devices) that draw the whole room at once.
func (s *Service) MapItems(ctx context.Context, p access.Principal, roomID string, q MapQuery) ([]MapItem, error) {
	if len(q.Kinds) == 0 {
		return nil, nil
	}
	if q.Limit <= 0 {
		q.Limit = 20000
	}
	sel := item.For(p.Viewer).Select(item.Columns + `, COALESCE(st.geometry, ev.geometry, ar.geometry, ''),
		tr.uid, tr.type_code, tr.stale_seconds, ` + posCols).
		Join(strings.TrimPrefix(item.Joins, " ")).
		Join(`LEFT JOIN sites st ON st.item_id = i.id
		LEFT JOIN events ev ON ev.item_id = i.id
		LEFT JOIN areas ar ON ar.item_id = i.id
		LEFT JOIN tracks tr ON tr.item_id = i.id
		LEFT JOIN track_positions p ON p.id = (SELECT p2.id FROM track_positions p2 WHERE p2.track_seq = tr.seq ORDER BY p2.at DESC, p2.id DESC LIMIT 1)`)
	kinds := make([]any, len(q.Kinds))
	for k, v := range q.Kinds {
		kinds[k] = v
	}
	sel.Where(`i.room_id = ?`, roomID).Where(`i.kind IN (?`+strings.Repeat(", ?", len(q.Kinds)-1)+`)`, kinds...)
	if q.ItemID != "" {
		sel.Where(`i.id = ?`, q.ItemID)
	}
	if !q.Now.IsZero() {
		sel.Where(`(i.kind <> 'track' OR p.stale IS NULL OR p.stale > ?)`, store.Micros(q.Now))
	}
	rows, err := sel.OrderBy("i.id").Limit(q.Limit).Rows(ctx, s.db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MapItem
	for rows.Next() {
		var v MapItem
		var geom string
		var uid, typ sql.NullString
		var staleSecs sql.NullInt64
		var pid, at sql.NullInt64
		var lon, lat sql.NullFloat64
		var pt posRow
		if err := item.Scan(rows, &v.Item, &geom, &uid, &typ, &staleSecs,
			&pid, &at, &lon, &lat, &pt.hae, &pt.course, &pt.speed, &pt.acc, &pt.stale); err != nil {
			return nil, err
		}
		if geom != "" {
			v.Geometry = json.RawMessage(geom)
		}
		if uid.Valid {
			v.Track = &MapTrack{UID: uid.String, Type: typ.String, StaleSeconds: staleSecs.Int64}
			if pid.Valid {
				pt.id, pt.at, pt.lon, pt.lat = pid.Int64, at.Int64, lon.Float64, lat.Float64
				latest := pt.position()
				v.Track.Latest = &latest
			}
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TrackRef is who a track belongs to, found by its uid: enough to append
// positions to it and to check who may.
type TrackRef struct {
	ItemID    string
	Seq       int64  // the key of its positions (PositionWriter.Add)
	PartnerID string // the owner partner
	AuthorID  string // the member who created it
}

// TrackByUID finds the track with uid in a room, or store.ErrNotFound.
// q may be a transaction. It applies no need-to-know: it is for deciding
// who may write under a uid, and its answer must never reach a client.
func TrackByUID(ctx context.Context, q store.Reader, roomID, uid string) (TrackRef, error) {
	rows, err := item.Server().Query(ctx, q, `SELECT t.item_id, t.seq, i.owner_partner_id, i.created_by FROM tracks t JOIN {items i} ON i.id = t.item_id
		WHERE t.room_id = ? AND t.uid = ?`, roomID, uid)
	if err != nil {
		return TrackRef{}, err
	}
	defer rows.Close()
	var r TrackRef
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return r, err
		}
		return r, store.ErrNotFound
	}
	if err := rows.Scan(&r.ItemID, &r.Seq, &r.PartnerID, &r.AuthorID); err != nil {
		return r, err
	}
	return r, rows.Err()
}
