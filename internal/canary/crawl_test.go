package canary

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cli"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// kinds are the item kinds the world must hold, named like the API's
// collections.
var kinds = []string{"notes", "sources", "reports", "events", "claims", "places", "areas", "sites", "tracks",
	"operations", "movements", "site-notices", "log", "rfis"}

// perKind is how many items of each kind each room gets (reports, claims
// and sites twice as many).
const perKind = 4

// minPairs is the least number of (viewer, item) checks a run must make:
// each response a viewer reads is checked against every item that viewer
// may not see.
const minPairs = 20000

// skipRoutes are the GET routes the crawl does not fill from the OpenAPI
// document, each with the reason. Everything else is crawled, so a new
// route is read without anyone adding it here.
var skipRoutes = map[string]string{
	// An endless Server-Sent Events stream: read live while the world is
	// written and replayed with Last-Event-ID, by listen and replay.
	"/api/v1/rooms/{room}/stream": "read by listen and replay",
}

// routeQuery is the query string a route needs to answer anything.
var routeQuery = map[string]string{
	"/api/v1/places": "?q=place", // the gazetteer looks a name up; room places are named "place <canary>"
}

func seed(t *testing.T) uint64 {
	if s := os.Getenv("OPSROOM_CANARY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("OPSROOM_CANARY_SEED=%q is not a number", s)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestCanaryCrawl builds a random world through the API and reads
// everything every member can reach, failing on any byte that names an
// item the reader may not see.
func TestCanaryCrawl(t *testing.T) {
	sd := seed(t)
	t.Logf("seed %d (OPSROOM_CANARY_SEED=%d replays this world)", sd, sd)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		svc := cli.NewServices(db)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		api := httpapi.New(&httpapi.Server{DB: db, Members: svc.Members, Rooms: svc.Rooms, Items: svc.Items, Bus: svc.Bus, Extra: svc.Routes()}, log)
		srv := httptest.NewServer(api.Handler())
		defer srv.Close()

		w := buildWorld(t, srv.URL, svc, rand.New(rand.NewPCG(sd, sd^0x9e3779b97f4a7c15)))
		live := w.listen()
		feeds := w.devices(svc)
		sent := w.sendTAK(feeds)
		w.fillRooms(perKind)
		w.resolveTAK(sent)
		w.check(append(kinds, "markers"))
		built := time.Now()

		cr := newCrawl(w)
		live.stop(cr)
		cr.readTAK(feeds)
		cr.replay(live.first)
		streamed := time.Now()
		for _, m := range w.members {
			cr.crawlAPI(m)
		}
		crawled := time.Now()
		for _, m := range w.members {
			cr.search(m)
			cr.exchange(m, svc)
		}
		t.Logf("streams and TAK read in %v, routes in %v, searches and exports in %v", streamed.Sub(built).Round(time.Millisecond),
			crawled.Sub(streamed).Round(time.Millisecond), time.Since(crawled).Round(time.Millisecond))
		cr.finish(t)
		t.Logf("world built in %v, crawled in %v", built.Sub(start).Round(time.Millisecond), time.Since(built).Round(time.Millisecond))
	})
}

var (
	idPattern     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	canaryPattern = regexp.MustCompile(`cnry[a-z]{10}`)
)

// leak is one (route, kind leaked, what) with how often and a first
// example.
type leak struct {
	count   int
	example string
	fields  map[string]bool // the JSON fields it was found in
}

type crawl struct {
	w       *world
	pairs   int
	leaks   map[string]*leak // "route: kind what" -> leak
	ok      map[string]int   // route template -> 2xx answers
	reached map[string]map[string]bool
	hidden  map[string]int // member -> items it may not see
	routes  map[string]bool
	// searchers: item id -> the members who search for its canary
	searchers map[string]map[string]bool
	order     map[string][]*secret // member -> the world's items in a random order of its own
	lists     map[string]bool      // collections a list route names
	reqs      int
	perRoute  map[string]int
	// takBytes counts what TAK devices were sent, so that a silent feed
	// does not pass for a clean one.
	takBytes int
}

func newCrawl(w *world) *crawl {
	cr := &crawl{w: w, leaks: map[string]*leak{}, ok: map[string]int{}, reached: map[string]map[string]bool{}, hidden: map[string]int{}, routes: map[string]bool{}, lists: map[string]bool{}, perRoute: map[string]int{}}
	cr.chooseSearchers()
	cr.order = map[string][]*secret{}
	for _, m := range w.members {
		o := slices.Clone(w.items)
		w.rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		cr.order[m.name] = o
		cr.reached[m.name] = map[string]bool{}
		for _, s := range w.items {
			if !w.canSee(m, s) {
				cr.hidden[m.name]++
			}
		}
	}
	return cr
}

// scan checks body, read by m through route (a template) at target (the
// request's path and query, whose own ids and words are not leaks: a
// 404 may name what was asked for).
func (cr *crawl) scan(m *member, route, target string, body []byte) {
	cr.pairs += cr.hidden[m.name]
	check := func(s *secret, what string, at []int) {
		if s == nil {
			return
		}
		if cr.w.canSee(m, s) {
			cr.reached[m.name][s.id] = true
			return
		}
		if strings.Contains(target, string(body[at[0]:at[1]])) {
			return
		}
		key := fmt.Sprintf("%s: %s %s", route, s.kind, what)
		l := cr.leaks[key]
		if l == nil {
			l = &leak{example: fmt.Sprintf("%s read %s: …%s…", m.name, target, excerpt(body, at)), fields: map[string]bool{}}
			cr.leaks[key] = l
		}
		l.count++
		l.fields[fieldOf(body, at[0])] = true
	}
	for _, at := range idPattern.FindAllIndex(body, -1) {
		check(cr.w.byID[string(body[at[0]:at[1]])], "id", at)
	}
	for _, at := range canaryPattern.FindAllIndex(body, -1) {
		check(cr.w.byWord[string(body[at[0]:at[1]])], "canary", at)
	}
}

var fieldPattern = regexp.MustCompile(`"([A-Za-z_]+)":`)

// fieldOf names the JSON field a match at i sits in: the last key
// before it (for a list, the list's), or "-" outside JSON.
func fieldOf(b []byte, i int) string {
	keys := fieldPattern.FindAllSubmatch(b[max(0, i-300):i], -1)
	if len(keys) == 0 {
		return "-"
	}
	return string(keys[len(keys)-1][1])
}

func excerpt(b []byte, at []int) string {
	lo, hi := max(0, at[0]-60), min(len(b), at[1]+60)
	return strings.ReplaceAll(string(b[lo:hi]), "\n", " ")
}

// get reads target as m, following next_cursor, scanning every page, and
// returns the pages' bodies.
func (cr *crawl) get(m *member, route, target string) [][]byte {
	var pages [][]byte
	next := target
	for range 100 {
		res := m.c.Do("GET", next, nil)
		cr.reqs++
		cr.perRoute[route]++
		cr.scan(m, route, next, res.Body)
		if res.Status/100 != 2 {
			return pages
		}
		cr.ok[route]++
		pages = append(pages, res.Body)
		var page struct {
			Next string `json:"next_cursor"`
		}
		if json.Unmarshal(res.Body, &page) != nil || page.Next == "" {
			return pages
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		next = target + sep + "cursor=" + url.QueryEscape(page.Next)
	}
	return pages
}

// found is what one viewer learnt while crawling: values for path
// parameters.
type found struct {
	ids   map[string]map[string]bool // collection -> ids listed in it; "" holds every id seen anywhere
	codes map[string]bool
	users map[string]bool
}

// learn walks a JSON body: every id anywhere, the ids of a list's items
// under the list's collection, partner codes and usernames.
func (f *found) learn(coll string, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	add := func(c, id string) {
		if f.ids[c] == nil {
			f.ids[c] = map[string]bool{}
		}
		f.ids[c][id] = true
	}
	if obj, ok := v.(map[string]any); ok && coll != "" {
		if items, ok := obj["items"].([]any); ok {
			for _, it := range items {
				if o, ok := it.(map[string]any); ok {
					if id, ok := o["id"].(string); ok && idPattern.MatchString(id) {
						add(coll, id)
					}
				}
			}
		}
	}
	var walk func(x any, key string)
	walk = func(x any, key string) {
		switch x := x.(type) {
		case map[string]any:
			for k, y := range x {
				walk(y, k)
			}
		case []any:
			for _, y := range x {
				walk(y, key)
			}
		case string:
			switch {
			case idPattern.MatchString(x) && len(x) == 36:
				add("", x)
			case key == "code" || key == "partner" || key == "lead" || key == "assignee" || key == "owner":
				if x != "" && len(x) <= 16 {
					f.codes[x] = true
				}
			case key == "username" || key == "member" || key == "author" || key == "by":
				if x != "" && len(x) <= 64 {
					f.users[x] = true
				}
			}
		}
	}
	walk(v, "")
}

// crawlAPI reads every GET route of the OpenAPI document as m, in rounds
// so that ids found in one round fill the next.
func (cr *crawl) crawlAPI(m *member) {
	t := cr.w.t
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	pages := cr.get(m, "/api/v1/openapi.json", "/api/v1/openapi.json")
	if len(pages) != 1 || json.Unmarshal(pages[0], &doc) != nil {
		t.Fatalf("%s: no OpenAPI document", m.name)
	}
	var routes []string
	for path, ops := range doc.Paths {
		if _, ok := ops["get"]; ok && skipRoutes[path] == "" {
			routes = append(routes, path)
			cr.routes[path] = true
			if c := collection(path); c != "" {
				cr.lists[c] = true
			}
		}
	}
	// Lists before the routes their ids fill; a stable order.
	sort.Slice(routes, func(i, j int) bool {
		a, b := strings.Count(routes[i], "{"), strings.Count(routes[j], "{")
		if a != b {
			return a < b
		}
		return routes[i] < routes[j]
	})
	f := &found{ids: map[string]map[string]bool{}, codes: map[string]bool{}, users: map[string]bool{}}
	done := map[string]bool{}
	for round := 0; round < 3; round++ {
		for _, route := range routes {
			targets, fillable := cr.fill(m, route, f)
			if !fillable {
				t.Errorf("GET %s: the crawl cannot fill its path parameters; teach fill, or list it in skipRoutes with the reason", route)
				continue
			}
			for _, target := range targets {
				if done[target] {
					continue
				}
				done[target] = true
				for _, page := range cr.get(m, route, target) {
					f.learn(collection(route), page)
				}
			}
		}
	}
}

// collection is the collection a list route lists ("conflicts" for
// /api/v1/rooms/{room}/conflicts), or "" for a route that reads one thing.
func collection(route string) string {
	segs := strings.Split(route, "/")
	last := segs[len(segs)-1]
	if strings.HasPrefix(last, "{") {
		return ""
	}
	return last
}

// fill returns the targets of route for this viewer: {room} every room
// of the world (the viewer's or not), {code} and {username} those found,
// {id} the world's items of the route's collection and the ids found in
// that collection (an id route of an unknown collection: every id).
// Items scoped by a room are asked for in their own room.
func (cr *crawl) fill(m *member, route string, f *found) ([]string, bool) {
	params := regexp.MustCompile(`\{[a-z_]+\}`).FindAllString(route, -1)
	if len(params) == 0 {
		return []string{route + routeQuery[route]}, true
	}
	var out []string
	type binding map[string]string
	bindings := []binding{{}}
	for _, p := range params {
		var next []binding
		switch p {
		case "{room}":
			for _, b := range bindings {
				if b["{room}"] != "" {
					next = append(next, b)
					continue
				}
				for _, r := range cr.w.rooms {
					next = append(next, binding{"{room}": r.slug})
				}
			}
		case "{code}", "{username}":
			set := f.codes
			if p == "{username}" {
				set = f.users
			}
			for _, b := range bindings {
				for _, v := range sortedKeys(set) {
					nb := binding{p: v}
					for k, x := range b {
						nb[k] = x
					}
					next = append(next, nb)
				}
			}
		case "{id}":
			ids := cr.idsFor(m, route, f)
			for _, b := range bindings {
				for _, id := range ids {
					nb := binding{}
					for k, x := range b {
						nb[k] = x
					}
					nb["{id}"] = id
					if s := cr.w.byID[id]; s != nil && strings.Contains(route, "{room}") {
						nb["{room}"] = s.room
					}
					next = append(next, nb)
				}
			}
		default:
			return nil, false
		}
		bindings = next
	}
	for _, b := range bindings {
		target := route
		for k, v := range b {
			target = strings.ReplaceAll(target, k, url.PathEscape(v))
		}
		if !strings.Contains(target, "{") {
			out = append(out, target)
		}
	}
	return out, true
}

// idsFor: the collection is the path segment before {id}.
func (cr *crawl) idsFor(m *member, route string, f *found) []string {
	segs := strings.Split(route, "/")
	coll := ""
	for i, s := range segs {
		if s == "{id}" && i > 0 {
			coll = segs[i-1]
		}
	}
	colls := []string{coll}
	switch coll {
	case "items":
		colls = nil // every id
	case "ops-history":
		colls = []string{"operations", "movements", "site-notices"}
	}
	// The planted items, a sample of the others the viewer may see, and a
	// few it may not (that a hidden id answers like a missing one is
	// TestHiddenAnswersLikeMissing's to check; here it is enough that it
	// tells nothing). Ids found in bodies: a bounded sample, in order.
	var ids []string
	hidden, shown := 0, 0
	for _, s := range cr.order[m.name] {
		if colls == nil || slices.Contains(colls, s.kind) {
			switch {
			case s.planted:
			case !cr.w.canSee(m, s):
				if hidden++; hidden > maxHidden {
					continue
				}
			default:
				if shown++; shown > maxShown {
					continue
				}
			}
			ids = append(ids, s.id)
		}
	}
	sample := func(set map[string]bool) {
		n := 0
		for _, id := range sortedKeys(set) {
			if cr.w.byID[id] == nil && !slices.Contains(ids, id) && n < maxFound {
				ids = append(ids, id)
				n++
			}
		}
	}
	known := colls == nil
	for _, c := range colls {
		sample(f.ids[c])
		known = known || slices.Contains(kinds, c) || cr.lists[c]
	}
	if !known { // a collection no list names: try every id found
		sample(f.ids[""])
	}
	return ids
}

// Each {id} route is asked, by each viewer, for every planted item, up
// to maxShown other items the viewer may see and maxHidden it may not
// (in a random order of the viewer's), and up to maxFound ids found in
// bodies (conflicts, automatic log entries, ...) beyond the world's own.
// The lists read every item; the samples keep the run short under -race.
const (
	maxShown  = 15
	maxHidden = 4
	maxFound  = 20
)

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// search asks for every canary of the world in its room, each by up to
// two members who may not see its item (the search must not find it) and
// one who may (what it finds must name nothing hidden), a planted item's
// by every member of the room: by the
// intelligence search, and by the room's item list and the place lookup
// for the planted items and about a quarter of the others.
func (cr *crawl) search(m *member) {
	for i, s := range cr.w.items {
		if !cr.searchers[s.id][m.name] {
			continue
		}
		q := url.QueryEscape(s.canary)
		cr.get(m, "/api/v1/rooms/{room}/search?q=", "/api/v1/rooms/"+s.room+"/search?q="+q)
		if cr.w.canSee(m, s) && (s.planted || i%4 == 0) {
			cr.get(m, "/api/v1/rooms/{room}/items?q=", "/api/v1/rooms/"+s.room+"/items?q="+q)
			cr.get(m, "/api/v1/places?q=", "/api/v1/places?room="+s.room+"&q="+q)
		}
	}
}

// chooseSearchers picks, for every item, the members of its room who
// search for its canary, rotating through them so that every member
// searches.
func (cr *crawl) chooseSearchers() {
	cr.searchers = map[string]map[string]bool{}
	for i, s := range cr.w.items {
		cr.searchers[s.id] = map[string]bool{}
		var r *seatedRoom
		for _, x := range cr.w.rooms {
			if x.slug == s.room {
				r = x
			}
		}
		hidden, shown := 0, 0
		for k := range r.members {
			m := r.members[(i+k)%len(r.members)]
			if s.planted { // each planted reference read by everyone
				cr.searchers[s.id][m.name] = true
			} else if see := cr.w.canSee(m, s); see && shown == 0 {
				shown++
				cr.searchers[s.id][m.name] = true
			} else if !see && hidden < 2 {
				hidden++
				cr.searchers[s.id][m.name] = true
			}
		}
	}
}

// exchange checks the exchange document m would export (opsroom export
// --as m).
func (cr *crawl) exchange(m *member, svc *cli.Services) {
	ctx := context.Background()
	p, err := svc.Members.AsMember(ctx, m.name, "cli")
	if err != nil {
		cr.w.t.Fatal(err)
	}
	doc, err := svc.Exchanger().Export(ctx, p, nil)
	if err != nil {
		cr.w.t.Fatalf("export as %s: %v", m.name, err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		cr.w.t.Fatal(err)
	}
	cr.scan(m, "opsroom export", "", b)
}

// listener holds the live streams of every member in every room it sits
// in, opened before the world is written.
type listener struct {
	w      *world
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	got    map[*member]map[string]*bytes.Buffer
	first  map[string]string // room slug -> the first event id any stream gave
}

func (w *world) listen() *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{w: w, cancel: cancel, got: map[*member]map[string]*bytes.Buffer{}, first: map[string]string{}}
	for _, m := range w.members {
		l.got[m] = map[string]*bytes.Buffer{}
		for _, r := range w.rooms {
			if !m.rooms[r.slug] {
				continue
			}
			buf := &bytes.Buffer{}
			l.got[m][r.slug] = buf
			res := stream(ctx, w.t, m, r.slug, "")
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				defer res.Body.Close()
				sc := bufio.NewScanner(res.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<24)
				for sc.Scan() {
					l.mu.Lock()
					buf.Write(sc.Bytes())
					buf.WriteByte('\n')
					l.mu.Unlock()
				}
			}()
		}
	}
	return l
}

// stream opens a room's stream as m, from after ("" live only).
func stream(ctx context.Context, t *testing.T, m *member, slug, after string) *http.Response {
	req, err := http.NewRequestWithContext(ctx, "GET", m.c.Base+"/api/v1/rooms/"+slug+"/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+m.c.Token)
	}
	if after != "" {
		req.Header.Set("Last-Event-ID", after)
	}
	res, err := m.c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("stream %s as %s: %d %s", slug, m.name, res.StatusCode, b)
	}
	return res
}

// stop waits until every stream has delivered its room's last change
// (the sentinel note), closes the streams and scans what each member
// received.
func (l *listener) stop(cr *crawl) {
	deadline := time.Now().Add(time.Minute)
	for {
		late := ""
		l.mu.Lock()
		for m, rooms := range l.got {
			for slug, b := range rooms {
				if !bytes.Contains(b.Bytes(), []byte(l.w.sentinel[slug])) {
					late = m.name + " in " + slug
				}
			}
		}
		l.mu.Unlock()
		if late == "" {
			break
		}
		if time.Now().After(deadline) {
			l.w.t.Errorf("the live stream of %s did not deliver the room's last change within a minute", late)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.cancel()
	l.wg.Wait()
	for m, rooms := range l.got {
		for slug, b := range rooms {
			cr.scan(m, "/api/v1/rooms/{room}/stream (live)", "", b.Bytes())
			cr.ok["/api/v1/rooms/{room}/stream"]++
			if id := firstID(b.Bytes()); id != "" && (l.first[slug] == "" || earlier(id, l.first[slug])) {
				l.first[slug] = id
			}
		}
	}
}

// earlier compares two event ids (decimal positions).
func earlier(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func firstID(b []byte) string {
	for line := range strings.Lines(string(b)) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			return id
		}
	}
	return ""
}

// replay reads every member's stream of every room it sits in again,
// resuming with Last-Event-ID from the room's first event (all at once),
// and scans what the replays send.
func (cr *crawl) replay(first map[string]string) {
	w := cr.w
	type got struct {
		m    *member
		slug string
		buf  bytes.Buffer
	}
	var all []*got
	var wg sync.WaitGroup
	for _, m := range w.members {
		for _, r := range w.rooms {
			if !m.rooms[r.slug] || first[r.slug] == "" {
				continue
			}
			g := &got{m: m, slug: r.slug}
			all = append(all, g)
			ctx, cancel := context.WithCancel(context.Background())
			res := stream(ctx, w.t, m, r.slug, first[r.slug])
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer res.Body.Close()
				// Read until the room's last change (the sentinel note).
				timer := time.AfterFunc(time.Minute, cancel)
				defer timer.Stop()
				sc := bufio.NewScanner(res.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<24)
				for sc.Scan() {
					g.buf.Write(sc.Bytes())
					g.buf.WriteByte('\n')
					if bytes.Contains(sc.Bytes(), []byte(w.sentinel[g.slug])) {
						cancel()
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, g := range all {
		if bytes.Contains(g.buf.Bytes(), []byte("event: reset")) {
			w.t.Errorf("%s: the replay of %s began with a reset", g.m.name, g.slug)
		}
		if !bytes.Contains(g.buf.Bytes(), []byte(w.sentinel[g.slug])) {
			w.t.Errorf("%s: the replay of %s did not reach the room's last change within a minute", g.m.name, g.slug)
		}
		cr.scan(g.m, "/api/v1/rooms/{room}/stream (replay)", "", g.buf.Bytes())
	}
}

// finish reports: leaks by route (every one fails), routes never answered,
// items a viewer may see but never read, and the count of pairs.
func (cr *crawl) finish(t *testing.T) {
	t.Logf("%d requests, %d bytes to TAK devices; %d (viewer, item) pairs checked", cr.reqs, cr.takBytes, cr.pairs)
	t.Logf("requests by route: %v", cr.perRoute)
	if cr.takBytes == 0 {
		t.Errorf("no TAK device was sent anything")
	}
	if cr.pairs < minPairs {
		t.Errorf("only %d (viewer, item) pairs checked, want at least %d", cr.pairs, minPairs)
	}
	keys := make([]string, 0, len(cr.leaks))
	for k := range cr.leaks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l := cr.leaks[k]
		t.Errorf("LEAK %s ×%d in %v\n\t%s", k, l.count, sortedKeys(l.fields), l.example)
	}
	// Every route answered someone: a route that never does was not
	// really crawled.
	for _, route := range sortedKeys(cr.routes) {
		if cr.ok[route] == 0 {
			t.Errorf("GET %s never answered 2xx to anyone: the crawl did not reach it", route)
		}
	}
	// The control: every item was read by every member who may see it,
	// so a crawl that reached nothing cannot pass for a clean one.
	unread, n := []string{}, 0
	for _, m := range cr.w.members {
		for _, s := range cr.w.items {
			if cr.w.canSee(m, s) && !cr.reached[m.name][s.id] {
				if n++; n <= 10 {
					unread = append(unread, m.name+" "+s.kind+" "+s.id)
				}
			}
		}
	}
	if n > 0 {
		t.Errorf("%d (viewer, item) pairs the viewer may see were never read, e.g. %v", n, unread)
	}
}

func keySet(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
