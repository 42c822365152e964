package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
	"github.com/opsroom/opsroom/internal/validate"
)

// world is the demo's partners, members and rooms with the ops service.
type world struct {
	db      *store.DB
	s       *Service
	bus     *live.Bus
	members *access.Service
	rooms   *room.Service
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	bus := live.NewBus()
	w := &world{db: db, bus: bus, members: access.NewService(db), rooms: room.NewService(db)}
	w.s = New(db, w.rooms, bus)
	if _, err := demo.Load(context.Background(), w.members, w.rooms); err != nil {
		t.Fatalf("demo: %v", err)
	}
	return w
}

func (w *world) as(t testing.TB, username string) access.Principal {
	t.Helper()
	p, err := w.members.AsMember(context.Background(), username, "cli")
	if err != nil {
		t.Fatalf("as %s: %v", username, err)
	}
	return p
}

// square is a GeoJSON polygon of side d degrees with its south-west corner
// at lon, lat.
func square(lon, lat, d float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat))
}

func day(d int) time.Time { return time.Date(2015, 10, d, 0, 0, 0, 0, time.UTC) }

func window(a, b int) timespan.Span { return timespan.Span{Start: day(a), End: day(b)} }

func isField(err error, field string) bool {
	var v validate.Errors
	if !errors.As(err, &v) {
		return false
	}
	for _, f := range v {
		if f.Field == field {
			return true
		}
	}
	return false
}
