package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// A rollback never overwrites a deployment newer than the failed one: a
// hotfix deployed while the rollback was queued, or a deploy run still
// going.

func TestE2ENewerPrimaryDeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// The deploy failed five minutes ago; since then a hotfix put the
	// service on revision 44.
	w.runEnded = time.Now().Add(-5 * time.Minute)
	require.NoError(t, w.ecs.SetServiceTaskDefinition(cluster, "web", w.revs[44]))
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "skipped", res.outputs["result"])
	assert.Equal(t, "newer-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations(), "nothing changed")
	assert.Equal(t, w.revs[44], w.serviceTaskDefinition(), "the hotfix stays")
	assert.Contains(t, res.summary, "newer than the failed deploy")
	assert.Contains(t, res.summary, "web:44", "the summary names the newer deployment")
}

func TestE2ENewerDeployRunInProgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddRun(ghsim.Run{
		ID: 5001, RunNumber: 1001, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("0a1b2c3"), Event: "push", Status: "in_progress", CreatedAt: time.Now(),
	})
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "skipped", res.outputs["result"])
	assert.Equal(t, "newer-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations(), "nothing changed")
	assert.Contains(t, res.summary, `deploy run 5001 (in\_progress`, "the summary names the run")
}

// TestE2ENewerDeployRunManual: a person is not refused, but the plan says
// what is newer.
func TestE2ENewerDeployRunManual(t *testing.T) {
	t.Parallel()
	w := manualWorld(t)
	w.gh.AddRun(ghsim.Run{
		ID: 5001, RunNumber: 1001, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("0a1b2c3"), Event: "push", Status: "queued", CreatedAt: time.Now(),
	})
	res := w.run(map[string]string{"deploy-workflow": "deploy.yml", "revision": "42", "confirm": "ROLLBACK"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	var warned bool
	for line := range strings.Lines(res.stdout) {
		warned = warned || (strings.HasPrefix(line, "::warning") && strings.Contains(line, "deploy run 5001 (queued"))
	}
	assert.True(t, warned, "a ::warning names the queued deploy run")
}

// TestE2EFailedDeployRerunInProgress: a person re-ran the failed deploy
// while the rollback was queued; the re-run keeps the run's ID and creation
// time, and it is newer work all the same.
func TestE2EFailedDeployRerunInProgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddRun(ghsim.Run{
		ID: failedRunID, RunNumber: 1000, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("f5f5f5f"), Event: "push", Status: "in_progress", RunAttempt: 2,
		CreatedAt: time.Now().Add(-10 * time.Minute),
	})
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "skipped", res.outputs["result"])
	assert.Equal(t, "newer-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations(), "nothing changed")
	assert.Contains(t, res.summary, `deploy run 5000 (in\_progress`, "the summary names the re-run")
}
