package gazetteer

import (
	"bytes"
	"compress/gzip"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// distanceKm is the great-circle distance between two WGS84 points.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// roomPlaces are the places the scenario's rooms add themselves.
var roomPlaces = []Place{
	{ID: "room-place-1", Name: "Latamneh", AltNames: []string{"al-Lataminah", "اللطامنة"}, Country: "SY", Lat: 35.321, Lon: 36.623},
	{ID: "room-place-2", Name: "Talbiseh", AltNames: []string{"تلبيسة"}, Country: "SY", Lat: 34.840, Lon: 36.731},
}

// TestScenarioPlaces checks that each place of the reference scenario
// resolves, as the best match, to within 10 km of its known position.
func TestScenarioPlaces(t *testing.T) {
	tests := []struct {
		query    string
		extra    []Place
		lat, lon float64
		country  string
		source   string
	}{
		{"Damascus", nil, 33.514, 36.277, "SY", SourceGeoNames},
		{"Dimashq", nil, 33.514, 36.277, "SY", SourceGeoNames},
		{"دمشق", nil, 33.514, 36.277, "SY", SourceGeoNames},
		{"Baghdad", nil, 33.315, 44.366, "IQ", SourceGeoNames},
		{"بغداد", nil, 33.315, 44.366, "IQ", SourceGeoNames},
		{"Hama", nil, 35.13, 36.75, "SY", SourceGeoNames},
		{"Hamah", nil, 35.13, 36.75, "SY", SourceGeoNames},
		{"حماة", nil, 35.13, 36.75, "SY", SourceGeoNames},
		{"Homs", nil, 34.73, 36.71, "SY", SourceGeoNames},
		{"Hims", nil, 34.73, 36.71, "SY", SourceGeoNames},
		{"حمص", nil, 34.73, 36.71, "SY", SourceGeoNames},
		{"Rastan", nil, 34.926, 36.733, "SY", SourceGeoNames},
		{"Al-Rastan", nil, 34.926, 36.733, "SY", SourceGeoNames},
		{"ar-Rastan", nil, 34.926, 36.733, "SY", SourceGeoNames},
		{"Arrastan", nil, 34.926, 36.733, "SY", SourceGeoNames},
		{"الرستن", nil, 34.926, 36.733, "SY", SourceGeoNames},
		{"Salamiyah", nil, 35.011, 37.053, "SY", SourceGeoNames},
		{"Salamiyeh", nil, 35.011, 37.053, "SY", SourceGeoNames},
		{"Salamieh", nil, 35.011, 37.053, "SY", SourceGeoNames},
		{"Salamiya", nil, 35.011, 37.053, "SY", SourceGeoNames},
		{"السلمية", nil, 35.011, 37.053, "SY", SourceGeoNames},
		{"Erbil", nil, 36.191, 44.009, "IQ", SourceGeoNames},
		{"Arbil", nil, 36.191, 44.009, "IQ", SourceGeoNames},
		{"Irbil", nil, 36.191, 44.009, "IQ", SourceGeoNames},
		{"Hawler", nil, 36.191, 44.009, "IQ", SourceGeoNames},
		{"أربيل", nil, 36.191, 44.009, "IQ", SourceGeoNames},
		// GeoNames has Talbiseh (as Tallbīsah) ...
		{"Talbiseh", nil, 34.840, 36.731, "SY", SourceGeoNames},
		// ... and when a room adds it too, the room's own place comes first.
		{"Talbiseh", roomPlaces, 34.840, 36.731, "SY", SourceRoom},
		// GeoNames lacks Latamneh: only the room's place finds it.
		{"Latamneh", roomPlaces, 35.321, 36.623, "SY", SourceRoom},
		{"Lataminah", roomPlaces, 35.321, 36.623, "SY", SourceRoom},
		{"اللطامنة", roomPlaces, 35.321, 36.623, "SY", SourceRoom},
	}
	for _, tt := range tests {
		ms := LookupWith(tt.query, tt.extra, 5)
		if len(ms) == 0 {
			t.Errorf("%q: no match", tt.query)
			continue
		}
		m := ms[0]
		if d := distanceKm(m.Lat, m.Lon, tt.lat, tt.lon); d > 10 || m.Country != tt.country || m.Source != tt.source {
			t.Errorf("%q: best match %s %q (%s, %s) at %.1f km; want %s place within 10 km, from %s",
				tt.query, m.ID, m.Name, m.Country, m.Source, d, tt.country, tt.source)
		}
	}
}

func TestLatamnehNotInGeoNames(t *testing.T) {
	for _, m := range Lookup("Latamneh", MaxLimit) {
		if distanceKm(m.Lat, m.Lon, 35.321, 36.623) < 10 {
			t.Fatalf("GeoNames now has Latamneh (%+v): the room place is no longer needed", m)
		}
	}
}

// TestAmbiguous checks that a name several places share returns them all,
// each with its country, the exact main-name matches first and larger
// places before smaller ones.
func TestAmbiguous(t *testing.T) {
	tests := []struct {
		query     string
		countries []string // expected among the candidates, in this order
	}{
		{"Tripoli", []string{"LY", "LB", "GR"}},
		{"Homs", []string{"SY", "LY"}}, // Al Khums, Libya, is also "Homs"
		{"Damascus", []string{"SY", "US"}},
	}
	for _, tt := range tests {
		ms := Lookup(tt.query, 10)
		var got []string
		for _, m := range ms {
			if !slices.Contains(got, m.Country) {
				got = append(got, m.Country)
			}
		}
		if len(got) < len(tt.countries) || !slices.Equal(got[:len(tt.countries)], tt.countries) {
			t.Errorf("%q: countries %v, want %v first", tt.query, got, tt.countries)
		}
		checkOrder(t, tt.query, ms)
	}
	// The main name outranks an alternate: Homs (SY) by name, Al Khums by
	// its alternate "Homs".
	ms := Lookup("Homs", 2)
	if ms[0].Name != "Homs" || ms[0].Score != scoreExactMain || ms[1].Name != "Al Khums" || ms[1].Score != scoreExactAlt || ms[1].Matched != "Homs" {
		t.Errorf("Homs: got %+v", ms)
	}
}

func checkOrder(t *testing.T, query string, ms []Match) {
	t.Helper()
	for i := 1; i < len(ms); i++ {
		a, b := ms[i-1], ms[i]
		if a.Score < b.Score || a.Score == b.Score && a.Source == b.Source && a.Population < b.Population {
			t.Errorf("%q: %d (%s %v %d) ranks before %d (%s %v %d)", query, i-1, a.Name, a.Score, a.Population, i, b.Name, b.Score, b.Population)
		}
	}
}

func TestCountryBias(t *testing.T) {
	// Tripoli, Libya, is the larger; a preference for Lebanon turns it round.
	ms := Default().Search(Query{Text: "Tripoli", Limit: 3, Countries: []string{"lb"}})
	if ms[0].Country != "LB" || ms[1].Country != "LY" {
		t.Errorf("Tripoli preferring LB: got %s then %s", ms[0].Country, ms[1].Country)
	}
	// A preference does not lift an alternate-name match above a main name.
	ms = Default().Search(Query{Text: "Homs", Limit: 2, Countries: []string{"LY"}})
	if ms[0].Country != "SY" {
		t.Errorf("Homs preferring LY: got %s first", ms[0].Country)
	}
}

func TestPrefix(t *testing.T) {
	ms := Lookup("Salam", 20)
	found := false
	for _, m := range ms {
		if m.Name == "As Salamīyah" {
			found = m.Score == scorePrefixMain
		}
	}
	if !found {
		t.Errorf("Salam: As Salamīyah not among prefix matches: %+v", ms)
	}
	// One or two letters are matched exactly, not as a prefix.
	for _, m := range Lookup("ha", 50) {
		if Fold(m.Matched) != "ha" {
			t.Errorf("ha: matched %q", m.Matched)
		}
	}
}

func TestLimits(t *testing.T) {
	if n := len(Lookup("san", 0)); n != DefaultLimit {
		t.Errorf("limit 0: %d matches, want %d", n, DefaultLimit)
	}
	if n := len(Lookup("san", 1000)); n != MaxLimit {
		t.Errorf("limit 1000: %d matches, want %d", n, MaxLimit)
	}
	for _, q := range []string{"", "   ", "--", "'"} {
		if ms := Lookup(q, 5); len(ms) != 0 {
			t.Errorf("%q: %d matches, want none", q, len(ms))
		}
	}
}

func TestRoomPlaces(t *testing.T) {
	extra := []Place{
		{ID: "p1", Name: "Kafr Nabudah", Country: "SY", Lat: 35.37, Lon: 36.50},
		{ID: "p2", Name: "Checkpoint 7", Lat: 35.0, Lon: 36.0, AltNames: []string{"CP7"}},
	}
	ms := LookupWith("kafr-nabouda", extra, 3)
	if len(ms) == 0 || ms[0].ID != "p1" || ms[0].Source != SourceRoom || ms[0].Matched != "Kafr Nabudah" || ms[0].Score != scoreExactMain {
		t.Errorf("kafr-nabouda: %+v", ms)
	}
	ms = LookupWith("cp7", extra, 3)
	if len(ms) == 0 || ms[0].ID != "p2" || ms[0].Matched != "CP7" || ms[0].Score != scoreExactAlt {
		t.Errorf("cp7: %+v", ms)
	}
	// Extra places do not leak into later lookups.
	for _, m := range Lookup("cp7", 10) {
		if m.Source == SourceRoom {
			t.Errorf("room place returned without being given: %+v", m)
		}
	}
}

// TestLoadFailure checks that a broken index still lets room places be
// found and reports the error.
func TestLoadFailure(t *testing.T) {
	if _, err := Load(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Error("Load accepted garbage")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("# header\n1\tX\t\tSY\tnot-a-number\t0\t0\tPPL\t\n"))
	zw.Close()
	if _, err := Load(&buf); err == nil {
		t.Error("Load accepted a bad record")
	}
	g := &Gazetteer{load: func() (*index, error) { return readIndex(bytes.NewReader(nil), 0) }}
	if g.Warm() == nil {
		t.Error("Warm: no error from an empty source")
	}
	if ms := g.LookupWith("Latamneh", roomPlaces, 3); len(ms) != 1 || ms[0].Source != SourceRoom {
		t.Errorf("broken index: %+v", ms)
	}
}

func TestLoadSmall(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("# test\n" +
		"1\tAr Rastan\t\tSY\t34.92667\t36.73241\t53152\tPPLA2\tAl-Rastan|الرستن\n" +
		"2\tRastanville\t\tUS\t40\t-90\t1200\tPPL\t\n"))
	zw.Close()
	g, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 2 {
		t.Fatalf("Len = %d", g.Len())
	}
	ms := g.Lookup("rastan", 5)
	if len(ms) != 2 || ms[0].ID != "geonames:1" || ms[1].ID != "geonames:2" || ms[1].Score != scorePrefixMain {
		t.Errorf("got %+v", ms)
	}
	if ms := g.Lookup("الرستن", 5); len(ms) != 1 || ms[0].Matched != "الرستن" {
		t.Errorf("Arabic: got %+v", ms)
	}
}

// TestConcurrentFirstUse runs lookups from several goroutines on a cold
// gazetteer: the index must load once and serve them all (run with -race).
func TestConcurrentFirstUse(t *testing.T) {
	size := int(len(embedded))
	loads := 0
	g := &Gazetteer{load: func() (*index, error) {
		loads++
		return readIndex(bytes.NewReader(embedded), size*3)
	}}
	var wg sync.WaitGroup
	results := make([][]Match, 4)
	for i := range results {
		wg.Go(func() { results[i] = g.LookupWith("Hama", roomPlaces, 3) })
	}
	wg.Wait()
	if loads != 1 {
		t.Errorf("loaded %d times", loads)
	}
	for i := range results {
		if !slices.Equal(results[i], results[0]) || len(results[i]) == 0 {
			t.Errorf("goroutine %d: %+v, want %+v", i, results[i], results[0])
		}
	}
}

// TestLoadCost reports how long the embedded index takes to load and how
// much memory it holds; it fails only if that grows far past the figures
// recorded in ATTRIBUTION.md.
func TestLoadCost(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the index")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // twice: finish freeing what earlier tests left
	runtime.ReadMemStats(&before)
	start := time.Now()
	idx, err := defaultGazetteer.load()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("loaded %d places, %d names, %d skeletons in %v; heap %.1f MiB; embedded file %.1f MiB",
		len(idx.places), len(idx.names), len(idx.skeletons), elapsed, float64(heap)/(1<<20), float64(len(embedded))/(1<<20))
	if heap > 100<<20 {
		t.Errorf("index holds %d MiB, expected about 50", heap>>20)
	}
	runtime.KeepAlive(idx)
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := defaultGazetteer.load(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup measures one query against the loaded default index; the
// queries mix exact, alternate, Arabic-script, prefix and miss cases.
func BenchmarkLookup(b *testing.B) {
	if err := Default().Warm(); err != nil {
		b.Fatal(err)
	}
	queries := []string{"Damascus", "Hama", "ar-Rastan", "Salamiyeh", "حمص", "Tripoli", "Hawler", "san", "Latamneh", "Kafr"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		LookupWith(queries[i%len(queries)], roomPlaces, 10)
		i++
	}
}

func BenchmarkLookupParallel(b *testing.B) {
	if err := Default().Warm(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Lookup("Salamiyeh", 10)
		}
	})
}

func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Fold("Ma‘arrat an Nu‘mān")
	}
}
