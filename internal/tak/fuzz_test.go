package tak

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/cot"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// FuzzDeviceInput sends arbitrary bytes as a device: whatever they are,
// the server neither panics nor hangs, closes or keeps the connection,
// and still answers another device's ping afterwards.
func FuzzDeviceInput(f *testing.F) {
	ev := posEvent("fz", "F", 1, 2)
	f.Add(ev.AppendXML(nil))
	f.Add([]byte(`<event version="2.0" uid="x" type="t-x-takp-q" how="m-g" time="2020-01-01T00:00:00Z" start="2020-01-01T00:00:00Z" stale="2030-01-01T00:00:00Z"><point lat="0" lon="0" hae="0" ce="0" le="0"/><detail><TakControl><TakRequest version="1"/></TakControl></detail></event>`))
	f.Add(append(cot.ProtocolRequest("q", time.Unix(1e9, 0), 1).AppendXML(nil), cot.AppendStreamMessage(nil, &cot.Message{Event: ev})...))
	f.Add([]byte(`<event><detail><link point="1,2"/></detail>`))
	f.Add([]byte{0xbf, 0x05, 0x12, 0x03, 0x0a, 0x01, 0x41})
	db := storetest.Open(f, store.SQLite)
	w := newWorld(f, db)
	s := w.server(f, Config{IdleTimeout: 200 * time.Millisecond, MaxEventSize: 4 << 10})
	f.Fuzz(func(t *testing.T, in []byte) {
		nc := w.attach(t, s, "a1")
		nc.Write(in)
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		go io.Copy(io.Discard, nc)
		time.Sleep(5 * time.Millisecond)
		nc.Close()
	})
}

// FuzzItemEvent converts arbitrary item bodies: never a panic, and what
// comes out is a valid event that survives both encodings.
func FuzzItemEvent(f *testing.F) {
	f.Add("site", `{"geometry":{"type":"Point","coordinates":[36.3,33.5]}}`)
	f.Add("area", `{"geometry":{"type":"Polygon","coordinates":[[[36,33],[36.1,33],[36.1,33.1],[36,33]]]}}`)
	f.Add("track", `{"uid":"u","cot_type":"a-f-G","lat":1,"lon":2,"course":3,"speed":4,"stale":"2999-01-01T00:00:00Z"}`)
	f.Add("marker", `{"uid":"m","cot_type":"b-m-p-s-m","lat":1,"lon":2,"cot_detail":"<contact callsign=\"x\"/>"}`)
	f.Add("event", `{"position":{"lat":91,"lon":2}}`)
	f.Fuzz(func(t *testing.T, kind, body string) {
		ev := itemEvent(shownItem{ID: "id", Kind: kind, Title: "t", Marking: item.Marking{TLP: "GREEN"}}, decodeBody(body), time.Unix(1.7e9, 0))
		if ev == nil {
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("invalid event: %v", err)
		}
		if _, err := cot.Parse(ev.AppendXML(nil)); err != nil {
			t.Fatalf("XML does not decode: %v\n%s", err, ev.AppendXML(nil))
		}
		if _, err := cot.DecodeProto((&cot.Message{Event: ev}).AppendProto(nil)); err != nil {
			t.Fatalf("protobuf does not decode: %v", err)
		}
	})
}

func decodeBody(s string) geoBody {
	var b geoBody
	if json.Unmarshal([]byte(s), &b) != nil {
		return geoBody{}
	}
	return b
}
