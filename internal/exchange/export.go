package exchange

import (
	"context"
	"encoding/json"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/room"
)

const exportPage = 500

// all drains a cursor-paginated list function.
func all[T any](list func(after string, limit int) ([]T, error), id func(T) string) ([]T, error) {
	var out []T
	after := ""
	for {
		page, err := list(after, exportPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < exportPage {
			return out, nil
		}
		after = id(page[len(page)-1])
	}
}

// Export writes what p may see in the given rooms (every room p belongs
// to when slugs is empty): the rooms, their partners and members, and
// every shared record p may see, read through the same need-to-know
// filtered queries as the API. Refs are the records' IDs. A record whose
// source, event or linked report p may not see keeps no reference to it.
func (im *Importer) Export(ctx context.Context, p access.Principal, slugs []string) (*Document, error) {
	d := &Document{Format: Format}
	if len(slugs) == 0 {
		rooms, err := im.Rooms.Rooms(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, r := range rooms {
			if p.Viewer.Rooms[r.ID] {
				slugs = append(slugs, r.Slug)
			}
		}
	}
	partners := map[string]bool{}
	members := map[string]bool{}
	seen := map[string]bool{} // IDs exported, so references stay inside the document
	for _, slug := range slugs {
		r, err := im.Rooms.Room(ctx, p, slug)
		if err != nil {
			return nil, err
		}
		seats, err := im.Rooms.Members(ctx, p, slug)
		if err != nil {
			return nil, err
		}
		er := Room{NewRoom: room.NewRoom{Slug: r.Slug, Name: r.Name, Purpose: r.Purpose, Place: r.Place, CommandModel: r.CommandModel,
			Established: r.Established, DefaultTLP: string(r.DefaultTLP), Note: r.Note, LogGrade: r.LogGrade, Partners: r.Partners}}
		for _, code := range r.Partners {
			if !partners[code] {
				partners[code] = true
				pa, err := im.Rooms.Partner(ctx, code)
				if err != nil {
					return nil, err
				}
				d.Partners = append(d.Partners, Partner{Code: pa.Code, Name: pa.Name, Kind: pa.Kind})
			}
		}
		for _, s := range seats {
			er.Seats = append(er.Seats, Seat{Member: s.Username, Role: s.Role})
			if !members[s.Username] {
				members[s.Username] = true
				m, err := im.Members.Member(ctx, s.Username)
				if err != nil {
					return nil, err
				}
				d.Members = append(d.Members, Member{Username: m.Username, Partner: m.Partner, DisplayName: m.DisplayName, Kind: m.Kind})
			}
		}
		d.Rooms = append(d.Rooms, er)
		if err := im.exportRoom(ctx, p, slug, d, seen); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func shared(it item.Item) Shared {
	return Shared{Ref: it.ID, Room: it.Room, By: it.CreatedBy, Marking: it.Marking}
}

func (im *Importer) exportRoom(ctx context.Context, p access.Principal, slug string, d *Document, seen map[string]bool) error {
	keep := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if seen[id] {
				out = append(out, id)
			}
		}
		return out
	}
	places, err := all(func(after string, n int) ([]picture.Place, error) { return im.Picture.Places(ctx, p, slug, after, n) },
		func(v picture.Place) string { return v.ID })
	if err != nil {
		return err
	}
	for _, v := range places {
		d.Places = append(d.Places, Place{Shared: shared(v.Item), Name: v.Name, Country: v.Country, Lat: v.Lat, Lon: v.Lon})
	}
	sites, err := all(func(after string, n int) ([]picture.Site, error) { return im.Picture.Sites(ctx, p, slug, after, n) },
		func(v picture.Site) string { return v.ID })
	if err != nil {
		return err
	}
	for _, v := range sites {
		g, _ := json.Marshal(v.Geometry)
		d.Sites = append(d.Sites, Site{Shared: shared(v.Item), Title: v.Title, Category: v.Category, Protected: v.Protected,
			PlaceName: v.PlaceName, Geometry: g, ValidFrom: v.ValidFrom, ValidTo: v.ValidTo})
	}
	sources, err := all(func(after string, n int) ([]intel.SharedSource, error) {
		return im.Intel.Sources(ctx, p, slug, after, n)
	},
		func(v intel.SharedSource) string { return v.ID })
	if err != nil {
		return err
	}
	for _, v := range sources {
		seen[v.ID] = true
	}
	for _, v := range sources {
		s := Source{Shared: Shared{Ref: v.ID, Room: slug, By: v.CreatedBy, Marking: v.Marking}, Name: v.Name, Kind: v.Kind,
			Behind: v.Behind, Partner: v.Partner, Reliability: v.Reliability, Notes: v.Notes}
		if seen[v.CitedBy] {
			s.CitedBy = v.CitedBy
		}
		d.Sources = append(d.Sources, s)
	}
	reports, err := all(func(after string, n int) ([]intel.SharedReport, error) {
		return im.Intel.Reports(ctx, p, slug, after, n)
	},
		func(v intel.SharedReport) string { return v.ID })
	if err != nil {
		return err
	}
	for _, v := range reports {
		seen[v.ID] = true
	}
	for _, v := range reports {
		var places json.RawMessage
		if len(v.Places) > 0 {
			places, _ = json.Marshal(v.Places)
		}
		d.Reports = append(d.Reports, Report{Shared: Shared{Ref: v.ID, Room: slug, By: v.CreatedBy, Marking: v.Marking}, Title: v.Title,
			Text: v.Text, Source: v.Source, Credibility: v.Credibility, Observed: v.Observed, ReportedAt: v.ReportedAt, Places: places})
		links, err := im.Intel.Links(ctx, p, slug, v.ID)
		if err != nil {
			return err
		}
		for _, l := range links.Upstream {
			d.Provenance = append(d.Provenance, Link{Report: l.Report, Kind: l.Kind, Target: l.Target, By: l.CreatedBy})
		}
	}
	events, err := all(func(after string, n int) ([]picture.Event, error) { return im.Picture.Events(ctx, p, slug, after, n) },
		func(v picture.Event) string { return v.ID })
	if err != nil {
		return err
	}
	for _, v := range events {
		var g json.RawMessage
		if v.Geometry != nil {
			g, _ = json.Marshal(v.Geometry)
		}
		e := Event{Shared: shared(v.Item), Title: v.Title, EventKind: v.EventKind, PlaceName: v.PlaceName, Geometry: g, Reports: keep(v.Links)}
		e.When.Start, e.When.End = v.Start, v.End
		d.Events = append(d.Events, e)
		claims, err := im.Intel.EventClaims(ctx, p, slug, v.ID)
		if err != nil {
			return err
		}
		for _, c := range claims {
			d.Claims = append(d.Claims, Claim{Shared: Shared{Ref: c.ID, Room: slug, By: c.CreatedBy, Marking: c.Marking}, Event: v.ID,
				Actor: c.Actor, Proposition: c.Proposition, Stance: c.Stance, Statement: c.Statement,
				Supporting: keep(c.Supporting), Disputing: keep(c.Disputing)})
		}
	}
	return nil
}
