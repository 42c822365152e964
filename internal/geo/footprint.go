package geo

import "github.com/opsroom/opsroom/internal/timespan"

// Footprint is where and when something takes place: an operation's area
// and window, a notified movement's route with its corridor half-width and
// window, a protected site (usually with an open-ended span).
type Footprint struct {
	Geometry  Geometry
	HalfWidth float64 // metres around Geometry; 0 for the geometry itself
	When      timespan.Span
}

// Conflicts reports whether two footprints meet in both space and time:
// their spans overlap (closed, so back-to-back windows conflict) and their
// geometries come within the sum of their half-widths. Both tests treat
// touching as meeting, as deconfliction must.
func (f Footprint) Conflicts(o Footprint) bool {
	if !f.When.Overlaps(o.When) {
		return false
	}
	return WithinDistance(f.Geometry, o.Geometry, max(f.HalfWidth, 0)+max(o.HalfWidth, 0))
}
