package e2e

// Re-runs: re-running an old deploy run is a common way to roll back by
// hand. The re-run keeps its run's ID and created_at, so its place in the
// list of runs; only run_attempt, run_started_at and updated_at move, and
// the attempt uploads its artifact afresh. The last successful deployment
// is the one that succeeded last, not the one created last.

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
)

func TestE2ESourceRerun(t *testing.T) {
	t.Parallel()
	created4001 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		rerunAt time.Time // when run 4001 (tag b1b1b1b) was re-run
		runID   int64
		want    int32
	}{
		{
			// 4002 (c2c2c2c) went out on Nov 24 at 9:00; at 18:00 an operator
			// put b1b1b1b back by re-running 4001. The next deploy failed:
			// back to b1b1b1b, not to the deployment rolled away from.
			name:    "a re-run after the newest run wins",
			rerunAt: time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC),
			runID:   4001,
			want:    41,
		},
		{
			name:    "a re-run before the newest run does not",
			rerunAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
			runID:   4002,
			want:    42,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			require.True(t, w.gh.Rerun(4001, tc.rerunAt, "success"))
			zip, err := deploystate.Zip(deploystate.State{
				ImageTag: "b1b1b1b", Environment: "prod", CommitSHA: sha("b1b1b1b"), Timestamp: tc.rerunAt.Format(time.RFC3339),
			})
			require.NoError(t, err)
			w.gh.AddArtifact(4001, "deployment-state", zip, false)

			// GitHub's view of it, read with go-github: attempt 2 of run
			// 4001, created when it was, listed after 4002.
			gh := githubClient(t, w.gh)
			run, _, err := gh.Actions.GetWorkflowRunByID(t.Context(), owner, repoName, 4001)
			require.NoError(t, err)
			assert.Equal(t, 2, run.GetRunAttempt())
			assert.Equal(t, tc.rerunAt, run.GetRunStartedAt().Time)
			assert.Equal(t, created4001, run.GetCreatedAt().Time)
			runs, _, err := gh.Actions.ListWorkflowRunsByFileName(t.Context(), owner, repoName, "deploy.yml",
				&github.ListWorkflowRunsOptions{Status: "success", Branch: "main"})
			require.NoError(t, err)
			require.Len(t, runs.WorkflowRuns, 2)
			assert.Equal(t, int64(4002), runs.WorkflowRuns[0].GetID(), "the list stays ordered by creation")
			before := len(searchCalls(w.gh)) // the reads above are not the action's

			res := w.run(map[string]string{"environment": "prod"})
			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, strconv.FormatInt(tc.runID, 10), res.outputs["source-run-id"])
			assert.Equal(t, strconv.Itoa(int(tc.want)), res.outputs["to-revision"])
			assert.Equal(t, w.revs[tc.want], w.serviceTaskDefinition())
			assert.Contains(t, res.summary, strconv.FormatInt(tc.runID, 10))
			assert.LessOrEqual(t, len(searchCalls(w.gh))-before, 5, "GitHub requests")
		})
	}
}

// TestE2ESourceRerunLongAgo: the re-run run is older than every run on the
// first page of the list; its fresh artifact leads to it, and it is asked
// for alone rather than by paging through the runs.
func TestE2ESourceRerunLongAgo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// 150 deploys between 4002 (Nov 24, 9:00) and the failed one (Nov 25,
	// 9:00), IDs growing with time as on GitHub; the newest ten recorded
	// nothing, the others d3d3d3d.
	day := time.Date(2026, 11, 24, 9, 10, 0, 0, time.UTC)
	for i := range 150 {
		id := int64(4101 + i)
		at := day.Add(time.Duration(i) * 9 * time.Minute)
		w.gh.AddRun(runOf(id, at))
		if i < 140 {
			zip, err := deploystate.Zip(deploystate.State{ImageTag: "d3d3d3d", Environment: "prod", CommitSHA: sha("d3d3d3d"), Timestamp: at.Format(time.RFC3339)})
			require.NoError(t, err)
			w.gh.AddArtifact(id, "deployment-state", zip, false)
		}
	}
	// Run 4001, created before all of them, re-run after all of them.
	rerun := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	require.True(t, w.gh.Rerun(4001, rerun, "success"))
	zip, err := deploystate.Zip(deploystate.State{ImageTag: "b1b1b1b", Environment: "prod", CommitSHA: sha("b1b1b1b"), Timestamp: rerun.Format(time.RFC3339)})
	require.NoError(t, err)
	w.gh.AddArtifact(4001, "deployment-state", zip, false)

	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "4001", res.outputs["source-run-id"])
	assert.Equal(t, "41", res.outputs["to-revision"])
	assert.Equal(t, w.revs[41], w.serviceTaskDefinition())
	calls := githubRequests(w.gh)
	assert.Equal(t, 1, calls["list-workflow-runs"], "one page of runs")
	assert.Equal(t, 1, w.gh.CallCount("/actions/runs/4001"), "run 4001 asked for alone")
	assert.Contains(t, res.stdout, "::debug::run 4001 (attempt 2, started 2026-11-25T08:00:00Z) is an older run re-run since")
}
