// Package exchange reads and writes the opsroom exchange document: one
// JSON file holding partners, members, rooms and what is shared in them
// (places, sites, events, sources, reports, provenance, claims), with
// document-local references in place of server IDs. `opsroom import`
// loads a document in one transaction, or refuses it naming the first bad
// record and writing nothing; `opsroom export` writes what one member may
// see. The built-in demo is such a document.
package exchange

import (
	"encoding/json"
	"time"

	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/timespan"
)

// Format names this version of the document.
const Format = "opsroom-exchange/1"

// Document is the whole file. Sections are loaded in the order of the
// fields; a record may refer only to records of earlier sections (and, for
// provenance, to any report).
type Document struct {
	Format     string    `json:"format"`
	Partners   []Partner `json:"partners,omitempty"`
	Members    []Member  `json:"members,omitempty"`
	Rooms      []Room    `json:"rooms,omitempty"`
	Places     []Place   `json:"places,omitempty"`
	Sites      []Site    `json:"sites,omitempty"`
	Sources    []Source  `json:"sources,omitempty"`
	Reports    []Report  `json:"reports,omitempty"`
	Provenance []Link    `json:"provenance,omitempty"`
	Events     []Event   `json:"events,omitempty"`
	Claims     []Claim   `json:"claims,omitempty"`
}

// Partner is a partner; one that exists already (same code) is kept as it
// is.
type Partner struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Member is a member account. Password is read only from documents made
// for demonstrations and tests (the demo's scenario.json) and hashed with
// argon2id on import like any password; exports never write one, and a
// member imported without one signs in only after an admin sets it.
type Member struct {
	Username    string `json:"username"`
	Partner     string `json:"partner"`
	DisplayName string `json:"display_name,omitempty"`
	Kind        string `json:"kind,omitempty"`
	Password    string `json:"password,omitempty"`
}

// Room is a room with its partners and who sits in it.
type Room struct {
	room.NewRoom
	Seats []Seat `json:"seats,omitempty"`
}

// Seat is a member's place in a room.
type Seat struct {
	Member string `json:"member"`
	Role   string `json:"role,omitempty"` // member, director, co-director
}

// Shared is what every shared record carries: its reference in the
// document, its room, the member who shares it and its marking.
type Shared struct {
	Ref     string       `json:"ref"`
	Room    string       `json:"room"`
	By      string       `json:"by"` // username
	Marking item.Marking `json:"marking"`
}

// Place is a room's own named place (one the gazetteer lacks).
type Place struct {
	Shared
	Name    string  `json:"name"`
	Country string  `json:"country,omitempty"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

// Site is a fixed place; Protected marks hospitals, aid sites and other
// places operations must keep clear of.
type Site struct {
	Shared
	Title     string          `json:"title"`
	Category  string          `json:"category"`
	Protected bool            `json:"protected,omitempty"`
	PlaceName string          `json:"place_name,omitempty"`
	Geometry  json.RawMessage `json:"geometry"`
	ValidFrom *time.Time      `json:"valid_from,omitempty"`
	ValidTo   *time.Time      `json:"valid_to,omitempty"`
}

// Source is where information comes from, graded A-F.
type Source struct {
	Shared
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Behind      string `json:"behind,omitempty"`
	Partner     string `json:"partner,omitempty"`
	CitedBy     string `json:"cited_by,omitempty"` // ref of the citing outlet's source
	Reliability string `json:"reliability"`
	Notes       string `json:"notes,omitempty"`
}

// Report is one piece of shared information.
type Report struct {
	Shared
	Title       string          `json:"title"`
	Text        string          `json:"text"`
	Source      string          `json:"source"` // ref
	Credibility int             `json:"credibility"`
	Observed    timespan.Span   `json:"observed"`
	ReportedAt  *time.Time      `json:"reported_at,omitempty"`
	Places      json.RawMessage `json:"places,omitempty"`
}

// Link says report Report repeats or cites report Target (refs).
type Link struct {
	Report string `json:"report"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	By     string `json:"by"`
}

// Event is something that happened at a place and time.
type Event struct {
	Shared
	Title     string          `json:"title"`
	EventKind string          `json:"event_kind"`
	When      timespan.Span   `json:"when"`
	PlaceName string          `json:"place_name,omitempty"`
	Geometry  json.RawMessage `json:"geometry,omitempty"`
	Reports   []string        `json:"reports,omitempty"` // refs
}

// Claim is an assertion about an event by an actor, with the reports that
// support or dispute it.
type Claim struct {
	Shared
	Event       string   `json:"event"` // ref
	Actor       string   `json:"actor"`
	Proposition string   `json:"proposition"`
	Stance      string   `json:"stance"`
	Statement   string   `json:"statement,omitempty"`
	Supporting  []string `json:"supporting,omitempty"` // refs
	Disputing   []string `json:"disputing,omitempty"`  // refs
}

// Records counts the records of a document.
func (d *Document) Records() int {
	return len(d.Partners) + len(d.Members) + len(d.Rooms) + len(d.Places) + len(d.Sites) + len(d.Sources) +
		len(d.Reports) + len(d.Provenance) + len(d.Events) + len(d.Claims)
}
