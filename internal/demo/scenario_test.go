package demo

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/exchange"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/ops"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// world is the services the demo is loaded through.
type world struct {
	db      *store.DB
	members *account.Service
	rooms   *room.Service
	pic     *picture.Service
	ops     *ops.Service
	im      *exchange.Importer
}

func newWorld(db *store.DB) world {
	bus := live.NewBus()
	members, rooms := account.NewService(db), room.NewService(db)
	pic := picture.NewService(db, rooms, bus)
	in := intel.NewService(db, rooms, item.NewService(db, rooms, bus), bus)
	return world{db: db, members: members, rooms: rooms, pic: pic, ops: ops.New(db, rooms, bus),
		im: &exchange.Importer{DB: db, Members: members, Rooms: rooms, Picture: pic, Intel: in}}
}

// load imports scenario.json and adds the operations, in one transaction
// as `opsroom serve --demo` does.
func (w world) load(t *testing.T) IntelIDs {
	t.Helper()
	var ids IntelIDs
	err := w.db.Batch(t.Context(), func(ctx context.Context) error {
		var err error
		if ids, err = Import(ctx, w.im); err != nil {
			return err
		}
		return LoadOps(ctx, w.members, w.ops)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (w world) as(t *testing.T, username string) access.Principal {
	t.Helper()
	p, err := w.members.AsMember(t.Context(), username, "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func counts(t *testing.T, db *store.DB) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"partners", "members", "rooms", "room_members", "items", "audit"} {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(n)
		parts = append(parts, table+"="+string(b))
	}
	return strings.Join(parts, " ")
}

// TestScenarioImports: the embedded document imports on both engines,
// every record gets an ID, and every demo login signs in with the
// documented password (hashed on import).
func TestScenarioImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		ids := w.load(t)
		d, err := Scenario()
		if err != nil {
			t.Fatal(err)
		}
		if len(ids.Reports) != len(d.Reports) || len(ids.Claims) != len(d.Claims) || len(ids.Events) != len(d.Events) {
			t.Fatalf("IDs of %d reports, %d claims, %d events; the document has %d, %d, %d",
				len(ids.Reports), len(ids.Claims), len(ids.Events), len(d.Reports), len(d.Claims), len(d.Events))
		}
		for _, m := range []map[string]string{ids.Reports, ids.Claims, ids.Events} {
			for k, id := range m {
				if id == "" {
					t.Errorf("%s: no ID", k)
				}
			}
		}
		logins := Logins()
		if len(logins) != 5 {
			t.Fatalf("logins: %+v", logins)
		}
		for _, l := range logins {
			if l.Password != Password {
				t.Errorf("%s: password %q in the document, want %q", l.Username, l.Password, Password)
			}
			if _, _, err := w.members.Login(t.Context(), l.Username, Password, "127.0.0.1"); err != nil {
				t.Errorf("%s cannot sign in: %v", l.Username, err)
			}
		}
		var stored string
		if err := db.QueryRow(t.Context(), `SELECT password_hash FROM members WHERE username = ?`, "ru.general").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "$argon2id$") {
			t.Errorf("ru.general's password is stored as %.12q..., want an argon2id hash", stored)
		}
		roles := map[string]string{}
		for _, l := range logins {
			roles[l.Username] = l.Roles
		}
		if roles["ru.general"] != "director of damascus " || roles["ir.commander"] != "co-director of baghdad " || roles["sy.officer"] != "" {
			t.Errorf("roles: %q", roles)
		}
	})
}

// TestImportTwiceRefused: the document is for an empty server; imported
// again it is refused at its first member and nothing is written.
func TestImportTwiceRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		w.load(t)
		before := counts(t, db)
		_, err := Import(t.Context(), w.im)
		var re *exchange.RecordError
		if !errors.As(err, &re) || re.Section != "members" || re.Index != 0 || !strings.Contains(err.Error(), "members[0] (ru.general): username") {
			t.Fatalf("second import: %v", err)
		}
		if after := counts(t, db); after != before {
			t.Fatalf("a refused import wrote: %s -> %s", before, after)
		}
	})
}

// TestTitlesInDocument keeps the title constants in step with the
// document.
func TestTitlesInDocument(t *testing.T) {
	d, err := Scenario()
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]string{}
	for _, e := range d.Events {
		events[e.Title] = e.Room
	}
	for title, slug := range map[string]string{
		EventRooms2015: Damascus, EventAntiISRoom14: AntiIS2014, EventAirCampaign: Damascus, EventLatamnehStrike: Damascus,
		EventNorthHomsStrike: Damascus, EventRastanStrike: Damascus, EventTalbisehStrike: Damascus, EventSalamiyahStrike: Damascus,
		EventIRTroopsArrive: Damascus, EventMi35Delivery: AntiIS2014, EventAidFlight: AntiIS2014, EventErbilAid: AntiIS2014,
	} {
		if got, ok := events[title]; !ok || got != slug {
			t.Errorf("event %q: in room %q of the document, want %q", title, got, slug)
		}
	}
	sites := map[string]string{}
	for _, s := range d.Sites {
		sites[s.Title] = s.Room
	}
	for title, slug := range map[string]string{SiteAlRasheed: AntiIS2014, SiteBaghdadAirport: AntiIS2014, SiteErbilAid: Baghdad} {
		if got := sites[title]; got != slug {
			t.Errorf("site %q: in room %q of the document, want %q", title, got, slug)
		}
	}
	if d.Records() == 0 || len(d.Rooms) != 3 {
		t.Fatalf("the document holds %d records, %d rooms", d.Records(), len(d.Rooms))
	}
}

// TestScenarioRoundTrips: what the demo's members may see, exported
// together and with IDs read back as the document's refs, is the document
// (without passwords, which exports never write).
func TestScenarioRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(db)
		d, err := Scenario()
		if err != nil {
			t.Fatal(err)
		}
		sum, err := w.im.Import(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		ref := map[string]string{}
		for r, id := range sum.IDs {
			ref[id] = r
		}
		want, got := records(t, d, nil), map[string]string{}
		for _, l := range Logins() {
			e, err := w.im.Export(t.Context(), w.as(t, l.Username), nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range records(t, e, ref) {
				got[k] = v
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s:\n exported %s\n document %s", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: exported, not in the document", k)
			}
		}
	})
}

// records flattens a document to one JSON text per record, keyed by
// section and ref, with IDs replaced by refs (when ref is given) and
// passwords left out.
func records(t *testing.T, d *exchange.Document, ref map[string]string) map[string]string {
	t.Helper()
	r := func(s *string) {
		if ref != nil && *s != "" {
			if k, ok := ref[*s]; ok {
				*s = k
			} else {
				t.Errorf("exported ID %s is no imported record", *s)
			}
		}
	}
	rs := func(ss []string) {
		for i := range ss {
			r(&ss[i])
		}
	}
	out := map[string]string{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = string(b)
	}
	for _, v := range d.Partners {
		put("partner "+v.Code, v)
	}
	for _, v := range d.Members {
		v.Password = ""
		put("member "+v.Username, v)
	}
	for _, v := range d.Rooms {
		put("room "+v.Slug, v)
	}
	for _, v := range d.Places {
		r(&v.Ref)
		put("place "+v.Ref, v)
	}
	for _, v := range d.Sites {
		r(&v.Ref)
		put("site "+v.Ref, v)
	}
	for _, v := range d.Sources {
		r(&v.Ref)
		r(&v.CitedBy)
		put("source "+v.Ref, v)
	}
	for _, v := range d.Reports {
		r(&v.Ref)
		r(&v.Source)
		put("report "+v.Ref, v)
	}
	for _, v := range d.Provenance {
		r(&v.Report)
		r(&v.Target)
		put("link "+v.Report+" "+v.Kind+" "+v.Target, v)
	}
	for _, v := range d.Events {
		r(&v.Ref)
		v.Reports = append([]string(nil), v.Reports...)
		rs(v.Reports)
		put("event "+v.Ref, v)
	}
	for _, v := range d.Claims {
		r(&v.Ref)
		r(&v.Event)
		v.Supporting, v.Disputing = append([]string(nil), v.Supporting...), append([]string(nil), v.Disputing...)
		rs(v.Supporting)
		rs(v.Disputing)
		put("claim "+v.Ref, v)
	}
	return out
}
