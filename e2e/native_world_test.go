package e2e

// Helpers for the worlds of ECS's own deployment history: the default
// story, with service web's history rewritten so that ECS remembers the
// deploys of revision 42 and of the failed revision 45.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// history shapes the failed deploy of 45 in a native world.
type history struct {
	// cfg is the service's deploymentConfiguration for the deploy of 45
	// and after.
	cfg ecssim.DeploymentConfig
	// deploy is how the deploy of 45 rolls out; ago is how long before the
	// rollback it started.
	deploy ecssim.Rollout
	ago    time.Duration
	// rollback is how the rollouts the action starts behave.
	rollback ecssim.Rollout
}

// newNativeWorld is the default story with ECS's history: revision 42
// deployed and SUCCESSFUL two hours ago, then the deploy of 45 as h says.
func newNativeWorld(t *testing.T, h history, opts ...worldOption) *world {
	t.Helper()
	w := newWorld(t, opts...)
	w.deployHistory(h)
	return w
}

// deployHistory deploys 42 (settled, two hours ago), then 45 as h says.
func (w *world) deployHistory(h history) {
	w.t.Helper()
	w.ecs.SetRollout(cluster, "web", ecssim.Rollout{})
	_, err := w.ecs.Deploy(cluster, "web", w.revs[42], 2*time.Hour)
	require.NoError(w.t, err)
	require.NoError(w.t, w.ecs.SetDeploymentConfig(cluster, "web", h.cfg))
	w.ecs.SetRollout(cluster, "web", h.deploy)
	_, err = w.ecs.Deploy(cluster, "web", w.revs[45], h.ago)
	require.NoError(w.t, err)
	w.ecs.SetRollout(cluster, "web", h.rollback)
}

// trafficOn is the task definition production traffic goes to now.
func (w *world) trafficOn() string {
	w.t.Helper()
	to, _, ok := w.ecs.Traffic(cluster, "web")
	require.True(w.t, ok)
	return to
}

// lastDeployment is the newest service deployment of web.
func (w *world) lastDeployment() ecssim.ServiceDeploymentState {
	w.t.Helper()
	deps := w.ecs.ServiceDeployments(cluster, "web")
	require.NotEmpty(w.t, deps)
	return deps[len(deps)-1]
}

// warnings are the ::warning lines of a run.
func warnings(res result) []string {
	var out []string
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(line, "::warning") {
			out = append(out, line)
		}
	}
	return out
}
