package e2e

// ECS's deployment history as a second source of truth (input source), and
// history calls that fail degrading to the artifact alone.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

func TestE2ENativeSourceECSNeedsNoGitHub(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
	res := w.run(map[string]string{"source": "ecs", "github-token": ""})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "ecs", res.outputs["source"])
	assert.Equal(t, "", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Empty(t, w.gh.Calls(), "source ecs asks GitHub nothing")
}

func TestE2ENativeSourceAutoWithoutArtifactUsesECS(t *testing.T) {
	t.Parallel()
	// No successful deploy run recorded anything (artifacts expired, or the
	// deploys were made outside GitHub): ECS still remembers 42.
	w := newWorld(t, func(s *worldSetup) { s.skipRuns = true })
	w.deployHistory(settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "ecs", res.outputs["source"])
	assert.Equal(t, "", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "deployment history (its newest successful deployment of another revision)")
	assert.Contains(t, res.stdout, "no usable deployment-state artifact")
}

func TestE2ENativeSourceAutoWithoutArtifactOrHistory(t *testing.T) {
	t.Parallel()
	// ECS remembers only the deploy of 45: the artifact search's failure
	// stands, as before history existed.
	w := newWorld(t, func(s *worldSetup) { s.skipRuns = true })
	res := w.run(nil)
	assert.Equal(t, 1, res.code)
	assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations())
}

func TestE2ENativeSourceAutoArtifactWinsAndWarns(t *testing.T) {
	t.Parallel()
	// The artifact names 42 (tag c2c2c2c); ECS's newest successful deploy
	// other than the current one is 43.
	w := newWorld(t)
	for _, step := range []struct {
		rev int32
		ago time.Duration
	}{{42, 3 * time.Hour}, {43, 2 * time.Hour}, {45, time.Hour}} {
		_, err := w.ecs.Deploy(cluster, "web", w.revs[step.rev], step.ago)
		require.NoError(t, err)
	}
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "artifact", res.outputs["source"])
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	var named []string
	for _, line := range warnings(res) {
		if strings.Contains(line, "ECS's deployment history would have chosen") {
			named = append(named, line)
		}
	}
	require.Len(t, named, 1, res.stdout)
	assert.Contains(t, named[0], w.revs[43])

	// With source ecs, ECS's answer is used.
	w2 := newWorld(t)
	for _, step := range []struct {
		rev int32
		ago time.Duration
	}{{42, 3 * time.Hour}, {43, 2 * time.Hour}, {45, time.Hour}} {
		_, err := w2.ecs.Deploy(cluster, "web", w2.revs[step.rev], step.ago)
		require.NoError(t, err)
	}
	res = w2.run(map[string]string{"source": "ecs"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, w2.revs[43], w2.serviceTaskDefinition())
}

func TestE2ENativeSourceECSWithoutHistoryRefuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.run(map[string]string{"source": "ecs"})
	assert.Equal(t, 1, res.code)
	assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
	assert.Contains(t, res.summary, "holds no successful deployment of another revision")
	assert.Empty(t, w.mutations())
}

func TestE2ENativeHistoryDeniedDegradesWithOneWarning(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t, blueGreenInBake)
	w.ecs.FailNext("ListServiceDeployments", 100, ecssim.ErrAccessDenied)
	res := w.run(map[string]string{"wait": "false"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "artifact", res.outputs["source"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations(), "without history, the rollback is today's")
	var denied []string
	for _, line := range warnings(res) {
		if strings.Contains(line, "ecs:ListServiceDeployments") {
			denied = append(denied, line)
		}
	}
	assert.Len(t, denied, 1, res.stdout)
}

func TestE2ENativeHistoryFailuresNeverFailArtifactRollback(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"DescribeServiceDeployments", "DescribeServiceRevisions"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			w := newNativeWorld(t, settled45(ecssim.DeploymentConfig{}, ecssim.Rollout{}))
			w.ecs.FailNext(op, 100, ecssim.ErrAccessDenied)
			res := w.run(nil)
			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
			assert.Contains(t, strings.Join(warnings(res), "\n"), "ecs:"+op)
		})
	}
}

func TestE2ENativeNoHistoryIsQuiet(t *testing.T) {
	t.Parallel()
	// An endpoint without the history operations: the rollback is today's,
	// with no warning about it.
	w := newWorld(t)
	w.ecs.FailNext("ListServiceDeployments", 100, ecssim.ErrUnsupportedFeature)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Empty(t, warnings(res))
}
