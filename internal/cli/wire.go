package cli

import (
	"context"

	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/web"
)

// routes returns the route sets of the domain packages, added to the API
// beside the base routes. Each domain adds its line here.
func (s *Services) routes() []func(*httpapi.API) {
	return []func(*httpapi.API){
		web.Register,
		httpapi.Stream(httpapi.StreamConfig{}),
		httpapi.Metrics(s.Bus),
	}
}

// loadDemo loads every part of the reference scenario.
func (s *Services) loadDemo(ctx context.Context) ([]demo.Login, error) {
	return demo.Load(ctx, s.Members, s.Rooms)
}
