package timespan

import (
	"encoding/json"
	"testing"
)

func FuzzSpanJSON(f *testing.F) {
	for _, s := range []string{`null`, `"2015-10-01T06:00:00Z"`, `{"start":"2015-09-01T00:00:00Z","end":"2015-09-24T00:00:00Z"}`,
		`{"start":"2015-09-01T00:00:00+03:00"}`, `{"end":"x"}`, `[]`, `{"start":"2015-09-02T00:00:00Z","end":"2015-09-01T00:00:00Z"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Span
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		if s.End.Before(s.Start) {
			t.Fatalf("accepted a span that ends before it starts: %v", s)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Span
		if err := json.Unmarshal(out, &back); err != nil || !back.Start.Equal(s.Start) || !back.End.Equal(s.End) {
			t.Fatalf("round trip %s -> %s -> %v (%v)", b, out, back, err)
		}
	})
}
