package e2e

// deregister-failed: after a verified rollback, the revision the service
// left is deregistered, so nobody deploys it again by mistake.

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

func TestE2EDeregisterFailed(t *testing.T) {
	t.Parallel()
	t.Run("on", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		res := w.run(map[string]string{"deregister-failed": "true"})

		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "rolled-back", res.outputs["result"])
		assert.Equal(t, []string{"UpdateService", "DeregisterTaskDefinition"}, w.mutations())
		calls := w.ecs.MutatingCalls()
		var body map[string]any
		require.NoError(t, json.Unmarshal(calls[1].Body, &body))
		assert.Equal(t, w.revs[45], body["taskDefinition"], "the revision the service left")
		left, ok := w.ecs.TaskDefinition(w.revs[45])
		require.True(t, ok)
		assert.Equal(t, "INACTIVE", left.Status)
		target, _ := w.ecs.TaskDefinition(w.revs[42])
		assert.Equal(t, "ACTIVE", target.Status)
		assert.Contains(t, res.summary, "**Deregistered:** <code>"+w.revs[45]+"</code>")
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		res := w.run(nil)

		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, []string{"UpdateService"}, w.mutations())
		left, _ := w.ecs.TaskDefinition(w.revs[45])
		assert.Equal(t, "ACTIVE", left.Status)
		assert.NotContains(t, res.summary, "Deregistered")
	})
	t.Run("failing is a warning", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.ecs.FailNext("DeregisterTaskDefinition", 1, ecssim.ErrAccessDenied)
		res := w.run(map[string]string{"deregister-failed": "true"})

		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "rolled-back", res.outputs["result"])
		assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
		assert.Contains(t, res.stdout, "::warning")
		assert.Contains(t, res.stdout, "deregistering the revision it left")
		assert.Contains(t, res.summary, "AccessDeniedException")
		left, _ := w.ecs.TaskDefinition(w.revs[45])
		assert.Equal(t, "ACTIVE", left.Status)
	})
	t.Run("not after a failed rollback", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Fail: true})
		res := w.run(map[string]string{"deregister-failed": "true"})

		require.Equal(t, 1, res.code, res.stdout)
		assert.Equal(t, []string{"UpdateService"}, w.mutations())
	})
}
