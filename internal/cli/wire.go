package cli

import (
	"context"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/bench/streamload"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/ops"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/web"
)

// routes returns the route sets of the domain packages, added to the API
// beside the base routes. Each domain adds its line here.
func (s *Services) routes() []func(*httpapi.API) {
	return []func(*httpapi.API){
		web.Register,
		httpapi.Stream(httpapi.StreamConfig{Limit: s.streamLimit}),
		httpapi.Metrics(s.Bus, s.collectors...),
		s.picture().Routes(),
		s.ops().Routes,
		s.intel().Routes,
	}
}

// picture is the picture's service (sites, tracks, events, areas, places).
// A site created or changed is checked again for conflicts.
func (s *Services) picture() *picture.Service {
	ps := picture.NewService(s.DB, s.Rooms, s.Bus)
	ps.OnSiteChange = s.ops().SiteChanged
	return ps
}

// ops is the operations service (operations, movements, site notices,
// conflicts, watch log, requests for information).
func (s *Services) ops() *ops.Service { return ops.New(s.DB, s.Rooms, s.Bus) }

// intel is the intelligence service (sources, reports, provenance,
// claims, corroboration, search). Its significant changes (reports at or
// above the room's log grade, events becoming contested) go to the
// room's watch log.
func (s *Services) intel() *intel.Service {
	is := intel.NewService(s.DB, s.Rooms, s.Items, s.Bus)
	is.OnSignificant = s.logSignificant
	return is
}

// logSignificant enters a significant change of intelligence in the
// room's watch log, in the change's transaction, shown only to those who
// may see everything the entry names.
func (s *Services) logSignificant(ctx context.Context, tx *store.Tx, e intel.Significant) error {
	m, ok := access.Meet(e.About...)
	if !ok {
		return nil
	}
	return ops.AutoLog(ctx, tx, s.Bus, ops.AutoEntry{RoomID: e.RoomID, Text: e.Text, Marking: m, Owner: e.Owner, Author: e.Author,
		SourceKind: e.Kind, SourceID: e.ID, About: e.AboutIDs})
}

// loadDemo loads the reference scenario: the embedded scenario.json
// through the importer `opsroom import` uses, then the operations, which
// the exchange format does not carry. Run it inside store.DB.Batch to
// load all of it or nothing.
func (s *Services) loadDemo(ctx context.Context) ([]demo.Login, error) {
	if _, err := demo.Import(ctx, s.Exchanger()); err != nil {
		return nil, err
	}
	if err := demo.LoadOps(ctx, s.Members, s.ops()); err != nil {
		return nil, err
	}
	return demo.Logins(), nil
}

// Routes returns the domain route sets as serve adds them, for tests that
// start a whole server (the browser tests of internal/web).
func (s *Services) Routes() []func(*httpapi.API) { return s.routes() }

// LoadDemo loads the whole reference scenario, for tests that start a
// whole server.
func (s *Services) LoadDemo(ctx context.Context) ([]demo.Login, error) { return s.loadDemo(ctx) }

func init() {
	RegisterBench("stream", "SSE fan-out: 1,000 subscribers of one room at 1,000 changes/s for 10 s after a 2 s warm-up; publish-to-read latency",
		func(ctx context.Context, env *Env, db *store.DB, scale float64) ([]bench.Result, error) {
			d := max(time.Second, time.Duration(scale*float64(10*time.Second)))
			return streamload.Workload{Subscribers: 1000, Rate: 1000, Warmup: 2 * time.Second, Duration: d}.Run(ctx, db)
		})
}
