package e2e

// GitHub's published webhook examples (@octokit/webhooks-examples, copied
// under testdata/events) fed to the binary, each rewritten only where the
// test world needs it, and each checked against GitHub's webhook schema
// before it is fed, so a rewrite cannot drift from what GitHub sends.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/conformance"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// readEvent reads a published example from testdata/events.
func readEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "events", name))
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

func TestE2ERealEvents(t *testing.T) {
	t.Parallel()
	d := definitions(t)
	tests := []struct {
		name      string
		eventName string
		event     func(w *world) map[string]any // the example, rewritten for the world
		inputs    map[string]string
		code      int
		result    string
		reason    string
		rolled    bool // the service ends on revision 42
	}{
		{
			name: "workflow_run completed with failure", eventName: "workflow_run",
			// examples[1] with conclusion failure and the ids, path and
			// name of the world's deploy workflow (failedRunEvent).
			event:  func(w *world) map[string]any { return w.failedRunEvent() },
			result: "rolled-back", rolled: true,
		},
		{
			name: "workflow_run completed with success", eventName: "workflow_run",
			// examples[1] with the world's deploy workflow; its conclusion
			// stays success.
			event: func(w *world) map[string]any {
				ev := w.failedRunEvent()
				ev["workflow_run"].(map[string]any)["conclusion"] = "success"
				return ev
			},
			result: "skipped", reason: "not-a-failure",
		},
		{
			name: "workflow_dispatch", eventName: "workflow_dispatch",
			// examples[0] as published: its repository is octo-org/octo-repo.
			event:  func(*world) map[string]any { return readEvent(t, "event-workflow_dispatch-0.json") },
			inputs: map[string]string{"revision": "42", "confirm": "ROLLBACK"},
			result: "rolled-back", rolled: true,
		},
		{
			name: "push", eventName: "push",
			// examples[4] (a push to refs/heads/master of
			// Codertocat/Hello-World; the action reads the repository from
			// GITHUB_REPOSITORY, not from a push payload) with the one
			// member the schema requires that the example predates.
			event:  publishedPush(t),
			inputs: map[string]string{"image-tag": "c2c2c2c", "confirm": "ROLLBACK"},
			result: "rolled-back", rolled: true,
		},
		{
			name: "push without the confirmation", eventName: "push",
			event:  publishedPush(t),
			inputs: map[string]string{"image-tag": "c2c2c2c"},
			code:   1, result: "failed", reason: "confirmation-mismatch",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.eventName, w.event = tt.eventName, tt.event(w)
			payload, err := json.Marshal(w.event)
			require.NoError(t, err)
			require.Empty(t, d.Webhooks.CheckWebhook(tt.eventName, payload), "the rewritten example is still a valid %s payload", tt.eventName)

			res := w.run(tt.inputs)
			require.Equal(t, tt.code, res.code, res.stdout)
			assert.Equal(t, tt.result, res.outputs["result"])
			assert.Equal(t, tt.reason, res.outputs["reason"])
			if tt.rolled {
				assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
			} else {
				assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
				assert.Empty(t, w.mutations())
			}
		})
	}
}

// pushEvent is examples[4] of push with repository.has_discussions, which
// GitHub's push schema requires and the example predates.
func publishedPush(t *testing.T) func(*world) map[string]any {
	return func(*world) map[string]any {
		ev := readEvent(t, "event-push-4-branch.json")
		ev["repository"].(map[string]any)["has_discussions"] = false
		return ev
	}
}

// publishedGaps are where GitHub's own examples fall short of its webhook
// schemas (they predate members the schemas now require); a copy must
// break its schema in exactly these ways.
var publishedGaps = map[string][]string{
	"event-push-0-tag-created.json": {
		"webhook push payload: repository.has_discussions: required member missing",
		"webhook push payload: repository.topics: required member missing",
		"webhook push payload: repository.visibility: required member missing",
	},
	"event-push-4-branch.json":       {"webhook push payload: repository.has_discussions: required member missing"},
	"event-workflow_dispatch-1.json": {"webhook workflow-dispatch payload: repository.disabled: required member missing"},
	"event-workflow_run-completed-0-queued-nullconclusion.json": {
		"webhook workflow-run-completed payload: workflow_run.actor: required member missing",
		"webhook workflow-run-completed payload: workflow_run.path: required member missing",
		"webhook workflow-run-completed payload: workflow_run.triggering_actor: required member missing",
	},
}

// exampleFile names a copy of examples[i] of an event:
// event-<event>[-<action>]-<i>[-<what it shows>].json.
var exampleFile = regexp.MustCompile(`^event-([a-z_]+?)(?:-[a-z_]+)?-([0-9]+)(?:-.*)?\.json$`)

// TestEventFixturesArePublishedExamples proves the copies under
// testdata/events are GitHub's examples, value for value, and that each
// passes GitHub's webhook schema.
func TestEventFixturesArePublishedExamples(t *testing.T) {
	t.Parallel()
	d := definitions(t)
	files, err := filepath.Glob("testdata/events/event-*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			m := exampleFile.FindStringSubmatch(filepath.Base(f))
			require.NotNil(t, m, "name the copy event-<event>[-<action>]-<index>[-<what>].json")
			i, err := strconv.Atoi(m[2])
			require.NoError(t, err)
			examples, err := d.WebhookExamples(m[1])
			require.NoError(t, err)
			require.Less(t, i, len(examples))
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var got, want any
			require.NoError(t, json.Unmarshal(raw, &got))
			require.NoError(t, json.Unmarshal(examples[i], &want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s is not examples[%d] of %s (-published +copy):\n%s", f, i, m[1], diff)
			}
			var gaps []string
			for _, v := range d.Webhooks.CheckWebhook(m[1], raw) {
				gaps = append(gaps, v.String())
			}
			assert.Equal(t, publishedGaps[filepath.Base(f)], gaps, "where the example breaks GitHub's webhook schema")
		})
	}
}

// TestConformanceCheckCatchesMisreadAPIs proves the harness's check sees
// what a simulator would let through: requests the real APIs reject.
func TestConformanceCheckCatchesMisreadAPIs(t *testing.T) {
	t.Parallel()
	d := definitions(t)
	ecs := ecssim.New()
	t.Cleanup(ecs.Close)
	gh := ghsim.New(owner, repoName)
	t.Cleanup(gh.Close)

	post := func(target, body string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ecs.URL(), strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	post("UpdateService", `{"cluster":"prod","service":"web","taskDefinitionArn":"web:42"}`)
	post("ListTaskDefinitions", `{"familyPrefix":"web","sort":"NEWEST"}`)
	resp, err := http.Get(gh.APIURL() + "/repos/" + owner + "/" + repoName + "/actions/workflows/deploy.yml/runs?conclusion=failure")
	require.NoError(t, err)
	resp.Body.Close()

	got := conformance.Join(conformanceViolations(d, peers{ecs: ecs, gh: gh}))
	assert.Contains(t, got, "ECS UpdateService request: taskDefinitionArn: unknown member")
	assert.Contains(t, got, `ECS ListTaskDefinitions request: sort: "NEWEST" is not one of ASC, DESC`)
	assert.Contains(t, got, "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs request: query.conclusion: query parameter not declared")
}
