package e2e

// The fastest faithful way back for the state the service is in:
// StopServiceDeployment with ROLLBACK for a deployment in flight from the
// target, ContinueServiceDeployment with ROLLBACK at a paused hook,
// UpdateService otherwise, and the dry run saying which and why.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// blueGreenInBake: the failed deploy of 45 is a blue/green deployment three
// minutes old, past its one-minute scale-up, in a 30-minute bake.
var blueGreenInBake = history{
	cfg:    ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 30 * time.Minute},
	deploy: ecssim.Rollout{Settle: time.Minute},
	ago:    3 * time.Minute,
	// A full rollout of 42 would take a minute of scale-up.
	rollback: ecssim.Rollout{Settle: time.Minute},
}

func TestE2ENativeStopInBakeSwitchesTrafficBack(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, blueGreenInBake)
	require.Equal(t, w.revs[45], w.trafficOn(), "the broken revision takes the traffic in its bake")
	inFlight := w.lastDeployment()

	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
	assert.Equal(t, "artifact", res.outputs["source"])
	assert.Equal(t, []string{"StopServiceDeployment"}, w.mutations(), "no new rollout: ECS switches back")
	assert.Equal(t, w.revs[42], w.trafficOn())
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	last := w.lastDeployment()
	assert.Equal(t, inFlight.ARN, last.ARN)
	assert.Equal(t, ecssim.SDRollbackSuccessful, last.Status)
	assert.Contains(t, res.summary, "StopServiceDeployment")
	assert.Contains(t, res.summary, "traffic switch back")
	assert.Contains(t, res.summary, "**UpdateService sent:** no: StopServiceDeployment with ROLLBACK instead")
	assert.Contains(t, res.stdout, "shifted production traffic to web:42", "the service events are printed as they come")
}

func TestE2ENativeDryRunNamesTheMechanism(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, blueGreenInBake)
	res := w.run(map[string]string{"dry-run": "true"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "planned", res.outputs["result"])
	assert.Empty(t, w.mutations())
	assert.Contains(t, res.summary, "StopServiceDeployment")
	assert.Contains(t, res.summary, `BAKE\_TIME`)
	assert.Contains(t, res.summary, `is still IN\_PROGRESS from revision 42`)
}

func TestE2ENativeContinueAtPausedHook(t *testing.T) {
	t.Parallel()
	h := blueGreenInBake
	h.cfg.PauseAt = "POST_TEST_TRAFFIC_SHIFT"
	w := newNativeWorld(t, h)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"ContinueServiceDeployment"}, w.mutations())
	assert.Equal(t, ecssim.SDRollbackSuccessful, w.lastDeployment().Status)
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "paused at a lifecycle hook")
}

func TestE2ENativeStopRefusedFallsBackToUpdateService(t *testing.T) {
	t.Parallel()
	// A rolling deploy of 45 still in progress; the stop arrives as it
	// completes, and ECS answers ConflictException.
	w := newNativeWorld(t, history{deploy: ecssim.Rollout{Never: true}, ago: time.Minute})
	w.ecs.FailNext("StopServiceDeployment", 1, ecssim.ErrConflict)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"StopServiceDeployment", "UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "StopServiceDeployment was refused")
	assert.Contains(t, res.summary, "UpdateService instead")
}

func TestE2ENativeInFlightFromAnotherRevisionIsSuperseded(t *testing.T) {
	t.Parallel()
	// The deploy of 45 started from 42, but the target is 41: ECS's own
	// rollback would land on 42, so UpdateService supersedes it.
	w := newNativeWorld(t, history{deploy: ecssim.Rollout{Never: true}, ago: time.Minute})
	res := w.run(map[string]string{"revision": "41"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[41], w.serviceTaskDefinition())
	assert.Equal(t, "manual", res.outputs["source"])
}

func TestE2ENativeStopWithoutWait(t *testing.T) {
	t.Parallel()
	// A rolling deploy of 45 in progress: ECS's rollback takes a rollout's
	// time, and without wait the action does not wait for it.
	w := newNativeWorld(t, history{deploy: ecssim.Rollout{Settle: time.Hour}, ago: time.Minute})
	res := w.run(map[string]string{"wait": "false"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"StopServiceDeployment"}, w.mutations())
	assert.Equal(t, "ROLLBACK_IN_PROGRESS", w.lastDeployment().Status)
}

func TestE2ENativeJoinsTheRollbackECSIsMaking(t *testing.T) {
	t.Parallel()
	// An alarm tripped on the rolling deploy of 45 a second ago: ECS is
	// rolling it back to 42, which takes it three seconds.
	w := newNativeWorld(t, history{
		cfg:    ecssim.DeploymentConfig{Alarm: "web-5xx", AlarmAfter: 10 * time.Second, RollbackTime: 3 * time.Second},
		deploy: ecssim.Rollout{Settle: time.Hour}, ago: 11 * time.Second,
	})
	require.Equal(t, "ROLLBACK_IN_PROGRESS", w.lastDeployment().Status)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Empty(t, w.mutations(), "no second rollout on top of ECS's")
	assert.Equal(t, ecssim.SDRollbackSuccessful, w.lastDeployment().Status)
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "ECS is already rolling deployment")
}

func TestE2ENativeStopDeniedFallsBackToUpdateService(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, history{deploy: ecssim.Rollout{Never: true}, ago: time.Minute})
	w.ecs.FailNext("StopServiceDeployment", 1, ecssim.ErrAccessDenied)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"StopServiceDeployment", "UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, strings.Join(warnings(res), "\n"), "ecs:StopServiceDeployment")
}
