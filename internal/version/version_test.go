package version

import (
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := func(main string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/opsroom/opsroom", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		name, stamp string
		bi          *debug.BuildInfo
		want        string
	}{
		{"stamp wins", "1.4.0", vcs("v1.3.0", "vcs.revision", rev), "1.4.0"},
		{"no build information", "", nil, "devel"},
		{"go install module@version", "", vcs("v1.3.0"), "v1.3.0"},
		{"pseudo-version from the repository", "", vcs("v0.0.0-20260102030405-0123456789ab+dirty", "vcs.revision", rev, "vcs.modified", "true"), "v0.0.0-20260102030405-0123456789ab+dirty"},
		{"commit only", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "devel-0123456789ab"},
		{"commit with changes", "", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "devel-0123456789ab+dirty"},
		{"nothing recorded (go test, go run)", "", vcs("(devel)"), "devel"},
	} {
		if got := from(c.stamp, c.bi); got != c.want {
			t.Errorf("%s: from(%q, …) = %q, want %q", c.name, c.stamp, got, c.want)
		}
	}
}
