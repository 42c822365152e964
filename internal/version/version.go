// Package version says which build of opsroom is running, for
// `opsroom version`, the server's start-up log and the OpenAPI document's
// info.version.
//
// A release build stamps it:
//
//	go build -ldflags "-X github.com/opsroom/opsroom/internal/version.Stamp=1.4.0" ./cmd/opsroom
//
// Without a stamp it is derived from what the Go toolchain records in the
// binary: the main module's version when built with `go install
// module@version`, otherwise the commit it was built from (with "+dirty"
// when the work tree had changes), or "devel" when neither is known (go
// run, go test, a build outside a repository).
package version

import (
	"runtime/debug"
	"strings"
)

// Stamp, when set with -ldflags -X, is the version, whatever the build
// recorded.
var Stamp string

// String returns the running build's version.
func String() string {
	bi, _ := debug.ReadBuildInfo()
	return from(Stamp, bi)
}

// from derives the version from a stamp and the build information.
func from(stamp string, bi *debug.BuildInfo) string {
	if stamp != "" {
		return stamp
	}
	if bi == nil {
		return "devel"
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" {
		// A pseudo-version made from the repository already names its
		// commit (and "+dirty" when the tree had changes).
		return v
	}
	if rev == "" {
		return "devel"
	}
	v = "devel-" + rev[:min(12, len(rev))]
	if dirty && !strings.HasSuffix(v, "+dirty") {
		v += "+dirty"
	}
	return v
}
