// Package timespan holds the closed time interval opsroom uses wherever a
// time may be uncertain or an activity has a window: a report's observed
// time ("a few weeks before 2015-10-01"), an event's time, an operation's
// window. An exact moment is a zero-width span.
package timespan

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Span is the closed interval [Start, End] in UTC. Start == End is an exact
// moment. The zero Span is "unknown" and overlaps nothing.
type Span struct {
	Start time.Time
	End   time.Time
}

// At returns the zero-width span of one moment.
func At(t time.Time) Span { return Span{Start: t.UTC(), End: t.UTC()} }

// New returns [start, end] or an error when end is before start.
func New(start, end time.Time) (Span, error) {
	s := Span{Start: start.UTC(), End: end.UTC()}
	if s.End.Before(s.Start) {
		return Span{}, errors.New("end is before start")
	}
	return s, nil
}

// IsZero reports whether the span is unknown.
func (s Span) IsZero() bool { return s.Start.IsZero() && s.End.IsZero() }

// Exact reports whether the span is a single moment.
func (s Span) Exact() bool { return !s.IsZero() && s.Start.Equal(s.End) }

// Duration is End - Start.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Contains reports whether t lies in the closed interval.
func (s Span) Contains(t time.Time) bool {
	return !s.IsZero() && !t.Before(s.Start) && !t.After(s.End)
}

// Overlaps reports whether two closed intervals share at least one moment:
// spans that only touch at an end overlap, and zero-width spans overlap when
// they fall inside (or on the edge of) the other.
func (s Span) Overlaps(o Span) bool {
	if s.IsZero() || o.IsZero() {
		return false
	}
	return !s.End.Before(o.Start) && !o.End.Before(s.Start)
}

// Intersect returns the common part of two spans and whether there is one.
func (s Span) Intersect(o Span) (Span, bool) {
	if !s.Overlaps(o) {
		return Span{}, false
	}
	r := s
	if o.Start.After(r.Start) {
		r.Start = o.Start
	}
	if o.End.Before(r.End) {
		r.End = o.End
	}
	return r, true
}

// String formats the span as RFC 3339, one moment or "start/end" (ISO 8601
// interval notation).
func (s Span) String() string {
	if s.IsZero() {
		return ""
	}
	if s.Exact() {
		return s.Start.Format(time.RFC3339Nano)
	}
	return s.Start.Format(time.RFC3339Nano) + "/" + s.End.Format(time.RFC3339Nano)
}

type wire struct {
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
}

// MarshalJSON writes {"start": ..., "end": ...}; the zero span is null.
func (s Span) MarshalJSON() ([]byte, error) {
	if s.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(wire{Start: &s.Start, End: &s.End})
}

// UnmarshalJSON reads {"start": ..., "end": ...} (end defaults to start, an
// exact moment), a single RFC 3339 string (an exact moment) or null.
func (s *Span) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Span{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var t time.Time
		if err := json.Unmarshal(b, &t); err != nil {
			return fmt.Errorf("not an RFC 3339 time: %w", err)
		}
		*s = At(t)
		return nil
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return errors.New(`want {"start": RFC 3339, "end": RFC 3339}`)
	}
	if w.Start == nil {
		return errors.New("start is required")
	}
	if w.End == nil {
		w.End = w.Start
	}
	v, err := New(*w.Start, *w.End)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
