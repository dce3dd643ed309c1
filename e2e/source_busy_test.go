package e2e

// Busy repositories: the repository's artifact list, filtered by name,
// holds every service's and environment's deployment-state artifacts. The
// search reads a few pages of it, then asks the deploy workflow's own runs
// for theirs, within a bounded number of GitHub requests.

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

func TestE2ESourceBusyRepository(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// After our last good deploy (run 4002, Nov 24 9:00) and before the
	// failed one (Nov 25 9:00): 600 deploys of three other services, to dev
	// and prod, each uploading its own deployment-state artifact.
	services := []string{"api", "worker", "billing"}
	start := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	for i := range 600 {
		id := int64(4101 + i)
		svc, env := services[i%3], []string{"dev", "prod"}[i/3%2]
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		w.gh.AddRun(ghsim.Run{
			ID: id, WorkflowPath: ".github/workflows/deploy-" + svc + ".yml", Name: "Deploy " + svc,
			HeadBranch: "main", Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at,
		})
		zip, err := deploystate.Zip(deploystate.State{
			ImageTag: fmt.Sprintf("%07x", 0xa000000+i), Environment: env, CommitSHA: sha("abcdef0"), Timestamp: at.Format(time.RFC3339),
		})
		require.NoError(t, err)
		w.gh.AddArtifact(id, "deployment-state", zip, false)
	}

	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())

	calls := githubRequests(w.gh)
	assert.Equal(t, 3, calls["list-artifacts"], "three pages of the repository's list, not all seven")
	assert.Equal(t, 1, w.gh.CallCount("/actions/runs/4002/artifacts"), "then run 4002's own list")
	assert.Equal(t, 1, calls["download-artifact"], "one download")
	total := len(searchCalls(w.gh))
	assert.LessOrEqual(t, total, 10, "GitHub requests: %v", calls)

	// The total is logged at debug level, and agrees with the simulator.
	m := regexp.MustCompile(`::debug::searched \d+ runs on branch main with (\d+) GitHub requests`).FindStringSubmatch(res.stdout)
	require.NotNil(t, m, "the finder logs its requests")
	assert.Equal(t, strconv.Itoa(total), m[1])
}

// TestE2ESourceBusyRepositoryBounded: 200 deploys of ours whose artifacts
// are gone, then 400 of another service with theirs: after three pages of
// the artifact list every run of ours must be asked for its own, and the
// search gives up within its bound of requests, saying so.
func TestE2ESourceBusyRepositoryBounded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(s *worldSetup) { s.skipRuns = true })
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range 200 {
		w.gh.AddRun(runOf(int64(4101+i), start.Add(time.Duration(i)*time.Hour)))
	}
	start = time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	for i := range 400 {
		id := int64(4301 + i)
		at := start.Add(time.Duration(i) * 30 * time.Minute)
		w.gh.AddRun(ghsim.Run{ID: id, WorkflowPath: ".github/workflows/deploy-api.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: at})
		zip, err := deploystate.Zip(deploystate.State{ImageTag: "a0a0a0a", Environment: "prod", CommitSHA: sha("a0a0a0a"), Timestamp: at.Format(time.RFC3339)})
		require.NoError(t, err)
		w.gh.AddArtifact(id, "deployment-state", zip, false)
	}

	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
	assert.Contains(t, res.stdout, "the search stops after 30 GitHub requests")
	assert.Equal(t, 30, len(searchCalls(w.gh)), "%v", githubRequests(w.gh))
	assert.Equal(t, 3, githubRequests(w.gh)["list-artifacts"])
	assert.Empty(t, w.mutations())
}
