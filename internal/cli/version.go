package cli

import (
	"runtime/debug"
	"strings"
)

// devVersion is the version of a build that was given none with -ldflags.
const devVersion = "dev"

// versionText is the version to print: the one the build was given
// (-ldflags "-X main.version=v1.2.3"); for a build given none ("dev" or ""),
// what Go recorded in the binary: the main module's version (v1.2.3 for
// go install …@v1.2.3; a pseudo-version or (devel) for a build from a
// checkout) and, when the build was made in a git checkout, the commit and
// whether the tree had changes.
func versionText(version string, info *debug.BuildInfo) string {
	if version != "" && version != devVersion {
		return version
	}
	v := devVersion
	if info == nil {
		return v
	}
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		v = mv
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return v
	}
	var extra []string
	extra = append(extra, "commit "+revision)
	if modified {
		extra = append(extra, "with local changes")
	}
	return v + " (" + strings.Join(extra, ", ") + ")"
}
