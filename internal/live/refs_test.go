package live

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
)

// A change naming an item only partner A may see reaches partner B
// without it, live and on replay; A gets it whole.
func TestRefsHiddenFromSubscribersWhoMayNotSeeThem(t *testing.T) {
	onlyA := access.Marking{TLP: access.Green, ReleasableTo: []string{"pa"}}
	a := access.Viewer{MemberID: "ma", PartnerID: "pa", Rooms: map[string]bool{"r": true}}
	bv := access.Viewer{MemberID: "mb", PartnerID: "pb", Rooms: map[string]bool{"r": true}}
	data := `{"id":"claim","event":"hidden-ev","supporting":["open-rep","hidden-rep"],"answers":[{"report":"hidden-rep","text":"x"},{"report":"open-rep"}],"b":{"id":"hidden-rep","title":"secret"}}`
	c := Change{Seq: 1, RoomID: "r", Kind: "claim", ItemID: "claim", Op: "create", Marking: access.Marking{TLP: access.Green},
		Data: json.RawMessage(data), Refs: []Ref{
			{ID: "hidden-ev", Path: "event", Marking: onlyA},
			{ID: "open-rep", Path: "supporting[]", Marking: access.Marking{TLP: access.Green}},
			{ID: "hidden-rep", Path: "supporting[]", Marking: onlyA},
			{ID: "hidden-rep", Path: "answers[]", Marking: onlyA},
			{ID: "hidden-rep", Path: "b", Marking: onlyA},
		}}
	bus := NewBus()
	sa, sb := bus.Subscribe("r", a, 4), bus.Subscribe("r", bv, 4)
	bus.Deliver(c)
	ga, gb := <-sa.C, <-sb.C
	if !bytes.Contains(ga.Frame(), []byte("hidden-rep")) || !bytes.Contains(ga.Frame(), []byte("hidden-ev")) {
		t.Errorf("A lost a reference it may see: %s", ga.Frame())
	}
	want := `{"answers":[{"report":"open-rep"}],"id":"claim","supporting":["open-rep"]}`
	for name, f := range map[string][]byte{"live": gb.Frame(), "data": gb.Data} {
		if bytes.Contains(f, []byte("hidden")) || bytes.Contains(f, []byte("secret")) {
			t.Errorf("B's %s names a hidden item: %s", name, f)
		}
	}
	if string(gb.Data) != want {
		t.Errorf("B's data = %s, want %s", gb.Data, want)
	}
	_, res := bus.SubscribeFrom("r", bv, 4, &Pos{})
	if len(res.Replay) != 1 || string(res.Replay[0].Data) != want || bytes.Contains(res.Replay[0].Frame(), []byte("hidden")) {
		t.Errorf("B's replay = %+v", res.Replay)
	}
	_, res = bus.SubscribeFrom("r", a, 4, &Pos{})
	if len(res.Replay) != 1 || !bytes.Contains(res.Replay[0].Frame(), []byte("hidden-rep")) {
		t.Errorf("A's replay lost a reference")
	}

	// open-rep narrows to A only: B's replay of the older change drops it too.
	bus.Deliver(Change{Seq: 2, RoomID: "r", Kind: "report", ItemID: "open-rep", Op: "update", Marking: onlyA, Data: json.RawMessage(`{}`)})
	_, res = bus.SubscribeFrom("r", bv, 4, &Pos{})
	if len(res.Replay) != 1 || bytes.Contains(res.Replay[0].Frame(), []byte("open-rep")) {
		t.Errorf("B's replay after narrowing = %s", res.Replay[0].Frame())
	}
	// The claim itself narrows to A only: B's replay no longer has it.
	bus.Deliver(Change{Seq: 3, RoomID: "r", Kind: "claim", ItemID: "claim", Op: "update", Marking: onlyA})
	_, res = bus.SubscribeFrom("r", bv, 4, &Pos{})
	if len(res.Replay) != 0 {
		t.Errorf("B's replay after the claim narrowed: %d changes", len(res.Replay))
	}
}

// A hidden ID left in a place Refs does not name drops Data altogether.
func TestRefsUnnamedPathDropsData(t *testing.T) {
	c := Change{Seq: 1, RoomID: "r", ItemID: "x", Data: json.RawMessage(`{"text":"see hidden-rep"}`),
		Refs: []Ref{{ID: "hidden-rep", Path: "other", Marking: access.Marking{TLP: access.Red}}}}
	got := redact(c, []string{"hidden-rep"})
	if got.Data != nil || bytes.Contains(encodeFrame(got), []byte("hidden-rep")) {
		t.Errorf("redact left %s", got.Data)
	}
}

// Changes that leave the ring forget their references' markings.
func TestRefsMarksForgotten(t *testing.T) {
	bus := NewBus()
	bus.Retain(1, 0)
	bus.Retain(1, DefaultRetainAge)
	bus.Deliver(Change{Seq: 1, RoomID: "r", ItemID: "x", Refs: []Ref{{ID: "y", Path: "y"}}})
	if len(bus.marks) != 2 {
		t.Fatalf("marks = %v", bus.marks)
	}
	bus.Deliver(Change{Seq: 2, RoomID: "r", ItemID: "z"})
	if len(bus.marks) != 1 || bus.marks["z"] == nil {
		t.Errorf("marks kept after the change left: %v", bus.marks)
	}
	bus.ResetRoom("r", 2)
	if len(bus.marks) != 0 {
		t.Errorf("marks kept after a reset: %v", bus.marks)
	}
}

// References and their markings cross NATS with the change.
func TestRefsOnTheWire(t *testing.T) {
	in := wireChange{Seq: 3, RoomID: "r", Refs: []Ref{{ID: "y", Path: "supporting[]", Marking: access.Marking{TLP: access.Green, ReleasableTo: []string{"pa"}}}}}
	b, _ := json.Marshal(in)
	var out wireChange
	if err := json.Unmarshal(b, &out); err != nil || len(out.Refs) != 1 || out.Refs[0].Marking.ReleasableTo[0] != "pa" || out.Refs[0].Path != "supporting[]" {
		t.Errorf("refs after the wire: %+v, %v", out.Refs, err)
	}
}
