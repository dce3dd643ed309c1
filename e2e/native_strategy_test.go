package e2e

// Native strategies: a rollback through UpdateService on a BLUE_GREEN,
// LINEAR or CANARY service is recovered once production traffic is all on
// the target, not after the bake; a rollback ECS undoes (circuit breaker,
// alarm) fails at once and says what ECS did.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// settled45 is a history whose deploy of 45 finished an hour ago with cfg:
// nothing is in flight, so the rollback is an UpdateService that rolls out
// as rollback says.
func settled45(cfg ecssim.DeploymentConfig, rollback ecssim.Rollout) history {
	return history{cfg: cfg, ago: 2 * time.Hour, rollback: rollback}
}

func TestE2ENativeStrategiesRecoveredWhenTrafficIsBack(t *testing.T) {
	t.Parallel()
	bake := 30 * time.Minute
	for _, cfg := range []ecssim.DeploymentConfig{
		{Strategy: ecssim.StrategyBlueGreen, BakeTime: bake},
		{Strategy: ecssim.StrategyLinear, StepPercent: 50, StepBake: 500 * time.Millisecond, BakeTime: bake},
		{Strategy: ecssim.StrategyCanary, CanaryPercent: 10, CanaryBake: 500 * time.Millisecond, BakeTime: bake},
	} {
		t.Run(cfg.Strategy, func(t *testing.T) {
			t.Parallel()
			w := newNativeWorld(t, settled45(cfg, ecssim.Rollout{Settle: time.Second}))
			require.Equal(t, w.revs[45], w.trafficOn())
			res := w.run(nil)
			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"], "recovered once traffic is on the target, not after a 30-minute bake")
			assert.Equal(t, []string{"UpdateService"}, w.mutations())
			assert.Equal(t, w.revs[42], w.trafficOn())
			last := w.lastDeployment()
			assert.Equal(t, ecssim.SDInProgress, last.Status, "the bake goes on")
			assert.Equal(t, "BAKE_TIME", last.LifecycleStage)
			assert.Contains(t, res.summary, "production traffic is entirely on revision 42")
			assert.Contains(t, res.summary, "bakes it for up to 30m0s more")
		})
	}
}

func TestE2ENativeRollingKeepsTheStableCondition(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{Settle: time.Second}))
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	st, ok := w.ecs.Service(cluster, "web")
	require.True(t, ok)
	assert.Len(t, st.Deployments, 1, "a rolling rollback is done once the service is stable")
	assert.Equal(t, ecssim.SDSuccessful, w.lastDeployment().Status)
}

func TestE2ENativeCircuitBreakerUndoesTheRollback(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{CircuitBreakerRollback: true}, ecssim.Rollout{Settle: time.Second, Fail: true}))
	start := time.Now()
	res := w.run(nil)
	assert.Equal(t, 1, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "rollout-failed", res.outputs["reason"])
	assert.Less(t, time.Since(start), 10*time.Minute, "failed at once, not at wait-timeout")
	assert.Contains(t, res.summary, "ECS undid the rollback of web to revision 42")
	assert.Contains(t, res.summary, "circuit breaker tripped")
	assert.Contains(t, res.summary, "The service runs revision 45")
	assert.NotContains(t, res.summary, "wait-timeout")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition(), "ECS put 45 back")
	assert.Equal(t, ecssim.SDRollbackSuccessful, w.lastDeployment().Status)
}

func TestE2ENativeAlarmUndoesTheRollback(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{Settle: time.Minute}))
	require.NoError(t, w.ecs.SetDeploymentConfig(cluster, "web", ecssim.DeploymentConfig{Alarm: "web-5xx", AlarmAfter: time.Second}))
	res := w.run(nil)
	assert.Equal(t, 1, res.code)
	assert.Equal(t, "rollout-failed", res.outputs["reason"])
	assert.Contains(t, res.summary, "the CloudWatch alarm web-5xx went into ALARM")
	assert.Contains(t, res.summary, "ECS is putting back revision 45")
	assert.NotContains(t, res.summary, "wait-timeout")
}
