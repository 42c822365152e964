package cot

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
)

func addSamples(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkCotError fails unless err is nil, io.EOF or a *Error: a decoder must
// never surface anything else for bad input.
func checkCotError(t *testing.T, err error) {
	var ce *Error
	if err != nil && err != io.EOF && !errors.As(err, &ce) {
		t.Fatalf("error of type %T: %v", err, err)
	}
}

func FuzzDecodeXML(f *testing.F) {
	for _, b := range addSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`<event uid="u" type="t" time="2025-01-01T00:00:00Z" start="2025-01-01T00:00:00Z" stale="2025-01-01T00:00:00Z"/>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := Parse(in)
		checkCotError(t, err)
		if err == nil {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("decoded event does not validate: %v", verr)
			}
			out := e.AppendXML(nil)
			e2, err := Parse(out)
			if err != nil {
				t.Fatalf("re-encoded event does not decode: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(e, e2) {
				t.Fatalf("XML round trip changed the event:\n%+v\n%+v", e, e2)
			}
			if out2 := e2.AppendXML(nil); !bytes.Equal(out, out2) {
				t.Fatalf("encoding not stable:\n%s\n%s", out, out2)
			}
			// Whatever is valid XML CoT must also cross to protobuf.
			b := (&Message{Event: e}).AppendProto(nil)
			m, err := DecodeProto(b)
			if err != nil {
				t.Fatalf("protobuf of a valid event does not decode: %v\n%s", err, out)
			}
			want := withoutRaw(e)
			want.Version = DefaultVersion // protobuf does not carry it
			if got := withoutRaw(m.Event); !reflect.DeepEqual(got, want) {
				t.Fatalf("protobuf round trip changed the event:\n%+v\n%+v", want, got)
			}
		}

		// The stream decoder must agree with Parse and must not depend on
		// how reads are split.
		var whole, split []*Event
		var errWhole, errSplit error
		d := NewDecoder(bytes.NewReader(in))
		for errWhole == nil {
			var e *Event
			if e, errWhole = d.Decode(); e != nil {
				whole = append(whole, e)
			}
		}
		checkCotError(t, errWhole)
		d = NewDecoder(iotest.HalfReader(bytes.NewReader(in)))
		for errSplit == nil {
			var e *Event
			if e, errSplit = d.Decode(); e != nil {
				split = append(split, e)
			}
		}
		if !reflect.DeepEqual(whole, split) || (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("decoding depends on read sizes: %d events (%v) vs %d (%v)", len(whole), errWhole, len(split), errSplit)
		}
	})
}

func FuzzDecodeProto(f *testing.F) {
	for _, b := range addSamples(f) {
		if e, err := Parse(b); err == nil {
			f.Add((&Message{Event: e, Control: &Control{MinProtoVersion: 1, MaxProtoVersion: 1}}).AppendProto(nil))
		}
	}
	f.Add([]byte(atakPLI(true)))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := DecodeProto(in)
		checkCotError(t, err)
		if err != nil {
			return
		}
		if m.Event != nil {
			if verr := m.Event.Validate(); verr != nil {
				t.Fatalf("decoded event does not validate: %v", verr)
			}
		}
		b := m.AppendProto(nil)
		m2, err := DecodeProto(b)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if (m.Event == nil) != (m2.Event == nil) || !reflect.DeepEqual(m.Control, m2.Control) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
		if m.Event != nil {
			// What opsroom reads is unchanged; the raw detail may be
			// re-split once, after which the encoding is a fixed point.
			if a, b := withoutRaw(m.Event), withoutRaw(m2.Event); !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip changed the event:\n%+v\n%+v", a, b)
			}
			m3, err := DecodeProto(m2.AppendProto(nil))
			if err != nil || !reflect.DeepEqual(m2, m3) {
				t.Fatalf("second round trip not a fixed point: %v\n%+v\n%+v", err, m2.Event, m3.Event)
			}
			// And the event must be sendable to XML clients.
			x, err := Parse(m.Event.AppendXML(nil))
			if err != nil {
				t.Fatalf("XML of a protobuf event does not decode: %v\n%s", err, m.Event.AppendXML(nil))
			}
			if !reflect.DeepEqual(x, m.Event) {
				t.Fatalf("protobuf -> XML changed the event:\n%+v\n%+v", m.Event, x)
			}
		}
	})
}

func FuzzStreamFramer(f *testing.F) {
	var seed []byte
	for _, b := range addSamples(f) {
		if e, err := Parse(b); err == nil {
			seed = AppendStreamMessage(seed, &Message{Event: e})
		}
	}
	f.Add(seed)
	f.Add([]byte{0xbf, 0x00, 0xbf, 0x02, 0x0a, 0x00})
	f.Add([]byte{0xbf, 0x01, 0xbf, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		sr := NewStreamReader(bytes.NewReader(in))
		sr.SetMaxMessageSize(4 << 10)
		var frames [][]byte
		for {
			p, err := sr.Next()
			if err != nil {
				checkCotError(t, err)
				break
			}
			if len(p) > 4<<10 {
				t.Fatalf("frame of %d bytes over the limit", len(p))
			}
			frames = append(frames, bytes.Clone(p))
			if m, err := DecodeProto(p); err == nil {
				if got := AppendStreamMessage(nil, m); got[0] != magic {
					t.Fatal("AppendStreamMessage without magic")
				}
			}
		}
		// Re-framing what was read yields the same frames.
		var out []byte
		for _, p := range frames {
			out = AppendStreamFrame(out, p)
		}
		sr = NewStreamReader(iotest.OneByteReader(bytes.NewReader(out)))
		for i := range frames {
			p, err := sr.Next()
			if err != nil || !bytes.Equal(p, frames[i]) {
				t.Fatalf("frame %d re-read as %x, %v", i, p, err)
			}
		}
		if _, err := sr.Next(); err != io.EOF {
			t.Fatalf("after the last frame: %v", err)
		}
		if _, _, err := ParseMeshFrame(in); err != nil {
			checkCotError(t, err)
		}
	})
}
