package tak

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// nodeDevice runs interop/device.mjs, a node-tak client over mutual TLS.
type nodeDevice struct {
	dir, host, port string
	cert, key       string
}

// tlsDevices starts a server with a mutual-TLS listener and issues
// certificates for users.
func tlsDevices(t *testing.T, w *world, users ...string) (*Server, map[string]nodeDevice) {
	t.Helper()
	dir := interopDir(t)
	pki := newPKI(t)
	s := w.server(t, Config{TLSAddr: "127.0.0.1:0", TLS: pki.serverTLS(t)})
	host, port := splitHostPort(t, s.Addrs()[0].String())
	out := map[string]nodeDevice{}
	for _, user := range users {
		is, err := pki.ca.IssueClient(user, "ops", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		d := nodeDevice{dir: dir, host: host, port: port, cert: filepath.Join(pki.dir, user+".pem"), key: filepath.Join(pki.dir, user+".key")}
		os.WriteFile(d.cert, CertPEM(is.Cert), 0o600)
		os.WriteFile(d.key, KeyPEM(is.Key), 0o600)
		out[user] = d
	}
	return s, out
}

type nodeEvent struct {
	UID    string  `json:"uid"`
	Type   string  `json:"type"`
	Access string  `json:"access"`
	Lat    float64 `json:"lat"`
}

type nodeRun struct {
	Received []nodeEvent `json:"received"`
	Error    string      `json:"error"`
	err      error
}

// run connects as the certificate's member, sends evs, and returns what
// was received until an event with uid wait ("-": for a moment after
// sending).
func (d nodeDevice) run(t *testing.T, id string, evs []*cot.Event, wait string) nodeRun {
	send := "-"
	if len(evs) > 0 {
		var xmls []string
		for _, ev := range evs {
			xmls = append(xmls, string(ev.AppendXML(nil)))
		}
		b, _ := json.Marshal(xmls)
		send = filepath.Join(t.TempDir(), id+".json")
		os.WriteFile(send, b, 0o600)
	}
	// Loading node-tak takes seconds, tens of them on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "device.mjs", d.host, d.port, d.cert, d.key, id, send, wait)
	cmd.Dir = d.dir
	out, err := cmd.Output()
	var r nodeRun
	if jerr := json.Unmarshal(out, &r); jerr != nil && err == nil {
		err = jerr
	}
	if ee, ok := err.(*exec.ExitError); ok {
		err = &nodeError{string(out), string(ee.Stderr)}
	}
	r.err = err
	return r
}

// waitForNode waits for cond while node starts and connects (seconds on
// a loaded machine).
func waitForNode(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("the node-tak devices did not connect within 2 minutes")
}

// TestInteropUIDSpoof: a node-tak device of partner BB sends a position
// under the uid of AA's device's track and a marker under
// opsroom-<AA's site>; another node-tak device connected to the room does
// not receive either, both are counted, and AA's track and site are
// unchanged in storage.
func TestInteropUIDSpoof(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s, devs := tlsDevices(t, w, "b1", "c1")
		ctx := context.Background()
		a1 := newDevice(t, w.attach(t, s, "a1")).ready()
		a1.send(posEvent("a1-dev", "A1", 33.5, 36.3))
		siteID := w.addSite(t, "a1", "AA site", 33.2, 36.2, item.Marking{})
		waitFor(t, func() bool { return s.Metrics().PositionsSaved.Load() == 1 })

		watch := make(chan nodeRun, 1)
		go func() { watch <- devs["c1"].run(t, "node-c1", nil, "b1-sentinel") }()
		waitForNode(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 })
		spoofSite := markerEvent("opsroom-"+siteID, "AA site", 10, 10)
		spoofSiteMove := posEvent("opsroom-"+siteID, "AA site", 10, 10)
		sent := devs["b1"].run(t, "node-b1", []*cot.Event{posEvent("a1-dev", "A1", 10, 10), spoofSite, spoofSiteMove,
			posEvent("b1-sentinel", "B1", 33.6, 36.4)}, "-")
		if sent.err != nil || sent.Error != "" {
			t.Fatalf("b1: %v %s", sent.err, sent.Error)
		}
		got := <-watch
		if got.err != nil || got.Error != "" {
			t.Fatalf("c1: %v %s", got.err, got.Error)
		}
		seen := map[string]bool{}
		for _, ev := range got.Received {
			seen[ev.UID] = true
			if ev.Lat == 10 {
				t.Errorf("c1 received BB's spoof %+v", ev)
			}
		}
		if !seen["a1-dev"] || !seen["opsroom-"+siteID] {
			t.Errorf("c1 did not receive AA's track and site on joining: %v", got.Received)
		}
		m := s.Metrics()
		if m.RefusedFor("track") != 1 || m.RefusedFor("site") != 2 {
			t.Errorf("refused for track %d, site %d; want 1 and 2", m.RefusedFor("track"), m.RefusedFor("site"))
		}
		waitFor(t, func() bool { return m.PositionsSaved.Load() == 2 }) // the sentinel's batch has run
		p, err := w.members.AsMember(ctx, "a1", "test")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := picture.TrackByUID(ctx, db, w.room.ID, "a1-dev")
		if err != nil {
			t.Fatal(err)
		}
		h, err := picture.NewService(db, w.rooms, w.bus).TrackHistory(ctx, p, tr.ItemID, picture.HistoryQuery{})
		if err != nil || len(h.Positions) != 1 || h.Positions[0].Lat != 33.5 {
			t.Errorf("AA's track: %+v (%v), want its one position at lat 33.5", h.Positions, err)
		}
		if own, err := item.LoadOwnership(ctx, db, siteID); err != nil || own.Version != 1 {
			t.Errorf("AA's site: version %d (%v), want 1", own.Version, err)
		}
		if _, err := takItem(ctx, db, w.room.ID, "opsroom-"+siteID); err == nil {
			t.Error("a marker was stored under AA's site's uid")
		}
	})
}

// TestInteropChatAddressing: a node-tak device of partner BB reports
// member a1's callsign; chat addressed to a1 (by callsign, and by the uid
// of a1's own node-tak device) reaches a1's device and not BB's.
func TestInteropChatAddressing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		s, devs := tlsDevices(t, w, "a1", "b1")
		c1 := newDevice(t, w.attach(t, s, "c1")).ready()
		runs := map[string]chan nodeRun{}
		for user, uid := range map[string]string{"a1": "node-a1", "b1": "node-b1"} {
			ch := make(chan nodeRun, 1)
			runs[user] = ch
			go func() { ch <- devs[user].run(t, uid, []*cot.Event{posEvent(uid, "a1", 33.5, 36.3)}, "chat-all") }()
		}
		waitForNode(t, func() bool { return s.Metrics().ConnsOpen.Load() == 3 && s.Metrics().PositionsIn.Load() == 2 })
		c1.send(chatEvent("chat-to-a1", "for a1", cot.Dest{Callsign: "a1"}))
		c1.send(chatEvent("chat-to-a1-dev", "for a1's device", cot.Dest{UID: "node-a1"}))
		c1.send(chatEvent("chat-all", "for the room"))
		for user, want := range map[string]bool{"a1": true, "b1": false} {
			got := <-runs[user]
			if got.err != nil || got.Error != "" {
				t.Fatalf("%s: %v %s", user, got.err, got.Error)
			}
			chats := map[string]bool{}
			for _, ev := range got.Received {
				chats[ev.UID] = true
			}
			if chats["chat-to-a1"] != want || chats["chat-to-a1-dev"] != want {
				t.Errorf("%s received chat to a1 by callsign: %v, by uid: %v; want %v", user, chats["chat-to-a1"], chats["chat-to-a1-dev"], want)
			}
		}
	})
}
