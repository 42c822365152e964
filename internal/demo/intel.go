package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/intel"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/picture"
	"github.com/opsroom/opsroom/internal/timespan"
)

// Titles of the events the intelligence part adds: what the 2014 and 2015
// reports say was set up (the picture holds the strikes and deliveries).
const (
	EventRooms2015    = "Joint operations rooms established in Baghdad and Damascus"
	EventAntiISRoom14 = "Anti-IS operations room set up with the Iraqi military"
)

// Propositions of the demo's claims, shared by the claims that assert and
// deny them so that contradicting claims line up.
const (
	PropRooms2015   = "Two joint operations rooms (Baghdad, Damascus) were established"
	PropAntiISRoom  = "RU and IR experts set up an anti-IS operations room with the Iraqi military"
	PropHitIS       = "The strikes hit IS targets"
	PropISNearSalam = "IS holds front lines near Salamiyah"
)

// IntelIDs are the IDs the demo's intelligence got, by the scenario's
// names (r1..r8 and the extra statement reports), for tests.
type IntelIDs struct {
	Reports map[string]string
	Claims  map[string]string
	Events  map[string]string
}

type demoSource struct {
	key, room, name, kind, behind, citedBy, grade, notes string
}

type demoReport struct {
	key, room, user, source, title, text string
	cred                                 int
	observed                             timespan.Span
	reported                             time.Time
	places                               []place
	marking                              item.Marking
}

type demoClaim struct {
	key, room, user, event, actor, prop, stance, statement string
	supporting, disputing                                  []string
}

func span(a, b time.Time) timespan.Span { return timespan.Span{Start: a, End: b} }

// LoadIntel adds the scenario's sources, reports r1-r8 with their
// provenance, the strike statements, and the claims side by side. It runs
// after LoadPicture, whose events the claims are about.
func LoadIntel(ctx context.Context, members *access.Service, pic *picture.Service, svc *intel.Service) (IntelIDs, error) {
	ids := IntelIDs{Reports: map[string]string{}, Claims: map[string]string{}, Events: map[string]string{}}
	who := map[string]access.Principal{}
	for _, u := range []string{"ru.general", "ir.commander", "iq.commander", "sy.officer", "hz.officer"} {
		p, err := members.AsMember(ctx, u, "cli")
		if err != nil {
			return ids, err
		}
		who[u] = p
	}

	// The two events that are the reports' own subject.
	est := span(time.Date(2015, 8, 20, 0, 0, 0, 0, time.UTC), time.Date(2015, 9, 24, 0, 0, 0, 0, time.UTC))
	oct14 := span(time.Date(2014, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 10, 24, 0, 0, 0, 0, time.UTC))
	for _, e := range []struct {
		title, room, kind, placeName string
		when                         timespan.Span
	}{
		{EventRooms2015, Damascus, "establishment", "Baghdad and Damascus", est},
		{EventAntiISRoom14, AntiIS2014, "establishment", "Baghdad", oct14},
	} {
		in := picture.EventInput{Title: e.title, EventKind: e.kind, PlaceName: e.placeName, Start: e.when.Start, End: e.when.End}
		ev, err := pic.CreateEvent(ctx, who["ru.general"], e.room, in)
		if err != nil {
			return ids, fmt.Errorf("event %s: %w", e.title, err)
		}
		ids.Events[e.title] = ev.ID
	}
	for title, rm := range EventRoom {
		ev, err := pic.EventByTitle(ctx, who["ru.general"], rm, title)
		if err != nil {
			return ids, fmt.Errorf("event %s: %w", title, err)
		}
		ids.Events[title] = ev.ID
	}

	// Every row of the scenario's sources table. An outlet's unnamed
	// source is a source of its own: it, not the outlet, is the origin.
	sources := []demoSource{
		{"alrai", Damascus, "Al-Rai", "outlet", "Al-Rai, daily newspaper, Kuwait", "", "C", ""},
		{"alrai-unnamed", Damascus, "Al-Rai's unnamed source", "unnamed-via-outlet", "", "alrai", "F", "One unnamed source cited by Al-Rai."},
		{"alakhbar", Damascus, "Al-Akhbar (editor-in-chief)", "outlet", "Al-Akhbar, daily newspaper, Lebanon", "", "D", "Described as pro-Hezbollah; the editor-in-chief's own claims."},
		{"reuters", Damascus, "Reuters", "outlet", "Reuters news agency", "", "B", ""},
		{"reuters-lebanese", Damascus, "Lebanese sources cited by Reuters", "unnamed-via-outlet", "", "reuters", "F", ""},
		{"now", Damascus, "NOW (Lebanon)", "outlet", "NOW, news site, Lebanon", "", "C", "Reports what Al-Rai and others said."},
		{"ru-mod", Damascus, "Russian Ministry of Defence", "official-statement", "Russian Ministry of Defence", "", "D", "A party speaking for itself."},
		{"syrian-tv", Damascus, "Syrian state TV", "official-statement", "Syrian state television", "", "D", "State media of a party."},
		{"rebels", Damascus, "Rebel groups and local activists", "party-on-ground", "rebel groups, local activists", "", "E", "Parties on the ground."},
		{"us", Damascus, "United States government", "government", "US government", "", "C", ""},
		{"france", Damascus, "French government", "government", "French government", "", "C", ""},
		{"almustaqbal", AntiIS2014, "Al-Mustaqbal", "outlet", "Al-Mustaqbal, newspaper, Lebanon", "", "C", ""},
		{"almustaqbal-iraqi", AntiIS2014, "Iraqi sources cited by Al-Mustaqbal", "unnamed-via-outlet", "", "almustaqbal", "F", "Unnamed Iraqi sources."},
		{"iranian-media", AntiIS2014, "Iranian media (several outlets)", "outlet", "several Iranian outlets", "", "E", "Repeat Al-Mustaqbal."},
		{"rferl", AntiIS2014, "RFE/RL blog", "outlet", "Radio Free Europe/Radio Liberty", "", "B", "Says the claim cannot be verified independently."},
		{"tass", AntiIS2014, "TASS", "outlet", "TASS, state news agency, Russia", "", "C", "Interview with Russia's Security Council secretary."},
		{"ru-mod-14", AntiIS2014, "Russian Ministry of Defence", "official-statement", "Russian Ministry of Defence", "", "D", "Aid deliveries."},
	}
	srcIDs := map[string]string{}
	for _, s := range sources {
		in := intel.NewSource{Name: s.name, Kind: s.kind, Behind: s.behind, Reliability: s.grade, Notes: s.notes, Marking: item.Marking{TLP: "CLEAR"}}
		if s.citedBy != "" {
			in.CitedBy = srcIDs[s.citedBy]
		}
		src, err := svc.CreateSource(ctx, who["ru.general"], s.room, in)
		if err != nil {
			return ids, fmt.Errorf("source %s: %w", s.name, err)
		}
		srcIDs[s.key] = src.ID
	}

	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }
	oct1 := d(2015, 10, 1)
	sep30 := span(d(2015, 9, 30), d(2015, 9, 30).Add(24*time.Hour-time.Second))
	green := item.Marking{TLP: "GREEN"}
	reports := []demoReport{
		{"r1", Damascus, "hz.officer", "alakhbar", "RU alliance with IR, SY, IQ and HZ",
			"Al-Akhbar's editor-in-chief: Russia formed an alliance with Iran, Syria, Iraq and Hezbollah to share intelligence and plan operations; Russian officers surveyed Syrian positions with Hezbollah officers.",
			6, span(d(2015, 8, 15), d(2015, 9, 22)), d(2015, 9, 22), nil, green},
		{"r2", Damascus, "hz.officer", "alrai-unnamed", "Two joint operations rooms, Baghdad and Damascus",
			"An unnamed source told Al-Rai of two joint operations rooms set up a few weeks earlier: in Baghdad to coordinate intelligence, with Iranian and Iraqi co-directors; in Damascus to direct combat operations, under a Russian general with full authority. Russia coordinates every military step with Iran.",
			3, est, oct1.Add(8 * time.Hour), []place{{"Baghdad", 33.315, 44.366}, {"Damascus", 33.514, 36.277}}, green},
		{"r3", Damascus, "sy.officer", "now", "NOW reports the joint operations rooms",
			"NOW reports what Al-Rai and Al-Akhbar said: two joint operations rooms in Baghdad and Damascus, and an alliance of Russia, Iran, Syria, Iraq and Hezbollah.",
			3, est, oct1.Add(14 * time.Hour), []place{{"Baghdad", 33.315, 44.366}, {"Damascus", 33.514, 36.277}}, green},
		{"r4", Damascus, "ir.commander", "reuters-lebanese", "Hundreds of IR troops arrived in Syria",
			"Lebanese sources told Reuters that hundreds of Iranian troops arrived in Syria about ten days earlier for a ground offensive in the north-west, that Hezbollah is preparing to join, and that Russian air strikes will support it.",
			3, span(d(2015, 9, 19), d(2015, 9, 23)), oct1.Add(12 * time.Hour), nil,
			item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR", "SY", "HZ"}}},
		{"r5", AntiIS2014, "iq.commander", "almustaqbal-iraqi", "RU and IR experts to set up an anti-IS operations room",
			"Unnamed Iraqi sources told Al-Mustaqbal that Russian and Iranian experts will set up an anti-IS operations room with the Iraqi military; more than 60 Russian and other experts stay at the Al Rasheed hotel in the Green Zone, training officers and pilots.",
			6, oct14, d(2014, 10, 20), []place{{"Al Rasheed hotel", 33.305, 44.389}}, green},
		{"r6", AntiIS2014, "ir.commander", "iranian-media", "Iranian media repeat the anti-IS operations room report",
			"Iranian outlets repeat Al-Mustaqbal's report of an anti-IS operations room with Russian and Iranian experts in Baghdad.",
			6, oct14, d(2014, 10, 22), nil, green},
		{"r7", AntiIS2014, "ru.general", "rferl", "RFE/RL blog on the anti-IS operations room report",
			"The RFE/RL blog reports Al-Mustaqbal's claim of an anti-IS operations room in Baghdad, says it cannot be verified independently, and notes that Russian official media are silent.",
			6, oct14, d(2014, 10, 24), nil, green},
		{"r8", AntiIS2014, "ru.general", "tass", "TASS: RU supplies IQ and SY with weapons",
			"In a TASS interview Russia's Security Council secretary says Russia supplies Iraq and Syria with weapons and that coalitions need a UN mandate.",
			3, span(d(2014, 10, 1), d(2014, 10, 31)), d(2014, 10, 20), nil, green},
		{"s-rumod", Damascus, "ru.general", "ru-mod", "RU MoD: 8 IS targets hit",
			"The Russian Ministry of Defence says its aircraft hit eight IS targets in Syria on the first day of the air campaign.",
			6, sep30, d(2015, 9, 30).Add(18 * time.Hour), nil, green},
		{"s-rebels", Damascus, "sy.officer", "rebels", "Activists and rebels: RU jets bombed Latamneh and north of Homs, not IS",
			"Activists and rebel groups say Russian jets bombed Latamneh, north-west of Hama, and towns north of Homs; Latamneh is not an IS stronghold and IS is not present in Rastan or Talbiseh.",
			6, sep30, d(2015, 9, 30).Add(20 * time.Hour), []place{{"Latamneh", 35.321, 36.623}, {"north of Homs", 34.85, 36.72}, {"Rastan", 34.926, 36.733}, {"Talbiseh", 34.840, 36.731}}, green},
		{"s-us", Damascus, "sy.officer", "us", "US: the strikes did not target IS",
			"The United States says the Russian strikes did not hit IS.",
			6, sep30, oct1, nil, green},
		{"s-france", Damascus, "sy.officer", "france", "France: the strikes did not target IS",
			"France says the Russian strikes did not hit IS.",
			6, sep30, oct1, nil, green},
		{"s-syriantv", Damascus, "sy.officer", "syrian-tv", "Syrian state TV: strikes on IS in Rastan, Talbiseh and near Salamiyah",
			"Syrian state television says the strikes hit IS targets in Rastan, Talbiseh and near Salamiyah.",
			6, sep30, d(2015, 9, 30).Add(16 * time.Hour), []place{{"Rastan", 34.926, 36.733}, {"Talbiseh", 34.840, 36.731}, {"Salamiyah", 35.011, 37.053}}, green},
		{"s-salamiyah", Damascus, "sy.officer", "rebels", "IS holds lines near Salamiyah",
			"Observers on the ground say IS does hold front lines near Salamiyah, unlike in Rastan and Talbiseh.",
			6, sep30, oct1, []place{{"Salamiyah", 35.011, 37.053}}, green},
	}
	for _, r := range reports {
		in := intel.NewReport{Title: r.title, Text: r.text, Source: srcIDs[r.source], Credibility: r.cred, Observed: r.observed, Marking: r.marking}
		if !r.reported.IsZero() {
			t := r.reported
			in.ReportedAt = &t
		}
		for _, p := range r.places {
			in.Places = append(in.Places, intel.Place{Name: p.name, Geometry: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, p.lon, p.lat))})
		}
		rep, err := svc.CreateReport(ctx, who[r.user], r.room, in)
		if err != nil {
			return ids, fmt.Errorf("report %s: %w", r.key, err)
		}
		ids.Reports[r.key] = rep.ID
	}
	for _, l := range []struct{ room, user, from, kind, to string }{
		{Damascus, "sy.officer", "r3", "repeats", "r2"},
		{Damascus, "sy.officer", "r3", "repeats", "r1"},
		{AntiIS2014, "ir.commander", "r6", "repeats", "r5"},
		{AntiIS2014, "ru.general", "r7", "repeats", "r5"},
	} {
		if _, err := svc.CreateLink(ctx, who[l.user], l.room, ids.Reports[l.from], intel.NewLink{Kind: l.kind, Target: ids.Reports[l.to]}); err != nil {
			return ids, fmt.Errorf("link %s %s %s: %w", l.from, l.kind, l.to, err)
		}
	}

	claims := []demoClaim{
		{"rooms-2015", Damascus, "hz.officer", EventRooms2015, "Al-Rai's unnamed source", PropRooms2015, "asserts",
			"Two rooms: Baghdad (intelligence, IR and IQ co-directors) and Damascus (combat, RU director)", []string{"r2", "r3"}, nil},
		{"antiis-2014", AntiIS2014, "iq.commander", EventAntiISRoom14, "Unnamed Iraqi sources (Al-Mustaqbal)", PropAntiISRoom, "asserts",
			"More than 60 RU and other experts at the Al Rasheed hotel", []string{"r5", "r6", "r7"}, nil},
		{"campaign-rumod", Damascus, "ru.general", EventAirCampaign, "RU MoD", PropHitIS, "asserts", "Hit 8 IS targets", []string{"s-rumod"}, []string{"s-us", "s-france", "s-rebels"}},
		{"campaign-rebels", Damascus, "sy.officer", EventAirCampaign, "Rebel groups and activists", PropHitIS, "denies", "Russia did not strike IS", []string{"s-rebels"}, []string{"s-rumod"}},
		{"campaign-us", Damascus, "sy.officer", EventAirCampaign, "US", PropHitIS, "denies", "Russia did not strike IS", []string{"s-us"}, []string{"s-rumod"}},
		{"campaign-france", Damascus, "sy.officer", EventAirCampaign, "France", PropHitIS, "denies", "Russia did not strike IS", []string{"s-france"}, []string{"s-rumod"}},
		{"latamneh-rumod", Damascus, "ru.general", EventLatamnehStrike, "RU MoD", PropHitIS, "asserts", "The day's strikes hit IS targets", []string{"s-rumod"}, nil},
		{"latamneh-rebels", Damascus, "sy.officer", EventLatamnehStrike, "Activists and rebels", PropHitIS, "denies", "RU jets bombed Latamneh; it is not an IS stronghold", []string{"s-rebels"}, nil},
		{"homs-rebels", Damascus, "sy.officer", EventNorthHomsStrike, "Activists and rebels", "RU jets struck north of Homs", "asserts", "", []string{"s-rebels"}, nil},
		{"rastan-tv", Damascus, "sy.officer", EventRastanStrike, "Syrian state TV", PropHitIS, "asserts", "IS targets in Rastan", []string{"s-syriantv"}, nil},
		{"rastan-others", Damascus, "sy.officer", EventRastanStrike, "Activists and rebels", PropHitIS, "denies", "IS is not present in Rastan", []string{"s-rebels"}, nil},
		{"talbiseh-tv", Damascus, "sy.officer", EventTalbisehStrike, "Syrian state TV", PropHitIS, "asserts", "IS targets in Talbiseh", []string{"s-syriantv"}, nil},
		{"talbiseh-others", Damascus, "sy.officer", EventTalbisehStrike, "Activists and rebels", PropHitIS, "denies", "IS is not present in Talbiseh", []string{"s-rebels"}, nil},
		{"salamiyah-tv", Damascus, "sy.officer", EventSalamiyahStrike, "Syrian state TV", PropHitIS, "asserts", "IS targets near Salamiyah", []string{"s-syriantv"}, nil},
		{"salamiyah-others", Damascus, "sy.officer", EventSalamiyahStrike, "Observers on the ground", PropISNearSalam, "asserts", "IS does hold lines near Salamiyah", []string{"s-salamiyah"}, nil},
		{"ir-troops", Damascus, "ir.commander", EventIRTroopsArrive, "Lebanese sources (Reuters)", "Hundreds of IR troops arrived in Syria for a ground offensive", "asserts", "", []string{"r4"}, nil},
	}
	for _, c := range claims {
		in := intel.NewClaim{Event: ids.Events[c.event], Actor: c.actor, Proposition: c.prop, Stance: c.stance, Statement: c.statement, Marking: green}
		for _, k := range c.supporting {
			in.Supporting = append(in.Supporting, ids.Reports[k])
		}
		for _, k := range c.disputing {
			in.Disputing = append(in.Disputing, ids.Reports[k])
		}
		if c.key == "ir-troops" {
			in.Marking = item.Marking{TLP: "AMBER", ReleasableTo: []string{"IR", "SY", "HZ"}}
		}
		cl, err := svc.CreateClaim(ctx, who[c.user], c.room, in)
		if err != nil {
			return ids, fmt.Errorf("claim %s: %w", c.key, err)
		}
		ids.Claims[c.key] = cl.ID
	}
	return ids, nil
}
