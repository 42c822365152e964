package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/validate"
)

// MaxDocument is the largest document Decode reads (1 GiB).
const MaxDocument = 1 << 30

// Decode reads a document, refusing unknown fields and a wrong format.
func Decode(r io.Reader) (*Document, error) {
	dec := json.NewDecoder(&utf8Reader{r: io.LimitReader(r, MaxDocument)})
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var bad *notUTF8
		switch {
		case errors.As(err, &bad):
			return nil, bad
		case errors.As(err, &syn):
			return nil, fmt.Errorf("not valid JSON at byte %d: %w", syn.Offset, err)
		case errors.As(err, &typ):
			return nil, fmt.Errorf("%s: want a JSON %s (at byte %d)", typ.Field, typ.Type.Kind(), typ.Offset)
		}
		return nil, fmt.Errorf("cannot read the document: %w", err)
	}
	if d.Format != Format {
		return nil, fmt.Errorf("format: %q is not %q", d.Format, Format)
	}
	return &d, nil
}

// RecordError names the record an import stopped at, and why.
type RecordError struct {
	Section string
	Index   int
	Ref     string
	Err     error
}

func (e *RecordError) Error() string {
	where := fmt.Sprintf("%s[%d]", e.Section, e.Index)
	if e.Ref != "" {
		where += fmt.Sprintf(" (%s)", e.Ref)
	}
	var verrs validate.Errors
	if errors.As(e.Err, &verrs) {
		parts := make([]string, len(verrs))
		for i, f := range verrs {
			parts[i] = f.Field + ": " + f.Detail
		}
		return where + ": " + strings.Join(parts, "; ")
	}
	if errors.Is(e.Err, store.ErrNotFound) {
		return where + ": refers to something that does not exist or that its author may not see"
	}
	return where + ": " + e.Err.Error()
}

func (e *RecordError) Unwrap() error { return e.Err }

// Importer loads documents through the ordinary services, so every record
// is validated, marked, audited and published exactly as if it had been
// shared through the API by the member named in its "by".
type Importer struct {
	DB      *store.DB
	Members *account.Service
	Rooms   *room.Service
	Picture *picture.Service
	Intel   *intel.Service
	// Progress, if set, is told how many records are done.
	Progress func(done, total int)
}

// Summary counts what an import wrote.
type Summary struct {
	Records int
	IDs     map[string]string // ref -> new ID of every shared record
}

// importer holds one import's state.
type importer struct {
	*Importer
	ctx    context.Context
	ids    map[string]string // ref -> ID
	people map[string]access.Principal
	scopes map[string]*intel.Scope
	// roomOfRef is each shared record's room.
	roomOfRef map[string]string
	done      int
	total     int
}

// Import loads d in one transaction. On any error nothing is written and
// the error is a *RecordError naming the first bad record.
func (im *Importer) Import(ctx context.Context, d *Document) (Summary, error) {
	st := &importer{Importer: im, ids: map[string]string{}, people: map[string]access.Principal{},
		scopes: map[string]*intel.Scope{}, roomOfRef: map[string]string{}, total: d.Records()}
	err := im.DB.Batch(ctx, func(ctx context.Context) error {
		st.ctx = ctx
		return st.run(d)
	})
	if err != nil {
		return Summary{}, err
	}
	return Summary{Records: st.total, IDs: st.ids}, nil
}

func (st *importer) step() {
	st.done++
	if st.Progress != nil && (st.done%500 == 0 || st.done == st.total) {
		st.Progress(st.done, st.total)
	}
}

// each runs fn for every record of a section, wrapping its error.
func each[T any](st *importer, section string, recs []T, ref func(T) string, fn func(T) error) error {
	for i, r := range recs {
		if err := fn(r); err != nil {
			return &RecordError{Section: section, Index: i, Ref: ref(r), Err: err}
		}
		st.step()
	}
	return nil
}

func noRef[T any](T) string { return "" }

func (st *importer) run(d *Document) error {
	ctx := st.ctx
	sys := access.System
	err := each(st, "partners", d.Partners, func(p Partner) string { return p.Code }, func(p Partner) error {
		if _, err := st.Rooms.Partner(ctx, p.Code); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, err := st.Rooms.CreatePartner(ctx, sys, room.NewPartner{Code: p.Code, Name: p.Name, Kind: p.Kind})
		return err
	})
	if err != nil {
		return err
	}
	err = each(st, "members", d.Members, func(m Member) string { return m.Username }, func(m Member) error {
		_, err := st.Members.CreateMember(ctx, sys, account.NewMember{Partner: m.Partner, Username: m.Username,
			DisplayName: m.DisplayName, Kind: m.Kind, Password: m.Password})
		return err
	})
	if err != nil {
		return err
	}
	err = each(st, "rooms", d.Rooms, func(r Room) string { return r.Slug }, func(r Room) error {
		if _, err := st.Rooms.CreateRoom(ctx, sys, r.NewRoom); err != nil {
			return err
		}
		for i, s := range r.Seats {
			if err := st.Rooms.SetMember(ctx, sys, r.Slug, s.Member, s.Role); err != nil {
				var verrs validate.Errors
				if errors.As(err, &verrs) {
					return verrs.Prefix(fmt.Sprintf("seats[%d]", i))
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = each(st, "places", d.Places, func(p Place) string { return p.Ref }, func(p Place) error {
		return st.shared(p.Shared, func(pr access.Principal) (string, error) {
			v, err := st.Picture.CreatePlace(ctx, pr, p.Room, picture.PlaceInput{Name: p.Name, Marking: p.Marking, Country: p.Country, Lat: &p.Lat, Lon: &p.Lon})
			return v.ID, err
		})
	})
	if err != nil {
		return err
	}
	err = each(st, "sites", d.Sites, func(s Site) string { return s.Ref }, func(s Site) error {
		return st.shared(s.Shared, func(pr access.Principal) (string, error) {
			v, err := st.Picture.CreateSite(ctx, pr, s.Room, picture.SiteInput{Title: s.Title, Marking: s.Marking, Category: s.Category,
				Protected: s.Protected, PlaceName: s.PlaceName, Geometry: s.Geometry, ValidFrom: s.ValidFrom, ValidTo: s.ValidTo})
			return v.ID, err
		})
	})
	if err != nil {
		return err
	}
	err = each(st, "sources", d.Sources, func(s Source) string { return s.Ref }, func(s Source) error {
		citedBy, err := st.optionalRef("cited_by", s.CitedBy)
		if err != nil {
			return err
		}
		return st.sharedTx(s.Shared, func(tx *store.Tx, sc *intel.Scope) (string, error) {
			return st.Intel.CreateSourceTx(ctx, tx, sc, intel.NewSource{Name: s.Name, Kind: s.Kind, Behind: s.Behind, Partner: s.Partner,
				CitedBy: citedBy, Reliability: s.Reliability, Notes: s.Notes, Marking: s.Marking})
		})
	})
	if err != nil {
		return err
	}
	err = each(st, "reports", d.Reports, func(r Report) string { return r.Ref }, func(r Report) error {
		source, err := st.optionalRef("source", r.Source)
		if err != nil {
			return err
		}
		var places []intel.Place
		if len(r.Places) > 0 {
			if err := json.Unmarshal(r.Places, &places); err != nil {
				return validate.Field("places", "want a list of {\"name\", \"geometry\"}")
			}
		}
		return st.sharedTx(r.Shared, func(tx *store.Tx, sc *intel.Scope) (string, error) {
			return st.Intel.CreateReportTx(ctx, tx, sc, intel.NewReport{Title: r.Title, Text: r.Text, Source: source, Credibility: r.Credibility,
				Observed: r.Observed, ReportedAt: r.ReportedAt, Places: places, Marking: r.Marking})
		})
	})
	if err != nil {
		return err
	}
	err = each(st, "provenance", d.Provenance, noRef[Link], func(l Link) error {
		from, err := st.optionalRef("report", l.Report)
		if err != nil {
			return err
		}
		to, err := st.optionalRef("target", l.Target)
		if err != nil {
			return err
		}
		slug, err := st.roomOf(l.Report)
		if err != nil {
			return err
		}
		sc, err := st.scope(l.By, slug)
		if err != nil {
			return err
		}
		return st.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := st.Intel.CreateLinkTx(ctx, tx, sc, from, intel.NewLink{Kind: l.Kind, Target: to})
			return err
		})
	})
	if err != nil {
		return err
	}
	err = each(st, "events", d.Events, func(e Event) string { return e.Ref }, func(e Event) error {
		links, err := st.refs("reports", e.Reports)
		if err != nil {
			return err
		}
		return st.shared(e.Shared, func(pr access.Principal) (string, error) {
			v, err := st.Picture.CreateEvent(ctx, pr, e.Room, picture.EventInput{Title: e.Title, Marking: e.Marking, EventKind: e.EventKind,
				Start: e.When.Start, End: e.When.End, PlaceName: e.PlaceName, Geometry: e.Geometry, Links: links})
			return v.ID, err
		})
	})
	if err != nil {
		return err
	}
	return each(st, "claims", d.Claims, func(c Claim) string { return c.Ref }, func(c Claim) error {
		event, err := st.optionalRef("event", c.Event)
		if err != nil {
			return err
		}
		sup, err := st.refs("supporting", c.Supporting)
		if err != nil {
			return err
		}
		dis, err := st.refs("disputing", c.Disputing)
		if err != nil {
			return err
		}
		return st.sharedTx(c.Shared, func(tx *store.Tx, sc *intel.Scope) (string, error) {
			return st.Intel.CreateClaimTx(ctx, tx, sc, intel.NewClaim{Event: event, Actor: c.Actor, Proposition: c.Proposition,
				Stance: c.Stance, Statement: c.Statement, Supporting: sup, Disputing: dis, Marking: c.Marking})
		})
	})
}

// principal is the member a record is shared by, loaded once the rooms
// and seats exist (inside the batch, so it sees them).
func (st *importer) principal(username string) (access.Principal, error) {
	if p, ok := st.people[username]; ok {
		return p, nil
	}
	if username == "" {
		return access.Principal{}, validate.Field("by", "is required: the username of the member who shares this")
	}
	p, err := st.Members.AsMember(st.ctx, username, "import")
	if errors.Is(err, store.ErrNotFound) {
		return p, validate.Field("by", "no member %q", username)
	} else if err != nil {
		return p, err
	}
	st.people[username] = p
	return p, nil
}

func (st *importer) register(s Shared, id string) error {
	if s.Ref == "" {
		return validate.Field("ref", "is required: a name other records can refer to this one by")
	}
	if _, dup := st.ids[s.Ref]; dup {
		return validate.Field("ref", "%q is used by an earlier record", s.Ref)
	}
	st.ids[s.Ref] = id
	st.roomOfRef[s.Ref] = s.Room
	return nil
}

// shared creates a record through a service call made as its author.
func (st *importer) shared(s Shared, create func(access.Principal) (string, error)) error {
	if _, dup := st.ids[s.Ref]; dup || s.Ref == "" {
		return st.register(s, "")
	}
	p, err := st.principal(s.By)
	if err != nil {
		return err
	}
	id, err := create(p)
	if err != nil {
		return err
	}
	return st.register(s, id)
}

// sharedTx creates an intelligence record through the bulk path, with one
// scope per (author, room).
func (st *importer) sharedTx(s Shared, create func(*store.Tx, *intel.Scope) (string, error)) error {
	if _, dup := st.ids[s.Ref]; dup || s.Ref == "" {
		return st.register(s, "")
	}
	sc, err := st.scope(s.By, s.Room)
	if err != nil {
		return err
	}
	var id string
	err = st.DB.Write(st.ctx, func(tx *store.Tx) error {
		var err error
		id, err = create(tx, sc)
		return err
	})
	if err != nil {
		return err
	}
	return st.register(s, id)
}

func (st *importer) scope(by, slug string) (*intel.Scope, error) {
	key := by + "\x00" + slug
	if sc, ok := st.scopes[key]; ok {
		return sc, nil
	}
	p, err := st.principal(by)
	if err != nil {
		return nil, err
	}
	sc, err := st.Intel.Scope(st.ctx, p, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, validate.Field("room", "no room %q that %s belongs to", slug, by)
	} else if err != nil {
		return nil, err
	}
	st.scopes[key] = sc
	return sc, nil
}

// optionalRef resolves a reference to an earlier record ("" stays "").
func (st *importer) optionalRef(field, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	id, ok := st.ids[ref]
	if !ok {
		return "", validate.Field(field, "no earlier record has ref %q", ref)
	}
	return id, nil
}

func (st *importer) refs(field string, refs []string) ([]string, error) {
	out := make([]string, len(refs))
	for i, r := range refs {
		id, err := st.optionalRef(fmt.Sprintf("%s[%d]", field, i), r)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

func (st *importer) roomOf(ref string) (string, error) {
	slug, ok := st.roomOfRef[ref]
	if !ok {
		return "", validate.Field("report", "no earlier record has ref %q", ref)
	}
	return slug, nil
}

// notUTF8 stops an import at the first byte that is not UTF-8, which
// encoding/json would otherwise store replaced by U+FFFD.
type notUTF8 struct{ offset int64 }

func (e *notUTF8) Error() string {
	return fmt.Sprintf("the document is not valid UTF-8 (at byte %d)", e.offset)
}

// utf8Reader passes bytes through and fails at the first one that is not
// UTF-8. A character cut by a read's end is checked with the next read,
// which the decoder must make to finish the string that holds it.
type utf8Reader struct {
	r       io.Reader
	offset  int64  // of pending[0] in the stream
	pending []byte // the start of a character cut by the last read
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	b := append(u.pending, p[:n]...)
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b[i:]) && err == nil {
				break
			}
			return 0, &notUTF8{offset: u.offset + int64(i)}
		}
		i += size
	}
	u.offset += int64(i)
	u.pending = append([]byte(nil), b[i:]...)
	return n, err
}
