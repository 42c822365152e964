package timespan

import (
	"encoding/json"
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestOverlaps(t *testing.T) {
	a := Span{ts("2015-09-01T00:00:00Z"), ts("2015-09-10T00:00:00Z")}
	tests := []struct {
		name string
		b    Span
		want bool
	}{
		{"inside", Span{ts("2015-09-02T00:00:00Z"), ts("2015-09-03T00:00:00Z")}, true},
		{"touching end", Span{ts("2015-09-10T00:00:00Z"), ts("2015-09-11T00:00:00Z")}, true},
		{"after", Span{ts("2015-09-10T00:00:01Z"), ts("2015-09-11T00:00:00Z")}, false},
		{"zero width inside", At(ts("2015-09-05T00:00:00Z")), true},
		{"zero width on edge", At(ts("2015-09-01T00:00:00Z")), true},
		{"zero width before", At(ts("2015-08-31T23:59:59Z")), false},
		{"unknown", Span{}, false},
	}
	for _, tt := range tests {
		if got := a.Overlaps(tt.b); got != tt.want {
			t.Errorf("%s: Overlaps = %v, want %v", tt.name, got, tt.want)
		}
		if got := tt.b.Overlaps(a); got != tt.want {
			t.Errorf("%s (reversed): Overlaps = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	var s Span
	if err := json.Unmarshal([]byte(`{"start":"2015-09-01T00:00:00Z","end":"2015-09-24T00:00:00Z"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Duration() != 23*24*time.Hour {
		t.Fatalf("duration %v", s.Duration())
	}
	if err := json.Unmarshal([]byte(`"2015-10-01T06:00:00Z"`), &s); err != nil || !s.Exact() {
		t.Fatalf("single time: %v %v", s, err)
	}
	for _, bad := range []string{`{"end":"2015-09-01T00:00:00Z"}`, `{"start":"2015-09-02T00:00:00Z","end":"2015-09-01T00:00:00Z"}`, `"yesterday"`, `42`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	b, _ := json.Marshal(Span{})
	if string(b) != "null" {
		t.Fatalf("zero span marshals to %s", b)
	}
}
