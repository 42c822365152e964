package streamload

import (
	"encoding/json"
	"testing"
	"time"
)

// TestParseAt checks the stream workload's time reader against
// encoding/json's own writing of times, in several zones and precisions.
func TestParseAt(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 3*3600), time.FixedZone("", -(4*3600 + 30*60))}
	for i := range 2000 {
		at := time.Unix(1_400_000_000+int64(i)*7919, int64(i)*104729%1_000_000_000).In(zones[i%len(zones)])
		if i%7 == 0 {
			at = at.Truncate(time.Second)
		}
		b, _ := json.Marshal(at)
		got, ok := parseAt(b[1 : len(b)-1])
		if !ok || got != at.UnixNano() {
			t.Fatalf("parseAt(%s) = %d, %v; want %d", b, got, ok, at.UnixNano())
		}
	}
	for _, bad := range []string{"", "2015-09-30", "2015-09-30T12:05:00", "2015-09-30T12:05:00.5", "2015-09-30T12:05:00+0300", "2015-09-30X12:05:00Z", "2015-0a-30T12:05:00Z"} {
		if _, ok := parseAt([]byte(bad)); ok {
			t.Errorf("parseAt(%q) accepted", bad)
		}
	}
}

// FuzzParseAt checks that the time reader never panics and agrees with
// time.Parse on what it accepts.
func FuzzParseAt(f *testing.F) {
	f.Add("2015-09-30T12:05:00.123456789Z")
	f.Add("2015-09-30T12:05:00+03:00")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAt([]byte(s))
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return // parseAt is laxer on ranges (month 13 rolls over), as the workload needs no more
		}
		if want.UnixNano() != got {
			t.Fatalf("parseAt(%q) = %d, time.Parse gives %d", s, got, want.UnixNano())
		}
	})
}
