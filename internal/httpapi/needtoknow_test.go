package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/httpapi"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// refWorld is a random world as plain data, and refVisible is the
// design's need-to-know table read literally. It shares no code with the
// policy it checks.
type refWorld struct {
	partnerOf   map[string]string          // username -> partner code
	roomMembers map[string]map[string]bool // room slug -> usernames
	items       []refItem
}

type refItem struct {
	id, room   string
	tlp        string
	releasable []string // partner codes
	recipients []string // usernames
}

func refVisible(w *refWorld, viewer string, it refItem) bool {
	if !w.roomMembers[it.room][viewer] { // room membership first
		return false
	}
	p := w.partnerOf[viewer]
	var ok bool
	switch it.tlp {
	case "CLEAR", "GREEN": // everyone in the room / members of every partner in the room
		ok = true
	case "AMBER", "AMBER+STRICT": // the partners it is released to (default: every room partner)
		ok = len(it.releasable) == 0 || slices.Contains(it.releasable, p)
	case "RED": // the named members only
		ok = slices.Contains(it.recipients, viewer)
	}
	if len(it.releasable) > 0 && !slices.Contains(it.releasable, p) { // the list narrows any label
		ok = false
	}
	return ok
}

// buildWorld makes a random world through the services: partners, members,
// rooms with random partner subsets, random seats, items with random
// markings (each valid for its author), and finally some members taken out
// of rooms after they shared, so that membership is checked at read time.
func buildWorld(t *testing.T, ts *testServer, rng *rand.Rand, nPartners, nMembers, nItems int) *refWorld {
	ctx := context.Background()
	sys := access.System
	w := &refWorld{partnerOf: map[string]string{}, roomMembers: map[string]map[string]bool{}}
	codes := make([]string, nPartners)
	for i := range codes {
		codes[i] = fmt.Sprintf("P%d", i)
		if _, err := ts.rooms.CreatePartner(ctx, sys, room.NewPartner{Code: codes[i], Name: codes[i], Kind: "state"}); err != nil {
			t.Fatal(err)
		}
	}
	users := make([]string, nMembers)
	for i := range users {
		users[i] = fmt.Sprintf("m%d", i)
		p := codes[rng.IntN(nPartners)]
		if i < nPartners {
			p = codes[i]
		}
		// Devices with API tokens: the bearer-token read path, and no
		// password hashing to slow the test down.
		if _, err := ts.members.CreateMember(ctx, sys, account.NewMember{Partner: p, Username: users[i], Kind: access.Device}); err != nil {
			t.Fatal(err)
		}
		w.partnerOf[users[i]] = p
	}
	slugs := []string{"r0", "r1", "r2"}
	for _, slug := range slugs {
		var ps []string
		for _, c := range codes {
			if rng.IntN(3) > 0 {
				ps = append(ps, c)
			}
		}
		if len(ps) == 0 {
			ps = []string{codes[0]}
		}
		if _, err := ts.rooms.CreateRoom(ctx, sys, room.NewRoom{Slug: slug, Name: slug, Purpose: "test", CommandModel: room.Unspecified, Partners: ps}); err != nil {
			t.Fatal(err)
		}
		w.roomMembers[slug] = map[string]bool{}
		for _, u := range users {
			if slices.Contains(ps, w.partnerOf[u]) && rng.IntN(5) > 0 {
				if err := ts.rooms.SetMember(ctx, sys, slug, u, room.RoleMember); err != nil {
					t.Fatal(err)
				}
				w.roomMembers[slug][u] = true
			}
		}
	}
	labels := []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
	for len(w.items) < nItems {
		slug := slugs[rng.IntN(len(slugs))]
		var inRoom []string
		for u := range w.roomMembers[slug] {
			inRoom = append(inRoom, u)
		}
		if len(inRoom) == 0 {
			continue
		}
		slices.Sort(inRoom)
		author := inRoom[rng.IntN(len(inRoom))]
		p, err := ts.members.AsMember(ctx, author, "test")
		if err != nil {
			t.Fatal(err)
		}
		m := item.Marking{TLP: labels[rng.IntN(len(labels))]}
		if rng.IntN(2) == 0 { // a releasability list including the author's partner
			set := map[string]bool{w.partnerOf[author]: true}
			for _, u := range inRoom {
				if rng.IntN(3) == 0 {
					set[w.partnerOf[u]] = true
				}
			}
			for c := range set {
				m.ReleasableTo = append(m.ReleasableTo, c)
			}
		}
		if m.TLP == "RED" {
			m.Recipients = []string{author}
			for _, u := range inRoom {
				if u != author && rng.IntN(3) == 0 && (len(m.ReleasableTo) == 0 || slices.Contains(m.ReleasableTo, w.partnerOf[u])) {
					m.Recipients = append(m.Recipients, u)
				}
			}
		}
		it, err := ts.items.CreateNote(ctx, p, slug, item.NewNote{Title: fmt.Sprintf("item %d", len(w.items)), Marking: m})
		if err != nil {
			t.Fatalf("create note %+v: %v", m, err)
		}
		ri := refItem{id: it.ID, room: slug, tlp: m.TLP, recipients: m.Recipients}
		ri.releasable = m.ReleasableTo
		w.items = append(w.items, ri)
	}
	// Take some members out of rooms after they shared.
	for _, slug := range slugs {
		for u := range w.roomMembers[slug] {
			if rng.IntN(8) == 0 {
				if err := ts.rooms.RemoveMember(ctx, sys, slug, u); err != nil {
					t.Fatal(err)
				}
				delete(w.roomMembers[slug], u)
			}
		}
	}
	return w
}

// TestNeedToKnowRandomWorlds checks every item read path of the API
// (list with pagination, filtered list, get) against the reference on
// random worlds: at least 10,000 (viewer, item) pairs per engine.
func TestNeedToKnowRandomWorlds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		seed := rand.Uint64()
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 1))
		const nMembers, nItems = 30, 340
		w := buildWorld(t, ts, rng, 6, nMembers, nItems)
		pairs, disagreements := 0, 0
		type stored struct {
			room string
			m    access.Marking
		}
		markings := map[string]stored{}
		for _, it := range w.items {
			m, err := item.LoadMarking(context.Background(), db, it.id)
			if err != nil {
				t.Fatal(err)
			}
			var roomID string
			if err := store.Scan(db.QueryRow(context.Background(), `SELECT room_id FROM items WHERE id = ?`, it.id), &roomID); err != nil {
				t.Fatal(err)
			}
			markings[it.id] = stored{roomID, m}
		}
		for u := range w.partnerOf {
			tok, err := ts.members.CreateToken(context.Background(), access.System, account.NewToken{Member: u, Name: "test"})
			if err != nil {
				t.Fatal(err)
			}
			c := ts.anon(t)
			c.Token = tok.Secret
			p, err := ts.members.AsMember(context.Background(), u, "test")
			if err != nil {
				t.Fatal(err)
			}
			// List path: every page of every room.
			listed := map[string]bool{}
			for slug := range w.roomMembers {
				cursor := ""
				for {
					q := url.Values{"limit": {"37"}}
					if cursor != "" {
						q.Set("cursor", cursor)
					}
					res := c.Do("GET", "/api/v1/rooms/"+slug+"/items?"+q.Encode(), nil)
					if res.Status == http.StatusNotFound && !w.roomMembers[slug][u] {
						break // a room you are not in does not exist for you
					}
					if res.Status != http.StatusOK {
						t.Fatalf("list %s as %s: %d %s", slug, u, res.Status, res.Body)
					}
					var page httpapi.Page[item.Item]
					res.JSON(t, &page)
					for _, it := range page.Items {
						if listed[it.ID] {
							t.Fatalf("item %s listed twice for %s", it.ID, u)
						}
						listed[it.ID] = true
					}
					if page.NextCursor == "" {
						break
					}
					cursor = page.NextCursor
				}
			}
			// Get path: every item, four requests at a time.
			got := make([]int, len(w.items))
			var wg sync.WaitGroup
			for worker := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := worker; i < len(w.items); i += 4 {
						got[i] = c.Status("GET", "/api/v1/items/"+w.items[i].id)
					}
				}()
			}
			wg.Wait()
			for i, it := range w.items {
				want := refVisible(w, u, it)
				if got[i] != http.StatusOK && got[i] != http.StatusNotFound {
					t.Fatalf("get %s as %s: %d", it.id, u, got[i])
				}
				pairs++
				if (got[i] == http.StatusOK) != want || listed[it.id] != want {
					disagreements++
					if disagreements <= 5 {
						t.Errorf("viewer %s (partner %s), item %+v: reference %v, get %d, list %v", u, w.partnerOf[u], it, want, got[i], listed[it.id])
					}
				}
				// The Go policy agrees with the reference too.
				if access.CanSee(p.Viewer, markings[it.id].room, markings[it.id].m) != want {
					disagreements++
					t.Errorf("CanSee disagrees for viewer %s, item %+v", u, it)
				}
			}
		}
		if pairs < 10000 {
			t.Fatalf("only %d pairs checked", pairs)
		}
		if disagreements > 0 {
			t.Fatalf("%d disagreements over %d (viewer, item) pairs", disagreements, pairs)
		}
		t.Logf("%d (viewer, item) pairs, 0 disagreements", pairs)
	})
}
