// Package demo loads the reference scenario (shared/SCENARIO.md): the
// partners and joint operations rooms reported in 2014 and 2015, one
// member per partner with the command roles the reports describe, and the
// scenario's intelligence, picture and operations as the other packages
// add them. `opsroom serve --demo` loads it into an empty server.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/timespan"
)

// Login is a demo account, printed at start.
type Login struct {
	Username, Password, Partner, Roles string
}

// Password is every demo member's password. The demo is for trying
// opsroom on one's own machine; it listens on loopback by default.
const Password = "opsroom-demo"

func ptr(f float64) *float64 { return &f }

// Rooms' slugs in the demo.
const (
	Baghdad    = "baghdad"
	Damascus   = "damascus"
	AntiIS2014 = "anti-is-iraq-2014"
)

// people are the demo's members, one per partner.
var people = []access.NewMember{
	{Partner: "RU", Username: "ru.general", DisplayName: "RU general (Damascus director)"},
	{Partner: "IR", Username: "ir.commander", DisplayName: "IR commander (Baghdad co-director)"},
	{Partner: "IQ", Username: "iq.commander", DisplayName: "IQ commander (Baghdad co-director)"},
	{Partner: "SY", Username: "sy.officer", DisplayName: "SY liaison officer"},
	{Partner: "HZ", Username: "hz.officer", DisplayName: "HZ liaison officer"},
}

// seats are who sits in which room with which role.
var seats = []struct{ room, user, role string }{
	{Baghdad, "ir.commander", room.RoleCoDirector}, {Baghdad, "iq.commander", room.RoleCoDirector},
	{Baghdad, "ru.general", room.RoleMember}, {Baghdad, "sy.officer", room.RoleMember}, {Baghdad, "hz.officer", room.RoleMember},
	{Damascus, "ru.general", room.RoleDirector}, {Damascus, "ir.commander", room.RoleMember}, {Damascus, "iq.commander", room.RoleMember},
	{Damascus, "sy.officer", room.RoleMember}, {Damascus, "hz.officer", room.RoleMember},
	{AntiIS2014, "ru.general", room.RoleMember}, {AntiIS2014, "ir.commander", room.RoleMember}, {AntiIS2014, "iq.commander", room.RoleMember},
}

// Logins returns the demo's accounts and their roles.
func Logins() []Login {
	logins := make([]Login, 0, len(people))
	for _, m := range people {
		roles := ""
		for _, s := range seats {
			if s.user == m.Username && s.role != room.RoleMember {
				roles += s.role + " of " + s.room + " "
			}
		}
		logins = append(logins, Login{Username: m.Username, Password: Password, Partner: m.Partner, Roles: roles})
	}
	return logins
}

// Load writes the scenario's partners, rooms and members. It returns the
// logins to print.
func Load(ctx context.Context, members *access.Service, rooms *room.Service) ([]Login, error) {
	sys := access.System
	partners := []room.NewPartner{
		{Code: "RU", Name: "Russia", Kind: "state"},
		{Code: "IR", Name: "Iran", Kind: "state"},
		{Code: "SY", Name: "Syria", Kind: "state"},
		{Code: "IQ", Name: "Iraq", Kind: "state"},
		{Code: "HZ", Name: "Hezbollah", Kind: "non-state armed group"},
	}
	for _, p := range partners {
		if _, err := rooms.CreatePartner(ctx, sys, p); err != nil {
			return nil, fmt.Errorf("partner %s: %w", p.Code, err)
		}
	}
	for _, m := range people {
		m.Password = Password
		if _, err := members.CreateMember(ctx, sys, m); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Username, err)
		}
	}
	// "established a few weeks" before 2015-10-01: an interval, not a day.
	est := timespan.Span{Start: time.Date(2015, 8, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2015, 9, 24, 0, 0, 0, 0, time.UTC)}
	all := []string{"RU", "IR", "SY", "IQ", "HZ"}
	roomsIn := []room.NewRoom{
		{Slug: Baghdad, Name: "Baghdad joint operations room", Purpose: "Coordinate intelligence between the partners",
			Place: room.Place{Name: "Baghdad", Lat: ptr(33.315), Lon: ptr(44.366)}, CommandModel: room.CoDirectors,
			Established: est, Partners: all, Note: "Reported by Al-Rai (2015-10-01), citing an unnamed source."},
		{Slug: Damascus, Name: "Damascus joint operations room", Purpose: "Direct combat operations",
			Place: room.Place{Name: "Damascus", Lat: ptr(33.514), Lon: ptr(36.277)}, CommandModel: room.Director,
			Established: est, Partners: all, Note: "Reported by Al-Rai (2015-10-01), citing an unnamed source."},
		{Slug: AntiIS2014, Name: "Anti-IS operations room, Iraq", Purpose: "Advise and support the Iraqi military",
			Place: room.Place{Name: "Baghdad", Lat: ptr(33.315), Lon: ptr(44.366)}, CommandModel: room.Unspecified,
			Established: timespan.Span{Start: time.Date(2014, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2014, 10, 24, 0, 0, 0, 0, time.UTC)},
			Partners:    []string{"RU", "IR", "IQ"}, Note: "Reported in 2014 by Al-Mustaqbal, citing unnamed Iraqi sources; unverified. Command model not reported."},
	}
	for _, r := range roomsIn {
		if _, err := rooms.CreateRoom(ctx, sys, r); err != nil {
			return nil, fmt.Errorf("room %s: %w", r.Slug, err)
		}
	}
	for _, s := range seats {
		if err := rooms.SetMember(ctx, sys, s.room, s.user, s.role); err != nil {
			return nil, fmt.Errorf("seat %s in %s: %w", s.user, s.room, err)
		}
	}
	return Logins(), nil
}
