package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/deplight/ecs-rollback/internal/config"
)

// TestActionYMLDefaultsMatchConfig keeps action.yml, which the runner reads,
// and the defaults the code applies when an input is unset (outside a
// runner, or from the CLI) saying the same thing.
func TestActionYMLDefaultsMatchConfig(t *testing.T) {
	t.Parallel()
	declared := actionDefaults(t)
	for name, want := range config.Defaults() {
		got, ok := declared[name]
		if assert.True(t, ok, "action.yml declares no default for input %s", name) {
			assert.Equal(t, want, got, "default of input %s", name)
		}
	}
	for name, got := range declared {
		if got == "" {
			continue
		}
		_, ok := config.Defaults()[name]
		assert.True(t, ok, "action.yml gives input %s the default %q, which the code does not know", name, got)
	}
}
