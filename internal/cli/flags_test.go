package cli

import (
	"strings"
	"testing"

	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/stretchr/testify/assert"
)

// A flag the command does not have is shown with two dashes, and the
// command's own flag closest to it is suggested.
func TestUnknownFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // the whole error line, after "ecs-rollback: "
	}{
		{"a letter missing", []string{"list", "--clustr", "prod"}, "list: unknown flag --clustr: did you mean --cluster?"},
		{"one dash", []string{"list", "-clustr", "prod"}, "list: unknown flag --clustr: did you mean --cluster?"},
		{"letters swapped", []string{"rollback", "--sevrice", "web"}, "rollback: unknown flag --sevrice: did you mean --service?"},
		{"the start of a flag", []string{"list", "--out", "json"}, "list: unknown flag --out: did you mean --output?"},
		{"the start of a long flag", []string{"rollback", "--codedeploy-app", "x"}, "rollback: unknown flag --codedeploy-app: did you mean --codedeploy-application?"},
		{"a flag of another command", []string{"rollback", "--limit", "5"}, "rollback: unknown flag --limit"},
		{"near one of the command's own", []string{"list", "--revison", "42"}, "list: unknown flag --revison: did you mean --region?"},
		{"nothing near", []string{"list", "--colour"}, "list: unknown flag --colour"},
		{"the start of two flags", []string{"rollback", "--co", "x"}, "rollback: unknown flag --co"},
		{"version has no flags", []string{"version", "--short"}, "version: unknown flag --short"},
		{"a value missing", []string{"list", "--service", "web", "--cluster"}, "list: --cluster needs a value: --cluster VALUE or --cluster=VALUE"},
		{"a boolean with a value", []string{"rollback", "--dry-run=maybe"}, `rollback: invalid boolean value "maybe" for --dry-run: give --dry-run alone, or --dry-run=true or --dry-run=false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			r := w.run(t.Context(), nil, false, nil, tc.args...)
			assert.Equal(t, ExitUsage, r.code)
			lines := strings.Split(r.stderr, "\n")
			assert.Equal(t, "ecs-rollback: "+tc.want, lines[0])
			assert.Contains(t, r.stderr, "Run 'ecs-rollback "+tc.args[0]+" --help' for usage.")
			assert.NotRegexp(t, `(^|\s)-[a-z]`, lines[0], "flags have two dashes")
			assert.Zero(t, r.newAWS)
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"cluster", "cluster", 0},
		{"clustr", "cluster", 1},
		{"sevrice", "service", 2},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%s %s", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistance(tc.b, tc.a), "%s %s", tc.b, tc.a)
	}
}

// TestHowText names every way a target is chosen in the plan's words.
func TestHowText(t *testing.T) {
	t.Parallel()
	for how, want := range map[target.How]string{
		target.HowManualRevision:   "--revision",
		target.HowImageTag:         "image tag",
		target.HowRecordedARN:      "the recorded task definition",
		target.HowFallbackPrevious: "fallback to the previous revision",
		target.HowECSHistory:       "ECS's deployment history",
	} {
		if got := howText(how); got != want {
			t.Errorf("howText(%q) = %q, want %q", how, got, want)
		}
	}
}
