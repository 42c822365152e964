package intel

import (
	"reflect"
	"testing"
)

// The reports and provenance of the reference scenario. Each outlet's unnamed source
// is its own source, since it, not the outlet, is where the information
// came from.
var (
	scenarioSources = []Source{
		{ID: "alakhbar", Name: "Al-Akhbar (editor-in-chief)", Kind: KindOutlet, Reliability: ReliabilityF},
		{ID: "alrai", Name: "Al-Rai", Kind: KindOutlet, Reliability: ReliabilityF},
		{ID: "alrai-unnamed", Name: "Al-Rai's unnamed source", Kind: KindUnnamedViaOutlet, Reliability: ReliabilityF, CitedBy: "alrai"},
		{ID: "now", Name: "NOW (Lebanon)", Kind: KindOutlet, Reliability: ReliabilityF},
		{ID: "reuters", Name: "Reuters", Kind: KindOutlet, Reliability: ReliabilityB},
		{ID: "reuters-lebanese", Name: "Lebanese sources cited by Reuters", Kind: KindUnnamedViaOutlet, Reliability: ReliabilityF, CitedBy: "reuters"},
		{ID: "almustaqbal", Name: "Al-Mustaqbal", Kind: KindOutlet, Reliability: ReliabilityF},
		{ID: "almustaqbal-iraqi", Name: "Iraqi sources cited by Al-Mustaqbal", Kind: KindUnnamedViaOutlet, Reliability: ReliabilityF, CitedBy: "almustaqbal"},
		{ID: "iranian-media", Name: "Iranian media", Kind: KindOutlet, Reliability: ReliabilityF},
		{ID: "rferl", Name: "RFE/RL blog", Kind: KindOutlet, Reliability: ReliabilityC},
		{ID: "tass", Name: "TASS", Kind: KindOutlet, Reliability: ReliabilityD},
	}
	scenarioReports = []Report{
		{ID: "r1", Source: "alakhbar", Credibility: Credibility6, Text: "RU allied with IR, SY, IQ, HZ to share intelligence and plan operations"},
		{ID: "r2", Source: "alrai-unnamed", Credibility: Credibility3, Text: "two joint operations rooms, Baghdad and Damascus"},
		{ID: "r3", Source: "now", Credibility: Credibility3, Text: "reports what Al-Rai and Al-Akhbar said"},
		{ID: "r4", Source: "reuters-lebanese", Credibility: Credibility3, Text: "hundreds of IR troops arrived in Syria"},
		{ID: "r5", Source: "almustaqbal-iraqi", Credibility: Credibility6, Text: "RU and IR experts to set up an anti-IS operations room in Baghdad"},
		{ID: "r6", Source: "iranian-media", Credibility: Credibility6, Text: "same as r5"},
		{ID: "r7", Source: "rferl", Credibility: Credibility6, Text: "same as r5; cannot be verified independently"},
		{ID: "r8", Source: "tass", Credibility: Credibility3, Text: "RU supplies IQ and SY with weapons"},
	}
	scenarioLinks = []Link{
		{"r3", Repeats, "r2"},
		{"r3", Repeats, "r1"},
		{"r6", Repeats, "r5"},
		{"r7", Repeats, "r5"},
	}
)

func TestScenarioIsValid(t *testing.T) {
	for _, s := range scenarioSources {
		if err := s.Validate(); err != nil {
			t.Errorf("source %s: %v", s.ID, err)
		}
	}
	for _, r := range scenarioReports {
		if err := r.Validate(); err != nil {
			t.Errorf("report %s: %v", r.ID, err)
		}
	}
	var links []Link
	for _, l := range scenarioLinks {
		if err := CheckLink(links, l); err != nil {
			t.Errorf("link %v: %v", l, err)
		}
		links = append(links, l)
	}
	if err := CheckLink(links, Link{"r5", Cites, "r7"}); err == nil || err.Error() != "provenance cycle: r5 cites r7 which repeats r5" {
		t.Errorf("closing r5 <- r7: %v", err)
	}
}

func TestScenarioCorroboration(t *testing.T) {
	tests := []struct {
		name       string
		sources    map[string]string
		links      []Link
		supporting []string
		want       []Origin
	}{
		{
			// Al-Rai's unnamed source, echoed by NOW: 1, not 2. NOW also
			// repeats Al-Akhbar, but Al-Akhbar said nothing about the
			// rooms, so it is not credited.
			name:       "2015 rooms",
			supporting: []string{"r2", "r3"},
			want:       []Origin{{"alrai-unnamed", []string{"r2"}, []string{"r3"}}},
		},
		{
			name:       "2014 anti-IS room",
			supporting: []string{"r5", "r6", "r7"},
			want:       []Origin{{"almustaqbal-iraqi", []string{"r5"}, []string{"r6", "r7"}}},
		},
		{
			name:       "2014 anti-IS room with an unrelated original report from another source",
			sources:    map[string]string{"r9": "iq-mod"},
			supporting: []string{"r5", "r6", "r7", "r9"},
			want: []Origin{
				{"almustaqbal-iraqi", []string{"r5"}, []string{"r6", "r7"}},
				{"iq-mod", []string{"r9"}, []string{}},
			},
		},
		{
			name:       "2014 anti-IS room seen by a viewer who cannot see r5",
			sources:    map[string]string{"r5": ""}, // deleted below
			supporting: []string{"r5", "r6", "r7"},
			want: []Origin{
				{"iranian-media", []string{"r6"}, []string{}},
				{"rferl", []string{"r7"}, []string{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := SourcesOf(scenarioReports)
			for id, s := range tt.sources {
				if s == "" {
					delete(src, id)
				} else {
					src[id] = s
				}
			}
			got := Corroborate(src, scenarioLinks, tt.supporting)
			if got.Independent != len(tt.want) || !reflect.DeepEqual(got.Origins, tt.want) {
				t.Errorf("got %d %+v\nwant %d %+v", got.Independent, got.Origins, len(tt.want), tt.want)
			}
		})
	}
}
