package picture

import (
	"context"
	"database/sql"
	"strings"

	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
)

// The sites as other packages' checks read them. Deconfliction (package
// ops) decides whether an operation or movement meets another partner's
// protected site; it reads the sites through these functions, so that the
// sites table, its spatial index and their query shapes stay the
// picture's. These are server reads: their answers feed a decision and are
// never shown to a viewer as they are.

// SiteShape is a site as a check reads it: where it is and when it holds.
type SiteShape struct {
	ItemID    string
	RoomID    string
	Owner     string // the owner partner's id
	Protected bool   // marked protected by its owner
	Geometry  string // GeoJSON, as stored
	// ValidStart and ValidEnd bound the site's validity in microseconds
	// since 1970 (store.Micros); a null bound is open.
	ValidStart, ValidEnd sql.NullInt64
}

const shapeCols = `s.item_id, i.room_id, i.owner_partner_id, s.protected, s.geometry, s.valid_start, s.valid_end`

func scanShape(sc scanner) (SiteShape, error) {
	var v SiteShape
	err := sc.Scan(&v.ItemID, &v.RoomID, &v.Owner, &v.Protected, &v.Geometry, &v.ValidStart, &v.ValidEnd)
	return v, err
}

// SiteShapeOf returns one site's shape, or store.ErrNotFound when id is
// not a site. q may be a transaction.
func SiteShapeOf(ctx context.Context, q item.Rows, id string) (SiteShape, error) {
	var v SiteShape
	err := store.Scan(item.Server().QueryRow(ctx, q, `SELECT `+shapeCols+` FROM sites s JOIN {items i} ON i.id = s.item_id WHERE s.item_id = ?`, id),
		&v.ItemID, &v.RoomID, &v.Owner, &v.Protected, &v.Geometry, &v.ValidStart, &v.ValidEnd)
	return v, err
}

// ProtectedSitesIn returns the sites of a room, owned by partners other
// than exceptOwner, whose boxes meet b and whose validity meets the window
// [start, end] (microseconds), and that are protected: marked so by their
// owner, or among noticed (the sites a partner's notice protects, which
// the caller knows). The spatial index narrows (the R*Tree on SQLite, the
// GiST box index on PostgreSQL); the exact test is the caller's. q may be
// a transaction; engine is its database's.
func ProtectedSitesIn(ctx context.Context, q item.Querier, engine store.Engine, roomID, exceptOwner string, b geo.BBox, start, end int64, noticed []string) ([]SiteShape, error) {
	spatial := `box(point(s.min_lon, s.min_lat), point(s.max_lon, s.max_lat)) && box(point(?, ?), point(?, ?))`
	from := `sites s JOIN {items i} ON i.id = s.item_id`
	args := []any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
	if engine == store.SQLite {
		// CROSS JOIN keeps SQLite's planner from starting at the room's
		// items (all of them) and probing the R*Tree once per item.
		from = `picture_rtree t CROSS JOIN picture_shapes ps ON ps.id = t.id CROSS JOIN sites s ON s.item_id = ps.item_id CROSS JOIN {items i} ON i.id = s.item_id`
		spatial = `t.min_lon <= ? AND t.max_lon >= ? AND t.min_lat <= ? AND t.max_lat >= ?
			AND s.min_lon <= ? AND s.max_lon >= ? AND s.min_lat <= ? AND s.max_lat >= ?`
		args = []any{b.MaxLon, b.MinLon, b.MaxLat, b.MinLat, b.MaxLon, b.MinLon, b.MaxLat, b.MinLat}
	}
	protected := `s.protected = ?`
	args = append(args, roomID, exceptOwner, true)
	if len(noticed) > 0 {
		protected = `(s.protected = ? OR s.item_id IN (?` + strings.Repeat(`, ?`, len(noticed)-1) + `))`
		for _, id := range noticed {
			args = append(args, id)
		}
	}
	args = append(args, end, start)
	rows, err := item.Server().Query(ctx, q, `SELECT `+shapeCols+`
		FROM `+from+`
		WHERE `+spatial+` AND i.room_id = ? AND i.owner_partner_id <> ? AND `+protected+`
		AND (s.valid_start IS NULL OR s.valid_start <= ?) AND (s.valid_end IS NULL OR s.valid_end >= ?)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SiteShape
	for rows.Next() {
		v, err := scanShape(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SiteByTitle returns the id of a site of the room with this title, the
// first by id, that the read's viewer may see, or store.ErrNotFound. r is
// a viewer's read (item.For).
func SiteByTitle(ctx context.Context, r item.Read, q item.Rows, roomID, title string) (string, error) {
	var id string
	err := store.Scan(r.QueryRow(ctx, q, `SELECT i.id FROM {items i} JOIN sites st ON st.item_id = i.id WHERE i.room_id = ? AND i.title = ? AND {visible i} ORDER BY i.id LIMIT 1`,
		roomID, title), &id)
	return id, err
}
