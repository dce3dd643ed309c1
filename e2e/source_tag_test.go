package e2e

// Tag deploys (on: push: tags: [v*]): a tag push's run has the tag's name
// as head_branch, so "earlier successful runs on the failed run's branch"
// would find none. When head_branch names a tag, earlier successful runs of
// the deploy workflow on any ref count, scoped by environment; branch: "*"
// asks for any ref explicitly.

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// tagWorld: the deploy workflow runs on tag pushes. v1.1.0 (run 4001,
// b1b1b1b) and v1.2.0 (run 4002, c2c2c2c, recorded by the binary under
// GitHub's push payload for the tag) went to prod; v1.2.1 (run 4003,
// d3d3d3d) went to staging; the v1.3.0 deploy (run 5000, f5f5f5f) failed.
func tagWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, func(s *worldSetup) { s.skipRuns = true })
	for _, tag := range []string{"v1.1.0", "v1.2.0", "v1.2.1", "v1.3.0"} {
		w.gh.AddTag(tag, "")
	}
	tagRun := func(id int64, tag, image string, at time.Time) {
		run := runOf(id, at)
		run.HeadBranch, run.HeadSHA = tag, sha(image)
		w.gh.AddRun(run)
	}
	stateZip := func(image, env string, at time.Time) []byte {
		zip, err := deploystate.Zip(deploystate.State{ImageTag: image, Environment: env, CommitSHA: sha(image), Timestamp: at.Format(time.RFC3339)})
		require.NoError(t, err)
		return zip
	}
	at1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	tagRun(4001, "v1.1.0", "b1b1b1b", at1)
	w.gh.AddArtifact(4001, "deployment-state", stateZip("b1b1b1b", "prod", at1), false)

	// The v1.2.0 deploy records its state, started by the tag push.
	failed := w.event
	w.eventName, w.event = "push", pushEvent(t, "refs/tags/v1.2.0", sha("c2c2c2c"))
	rec := w.run(map[string]string{"command": "record", "image-tag": "c2c2c2c", "environment": "prod", "cluster": "", "service": ""})
	require.Equal(t, 0, rec.code, rec.stdout)
	tagRun(4002, "v1.2.0", "c2c2c2c", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	w.gh.AddArtifact(4002, "deployment-state", zipFolder(t, filepath.Join(w.workspace(), "deployment-state"), ""), false)

	at3 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tagRun(4003, "v1.2.1", "d3d3d3d", at3)
	w.gh.AddArtifact(4003, "deployment-state", stateZip("d3d3d3d", "staging", at3), false)

	w.gh.AddRun(ghsim.Run{
		ID: failedRunID, RunNumber: 99, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "v1.3.0", HeadSHA: sha("f5f5f5f"), Event: "push", Status: "completed", Conclusion: "failure",
		CreatedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	w.eventName, w.event = "workflow_run", failed
	w.event["workflow_run"].(map[string]any)["head_branch"] = "v1.3.0"
	return w
}

func TestE2ESourceTagDeploy(t *testing.T) {
	t.Parallel()
	w := tagWorld(t)
	before := len(searchCalls(w.gh))
	res := w.run(map[string]string{"environment": "prod"})

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "4002", res.outputs["source-run-id"], "the last prod deploy, on tag v1.2.0")
	assert.Equal(t, "c2c2c2c", res.outputs["image-tag"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "4003", "the staging deploy is named as passed over")
	assert.Contains(t, res.stdout, `deployed to environment "staging", not "prod"`)
	assert.Contains(t, res.stdout, "::debug::v1.3.0 is a tag, not a branch: runs on any ref count")
	assert.Equal(t, 1, w.gh.CallCount("/git/ref/tags/v1.3.0"), "asked once whether v1.3.0 is a tag")
	assert.LessOrEqual(t, len(searchCalls(w.gh))-before, 8, "GitHub requests")
}

// TestE2ESourceTagDeployWithoutTag: a head branch that is neither a branch
// of the repository nor a tag (deleted since) keeps its filter: no earlier
// run of that name, no previous deployment.
func TestE2ESourceTagDeployWithoutTag(t *testing.T) {
	t.Parallel()
	w := tagWorld(t)
	w.gh.FailNext("/git/ref/tags/v1.3.0", 1, 404, nil)
	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations())
}

func TestE2ESourceAnyRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		branch string
		runID  string
		want   int32
		filter string // the branch filter of every runs listing
	}{
		{name: "the failed run's branch", branch: "", runID: "4002", want: 42, filter: "main"},
		{name: "any ref", branch: "*", runID: "4003", want: 43, filter: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// A hotfix deployed from its own branch after 4002.
			w.addDeployRun(4003, "d3d3d3d", "prod", time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC), "")
			run := runOf(4003, time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC))
			run.HeadBranch, run.HeadSHA = "hotfix/login", sha("d3d3d3d")
			w.gh.AddRun(run)

			res := w.run(map[string]string{"environment": "prod", "branch": tc.branch})
			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, tc.runID, res.outputs["source-run-id"])
			assert.Equal(t, w.revs[tc.want], w.serviceTaskDefinition())
			for _, c := range searchCalls(w.gh) {
				if strings.HasSuffix(c.Path, "/runs") && strings.Contains(c.Path, "/actions/workflows/") {
					q, err := url.ParseQuery(c.Query)
					require.NoError(t, err)
					assert.Equal(t, tc.filter, q.Get("branch"))
				}
			}
		})
	}
}
