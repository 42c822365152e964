// Package intelload is the intelligence benchmark's world: a room of
// generated reports with natural-looking text and the searches run on it,
// shared by intel's `go test -bench` and `opsroom bench intel`.
package intelload

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
)

// World is the intelligence benchmark's world, shared by
// `go test -bench` and `opsroom bench intel` so both measure the same code
// on the same data: a room "r" with partners A and B, member a of A who
// shares every report, member b of B, ten sources of grades A to F, and
// generated reports.
//
// Report texts draw words from a 20,000-word vocabulary with a Zipf
// distribution (s = 1.1), as in natural text: a few words are in most
// reports, most words in few. Every report has a 6-word title, a 60-word
// body, one point place, an observed interval of up to 3 days in 2015 and
// a credibility 1..6; one in five is released to partner A only, so b may
// not see it.
type World struct {
	DB   *store.DB
	Svc  *intel.Service
	A, B access.Principal

	rng     *rand.Rand
	zipf    *rand.Zipf
	vocab   []string
	sources []string
	n       int
}

// Zipf parameters of the generated text.
const (
	benchZipfS = 1.1
	benchZipfV = 2
	benchVocab = 20_000
	benchWords = 66 // per report: 6 in the title, 60 in the body
)

// New makes the room, its partners, members and sources.
func New(ctx context.Context, db *store.DB, seed uint64) (*World, error) {
	members, rooms := account.NewService(db), room.NewService(db)
	sys := access.System
	for _, code := range []string{"A", "B"} {
		if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: "Partner " + code, Kind: "state"}); err != nil {
			return nil, err
		}
		if _, err := members.CreateMember(ctx, sys, account.NewMember{Partner: code, Username: strings.ToLower(code), DisplayName: code, Password: "correct horse battery"}); err != nil {
			return nil, err
		}
	}
	if _, err := rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "r", Name: "Room", Purpose: "benchmark", CommandModel: room.Director, Partners: []string{"A", "B"}}); err != nil {
		return nil, err
	}
	for _, u := range []string{"a", "b"} {
		if err := rooms.SetMember(ctx, sys, "r", u, room.RoleMember); err != nil {
			return nil, err
		}
	}
	w, err := attach(ctx, db, seed)
	if err != nil {
		return nil, err
	}
	sc, err := w.Svc.Scope(ctx, w.A, "r")
	if err != nil {
		return nil, err
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		for i := range 10 {
			id, err := w.Svc.CreateSourceTx(ctx, tx, sc, intel.NewSource{Name: fmt.Sprintf("source %d", i), Kind: "outlet",
				Reliability: string(rune('A' + i%6)), Marking: item.Marking{TLP: "CLEAR"}})
			if err != nil {
				return err
			}
			w.sources = append(w.sources, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Attach returns the world New made in db earlier
// with the same seed (to run searches again on a loaded database).
func Attach(ctx context.Context, db *store.DB, seed uint64) (*World, error) {
	return attach(ctx, db, seed)
}

func attach(ctx context.Context, db *store.DB, seed uint64) (*World, error) {
	bus := live.NewBus()
	members, rooms := account.NewService(db), room.NewService(db)
	w := &World{DB: db, Svc: intel.NewService(db, rooms, item.NewService(db, rooms, bus), bus)}
	var err error
	if w.A, err = members.AsMember(ctx, "a", "bench"); err != nil {
		return nil, err
	}
	if w.B, err = members.AsMember(ctx, "b", "bench"); err != nil {
		return nil, err
	}
	w.rng = rand.New(rand.NewPCG(seed, 1))
	w.zipf = rand.NewZipf(w.rng, benchZipfS, benchZipfV, benchVocab-1)
	syll := []string{"ka", "ro", "mi", "ta", "sel", "dun", "var", "po", "li", "zen", "qa", "bri", "tor", "ne", "has", "ul"}
	seen := map[string]bool{}
	for len(w.vocab) < benchVocab {
		var b strings.Builder
		for range 2 + w.rng.IntN(3) {
			b.WriteString(syll[w.rng.IntN(len(syll))])
		}
		if s := b.String(); !seen[s] {
			seen[s] = true
			w.vocab = append(w.vocab, s)
		}
	}
	return w, nil
}

func (w *World) words(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = w.vocab[w.zipf.Uint64()]
	}
	return strings.Join(ws, " ")
}

// Reports returns n generated reports.
func (w *World) Reports(n int) []intel.NewReport {
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]intel.NewReport, n)
	for i := range out {
		m := item.Marking{TLP: "GREEN"}
		if (w.n+i)%5 == 0 {
			m = item.Marking{TLP: "AMBER", ReleasableTo: []string{"A"}}
		}
		start := base.Add(time.Duration(w.rng.IntN(365*24)) * time.Hour)
		lon, lat := 35+w.rng.Float64()*10, 30+w.rng.Float64()*8
		out[i] = intel.NewReport{
			Title: w.words(6), Text: w.words(60), Source: w.sources[w.rng.IntN(len(w.sources))], Credibility: 1 + w.rng.IntN(6),
			Observed: timespan.Span{Start: start, End: start.Add(time.Duration(w.rng.IntN(72)) * time.Hour)},
			Places:   []intel.Place{{Geometry: fmt.Appendf(nil, `{"type":"Point","coordinates":[%.4f,%.4f]}`, lon, lat)}},
			Marking:  m,
		}
	}
	w.n += n
	return out
}

// Import writes reports in one transaction through CreateReportTx (items
// row, marking, hash-chained audit record, reports row, full-text index),
// as a's, the importer's bulk path.
func (w *World) Import(ctx context.Context, reps []intel.NewReport) error {
	sc, err := w.Svc.Scope(ctx, w.A, "r")
	if err != nil {
		return err
	}
	return w.DB.Write(ctx, func(tx *store.Tx) error {
		for _, r := range reps {
			if _, err := w.Svc.CreateReportTx(ctx, tx, sc, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// docFreq is the expected share of reports holding the vocabulary's
// word of Zipf rank k.
func docFreq(k int) float64 {
	var h float64
	for i := range benchVocab {
		h += math.Pow(float64(benchZipfV+i), -benchZipfS)
	}
	p := math.Pow(float64(benchZipfV+k), -benchZipfS) / h
	return 1 - math.Pow(1-p, benchWords)
}

// Search is one search of the workload and who runs it.
type Search struct {
	Kind string // what the query is like, for the report
	As   access.Principal
	Room string // the room's slug: "r", or "s" for SmallSearches
	Q    intel.SearchQuery
}

// SmallRoom opens a second room, "s", with the same partners and
// members, three sources and n generated reports. Made before the main
// room is loaded, its reports are the oldest on the server: a search in
// it must get past all of the large room's.
func (w *World) SmallRoom(ctx context.Context, n int) error {
	rooms := room.NewService(w.DB)
	sys := access.System
	if _, err := rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: "s", Name: "Small room", Purpose: "benchmark", CommandModel: room.Director, Partners: []string{"A", "B"}}); err != nil {
		return err
	}
	for _, u := range []string{"a", "b"} {
		if err := rooms.SetMember(ctx, sys, "s", u, room.RoleMember); err != nil {
			return err
		}
	}
	// The members' rights now include room s.
	members := account.NewService(w.DB)
	var err error
	if w.A, err = members.AsMember(ctx, "a", "bench"); err != nil {
		return err
	}
	if w.B, err = members.AsMember(ctx, "b", "bench"); err != nil {
		return err
	}
	sc, err := w.Svc.Scope(ctx, w.A, "s")
	if err != nil {
		return err
	}
	return w.DB.Write(ctx, func(tx *store.Tx) error {
		var sources []string
		for i := range 3 {
			id, err := w.Svc.CreateSourceTx(ctx, tx, sc, intel.NewSource{Name: fmt.Sprintf("small source %d", i), Kind: "outlet",
				Reliability: string(rune('A' + i)), Marking: item.Marking{TLP: "CLEAR"}})
			if err != nil {
				return err
			}
			sources = append(sources, id)
		}
		for i, r := range w.Reports(n) {
			r.Source = sources[i%len(sources)]
			if _, err := w.Svc.CreateReportTx(ctx, tx, sc, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// SmallSearches returns n searches in the small room (SmallRoom),
// alternating between a and b: half a word in about 30% of reports, half
// a rare one.
func (w *World) SmallSearches(n int) []Search {
	out := make([]Search, n)
	for i := range out {
		s := Search{Kind: "small room: word in 30% of reports", Room: "s", As: w.A, Q: intel.SearchQuery{Text: w.vocab[w.common()], Limit: 20}}
		if i%2 == 1 {
			s.Kind, s.Q.Text = "small room: rare word", w.vocab[500+w.rng.IntN(4500)]
		}
		if (i/2)%2 == 1 {
			s.As = w.B
		}
		out[i] = s
	}
	return out
}

// common returns the Zipf rank of the word in about 30% of reports.
func (w *World) common() int {
	common := 0
	for k := range 200 {
		if math.Abs(docFreq(k)-0.30) < math.Abs(docFreq(common)-0.30) {
			common = k
		}
	}
	return common
}

// Searches returns the search workload, n queries (first page of 20)
// alternating between a (who sees every report) and b (who may not see
// a fifth), in this mix:
//
//   - 3/8 one rare word (Zipf rank 500-5,000: in about 0.05% to 0.5% of
//     reports), half of them with a second word ranked 50-500 (0.5%-5%);
//   - 1/8 a word in about 30% of reports;
//   - 1/8 that common word with credibility at most 3 and a 30-day
//     observed window;
//   - 1/8 a rare word with partner A and reliability A or B;
//   - 1/8 a middling word (rank 50-500) with a 7-day observed window;
//   - 1/8 no words: a 7-day observed window and credibility at most 2.
func (w *World) Searches(n int) []Search {
	common := w.common()
	rare := func() string { return w.vocab[500+w.rng.IntN(4500)] }
	mid := func() string { return w.vocab[50+w.rng.IntN(450)] }
	window := func(days int) (time.Time, time.Time) {
		from := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(w.rng.IntN(365-days)) * 24 * time.Hour)
		return from, from.Add(time.Duration(days) * 24 * time.Hour)
	}
	out := make([]Search, n)
	for i := range out {
		var s Search
		switch i % 8 {
		case 0, 1:
			s.Kind, s.Q = "rare word", intel.SearchQuery{Text: rare()}
		case 2:
			s.Kind, s.Q = "rare and middling words", intel.SearchQuery{Text: rare() + " " + mid()}
		case 3:
			s.Kind, s.Q = "word in 30% of reports", intel.SearchQuery{Text: w.vocab[common]}
		case 4:
			from, to := window(30)
			s.Kind, s.Q = "30% word, credibility, 30 days", intel.SearchQuery{Text: w.vocab[common], MaxCredibility: 3, ObservedFrom: from, ObservedTo: to}
		case 5:
			s.Kind, s.Q = "rare word, partner, reliability", intel.SearchQuery{Text: rare(), Partner: "A", Reliability: []intel.Reliability{intel.ReliabilityA, intel.ReliabilityB}}
		case 6:
			from, to := window(7)
			s.Kind, s.Q = "middling word, 7 days", intel.SearchQuery{Text: mid(), ObservedFrom: from, ObservedTo: to}
		case 7:
			from, to := window(7)
			s.Kind, s.Q = "no words: 7 days, credibility", intel.SearchQuery{MaxCredibility: 2, ObservedFrom: from, ObservedTo: to}
		}
		s.Q.Limit = 20
		s.Room = "r"
		s.As = w.A
		if (i+i/8)%2 == 1 {
			s.As = w.B
		}
		out[i] = s
	}
	return out
}
