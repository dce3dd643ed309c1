package cli

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	build := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/deplight/ecs-rollback", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "7757e46950b9b370a6403a5bba8797aaa35a6ed7"
	tests := []struct {
		name    string
		version string
		info    *debug.BuildInfo
		want    string
	}{
		{"a release build", "v1.4.0", build("v1.3.0", "vcs.revision", rev), "v1.4.0"},
		{"go install …@v1.4.0", "dev", build("v1.4.0"), "v1.4.0"},
		{"go install …@latest of a pseudo-version", "dev", build("v1.4.1-0.20261203094209-7757e46950b9"), "v1.4.1-0.20261203094209-7757e46950b9"},
		{"go build in a clean checkout", "dev", build("v1.4.0", "vcs", "git", "vcs.revision", rev, "vcs.modified", "false"), "v1.4.0 (commit " + rev + ")"},
		{"go build with local changes", "dev", build("v0.0.0-20261203094209-7757e46950b9+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261203094209-7757e46950b9+dirty (commit " + rev + ", with local changes)"},
		{"go build outside version control", "dev", build("(devel)"), "dev"},
		{"go build -buildvcs=false in a checkout", "", build("(devel)"), "dev"},
		{"(devel) with a commit", "dev", build("(devel)", "vcs.revision", rev), "dev (commit " + rev + ")"},
		{"no build information", "dev", nil, "dev"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, versionText(tc.version, tc.info))
		})
	}
}
