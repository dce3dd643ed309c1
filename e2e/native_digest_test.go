package e2e

// Mutable tags (image-changed, pin-digests), deregister-failed after ECS
// rolled back by itself, and the service states ECS can be in.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// movedDigest is where tag c2c2c2c points after it was pushed again.
var movedDigest = "sha256:" + strings.Repeat("b", 64)

// moveTag pushes another image to revision 42's tag, as a mutable tag
// (:latest, :prod) sees every deploy; it returns the digest ECS ran.
func (w *world) moveTag() string {
	w.t.Helper()
	ran, err := w.ecr.PutImageRef(ecrRepo + ":c2c2c2c")
	require.NoError(w.t, err)
	_, err = w.ecr.PutImageRef(ecrRepo + ":c2c2c2c@" + movedDigest)
	require.NoError(w.t, err)
	return ran
}

func TestE2ENativeImageChangedRefused(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
	ran := w.moveTag()
	res := w.run(nil)
	assert.Equal(t, 1, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "image-changed", res.outputs["reason"])
	assert.Empty(t, w.mutations(), "nothing changed")
	assert.Contains(t, res.summary, ran)
	assert.Contains(t, res.summary, movedDigest)
	assert.Contains(t, res.summary, "pin-digests: true")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
}

func TestE2ENativePinDigestsRollsBackToAPinnedCopy(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
	ran := w.moveTag()
	res := w.run(map[string]string{"pin-digests": "true"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"RegisterTaskDefinition", "UpdateService"}, w.mutations())
	assert.Equal(t, "46", res.outputs["to-revision"], "the pinned copy is a new revision")
	now := w.serviceTaskDefinition()
	assert.Equal(t, res.outputs["to-task-definition"], now)
	copyTD, ok := w.ecs.TaskDefinition(now)
	require.True(t, ok)
	orig, _ := w.ecs.TaskDefinition(w.revs[42])
	require.Len(t, copyTD.Containers, len(orig.Containers))
	assert.Equal(t, ecrRepo+"@"+ran, copyTD.Containers[0].Image, "pinned to the digest ECS ran")
	assert.Equal(t, orig.Containers[0].Name, copyTD.Containers[0].Name)
	assert.Contains(t, copyTD.Containers[1].Image, "aws-for-fluent-bit@sha256:")
	assert.Contains(t, res.summary, "a copy of 42 pinned to the digests ECS recorded")
	assert.Contains(t, res.summary, "the safety checks judged revision 42")
}

func TestE2ENativeStopRestoresDigestsWithoutPinning(t *testing.T) {
	t.Parallel()
	// In flight from 42: ECS's own rollback restores 42's service revision,
	// images by digest, so a moved tag is no obstacle.
	w := newNativeWorld(t, blueGreenInBake)
	w.moveTag()
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, []string{"StopServiceDeployment"}, w.mutations())
}

func TestE2ENativeDeregisterAfterECSRolledBackItself(t *testing.T) {
	t.Parallel()
	// The circuit breaker already rolled the deploy of 45 back to 42.
	w := newNativeWorld(t, history{
		cfg:    ecssim.DeploymentConfig{CircuitBreakerRollback: true},
		deploy: ecssim.Rollout{Fail: true}, ago: 10 * time.Minute,
	})
	require.Equal(t, w.revs[42], w.serviceTaskDefinition())
	require.Equal(t, ecssim.SDRollbackSuccessful, w.lastDeployment().Status)
	res := w.run(map[string]string{"deregister-failed": "true"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "already-current", res.outputs["result"])
	assert.Equal(t, []string{"DeregisterTaskDefinition"}, w.mutations())
	bad, _ := w.ecs.TaskDefinition(w.revs[45])
	assert.Equal(t, "INACTIVE", bad.Status, "the revision ECS rolled back from")
	good, _ := w.ecs.TaskDefinition(w.revs[42])
	assert.Equal(t, "ACTIVE", good.Status, "never the current one")

	// source ecs agrees: the revision ECS rolled back onto is the last good.
	w2 := newNativeWorld(t, history{
		cfg:    ecssim.DeploymentConfig{CircuitBreakerRollback: true},
		deploy: ecssim.Rollout{Fail: true}, ago: 10 * time.Minute,
	})
	res = w2.run(map[string]string{"source": "ecs"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "already-current", res.outputs["result"])
	assert.Empty(t, w2.mutations())
}

func TestE2ENativeServiceStates(t *testing.T) {
	t.Parallel()
	t.Run("draining", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		require.NoError(t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "old", TaskDefinition: w.revs[45], DesiredCount: 1, Status: "DRAINING"}))
		res := w.run(map[string]string{"service": "old", "revision": "42"})
		assert.Equal(t, 1, res.code)
		assert.Equal(t, "service-not-active", res.outputs["reason"])
		assert.Empty(t, w.mutations())
	})
	t.Run("scaled to zero", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		require.NoError(t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "idle", TaskDefinition: w.revs[45], DesiredCount: 0}))
		res := w.run(map[string]string{"service": "idle", "revision": "42"})
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "rolled-back", res.outputs["result"])
		assert.Contains(t, strings.Join(warnings(res), "\n"), "desiredCount 0")
	})
}

func TestE2ENativePinDigestsDryRunRegistersNothing(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
	w.moveTag()
	res := w.run(map[string]string{"pin-digests": "true", "dry-run": "true"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "planned", res.outputs["result"])
	assert.Empty(t, w.mutations())
	assert.Contains(t, res.summary, "to a copy of the target pinned to the image digests ECS recorded")
}
