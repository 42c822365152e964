package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/cli"
	"github.com/opsroom/opsroom/internal/room"
)

// member is one account of the world with its API client and the rooms
// it sits in (by slug).
type member struct {
	name, partner string
	c             *apitest.Client
	rooms         map[string]bool
}

func (m *member) viewer() access.Viewer {
	return access.Viewer{MemberID: m.name, PartnerID: m.partner, Rooms: m.rooms}
}

// secret is one item the world made, what a viewer who may not see it
// must never read: its id and its canary word (which is also in its
// title). Markings name partners by code and members by username, like
// the viewer built by member.viewer, so access.CanSee decides.
type secret struct {
	id, kind, room, canary string
	owner                  string // the author's partner
	marking                access.Marking
	planted                bool // made by plant
}

type seatedRoom struct {
	slug     string
	model    string
	partners []string
	members  []*member
	roles    map[string]string // username -> role
}

// world is what the builder knows: the truth the crawl is checked
// against.
type world struct {
	t        *testing.T
	rng      *rand.Rand
	base     string
	admin    *member
	partners []string
	members  []*member
	byName   map[string]*member
	rooms    []*seatedRoom
	items    []*secret
	byID     map[string]*secret
	byWord   map[string]*secret
	refused  map[string]int // write route -> refusals (a random choice the server rejects)
	// forced, when set, is the marking of what share makes next instead
	// of a random one (plant's narrow and wide items).
	forced *access.Marking
	// sentinel holds each room's last note's canary.
	sentinel map[string]string
}

const password = "canary-password-1"

func (w *world) canSee(m *member, s *secret) bool {
	return access.CanSee(m.viewer(), s.room, s.marking)
}

// word returns a new canary: "cnry" and ten letters, one token for full
// text search and unlike anything else the server writes.
func (w *world) word() string {
	for {
		b := []byte("cnry")
		for range 10 {
			b = append(b, byte('a'+w.rng.IntN(26)))
		}
		s := string(b)
		if w.byWord[s] == nil {
			return s
		}
	}
}

// buildWorld makes the partners, members and rooms. The first account is
// a server admin (of partner P0) made through the services; everything
// else goes through the API as that admin.
func buildWorld(t *testing.T, base string, svc *cli.Services, rng *rand.Rand) *world {
	ctx := context.Background()
	w := &world{t: t, rng: rng, base: base, byName: map[string]*member{}, byID: map[string]*secret{}, byWord: map[string]*secret{},
		refused: map[string]int{}}
	nPartners := 3 + rng.IntN(2)
	for i := range nPartners {
		w.partners = append(w.partners, fmt.Sprintf("P%d", i))
	}
	// Bootstrap: partner P0 and the admin, through the services (there is
	// no one yet to ask the API).
	if _, err := svc.Rooms.CreatePartner(ctx, access.System, room.NewPartner{Code: "P0", Name: "partner 0", Kind: "state"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Members.CreateMember(ctx, access.System, account.NewMember{Partner: "P0", Username: "admin", Password: password, IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	adm := apitest.Login(t, base, "admin", password)
	w.admin = &member{name: "admin", partner: "P0", c: adm, rooms: map[string]bool{}}
	w.members = append(w.members, w.admin)
	w.byName["admin"] = w.admin
	for _, p := range w.partners[1:] {
		adm.Post("/api/v1/partners", map[string]any{"code": p, "name": "partner " + p, "kind": "state"}, nil)
	}
	// Members are devices with tokens: the bearer path, and no password
	// hashing to slow the run down.
	for i, p := range w.partners {
		for j := range 2 {
			name := fmt.Sprintf("m%d-%d", i, j)
			adm.Post("/api/v1/members", map[string]any{"partner": p, "username": name, "kind": "device"}, nil)
			var tok account.Token
			adm.Post("/api/v1/tokens", map[string]any{"member": name, "name": "canary"}, &tok)
			c := apitest.New(t, base)
			c.Token = tok.Secret
			m := &member{name: name, partner: p, c: c, rooms: map[string]bool{}}
			w.members = append(w.members, m)
			w.byName[name] = m
		}
	}
	// Two rooms with different partners and seats: one under a director,
	// one under co-directors. One member of the last partner sits in no
	// room at all.
	models := []string{room.Director, room.CoDirectors}
	for i, slug := range []string{"alpha", "bravo"} {
		r := &seatedRoom{slug: slug, model: models[i], roles: map[string]string{}}
		var co []string // the co-directors' partners
		for k, p := range w.partners {
			if k == 0 || k == 1 || rng.IntN(4) > 0 {
				r.partners = append(r.partners, p)
			}
		}
		if i == 1 && len(r.partners) == len(w.partners) { // the rooms differ in partners
			r.partners = r.partners[1:]
		}
		adm.Post("/api/v1/rooms", map[string]any{"slug": slug, "name": "room " + slug, "purpose": "canary crawl",
			"command_model": r.model, "partners": r.partners, "log_grade": "C3", "default_tlp": "AMBER"}, nil)
		for _, m := range w.members {
			if !slices.Contains(r.partners, m.partner) || m.name == w.members[len(w.members)-1].name {
				continue
			}
			if m != w.admin && m.name[len(m.name)-1] != '0' && rng.IntN(5) == 0 {
				continue // a random absentee (never a partner's first member)
			}
			if m == w.admin && i == 1 {
				continue
			}
			// The authority: a director (not the admin), or two
			// co-directors of different partners; the last partner never
			// holds it, so that some sides of conflicts are not the
			// authority's.
			role := room.RoleMember
			switch {
			case r.model == room.Director && len(r.roles) == countRole(r, room.RoleMember) && m != w.admin:
				role = room.RoleDirector
			case r.model == room.CoDirectors && len(co) < 2 && !slices.Contains(co, m.partner) && m.partner != w.partners[len(w.partners)-1]:
				role = room.RoleCoDirector
				co = append(co, m.partner)
			}
			adm.Call("PUT", "/api/v1/rooms/"+slug+"/members/"+m.name, map[string]any{"role": role}, nil)
			m.rooms[slug] = true
			r.members = append(r.members, m)
			r.roles[m.name] = role
		}
		w.rooms = append(w.rooms, r)
	}
	return w
}

func countRole(r *seatedRoom, role string) int {
	n := 0
	for _, x := range r.roles {
		if x == role {
			n++
		}
	}
	return n
}

// marking returns a random marking for something author shares in r:
// any label, half the time a releasability list with the author's
// partner, and for TLP:RED the author and some of those who may read it.
func (w *world) marking(author *member, r *seatedRoom) access.Marking {
	m := access.Marking{TLP: access.Labels[w.rng.IntN(len(access.Labels))]}
	if w.rng.IntN(2) == 0 {
		m.ReleasableTo = []string{author.partner}
		for _, p := range r.partners {
			if p != author.partner && w.rng.IntN(2) == 0 {
				m.ReleasableTo = append(m.ReleasableTo, p)
			}
		}
	}
	if m.TLP == access.Red {
		m.Recipients = []string{author.name}
		for _, x := range r.members {
			if x != author && w.rng.IntN(3) == 0 && (len(m.ReleasableTo) == 0 || slices.Contains(m.ReleasableTo, x.partner)) {
				m.Recipients = append(m.Recipients, x.name)
			}
		}
	}
	return m
}

func markingJSON(m access.Marking) map[string]any {
	j := map[string]any{"tlp": string(m.TLP)}
	if len(m.ReleasableTo) > 0 {
		j["releasable_to"] = m.ReleasableTo
	}
	if len(m.Recipients) > 0 {
		j["recipients"] = m.Recipients
	}
	return j
}

// write sends one write and reports whether it was taken; a refusal is
// counted by route (random worlds ask for things the rules forbid, such
// as a provenance cycle) and the first few are logged.
func (w *world) write(c *apitest.Client, method, path, route string, body any, out any) bool {
	w.t.Helper()
	res := c.Do(method, path, body)
	if res.Status >= 300 {
		w.refused[route]++
		if w.refused[route] <= 2 {
			w.t.Logf("refused (%d) %s %s: %.300s", res.Status, method, route, res.Body)
		}
		return false
	}
	if out != nil {
		res.JSON(w.t, out)
	}
	return true
}

// share posts a new item of kind to path with its marking and records its
// secret; fill sets the kind's fields given the item's canary.
func (w *world) share(kind string, author *member, r *seatedRoom, path string, fill func(word string) map[string]any) *secret {
	w.t.Helper()
	word := w.word()
	m := w.marking(author, r)
	if w.forced != nil {
		m = *w.forced
	}
	body := fill(word)
	body["marking"] = markingJSON(m)
	var out struct {
		ID string `json:"id"`
	}
	if !w.write(author.c, "POST", path, "POST "+kind, body, &out) {
		return nil
	}
	if out.ID == "" {
		w.t.Fatalf("POST %s answered no id", path)
	}
	s := &secret{id: out.ID, kind: kind, room: r.slug, canary: word, owner: author.partner, marking: m, planted: w.forced != nil}
	w.items = append(w.items, s)
	w.byID[s.id] = s
	w.byWord[word] = s
	return s
}

// pick returns up to n items of kind in r that m may see, at random.
func (w *world) pick(kind string, r *seatedRoom, m *member, n int) []string {
	var ids []string
	for _, s := range w.items {
		if s.kind == kind && s.room == r.slug && w.canSee(m, s) {
			ids = append(ids, s.id)
		}
	}
	w.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:min(n, len(ids))]
}

func (w *world) author(r *seatedRoom) *member { return r.members[w.rng.IntN(len(r.members))] }

// The world lies in a small box over Hama so that operations, movements
// and protected sites overlap and raise conflicts.
func (w *world) point() []float64 {
	return []float64{36.4 + w.rng.Float64()*0.4, 34.8 + w.rng.Float64()*0.4}
}

func (w *world) polygon() map[string]any {
	c := w.point()
	d := 0.05 + w.rng.Float64()*0.15
	ring := [][]float64{{c[0] - d, c[1] - d}, {c[0] + d, c[1] - d}, {c[0] + d, c[1] + d}, {c[0] - d, c[1] + d}, {c[0] - d, c[1] - d}}
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}
}

func (w *world) window() map[string]any {
	d := 1 + w.rng.IntN(8)
	return map[string]any{"start": fmt.Sprintf("2015-10-%02dT00:00:00Z", d), "end": fmt.Sprintf("2015-10-%02dT00:00:00Z", d+2+w.rng.IntN(10))}
}

// fillRooms shares perKind items of every kind in every room, with
// references between items of different markings (each reference made
// by someone who may see its target, as the server requires).
func (w *world) fillRooms(perKind int) {
	for _, r := range w.rooms {
		w.fillRoom(r, perKind)
		w.plant(r)
	}
	// The last change of each room: a note everyone in it may read, by
	// which the streams' readers know they have everything.
	w.sentinel = map[string]string{}
	for _, r := range w.rooms {
		w.forced = &access.Marking{TLP: access.Clear}
		s := w.share("notes", r.members[0], r, "/api/v1/rooms/"+r.slug+"/notes", func(word string) map[string]any {
			return map[string]any{"title": "last note " + word, "text": "the last note " + word}
		})
		w.forced = nil
		if s == nil {
			w.t.Fatalf("the last note of %s was refused", r.slug)
		}
		w.sentinel[r.slug] = s.canary
	}
}

// plant makes, in every world, one reference of each kind from an item
// everyone in the room may see (TLP:CLEAR) to one only its author may see
// (TLP:RED to the author alone): chance alone would leave some of them
// out of some worlds, and a leak of any of them must be found in every
// world.
func (w *world) plant(r *seatedRoom) {
	a := r.members[0]
	base := "/api/v1/rooms/" + r.slug
	narrow := &access.Marking{TLP: access.Red, Recipients: []string{a.name}}
	wide := &access.Marking{TLP: access.Clear}
	as := func(m *access.Marking, kind, path string, fill func(word string) map[string]any) *secret {
		w.forced = m
		defer func() { w.forced = nil }()
		s := w.share(kind, a, r, path, fill)
		if s == nil {
			w.t.Fatalf("plant: %s in %s was refused", kind, r.slug)
		}
		return s
	}
	source := func(word string) map[string]any {
		return map[string]any{"name": "source " + word, "kind": "outlet", "behind": "outlet " + word, "reliability": "B"}
	}
	src := as(narrow, "sources", base+"/sources", source)
	report := func(src string) func(word string) map[string]any {
		return func(word string) map[string]any {
			return map[string]any{"title": "report " + word, "text": "the report says " + word, "source": src, "credibility": 2,
				"observed": map[string]any{"start": "2015-09-30T00:00:00Z", "end": "2015-09-30T06:00:00Z"}}
		}
	}
	hiddenReport := as(narrow, "reports", base+"/reports", report(src.id))
	openReport := as(wide, "reports", base+"/reports", report(src.id)) // a report from a source others may not see
	var cur map[string]any
	a.c.Get(base+"/reports/"+openReport.id, &cur)
	w.write(a.c, "PUT", base+"/reports/"+openReport.id, "PUT reports", map[string]any{"version": cur["version"], "title": "report " + openReport.canary,
		"text": "the report now says " + openReport.canary, "source": src.id, "credibility": 1, "marking": markingJSON(openReport.marking)}, nil)
	w.write(a.c, "POST", base+"/reports/"+openReport.id+"/links", "POST links", map[string]any{"kind": "repeats", "target": hiddenReport.id}, nil)
	event := func(links []string) func(word string) map[string]any {
		return func(word string) map[string]any {
			return map[string]any{"title": "event " + word, "event_kind": "air strike", "start": "2015-09-30T00:00:00Z", "end": "2015-09-30T23:00:00Z",
				"geometry": map[string]any{"type": "Point", "coordinates": w.point()}, "links": links}
		}
	}
	hiddenEvent := as(narrow, "events", base+"/events", event(nil))
	as(wide, "events", base+"/events", event([]string{hiddenReport.id}))
	for i, stance := range []string{"asserts", "denies"} {
		as(wide, "claims", base+"/claims", func(word string) map[string]any {
			c := map[string]any{"event": hiddenEvent.id, "actor": "actor " + word, "proposition": "the planted strike hit its target",
				"stance": stance, "statement": "claims " + word}
			if i == 0 {
				c["supporting"] = []string{hiddenReport.id}
			} else {
				c["disputing"] = []string{hiddenReport.id}
			}
			return c
		})
	}
	site := as(narrow, "sites", base+"/sites", func(word string) map[string]any {
		return map[string]any{"title": "site " + word, "category": "hospital", "protected": true, "geometry": w.polygon(), "valid_from": "2015-09-01T00:00:00Z"}
	})
	as(wide, "site-notices", base+"/site-notices", func(word string) map[string]any {
		return map[string]any{"site": site.id, "note": "notice " + word}
	})
	rfi := as(wide, "rfis", base+"/rfis", func(word string) map[string]any {
		return map[string]any{"question": "question " + word, "assignee": a.partner, "deadline": "2015-10-03T00:00:00Z"}
	})
	w.write(a.c, "POST", "/api/v1/rfis/"+rfi.id+"/answer", "POST answer", map[string]any{"items": []string{hiddenReport.id}}, nil)
}

func (w *world) fillRoom(r *seatedRoom, n int) {
	base := "/api/v1/rooms/" + r.slug
	for range n {
		w.share("notes", w.author(r), r, base+"/notes", func(word string) map[string]any {
			return map[string]any{"title": "note " + word, "text": "the note says " + word}
		})
	}
	for range n {
		w.share("sources", w.author(r), r, base+"/sources", func(word string) map[string]any {
			return map[string]any{"name": "source " + word, "kind": "outlet", "behind": "outlet " + word,
				"reliability": string(rune('A' + w.rng.IntN(6))), "notes": "about " + word}
		})
	}
	for range 2 * n {
		a := w.author(r)
		src := w.pick("sources", r, a, 1)
		if len(src) == 0 {
			continue
		}
		s := w.share("reports", a, r, base+"/reports", func(word string) map[string]any {
			return map[string]any{"title": "report " + word, "text": "the report says " + word, "source": src[0],
				"credibility": 1 + w.rng.IntN(6), "observed": map[string]any{"start": "2015-09-30T00:00:00Z", "end": "2015-09-30T06:00:00Z"},
				"places": []any{map[string]any{"name": "place", "geometry": map[string]any{"type": "Point", "coordinates": w.point()}}}}
		})
		if s != nil && w.rng.IntN(3) == 0 { // an edit keeps a version
			var cur map[string]any
			a.c.Get(base+"/reports/"+s.id, &cur)
			w.write(a.c, "PUT", base+"/reports/"+s.id, "PUT reports", map[string]any{"version": cur["version"], "title": "report " + s.canary,
				"text": "the report now says " + s.canary, "source": src[0], "credibility": 1 + w.rng.IntN(3), "marking": markingJSON(s.marking)}, nil)
		}
	}
	for range 2 * n { // provenance links between reports the linker sees
		a := w.author(r)
		ids := w.pick("reports", r, a, 2)
		if len(ids) == 2 {
			kind := []string{"repeats", "cites"}[w.rng.IntN(2)]
			w.write(a.c, "POST", base+"/reports/"+ids[0]+"/links", "POST links", map[string]any{"kind": kind, "target": ids[1]}, nil)
		}
	}
	for range n {
		a := w.author(r)
		links := w.pick("reports", r, a, 2)
		w.share("events", a, r, base+"/events", func(word string) map[string]any {
			return map[string]any{"title": "event " + word, "event_kind": "air strike", "start": "2015-09-30T00:00:00Z", "end": "2015-09-30T23:00:00Z",
				"place_name": "near " + word, "geometry": map[string]any{"type": "Point", "coordinates": w.point()}, "links": links}
		})
	}
	for i := range 2 * n { // claims, two per proposition so that events become contested
		a := w.author(r)
		ev := w.pick("events", r, a, 1)
		if len(ev) == 0 {
			continue
		}
		sup := w.pick("reports", r, a, 2)
		dis := w.pick("reports", r, a, 1)
		if len(dis) > 0 && slices.Contains(sup, dis[0]) {
			dis = nil
		}
		w.share("claims", a, r, base+"/claims", func(word string) map[string]any {
			return map[string]any{"event": ev[0], "actor": "actor " + word, "proposition": fmt.Sprintf("the strike hit target %d", i/2),
				"stance": []string{"asserts", "denies"}[i%2], "statement": "claims " + word, "supporting": sup, "disputing": dis}
		})
	}
	for range n {
		w.share("places", w.author(r), r, base+"/places", func(word string) map[string]any {
			p := w.point()
			return map[string]any{"name": "place " + word, "country": "SY", "lon": p[0], "lat": p[1]}
		})
	}
	for range n {
		w.share("areas", w.author(r), r, base+"/areas", func(word string) map[string]any {
			return map[string]any{"title": "area " + word, "area_kind": "front line", "geometry": w.polygon(), "valid_from": "2015-09-01T00:00:00Z"}
		})
	}
	for range 2 * n {
		w.share("sites", w.author(r), r, base+"/sites", func(word string) map[string]any {
			return map[string]any{"title": "site " + word, "category": "hospital", "protected": w.rng.IntN(3) > 0,
				"place_name": "by " + word, "geometry": w.polygon(), "valid_from": "2015-09-01T00:00:00Z"}
		})
	}
	for range n {
		a := w.author(r)
		s := w.share("tracks", a, r, base+"/tracks", func(word string) map[string]any {
			return map[string]any{"title": "track " + word, "uid": "uid-" + word, "type": "a-f-G-U-C", "stale_seconds": 0}
		})
		if s != nil {
			var ps []any
			for k := range 3 {
				p := w.point()
				ps = append(ps, map[string]any{"at": fmt.Sprintf("2015-09-30T12:0%d:00Z", k), "lon": p[0], "lat": p[1]})
			}
			w.write(a.c, "POST", "/api/v1/tracks/"+s.id+"/positions", "POST positions", map[string]any{"positions": ps}, nil)
		}
	}
	for range n {
		a := w.author(r)
		lead := a.partner
		comps := []any{map[string]any{"partner": a.partner, "component": "ground"}}
		if o := r.partners[w.rng.IntN(len(r.partners))]; o != a.partner {
			comps = append(comps, map[string]any{"partner": o, "component": "air"})
		}
		s := w.share("operations", a, r, base+"/operations", func(word string) map[string]any {
			return map[string]any{"name": "operation " + word, "lead": lead, "components": comps, "area": w.polygon(), "window": w.window(),
				"phases": []any{map[string]any{"name": "phase of " + word, "area": w.polygon(), "window": w.window()}}}
		})
		if s == nil || w.rng.IntN(3) == 0 {
			continue
		}
		w.write(a.c, "POST", "/api/v1/operations/"+s.id+"/propose", "POST propose", map[string]any{"reason": "ready"}, nil)
		for _, d := range r.members { // the room's authority decides, if it may see it
			if role := r.roles[d.name]; (role == room.RoleDirector || role == room.RoleCoDirector) && w.canSee(d, s) {
				w.write(d.c, "POST", "/api/v1/operations/"+s.id+"/approve", "POST approve", map[string]any{"reason": "agreed"}, nil)
			}
		}
		w.write(a.c, "POST", "/api/v1/operations/"+s.id+"/comment", "POST comment", map[string]any{"reason": "noted"}, nil)
	}
	for range n {
		a := w.author(r)
		s := w.share("movements", a, r, base+"/movements", func(word string) map[string]any {
			return map[string]any{"title": "movement " + word, "purpose": "convoy " + word, "corridor_width": 2000, "window": w.window(),
				"route": map[string]any{"type": "LineString", "coordinates": [][]float64{w.point(), w.point(), w.point()}}}
		})
		if s != nil {
			w.seen(r, s)
		}
	}
	for range n { // notices of protected sites, by anyone who sees one
		a := w.author(r)
		var site string
		for _, id := range w.pick("sites", r, a, 10) {
			var v struct {
				Protected bool `json:"protected"`
			}
			a.c.Get("/api/v1/sites/"+id, &v)
			if v.Protected {
				site = id
				break
			}
		}
		if site == "" {
			continue
		}
		s := w.share("site-notices", a, r, base+"/site-notices", func(word string) map[string]any {
			return map[string]any{"site": site, "note": "notice " + word}
		})
		if s != nil {
			w.seen(r, s)
		}
	}
	for range n {
		a := w.author(r)
		s := w.share("log", a, r, base+"/log", func(word string) map[string]any {
			return map[string]any{"text": "log entry " + word}
		})
		if s != nil && w.rng.IntN(4) == 0 {
			w.write(a.c, "POST", "/api/v1/log/"+s.id+"/strike", "POST strike", map[string]any{"reason": "mistaken"}, nil)
		}
	}
	for range n {
		a := w.author(r)
		assignee := r.partners[w.rng.IntN(len(r.partners))]
		s := w.share("rfis", a, r, base+"/rfis", func(word string) map[string]any {
			return map[string]any{"question": "question " + word, "assignee": assignee, "deadline": "2015-10-03T00:00:00Z"}
		})
		if s == nil {
			continue
		}
		for _, x := range r.members { // answered by a member of the assignee who sees it
			if x.partner == assignee && w.canSee(x, s) {
				ids := append(w.pick("reports", r, x, 2), w.pick("notes", r, x, 1)...)
				if len(ids) > 0 && w.write(x.c, "POST", "/api/v1/rfis/"+s.id+"/answer", "POST answer", map[string]any{"items": ids}, nil) && w.rng.IntN(2) == 0 {
					w.write(a.c, "POST", "/api/v1/rfis/"+s.id+"/accept", "POST accept", map[string]any{}, nil)
				}
				break
			}
		}
	}
	for _, id := range w.pick("sources", r, w.author(r), 2) { // regrades
		for _, m := range r.members {
			if w.canSee(m, w.byID[id]) {
				w.write(m.c, "POST", base+"/sources/"+id+"/grade", "POST grade", map[string]any{"reliability": "B", "reason": "checked"}, nil)
				break
			}
		}
	}
}

// seen marks a notification seen by one member of another partner that
// may see it.
func (w *world) seen(r *seatedRoom, s *secret) {
	for _, m := range r.members {
		if m.partner != s.owner && w.canSee(m, s) && w.rng.IntN(2) == 0 {
			w.write(m.c, "POST", "/api/v1/notifications/"+s.id+"/seen", "POST seen", nil, nil)
			return
		}
	}
}

// check fails the test unless every kind was made at least once.
func (w *world) check(kinds []string) {
	n := map[string]int{}
	for _, s := range w.items {
		n[s.kind]++
	}
	for _, k := range kinds {
		if n[k] == 0 {
			w.t.Errorf("the world has no %s: every write of the kind was refused (%v)", k, w.refused)
		}
	}
	b, _ := json.Marshal(n)
	w.t.Logf("world: %d partners, %d members, %d items %s; refused writes by route %v", len(w.partners), len(w.members), len(w.items), b, w.refused)
}
