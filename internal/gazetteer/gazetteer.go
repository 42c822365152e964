// Package gazetteer resolves place names to coordinates without a network:
// an index of the GeoNames places of 1,000 people or more (135,233 of them,
// with their Latin- and Arabic-script alternate names) is embedded in the
// binary, and a room can add places of its own that GeoNames lacks.
//
// Names are compared after folding (see [Fold]), so the spellings users type
// ("Hama", "Rastan", "Salamiyeh", "حمص") find the GeoNames forms ("Ḩamāh",
// "Ar Rastan", "As Salamīyah", "Homs"). Results are ranked: an exact match on
// a place's main name, then on an alternate name, then a prefix match, then a
// consonant-skeleton match; ties go to the larger place. An ambiguous name
// returns every candidate, each with its country, and leaves the choice to
// the user or to a country preference.
//
// The embedded index is read on the first lookup, not at start, and is then
// shared and read-only: all methods are safe for concurrent use.
//
// Place data © GeoNames (geonames.org), CC BY 4.0; see ATTRIBUTION.md.
package gazetteer

//go:generate go run ./gen -o places.tsv.gz

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"io"
	"sync"
)

//go:embed places.tsv.gz
var embedded []byte

// Source values of [Match.Source].
const (
	SourceGeoNames = "geonames"
	SourceRoom     = "room"
)

// DefaultLimit is the number of matches returned when a lookup asks for
// zero or fewer; MaxLimit caps what a lookup may ask for.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// Match is one candidate place for a query.
type Match struct {
	// ID is "geonames:<id>" for a GeoNames place, or the room's own
	// [Place.ID] for a room place.
	ID string
	// Name is the place's main name as its source spells it ("Ḩamāh").
	Name string
	// Matched is the name or alternate name that matched the query
	// ("Hama"); it equals Name when the main name matched.
	Matched string
	// Country is the ISO 3166-1 alpha-2 code, upper case; may be empty for
	// a room place.
	Country string
	// Lat and Lon are WGS84 decimal degrees.
	Lat, Lon float64
	// Population is GeoNames' figure, 0 when unknown.
	Population int
	// Feature is the GeoNames feature code (PPLC capital, PPLA seat of a
	// first-order division, PPL populated place, ...); empty for room places.
	Feature string
	// Score orders the matches, higher first. It reflects how the name
	// matched (1.0 exact main name, 0.9 exact alternate, 0.6/0.5 prefix,
	// 0.3 consonant skeleton, less 0.05 for an attached-article guess, plus
	// 0.05 for a preferred country); it is not a probability.
	Score float64
	// Source is SourceGeoNames or SourceRoom.
	Source string
}

// Place is a place a room keeps itself, for villages GeoNames does not have
// (Latamneh) or a spelling it prefers. Room places are matched with the same
// folding as GeoNames places and rank before a GeoNames place of equal score.
type Place struct {
	ID         string // the room's identifier, returned as Match.ID
	Name       string
	AltNames   []string
	Country    string // ISO 3166-1 alpha-2, optional
	Lat, Lon   float64
	Population int
}

// Query is a full lookup request; [Gazetteer.Lookup] and
// [Gazetteer.LookupWith] are shorthands for the common cases.
type Query struct {
	Text  string
	Limit int // 0 or less means DefaultLimit; capped at MaxLimit
	// Countries, if set, are preferred ISO 3166-1 alpha-2 codes (case does
	// not matter): a match there ranks above an equally good match
	// elsewhere, but not above a better one.
	Countries []string
	// Extra are the room's own places, searched alongside GeoNames.
	Extra []Place
}

// Gazetteer is a read-only place-name index. The zero value is not usable;
// use [Default] or [Load].
type Gazetteer struct {
	once sync.Once
	load func() (*index, error)
	idx  *index
	err  error
}

var defaultGazetteer = &Gazetteer{load: func() (*index, error) {
	// A gzip stream ends with the unzipped size (mod 2^32).
	size := binary.LittleEndian.Uint32(embedded[len(embedded)-4:])
	return readIndex(bytes.NewReader(embedded), int(size))
}}

// Default returns the gazetteer built from the embedded GeoNames data. It is
// loaded on its first use; call [Gazetteer.Warm] to load it ahead of time.
func Default() *Gazetteer { return defaultGazetteer }

// Lookup searches the default gazetteer; see [Gazetteer.Lookup].
func Lookup(query string, limit int) []Match { return defaultGazetteer.Lookup(query, limit) }

// LookupWith searches the default gazetteer and a room's places; see
// [Gazetteer.LookupWith].
func LookupWith(query string, extra []Place, limit int) []Match {
	return defaultGazetteer.LookupWith(query, extra, limit)
}

// Load reads a gazetteer in the embedded file's format (gzip'd TSV, see
// gen/main.go) at once.
func Load(r io.Reader) (*Gazetteer, error) {
	idx, err := readIndex(r, 0)
	if err != nil {
		return nil, err
	}
	g := &Gazetteer{}
	g.once.Do(func() { g.idx = idx })
	return g, nil
}

// Warm loads the index if it is not loaded yet and reports whether that
// worked. Lookups on a gazetteer that failed to load search only the extra
// places they are given.
func (g *Gazetteer) Warm() error {
	_, err := g.index()
	return err
}

// Len returns the number of places in the index (loading it if needed).
func (g *Gazetteer) Len() int {
	idx, _ := g.index()
	if idx == nil {
		return 0
	}
	return len(idx.places)
}

func (g *Gazetteer) index() (*index, error) {
	g.once.Do(func() {
		if g.load != nil {
			g.idx, g.err = g.load()
		}
	})
	return g.idx, g.err
}

// Lookup returns up to limit places whose names match query, best first.
func (g *Gazetteer) Lookup(query string, limit int) []Match {
	return g.Search(Query{Text: query, Limit: limit})
}

// LookupWith is Lookup over the gazetteer and the given room places, which
// come back with Source "room".
func (g *Gazetteer) LookupWith(query string, extra []Place, limit int) []Match {
	return g.Search(Query{Text: query, Limit: limit, Extra: extra})
}

// Search runs a full query.
func (g *Gazetteer) Search(q Query) []Match {
	idx, _ := g.index()
	return search(idx, q)
}
