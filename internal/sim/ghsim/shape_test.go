package ghsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// fixtureSim is a simulator holding the runs and artifacts of GitHub's
// OpenAPI examples in testdata/github.
func fixtureSim(t *testing.T) *ghsim.Server {
	t.Helper()
	sim := ghsim.New("octo-org", "octo-repo")
	t.Cleanup(sim.Close)
	sim.AddRun(ghsim.Run{
		ID: 30433642, RunNumber: 562, WorkflowID: 159038, WorkflowPath: ".github/workflows/build.yml@main",
		Name: "Build", HeadBranch: "master", HeadSHA: "acb5820ced9479c074f688cc328bf03f341a511d",
		Event: "push", Status: "queued", DisplayTitle: "Update README.md",
		CreatedAt: time.Date(2020, 1, 22, 19, 33, 8, 0, time.UTC),
		// The get-workflow-run example has a previous attempt and reusable
		// workflows; the list example has neither key.
		RunAttempt: 2,
		ReferencedWorkflows: []ghsim.ReferencedWorkflow{
			{Path: "octocat/Hello-World/.github/workflows/deploy.yml@main", SHA: "86e8bc9ecf7d38b1ed2d2cfb8eb87ba9b35b01db", Ref: "refs/heads/main"},
			{Path: "octo-org/octo-repo/.github/workflows/secure.yml@1595d4b6de6a9e9751fb270a41019ce507d4099e", SHA: "1595d4b6de6a9e9751fb270a41019ce507d4099e"},
		},
	})
	sim.AddRun(ghsim.Run{ID: 2332938, HeadBranch: "main", HeadSHA: "328faa0536e6fef19753d9d91dc96a9931694ce3", Conclusion: "success",
		CreatedAt: time.Date(2020, 1, 10, 14, 58, 0, 0, time.UTC)})
	sim.AddRun(ghsim.Run{ID: 2332942, HeadBranch: "main", HeadSHA: "178f4f6090b3fccad4a65b3e83d076a622d59652", Conclusion: "success",
		CreatedAt: time.Date(2020, 1, 10, 14, 57, 0, 0, time.UTC)})
	sim.AddArtifact(2332938, "Rails", []byte("PK\x05\x06"+string(make([]byte, 18))), false)
	sim.AddArtifact(2332942, "Test output", []byte("PK\x05\x06"+string(make([]byte, 18))), false)
	return sim
}

func newClient(t *testing.T, sim *ghsim.Server) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithEnterpriseURLs(sim.APIURL()+"/", sim.APIURL()+"/")
	require.NoError(t, err)
	return c
}

// TestShapesMatchGitHubExamples checks that the simulator's JSON has the
// keys of GitHub's own examples and that go-github decodes it into the same
// non-empty fields, so code tested against the simulator reads real answers
// the same way.
func TestShapesMatchGitHubExamples(t *testing.T) {
	t.Parallel()
	sim := fixtureSim(t)
	gh := newClient(t, sim)
	tests := []struct {
		fixture string
		path    string
		decoded func(ctx context.Context) (any, error) // the simulator's answer through go-github
		into    func() any                             // a fresh go-github value for the fixture
	}{
		{
			fixture: "rest-list-workflow-runs-for-workflow.json",
			path:    "/repos/octo-org/octo-repo/actions/workflows/build.yml/runs",
			decoded: func(ctx context.Context) (any, error) {
				v, _, err := gh.Actions.ListWorkflowRunsByFileName(ctx, "octo-org", "octo-repo", "build.yml", nil)
				return v, err
			},
			into: func() any { return new(github.WorkflowRuns) },
		},
		{
			fixture: "rest-get-workflow-run.json",
			path:    "/repos/octo-org/octo-repo/actions/runs/30433642",
			decoded: func(ctx context.Context) (any, error) {
				v, _, err := gh.Actions.GetWorkflowRunByID(ctx, "octo-org", "octo-repo", 30433642)
				return v, err
			},
			into: func() any { return new(github.WorkflowRun) },
		},
		{
			fixture: "rest-list-artifacts-for-repo.json",
			path:    "/repos/octo-org/octo-repo/actions/artifacts",
			decoded: func(ctx context.Context) (any, error) {
				v, _, err := gh.Actions.ListArtifacts(ctx, "octo-org", "octo-repo", nil)
				return v, err
			},
			into: func() any { return new(github.ArtifactList) },
		},
		{
			fixture: "rest-list-workflow-run-artifacts.json",
			path:    "/repos/octo-org/octo-repo/actions/runs/2332938/artifacts",
			decoded: func(ctx context.Context) (any, error) {
				v, _, err := gh.Actions.ListWorkflowRunArtifacts(ctx, "octo-org", "octo-repo", 2332938, nil)
				return v, err
			},
			into: func() any { return new(github.ArtifactList) },
		},
		{
			fixture: "rest-get-artifact.json",
			path:    "/repos/octo-org/octo-repo/actions/artifacts/1000001",
			decoded: func(ctx context.Context) (any, error) {
				v, _, err := gh.Actions.GetArtifact(ctx, "octo-org", "octo-repo", 1000001)
				return v, err
			},
			into: func() any { return new(github.Artifact) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			real, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "github", tt.fixture))
			require.NoError(t, err)

			// Same JSON keys, at every level.
			simRaw := getRaw(t, sim.APIURL()+tt.path)
			var realAny, simAny any
			require.NoError(t, json.Unmarshal(real, &realAny))
			require.NoError(t, json.Unmarshal(simRaw, &simAny))
			if diff := cmp.Diff(keyPaths(realAny), keyPaths(simAny)); diff != "" {
				t.Errorf("JSON keys (-want GitHub example +got simulator):\n%s", diff)
			}

			// Same non-empty go-github fields.
			want := tt.into()
			require.NoError(t, json.Unmarshal(real, want))
			got, err := tt.decoded(t.Context())
			require.NoError(t, err)
			wantFields, gotFields := setFields(want), setFields(got)
			require.NotEmpty(t, wantFields)
			if diff := cmp.Diff(wantFields, gotFields); diff != "" {
				t.Errorf("go-github fields set (-want GitHub example +got simulator):\n%s", diff)
			}
		})
	}
}

func getRaw(t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// keyPaths lists every key path of a decoded JSON value ("a.b", "list[].c").
func keyPaths(v any) []string {
	set := map[string]bool{}
	var walk func(v any, prefix string)
	walk = func(v any, prefix string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				set[prefix+k] = true
				walk(e, prefix+k+".")
			}
		case []any:
			for _, e := range x {
				walk(e, prefix[:len(prefix)-1]+"[].")
			}
		}
	}
	walk(v, "")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var timestampType = reflect.TypeFor[github.Timestamp]()

// setFields lists the go-github fields that decoding filled in: non-nil
// pointers to values, non-empty slices and maps, recursing into structs.
func setFields(v any) []string {
	set := map[string]bool{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return
			}
			if e := v.Elem(); e.Kind() == reflect.Struct && e.Type() != timestampType {
				if prefix != "" {
					set[prefix] = true
				}
				walk(e, prefix)
				return
			}
			set[prefix] = true
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() {
					continue
				}
				name := f.Name
				if prefix != "" {
					name = prefix + "." + name
				}
				walk(v.Field(i), name)
			}
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				return
			}
			set[prefix] = true
			if v.Kind() == reflect.Slice {
				for i := range v.Len() {
					walk(v.Index(i), prefix+"[]")
				}
			}
		default:
			if !v.IsZero() {
				set[prefix] = true
			}
		}
	}
	walk(reflect.ValueOf(v), "")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
