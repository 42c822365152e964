// Package demo is the reference scenario (`opsroom demo`): the
// partners and joint operations rooms reported in 2014 and 2015, one
// member per partner with the command roles the reports describe, and the
// scenario's picture and intelligence. All of it is scenario.json, an
// exchange document (package exchange) embedded in the binary and loaded
// through the same importer as `opsroom import`; the operations, which
// the exchange format does not carry, are added by LoadOps. `opsroom
// serve --demo` loads both into an empty server in one transaction.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/exchange"
	"github.com/opsroom/opsroom/internal/room"
)

//go:embed scenario.json
var scenario []byte

// Scenario returns the reference scenario, decoded anew on each call so
// that a caller may change its copy.
func Scenario() (*exchange.Document, error) {
	d, err := exchange.Decode(bytes.NewReader(scenario))
	if err != nil {
		return nil, fmt.Errorf("the demo's scenario.json: %w", err)
	}
	return d, nil
}

// Login is a demo account, printed at start.
type Login struct {
	Username, Password, Partner, Roles string
}

// Password is every demo member's password, written in scenario.json
// (hashed on import like any password). The demo is for trying opsroom on
// one's own machine; it listens on loopback by default.
const Password = "opsroom-demo"

// Rooms' slugs in the demo.
const (
	Baghdad    = "baghdad"
	Damascus   = "damascus"
	AntiIS2014 = "anti-is-iraq-2014"
)

// Logins returns the demo's accounts, with the command roles each holds
// in the scenario's rooms. It panics if the embedded document does not
// decode, which the package's tests rule out.
func Logins() []Login {
	d, err := Scenario()
	if err != nil {
		panic(err)
	}
	logins := make([]Login, 0, len(d.Members))
	for _, m := range d.Members {
		roles := ""
		for _, r := range d.Rooms {
			for _, s := range r.Seats {
				if s.Member == m.Username && s.Role != "" && s.Role != room.RoleMember {
					roles += s.Role + " of " + r.Slug + " "
				}
			}
		}
		logins = append(logins, Login{Username: m.Username, Password: m.Password, Partner: m.Partner, Roles: roles})
	}
	return logins
}

// IntelIDs are the IDs the scenario's records got on import: reports and
// claims by their refs in scenario.json (r1..r8, s-rumod, rooms-2015,
// ...), events by title.
type IntelIDs struct {
	Reports map[string]string
	Claims  map[string]string
	Events  map[string]string
}

// Import loads the whole scenario through im in one transaction (the
// caller's, when ctx carries one) and returns the IDs its records got. It
// is for an empty server: on one that has the scenario's members already
// it fails on the first of them and writes nothing.
func Import(ctx context.Context, im *exchange.Importer) (IntelIDs, error) {
	ids := IntelIDs{Reports: map[string]string{}, Claims: map[string]string{}, Events: map[string]string{}}
	d, err := Scenario()
	if err != nil {
		return ids, err
	}
	sum, err := im.Import(ctx, d)
	if err != nil {
		return ids, fmt.Errorf("the demo's scenario.json: %w", err)
	}
	for _, r := range d.Reports {
		ids.Reports[r.Ref] = sum.IDs[r.Ref]
	}
	for _, c := range d.Claims {
		ids.Claims[c.Ref] = sum.IDs[c.Ref]
	}
	for _, e := range d.Events {
		ids.Events[e.Title] = sum.IDs[e.Ref]
	}
	return ids, nil
}

// Load writes only the scenario's partners, members and rooms with their
// seats, from scenario.json, through the services (for tests of the base
// API that run without the domain services). It returns the logins.
func Load(ctx context.Context, members *account.Service, rooms *room.Service) ([]Login, error) {
	d, err := Scenario()
	if err != nil {
		return nil, err
	}
	sys := access.System
	for _, p := range d.Partners {
		if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: p.Code, Name: p.Name, Kind: p.Kind}); err != nil {
			return nil, fmt.Errorf("partner %s: %w", p.Code, err)
		}
	}
	for _, m := range d.Members {
		in := account.NewMember{Partner: m.Partner, Username: m.Username, DisplayName: m.DisplayName, Kind: m.Kind, Password: m.Password}
		if _, err := members.CreateMember(ctx, sys, in); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Username, err)
		}
	}
	for _, r := range d.Rooms {
		if _, err := rooms.CreateRoom(ctx, sys, r.NewRoom); err != nil {
			return nil, fmt.Errorf("room %s: %w", r.Slug, err)
		}
		for _, s := range r.Seats {
			if err := rooms.SetMember(ctx, sys, r.Slug, s.Member, s.Role); err != nil {
				return nil, fmt.Errorf("seat %s in %s: %w", s.Member, r.Slug, err)
			}
		}
	}
	return Logins(), nil
}
