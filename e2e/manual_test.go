package e2e

import (
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// The manual path: a person starts the rollback (workflow_dispatch) and
// types the confirmation phrase.

// manualWorld is the default story started by hand: the event is GitHub's
// published workflow_dispatch payload (testdata/events, octokit/webhooks
// examples, MIT), whose repository is ours and whose default branch is main.
func manualWorld(t *testing.T, opts ...worldOption) *world {
	t.Helper()
	w := newWorld(t, opts...)
	raw, err := os.ReadFile("testdata/events/event-workflow_dispatch-0.json")
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.IsType(t, "", ev["workflow"], "in a workflow_dispatch payload workflow is the file path, a string")
	w.event = ev
	w.eventName = "workflow_dispatch"
	return w
}

func TestE2EManualConfirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		phrase string // the phrase the error must name
	}{
		{name: "missing", inputs: map[string]string{"revision": "42"}, phrase: "ROLLBACK"},
		{name: "wrong", inputs: map[string]string{"revision": "42", "confirm": "sure-go-ahead"}, phrase: "ROLLBACK"},
		{name: "wrong case", inputs: map[string]string{"revision": "42", "confirm": "rollback"}, phrase: "ROLLBACK"},
		{name: "surrounding text", inputs: map[string]string{"revision": "42", "confirm": "ROLLBACK now"}, phrase: "ROLLBACK"},
		{name: "missing for prod", inputs: map[string]string{"revision": "42", "environment": "prod"}, phrase: "ROLLBACK-PROD"},
		{name: "ROLLBACK is not enough for prod", inputs: map[string]string{"revision": "42", "environment": "prod", "confirm": "ROLLBACK"}, phrase: "ROLLBACK-PROD"},
		{name: "ROLLBACK-PROD is wrong for dev", inputs: map[string]string{"revision": "42", "environment": "dev", "confirm": "ROLLBACK-PROD"}, phrase: "ROLLBACK"},
		{
			name:   "custom protected environment",
			inputs: map[string]string{"revision": "42", "environment": "live", "protected-environments": "live", "confirm": "ROLLBACK"},
			phrase: "ROLLBACK-PROD",
		},
		{
			name:   "no target and no deploy-workflow: the confirmation still comes first",
			inputs: map[string]string{"environment": "prod", "confirm": "ROLLBACK"},
			phrase: "ROLLBACK-PROD",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			res := w.run(tc.inputs)

			require.Equal(t, 1, res.code)
			assert.Equal(t, "failed", res.outputs["result"])
			assert.Equal(t, "confirmation-mismatch", res.outputs["reason"])
			assert.Empty(t, w.ecs.Calls(), "a refused confirmation makes no AWS call at all")
			assert.Empty(t, w.gh.Calls(), "nor a GitHub call")
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())

			quoted := `"` + tc.phrase + `"`
			errLines := errorLines(res.stdout)
			require.Len(t, errLines, 1, "exactly one ::error:: line")
			assert.Contains(t, errLines[0], quoted, "the error names the exact phrase expected")
			assert.Contains(t, res.summary, tc.phrase)
			if c := tc.inputs["confirm"]; c == "sure-go-ahead" || c == "ROLLBACK now" {
				assert.NotContains(t, res.stdout, c, "what a person typed is never echoed")
				assert.NotContains(t, res.summary, c, "what a person typed is never echoed")
			}
		})
	}
}

// errorLines returns the ::error lines of a run's stdout.
func errorLines(stdout string) []string {
	var out []string
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "::error") {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return out
}

func TestE2EManualRevision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		revision func(w *world) string
		env      string // environment input; prod needs ROLLBACK-PROD
	}{
		{name: "number", revision: func(*world) string { return "42" }},
		{name: "family and number", revision: func(*world) string { return "web:42" }},
		{name: "task-definition ARN", revision: func(w *world) string { return w.revs[42] }},
		{name: "number in prod", revision: func(*world) string { return "42" }, env: "prod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			inputs := map[string]string{"revision": tc.revision(w), "confirm": "ROLLBACK"}
			if tc.env != "" {
				inputs["environment"], inputs["confirm"] = tc.env, "ROLLBACK-PROD"
			}
			res := w.run(inputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, w.revs[45], res.outputs["from-task-definition"])
			assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
			assert.Equal(t, "42", res.outputs["to-revision"])
			assert.Equal(t, "c2c2c2c", res.outputs["image-tag"], "the tag the target revision runs")
			assert.Equal(t, "", res.outputs["source-run-id"], "no artifact was used")
			assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
			assert.Equal(t, []string{"UpdateService"}, w.mutations())
			assert.Zero(t, w.gh.CallCount("/actions/"), "a given revision needs no GitHub lookup")
			for _, want := range []string{"45", "42", "c2c2c2c", "f5f5f5f"} {
				assert.Contains(t, res.summary, want)
			}
		})
	}
}

func TestE2EManualRevisionRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		revision func(w *world) string
		reason   string
		says     string // the message names this
	}{
		{
			name:     "other family by name",
			revision: func(w *world) string { w.registerOther(); return "other:1" },
			reason:   "other-family",
			says:     "other",
		},
		{
			name:     "other family by ARN",
			revision: func(w *world) string { return w.registerOther() },
			reason:   "other-family",
			says:     "other",
		},
		{
			name: "newer than the current revision",
			revision: func(w *world) string {
				w.revs[46] = w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: family, Containers: []ecssim.Container{
					{Name: "app", Image: ecrRepo + ":6a6a6a6"},
				}})
				return "46"
			},
			reason: "roll-forward-refused",
			says:   "46",
		},
		{
			name: "inactive",
			revision: func(w *world) string {
				_, err := w.ecs.Client().DeregisterTaskDefinition(w.t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:30")})
				require.NoError(w.t, err)
				return "30"
			},
			reason: "target-not-active",
			says:   "30",
		},
		{
			name:     "not registered",
			revision: func(*world) string { return "web:99" },
			reason:   "target-not-active",
			says:     "99",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			revision := tc.revision(w)
			before := len(w.mutations())
			res := w.run(map[string]string{"revision": revision, "confirm": "ROLLBACK"})

			require.Equal(t, 1, res.code, res.stdout)
			assert.Equal(t, "failed", res.outputs["result"])
			assert.Equal(t, tc.reason, res.outputs["reason"])
			assert.Len(t, w.mutations(), before, "a refused target changes nothing")
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
			errLines := errorLines(res.stdout)
			require.Len(t, errLines, 1)
			assert.Contains(t, errLines[0], tc.says)
		})
	}
}

// registerOther registers revision 1 of another family, "other", and returns
// its ARN.
func (w *world) registerOther() string {
	return w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: "other", Containers: []ecssim.Container{
		{Name: "app", Image: ecrRepo + ":c2c2c2c"},
	}})
}

func TestE2EManualRevisionAlreadyCurrent(t *testing.T) {
	t.Parallel()
	for _, rev := range []string{"45", "web:45"} {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			res := w.run(map[string]string{"revision": rev, "confirm": "ROLLBACK"})
			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "already-current", res.outputs["result"])
			assert.Equal(t, "45", res.outputs["to-revision"])
			assert.Empty(t, w.mutations())
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
		})
	}
}

func TestE2EManualImageTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tag     string
		want    int32
		result  string
		warning bool
	}{
		{name: "tag of revision 42", tag: "c2c2c2c", want: 42, result: "rolled-back"},
		{name: "tag of revision 40", tag: "a0a0a0a", want: 40, result: "rolled-back"},
		{name: "tag the service runs", tag: "f5f5f5f", want: 45, result: "already-current"},
		{name: "no revision carries it: previous", tag: "9999999", want: 44, result: "rolled-back", warning: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			res := w.run(map[string]string{"image-tag": tc.tag, "environment": "prod", "confirm": "ROLLBACK-PROD"})

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, tc.result, res.outputs["result"])
			assert.Equal(t, strconv.Itoa(int(tc.want)), res.outputs["to-revision"])
			assert.Equal(t, w.revs[tc.want], w.serviceTaskDefinition())
			assert.Zero(t, w.gh.CallCount("/actions/"), "a given image tag needs no GitHub lookup")
			assert.Equal(t, tc.warning, strings.Contains(res.stdout, "::warning"), "a fallback warns")
			if tc.result == "already-current" {
				assert.Empty(t, w.mutations())
			} else {
				assert.Equal(t, []string{"UpdateService"}, w.mutations())
			}
		})
	}
	t.Run("fallback none", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"image-tag": "9999999", "fallback": "none", "confirm": "ROLLBACK"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "no-matching-revision", res.outputs["reason"])
		assert.Empty(t, w.mutations())
	})
	t.Run("revision wins over image-tag", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"revision": "41", "image-tag": "c2c2c2c", "confirm": "ROLLBACK"})
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "41", res.outputs["to-revision"])
		assert.Equal(t, w.revs[41], w.serviceTaskDefinition())
	})
}

// addBranchRun adds a successful run of deploy.yml on branch, with a
// deployment-state artifact recording tag.
func (w *world) addBranchRun(id int64, branch, tag string, at time.Time) {
	w.t.Helper()
	run := runOf(id, at)
	run.HeadBranch, run.HeadSHA = branch, sha(tag)
	w.gh.AddRun(run)
	zip, err := deploystate.Zip(deploystate.State{ImageTag: tag, Environment: "prod", CommitSHA: sha(tag), Timestamp: at.Format(time.RFC3339)})
	require.NoError(w.t, err)
	w.gh.AddArtifact(id, "deployment-state", zip, false)
}

func TestE2EManualLastSuccessful(t *testing.T) {
	t.Parallel()
	newer := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		setup  func(w *world)
		inputs map[string]string
		runID  string
		want   int32
		branch string // the branch the runs were listed for
	}{
		{
			name: "default branch from the event payload",
			setup: func(w *world) {
				w.addBranchRun(4020, "feature", "d3d3d3d", newer)
				w.gh.SetDefaultBranch("feature") // the API is not asked: the payload says main
			},
			runID:  "4002",
			want:   42,
			branch: "main",
		},
		{
			name:   "branch input",
			setup:  func(w *world) { w.addBranchRun(4020, "feature", "d3d3d3d", newer) },
			inputs: map[string]string{"branch": "feature"},
			runID:  "4020",
			want:   43,
			branch: "feature",
		},
		{
			name: "default branch from the API when the payload has none",
			setup: func(w *world) {
				delete(w.event["repository"].(map[string]any), "default_branch")
				w.gh.SetDefaultBranch("release")
				w.addBranchRun(4020, "release", "b1b1b1b", newer)
			},
			runID:  "4020",
			want:   41,
			branch: "release",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := manualWorld(t)
			tc.setup(w)
			inputs := map[string]string{"deploy-workflow": "deploy.yml", "environment": "prod", "confirm": "ROLLBACK-PROD"}
			maps.Copy(inputs, tc.inputs)
			res := w.run(inputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, tc.runID, res.outputs["source-run-id"])
			assert.Equal(t, strconv.Itoa(int(tc.want)), res.outputs["to-revision"])
			assert.Equal(t, w.revs[tc.want], w.serviceTaskDefinition())
			assert.Contains(t, res.summary, tc.runID)

			var listed []string
			for _, c := range w.gh.Calls() {
				if strings.HasSuffix(c.Path, "/actions/workflows/deploy.yml/runs") && strings.Contains(c.Query, "status=success") {
					q, err := url.ParseQuery(c.Query)
					require.NoError(t, err)
					listed = append(listed, q.Get("branch"))
				}
			}
			require.NotEmpty(t, listed, "the runs of deploy.yml were listed")
			for _, b := range listed {
				assert.Equal(t, tc.branch, b)
			}
		})
	}
	t.Run("no deploy-workflow", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"confirm": "ROLLBACK"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "no-deploy-workflow", res.outputs["reason"])
		assert.Empty(t, w.mutations())
		errLines := errorLines(res.stdout)
		require.Len(t, errLines, 1)
		assert.Contains(t, errLines[0], "deploy-workflow")
	})
	t.Run("no successful deployment on the branch", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"deploy-workflow": "deploy.yml", "branch": "nowhere", "confirm": "ROLLBACK"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
		assert.Empty(t, w.mutations())
		assert.Contains(t, strings.ToLower(res.summary), "manual intervention")
	})
}

// The dry run: everything up to and including the safety checks, then the
// plan; no mutating call.

func TestE2EDryRun(t *testing.T) {
	t.Parallel()
	const plan = "would roll back web from 45 (f5f5f5f) to 42 (c2c2c2c)"
	tests := []struct {
		name   string
		world  func(t *testing.T) *world
		inputs map[string]string
		source string
	}{
		{name: "after a failed deploy", world: func(t *testing.T) *world { return newWorld(t) }, source: "4002"},
		{
			name:   "by hand, last successful deployment",
			world:  func(t *testing.T) *world { return manualWorld(t) },
			inputs: map[string]string{"deploy-workflow": "deploy.yml", "environment": "prod", "confirm": "ROLLBACK-PROD"},
			source: "4002",
		},
		{
			name:   "by hand, revision",
			world:  func(t *testing.T) *world { return manualWorld(t) },
			inputs: map[string]string{"revision": "42", "confirm": "ROLLBACK"},
		},
		{
			name:   "by hand, image tag",
			world:  func(t *testing.T) *world { return manualWorld(t) },
			inputs: map[string]string{"image-tag": "c2c2c2c", "confirm": "ROLLBACK"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := tc.world(t)
			inputs := map[string]string{"dry-run": "true"}
			maps.Copy(inputs, tc.inputs)
			res := w.run(inputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "planned", res.outputs["result"])
			assert.Equal(t, w.revs[45], res.outputs["from-task-definition"])
			assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
			assert.Equal(t, "42", res.outputs["to-revision"])
			assert.Equal(t, "c2c2c2c", res.outputs["image-tag"])
			assert.Equal(t, tc.source, res.outputs["source-run-id"])

			assert.Empty(t, w.ecs.MutatingCalls(), "a dry run sends no mutating call")
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
			assert.Positive(t, w.ecs.CallCount("DescribeServices"), "the dry run reads the service")
			assert.Positive(t, w.ecs.CallCount("DescribeTaskDefinition"), "and the revisions")

			assert.Contains(t, res.summary, plan)
			assert.Contains(t, res.stdout, plan)
			for _, check := range []string{"target exists and is ACTIVE", "revision is older than the current one", "same task-definition family"} {
				assert.Contains(t, res.summary, check, "the summary shows the safety checks")
			}
		})
	}
}

func TestE2EDryRunStillChecks(t *testing.T) {
	t.Parallel()
	t.Run("a refused target fails the dry run", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, withSchema(map[int32]string{42: "12", 43: "12", 44: "13", 45: "13"}))
		res := w.run(map[string]string{"dry-run": "true"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "schema-downgrade", res.outputs["reason"])
		assert.Empty(t, w.ecs.MutatingCalls())
	})
	t.Run("the confirmation is still required", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"dry-run": "true", "revision": "42"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "confirmation-mismatch", res.outputs["reason"])
		assert.Empty(t, w.ecs.Calls())
	})
	t.Run("already current is not a plan", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		res := w.run(map[string]string{"dry-run": "true", "revision": "45", "confirm": "ROLLBACK"})
		require.Equal(t, 0, res.code)
		assert.Equal(t, "already-current", res.outputs["result"])
		assert.Empty(t, w.ecs.MutatingCalls())
	})
	t.Run("roll forward refused", func(t *testing.T) {
		t.Parallel()
		w := manualWorld(t)
		w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: family, Containers: []ecssim.Container{{Name: "app", Image: ecrRepo + ":6a6a6a6"}}})
		res := w.run(map[string]string{"dry-run": "true", "revision": "46", "confirm": "ROLLBACK"})
		require.Equal(t, 1, res.code)
		assert.Equal(t, "roll-forward-refused", res.outputs["reason"])
		assert.Empty(t, w.ecs.MutatingCalls())
	})
}
