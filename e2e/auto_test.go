package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// The automatic path: a workflow_run event of a failed deploy.

func TestE2EAutoRollbackHappyPath(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.run(nil)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "", res.outputs["reason"])
	assert.Equal(t, w.revs[45], res.outputs["from-task-definition"])
	assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
	assert.Equal(t, "42", res.outputs["to-revision"])
	assert.Equal(t, "c2c2c2c", res.outputs["image-tag"])
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	var services []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.outputs["services"]), &services))
	require.Len(t, services, 1)
	assert.Equal(t, "web", services[0]["service"])
	assert.Equal(t, "rolled-back", services[0]["result"])

	// The simulator's final state and call log.
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	for _, c := range w.gh.Calls() {
		if c.Host == "blob" {
			assert.False(t, c.Authorized, "the token must never reach the artifact download host")
		}
	}

	// The summary says what happened and why.
	for _, want := range []string{"web", "prod", "45", "42", "c2c2c2c", "f5f5f5f", "4002"} {
		assert.Contains(t, res.summary, want)
	}
	assert.Contains(t, res.stdout, "::notice")
	// The runner hides what ::add-mask:: names; nothing else may print the token.
	assert.NotContains(t, strings.ReplaceAll(res.stdout, "::add-mask::"+token, ""), token, "the token must never be printed")
	assert.NotContains(t, res.summary, token)
}

func TestE2ESkips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(ev map[string]any)
		inputs map[string]string
		reason string
	}{
		{
			name:   "conclusion success",
			mutate: func(ev map[string]any) { ev["workflow_run"].(map[string]any)["conclusion"] = "success" },
			reason: "not-a-failure",
		},
		{
			name:   "cancelled is not in failure-conclusions",
			mutate: func(ev map[string]any) { ev["workflow_run"].(map[string]any)["conclusion"] = "cancelled" },
			reason: "not-a-failure",
		},
		{
			name:   "loop guard on the workflow name",
			mutate: func(ev map[string]any) { ev["workflow"].(map[string]any)["name"] = "Rollback Production" },
			reason: "loop-guard",
		},
		{
			name: "loop guard on the file name with @ref",
			mutate: func(ev map[string]any) {
				ev["workflow_run"].(map[string]any)["path"] = ".github/workflows/auto-rollback.yml@refs/heads/main"
			},
			reason: "loop-guard",
		},
		{
			name: "fork",
			mutate: func(ev map[string]any) {
				wr := ev["workflow_run"].(map[string]any)
				wr["head_repository"].(map[string]any)["full_name"] = "evil-fork/octo-repo"
			},
			reason: "fork",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.mutate(w.event)
			res := w.run(tc.inputs)
			require.Equal(t, 0, res.code)
			assert.Equal(t, "skipped", res.outputs["result"])
			assert.Equal(t, tc.reason, res.outputs["reason"])
			assert.Empty(t, w.ecs.Calls(), "a skipped run makes no ECS call")
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
		})
	}
}

func TestE2ENoPreviousDeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(s *worldSetup) { s.skipRuns = true })
	res := w.run(nil)
	require.Equal(t, 1, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
	assert.Empty(t, w.mutations())
	assert.Contains(t, strings.ToLower(res.summary), "manual intervention")
	assert.Equal(t, 1, strings.Count(res.stdout, "::error"), "exactly one error annotation")
}

func TestE2EPassesOverUnusableArtifacts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Newer successful runs whose artifacts cannot be used.
	w.addDeployRun(4003, "d3d3d3d", "dev", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), "") // other environment
	w.gh.AddRun(runOf(4004, time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)))
	w.gh.AddArtifact(4004, "deployment-state", []byte("this is not a zip"), false) // unusable
	w.gh.AddRun(runOf(4005, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)))
	w.gh.AddArtifact(4005, "deployment-state", nil, true)                    // expired
	w.gh.AddRun(runOf(4006, time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))) // no artifact

	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 0, res.code)
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	for _, id := range []string{"4003", "4004"} {
		assert.Contains(t, res.summary, id, "the summary names the run passed over")
		assert.Contains(t, res.stdout, id, "a warning names the run passed over")
	}
}

func TestE2EFallback(t *testing.T) {
	t.Parallel()
	t.Run("previous", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.addDeployRun(4010, "9999999", "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), "")
		res := w.run(nil)
		require.Equal(t, 0, res.code)
		assert.Equal(t, "44", res.outputs["to-revision"])
		assert.Equal(t, w.revs[44], w.serviceTaskDefinition())
		assert.Contains(t, res.stdout, "::warning")
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.addDeployRun(4010, "9999999", "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), "")
		res := w.run(map[string]string{"fallback": "none"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "no-matching-revision", res.outputs["reason"])
		assert.Empty(t, w.mutations())
	})
}

func TestE2ERecordedARNPreferred(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// The newest successful deploy recorded revision 41 although its tag is
	// also on 43: the recorded task definition wins.
	w.addDeployRun(4010, "d3d3d3d", "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), w.revs[41])
	res := w.run(nil)
	require.Equal(t, 0, res.code)
	assert.Equal(t, "41", res.outputs["to-revision"])
	assert.Equal(t, w.revs[41], w.serviceTaskDefinition())
}

func TestE2EAlreadyCurrent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(s *worldSetup) { s.current = 42 })
	res := w.run(nil)
	require.Equal(t, 0, res.code)
	assert.Equal(t, "already-current", res.outputs["result"])
	assert.Empty(t, w.mutations())
}

func TestE2ERolloutFailed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Settle: 200 * time.Millisecond, Fail: true})
	res := w.run(nil)
	require.Equal(t, 1, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "rollout-failed", res.outputs["reason"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Contains(t, strings.ToLower(res.summary), "event")
	assert.Equal(t, 1, strings.Count(res.stdout, "::error"))
}

func TestE2EWaitTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Never: true})
	res := w.run(map[string]string{"wait-timeout": "2s"})
	require.Equal(t, 1, res.code)
	assert.Equal(t, "wait-timeout", res.outputs["reason"])
	assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
}

func TestE2ENoWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Never: true})
	res := w.run(map[string]string{"wait": "false"})
	require.Equal(t, 0, res.code)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
}

func TestE2EThrottledECSAndFlakyGitHub(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.FailNext("DescribeServices", 2, "ThrottlingException")
	w.ecs.FailNext("UpdateService", 1, "ServerException")
	w.gh.FailNext("/runs", 1, 503, nil)
	res := w.run(nil)
	require.Equal(t, 0, res.code)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
}

func TestE2ESchemaGuard(t *testing.T) {
	t.Parallel()
	schema := withSchema(map[int32]string{42: "12", 43: "12", 44: "13", 45: "13"})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, schema)
		res := w.run(nil)
		require.Equal(t, 1, res.code)
		assert.Equal(t, "schema-downgrade", res.outputs["reason"])
		assert.Empty(t, w.mutations())
		assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	})
	t.Run("allowed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, schema)
		res := w.run(map[string]string{"allow-schema-downgrade": "true"})
		require.Equal(t, 0, res.code)
		assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	})
}

func TestE2ECodeDeployControllerRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "bluegreen", TaskDefinition: w.revs[45], DesiredCount: 2, Controller: "CODE_DEPLOY"})
	res := w.run(map[string]string{"service": "bluegreen"})
	require.Equal(t, 1, res.code)
	assert.Contains(t, res.stdout, "CodeDeploy")
	assert.Empty(t, w.mutations())
}

func TestE2EMalformedEventFile(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{"empty": "", "not json": "{not json", "missing": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			path := filepath.Join(w.dir, "bad-event.json")
			if name != "missing" {
				require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
			}
			w.env["GITHUB_EVENT_PATH"] = path
			res := w.run(nil)
			require.Equal(t, 1, res.code)
			assert.Equal(t, "failed", res.outputs["result"])
			assert.Equal(t, "invalid-event", res.outputs["reason"])
			assert.Empty(t, w.ecs.Calls())
		})
	}
}

func TestE2ENoAWSRegion(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"rollback", "record"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.env["AWS_REGION"] = ""
			res := w.run(map[string]string{"command": command, "image-tag": "c2c2c2c"})
			require.Equal(t, 1, res.code)
			assert.Equal(t, "failed", res.outputs["result"])
			assert.Equal(t, "aws-config", res.outputs["reason"])
			assert.Contains(t, res.stdout, "::error title=ECS rollback failed::no AWS region is configured: set AWS_REGION, e.g. with aws-actions/configure-aws-credentials")
			assert.Empty(t, w.ecs.Calls())
		})
	}
}

func TestE2ESearchLoggedAtDebugLevel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.env["RUNNER_DEBUG"] = "1"
	res := w.run(nil)
	require.Equal(t, 0, res.code)
	assert.Contains(t, res.stdout, "::debug::runs page 1: ", "the finder's pages are logged")
	assert.Contains(t, res.stdout, "::debug::run 4002 (#", "the finder names the run it chose")
}
