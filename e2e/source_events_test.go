package e2e

// Payloads for the source tests: GitHub's published webhook examples
// (testdata/events, @octokit/webhooks-examples, MIT), rewritten only where
// a scenario needs it, and a go-github client for reading the simulator
// the way the action does.

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// exampleEvent reads one of GitHub's published payloads.
func exampleEvent(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/events/" + file)
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

// pushEvent is GitHub's published push payload for a tag
// (event-push-0-tag-created.json) or a branch (event-push-4-branch.json),
// rewritten to push ref at commit sha to our repository, whose default
// branch is main.
func pushEvent(t *testing.T, ref, commit string) map[string]any {
	t.Helper()
	file := "event-push-4-branch.json"
	if strings.HasPrefix(ref, "refs/tags/") {
		file = "event-push-0-tag-created.json"
	}
	ev := exampleEvent(t, file)
	ev["ref"], ev["after"] = ref, commit
	if hc, ok := ev["head_commit"].(map[string]any); ok {
		hc["id"], hc["tree_id"] = commit, commit
	}
	repo := ev["repository"].(map[string]any)
	repo["name"], repo["full_name"], repo["default_branch"], repo["master_branch"] = repoName, owner+"/"+repoName, "main", "main"
	// Members the webhook schema requires that the published examples predate.
	for k, v := range map[string]any{"has_discussions": false, "topics": []any{}, "visibility": "public"} {
		if _, ok := repo[k]; !ok {
			repo[k] = v
		}
	}
	repo["owner"].(map[string]any)["login"] = owner
	return ev
}

// githubClient reads the GitHub simulator with go-github, as the action does.
func githubClient(t *testing.T, sim *ghsim.Server) *github.Client {
	t.Helper()
	gh, err := github.NewClient(&http.Client{}).WithAuthToken(token).WithEnterpriseURLs(sim.APIURL()+"/", sim.APIURL()+"/")
	require.NoError(t, err)
	return gh
}

// githubRequests counts the simulator's requests by endpoint, as the
// benchmark names them.
func githubRequests(sim *ghsim.Server) map[string]int {
	out := map[string]int{}
	for _, c := range searchCalls(sim) {
		out[githubEndpoint(c)]++
	}
	return out
}

func TestPushEventIsGitHubsExample(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"refs/tags/v1.3.0", "refs/heads/main"} {
		ev := pushEvent(t, ref, sha("f5f5f5f"))
		var push github.PushEvent
		raw, err := json.Marshal(ev)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &push), ref)
		assert.Equal(t, ref, push.GetRef())
		assert.Equal(t, sha("f5f5f5f"), push.GetAfter())
		assert.Equal(t, owner+"/"+repoName, push.GetRepo().GetFullName())
		assert.NotEmpty(t, push.GetPusher().GetName(), "the example's other fields are kept")
		if strings.HasPrefix(ref, "refs/tags/") {
			assert.True(t, push.GetCreated(), "a new tag")
			assert.Empty(t, push.Commits, "a tag push lists no commits")
		} else {
			assert.Len(t, push.Commits, 1)
		}
	}
}

// searchCalls are the simulator's requests made by the search for the last
// successful deployment: all but the one listing of the deploy workflow's
// newest runs, whatever their status, that checks for deploys in progress.
func searchCalls(sim *ghsim.Server) []ghsim.Call {
	var out []ghsim.Call
	for _, c := range sim.Calls() {
		if !isInFlightListing(c) {
			out = append(out, c)
		}
	}
	return out
}

// isInFlightListing reports whether c is the check for deploys in progress.
func isInFlightListing(c ghsim.Call) bool {
	return strings.HasSuffix(c.Path, "/runs") && strings.Contains(c.Path, "/actions/workflows/") && !strings.Contains(c.Query, "status=")
}
