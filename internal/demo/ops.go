package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/ops"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/timespan"
)

// Demo operations' names.
const (
	OpNorthWest = "North-west ground offensive"
	OpISR       = "ISR tasking over Anbar"
	OpErbil     = "Ground operation north of Erbil"
)

func box(minLon, minLat, maxLon, maxLat float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		minLon, minLat, maxLon, minLat, maxLon, maxLat, minLon, maxLat, minLon, minLat))
}

func oct2015(d, h int) time.Time { return time.Date(2015, 10, d, h, 0, 0, 0, time.UTC) }

// LoadOps adds the scenario's operations: in Damascus the north-west
// ground offensive (IR ground component, RU air support, HZ joining),
// approved by the RU director alone, and a SY convoy crossing its area;
// in Baghdad an ISR tasking awaiting both co-directors, the Erbil aid site
// notified as protected by RU, and an IQ operation whose area and window
// cover it, so the room shows a conflict.
func LoadOps(ctx context.Context, members *account.Service, o *ops.Service) error {
	as := map[string]access.Principal{}
	for _, u := range []string{"ru.general", "ir.commander", "iq.commander", "sy.officer"} {
		p, err := members.AsMember(ctx, u, "cli")
		if err != nil {
			return err
		}
		as[u] = p
	}
	october := timespan.Span{Start: oct2015(1, 0), End: oct2015(31, 23)}

	nw, err := o.CreateOperation(ctx, as["ir.commander"], Damascus, ops.OperationInput{
		Name: OpNorthWest, Lead: "IR",
		Components: []ops.Component{{Partner: "IR", Component: "ground offensive"}, {Partner: "RU", Component: "air support"},
			{Partner: "HZ", Component: "ground forces joining"}, {Partner: "SY", Component: "ground forces"}},
		Area:   box(36.45, 34.8, 36.95, 35.45),
		Window: october,
		Phases: []ops.Phase{
			{Name: "Latamneh axis, north-west of Hama", Area: box(36.5, 35.2, 36.75, 35.45), Window: timespan.Span{Start: oct2015(1, 0), End: oct2015(15, 0)}},
			{Name: "North of Homs: Rastan, Talbiseh", Area: box(36.65, 34.8, 36.85, 35.0), Window: timespan.Span{Start: oct2015(10, 0), End: oct2015(31, 23)}},
		},
	})
	if err != nil {
		return fmt.Errorf("operation %s: %w", OpNorthWest, err)
	}
	if _, err := o.Act(ctx, as["ir.commander"], nw.ID, ops.ActPropose, ops.Action{}); err != nil {
		return err
	}
	if _, err := o.Act(ctx, as["ru.general"], nw.ID, ops.ActApprove, ops.Action{Reason: "air support from Hmeimim"}); err != nil {
		return err
	}
	if _, err := o.CreateMovement(ctx, as["sy.officer"], Damascus, ops.MovementInput{
		Title: "Supply convoy Damascus to Hama", Purpose: "convoy",
		Route:         json.RawMessage(`{"type":"LineString","coordinates":[[36.277,33.514],[36.72,34.73],[36.75,35.13]]}`),
		CorridorWidth: 2000, Window: timespan.Span{Start: oct2015(5, 6), End: oct2015(6, 18)},
	}); err != nil {
		return fmt.Errorf("movement: %w", err)
	}

	isr, err := o.CreateOperation(ctx, as["ru.general"], Baghdad, ops.OperationInput{
		Name: OpISR, Lead: "RU",
		Components: []ops.Component{{Partner: "RU", Component: "ISR flights"}, {Partner: "IQ", Component: "ground liaison"}, {Partner: "IR", Component: "analysis"}},
		Area:       box(40.5, 32.5, 43.5, 34.5), Window: october,
	})
	if err != nil {
		return fmt.Errorf("operation %s: %w", OpISR, err)
	}
	if _, err := o.Act(ctx, as["ru.general"], isr.ID, ops.ActPropose, ops.Action{}); err != nil {
		return err
	}
	if _, err := o.Act(ctx, as["ir.commander"], isr.ID, ops.ActApprove, ops.Action{}); err != nil {
		return err
	}
	site, err := o.SiteByTitle(ctx, as["ru.general"], Baghdad, SiteErbilAid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The picture's part of the demo did not run: nothing to notify.
	case err != nil:
		return err
	default:
		if _, err := o.NotifySite(ctx, as["ru.general"], Baghdad, ops.SiteNoticeInput{Site: site,
			Note: "RU MoD aid to displaced Kurds: foodstuffs, blankets, mobile generators, tents"}); err != nil {
			return fmt.Errorf("notify the Erbil aid site: %w", err)
		}
	}
	if _, err := o.CreateOperation(ctx, as["iq.commander"], Baghdad, ops.OperationInput{
		Name: OpErbil, Lead: "IQ",
		Components: []ops.Component{{Partner: "IQ", Component: "ground offensive"}, {Partner: "IR", Component: "advisers"}},
		Area:       box(43.7, 36.1, 44.3, 36.6), Window: october,
	}); err != nil {
		return fmt.Errorf("operation %s: %w", OpErbil, err)
	}
	return nil
}
