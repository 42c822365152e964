package picture

import (
	"encoding/json"
	"time"

	"github.com/opsroom/opsroom/internal/geo"
	"github.com/opsroom/opsroom/internal/item"
)

// Kinds of item this package keeps.
const (
	KindSite  = "site"
	KindTrack = "track"
	KindEvent = "event"
	KindArea  = "area"
	KindPlace = "place"
)

// Limits on what one request may carry or ask for.
const (
	// MaxBatch is the most positions one request may append.
	MaxBatch = 10_000
	// DefaultPositions and MaxPositions bound the track positions one
	// picture query or history page returns.
	DefaultPositions = 5_000
	MaxPositions     = 50_000
)

// Site is a fixed place on the map. Protected sites (hospitals, aid
// warehouses, notified humanitarian sites) are what deconfliction checks
// operations against.
type Site struct {
	item.Item
	Category  string       `json:"category"`
	Protected bool         `json:"protected"`
	PlaceName string       `json:"place_name,omitempty"`
	Geometry  geo.Geometry `json:"geometry"`
	ValidFrom *time.Time   `json:"valid_from,omitempty"`
	ValidTo   *time.Time   `json:"valid_to,omitempty"`
}

// SiteInput creates or replaces a site. Version is the version being
// replaced (updates only).
type SiteInput struct {
	Title     string          `json:"title"`
	Marking   item.Marking    `json:"marking"`
	Category  string          `json:"category"`
	Protected bool            `json:"protected"`
	PlaceName string          `json:"place_name,omitempty"`
	Geometry  json.RawMessage `json:"geometry"`
	ValidFrom *time.Time      `json:"valid_from,omitempty"`
	ValidTo   *time.Time      `json:"valid_to,omitempty"`
	Version   int             `json:"version,omitempty"`
}

// Event is something that happened at a place and time. Its time is an
// interval (an uncertain time is [earliest, latest]); its geometry may be
// missing when only a country or region is known and no shape is given.
type Event struct {
	item.Item
	EventKind string        `json:"event_kind"`
	Start     time.Time     `json:"start"`
	End       time.Time     `json:"end"`
	PlaceName string        `json:"place_name,omitempty"`
	Geometry  *geo.Geometry `json:"geometry,omitempty"`
	// Links are the reports and claims the event rests on that the viewer
	// may see.
	Links []string `json:"links"`
}

// EventInput creates or replaces an event.
type EventInput struct {
	Title     string          `json:"title"`
	Marking   item.Marking    `json:"marking"`
	EventKind string          `json:"event_kind"`
	Start     time.Time       `json:"start"`
	End       time.Time       `json:"end"`
	PlaceName string          `json:"place_name,omitempty"`
	Geometry  json.RawMessage `json:"geometry,omitempty"`
	Links     []string        `json:"links,omitempty"`
	Version   int             `json:"version,omitempty"`
}

// Area is a polygon zone or sector.
type Area struct {
	item.Item
	AreaKind  string       `json:"area_kind"`
	Geometry  geo.Geometry `json:"geometry"`
	ValidFrom *time.Time   `json:"valid_from,omitempty"`
	ValidTo   *time.Time   `json:"valid_to,omitempty"`
}

// AreaInput creates or replaces an area.
type AreaInput struct {
	Title     string          `json:"title"`
	Marking   item.Marking    `json:"marking"`
	AreaKind  string          `json:"area_kind"`
	Geometry  json.RawMessage `json:"geometry"`
	ValidFrom *time.Time      `json:"valid_from,omitempty"`
	ValidTo   *time.Time      `json:"valid_to,omitempty"`
	Version   int             `json:"version,omitempty"`
}

// Place is a room's own named place, for villages the shipped gazetteer
// does not have. Its title is its name.
type Place struct {
	item.Item
	Name    string  `json:"name"`
	Country string  `json:"country,omitempty"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

// PlaceInput creates or replaces a room place.
type PlaceInput struct {
	Name    string       `json:"name"`
	Marking item.Marking `json:"marking"`
	Country string       `json:"country,omitempty"`
	Lat     *float64     `json:"lat"`
	Lon     *float64     `json:"lon"`
	Version int          `json:"version,omitempty"`
}

// Track is something that moves. Its owner partner (Item.Owner) is the
// partner that reports it; only that partner's members append positions.
type Track struct {
	item.Item
	UID  string `json:"uid"`
	Type string `json:"type"` // CoT type, e.g. a-f-A-M-F-Q (MIL-STD-2525 derived)
	// StaleSeconds is how long a position stays current when it carries
	// no stale time of its own; 0 means such positions never go stale.
	StaleSeconds int64 `json:"stale_seconds"`
	// Positions are filled by picture queries and exports.
	Positions []Position `json:"positions,omitempty"`
	seq       int64
}

// TrackInput creates or replaces a track.
type TrackInput struct {
	Title        string       `json:"title"`
	Marking      item.Marking `json:"marking"`
	UID          string       `json:"uid"`
	Type         string       `json:"type"`
	StaleSeconds int64        `json:"stale_seconds,omitempty"`
	Version      int          `json:"version,omitempty"`
}

// Position is where a track was at one moment. Course is degrees from
// true north, speed metres per second, accuracy (CoT ce) metres, HAE
// metres above the WGS84 ellipsoid. Stale is when the position stops being
// current; nil means the track's StaleSeconds apply.
type Position struct {
	At       time.Time  `json:"at"`
	Lon      float64    `json:"lon"`
	Lat      float64    `json:"lat"`
	HAE      *float64   `json:"hae,omitempty"`
	Course   *float64   `json:"course,omitempty"`
	Speed    *float64   `json:"speed,omitempty"`
	Accuracy *float64   `json:"accuracy,omitempty"`
	Stale    *time.Time `json:"stale,omitempty"`
}

// PositionBatch appends positions to a track.
type PositionBatch struct {
	Positions []Position `json:"positions"`
}

// BatchResult says how many positions a batch appended.
type BatchResult struct {
	Appended int `json:"appended"`
}
