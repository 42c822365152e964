package cot

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// The benchmarks use the ATAK position report, the bulk of CoT traffic.
// Reproduce with:
//
//	go test -run=^$ -bench=. -benchmem -count=5 ./internal/cot/

func BenchmarkDecodeXML(b *testing.B) {
	in := readSample(b, "atak_position.xml")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeXMLStream measures the Decoder, framing included.
func BenchmarkDecodeXMLStream(b *testing.B) {
	one := readSample(b, "atak_position.xml")
	in := bytes.Repeat(one, 100)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	for b.Loop() {
		r.Reset(in)
		d := NewDecoder(r)
		for range 100 {
			if _, err := d.Decode(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDecodeXMLStdlib is the encoding/xml baseline the hand-written
// tokenizer is measured against: only tokenizing, no event built.
func BenchmarkDecodeXMLStdlib(b *testing.B) {
	in := readSample(b, "atak_position.xml")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(in))
		for {
			if _, err := d.RawToken(); err != nil {
				break
			}
		}
	}
}

func BenchmarkEncodeXML(b *testing.B) {
	e := mustParse(b, readSample(b, "atak_position.xml"))
	buf := e.AppendXML(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendXML(buf[:0])
	}
}

func BenchmarkDecodeProto(b *testing.B) {
	e := mustParse(b, readSample(b, "atak_position.xml"))
	in := (&Message{Event: e}).AppendProto(nil)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeProto(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeProto(b *testing.B) {
	e := mustParse(b, readSample(b, "atak_position.xml"))
	m := &Message{Event: e}
	buf := m.AppendProto(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendProto(buf[:0])
	}
}
