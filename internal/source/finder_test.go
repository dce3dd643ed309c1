package source_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/ghhttp"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
	"github.com/deplight/ecs-rollback/internal/source"
)

const (
	token      = "ghs_simulated"
	workflowID = 4242
	sha        = "abc123def4567890abc123def4567890abc12345"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// newFinder starts a simulator for acme/shop requiring a token, and a
// Finder using the real go-github client through the retrying transport
// (waits are recorded, not slept).
func newFinder(t *testing.T, opts ...ghsim.Option) (*ghsim.Server, *source.Finder) {
	t.Helper()
	sim := ghsim.New("acme", "shop", append([]ghsim.Option{ghsim.WithToken(token)}, opts...)...)
	t.Cleanup(sim.Close)
	hc := &http.Client{Transport: ghhttp.NewTransport(http.DefaultTransport, ghhttp.Options{
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})}
	gh, err := github.NewClient(hc).WithAuthToken(token).WithEnterpriseURLs(sim.APIURL()+"/", sim.APIURL()+"/")
	require.NoError(t, err)
	return sim, &source.Finder{GitHub: gh, Download: &http.Client{}, Owner: "acme", Repo: "shop"}
}

func state(tag, env string) deploystate.State {
	return deploystate.State{ImageTag: tag, Environment: env, CommitSHA: sha, Timestamp: "2024-05-01T12:00:00Z"}
}

func stateZip(t *testing.T, tag, env string) []byte {
	t.Helper()
	z, err := deploystate.Zip(state(tag, env))
	require.NoError(t, err)
	return z
}

// addRuns adds n successful runs of deploy.yml on main, IDs from+1 … from+n,
// an hour apart, the last the newest.
func addRuns(sim *ghsim.Server, from, n int) {
	for i := from + 1; i <= from+n; i++ {
		sim.AddRun(ghsim.Run{
			ID: int64(i), RunNumber: int64(i), WorkflowID: workflowID, WorkflowPath: ".github/workflows/deploy.yml",
			HeadBranch: "main", HeadSHA: fmt.Sprintf("%040x", i), Conclusion: "success",
			CreatedAt: t0.Add(time.Duration(i) * time.Hour),
		})
	}
}

// tagOf is the image tag the artifact of run id holds in these tests.
func tagOf(id int64) string { return fmt.Sprintf("tag%04d", id) }

// withArtifacts gives each run in ids a good artifact.
func withArtifacts(t *testing.T, sim *ghsim.Server, env string, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		sim.AddArtifact(id, "deployment-state", stateZip(t, tagOf(id), env), false)
	}
}

// seq is from, from±1, …, to.
func seq(from, to int64) []int64 {
	var out []int64
	step := int64(1)
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		out = append(out, i)
		if i == to {
			return out
		}
	}
}

var query = source.Query{Workflow: "deploy.yml", Branch: "main", DefaultBranch: "main", ArtifactName: "deployment-state", ExcludeRunID: 999999}

// skip is an expected Skipped: the run and a part of the reason.
type skip struct {
	RunID  int64
	Reason string
}

func TestLastSuccessful(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []ghsim.Option
		setup     func(t *testing.T, sim *ghsim.Server, f *source.Finder)
		query     func(q *source.Query)
		wantRun   int64
		wantTag   string // default tagOf(wantRun)
		wantSkips []skip
		wantCalls int // most requests allowed, both hosts; 0: no bound checked
		check     func(t *testing.T, sim *ghsim.Server)
	}{
		{
			name: "newest successful run with a usable artifact",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2, 3)
			},
			wantRun:   3,
			wantCalls: 4,
			check: func(t *testing.T, sim *ghsim.Server) {
				for _, c := range sim.Calls() {
					switch c.Host {
					case "blob":
						assert.False(t, c.Authorized, "the token must never reach the download host")
					case "api":
						assert.True(t, c.Authorized, "API call %s carries the token", c.Path)
					}
				}
				assert.Equal(t, 1, sim.CallCount("/_apis/"), "one download")
			},
		},
		{
			name: "newest 10 of 25 runs have no artifact",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 25)
				withArtifacts(t, sim, "prod", seq(1, 15)...)
			},
			wantRun:   15,
			wantSkips: skipsFor(seq(25, 16), "no deployment-state artifact"),
			wantCalls: 5,
		},
		{
			name: "expired artifact is passed over",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.AddArtifact(3, "deployment-state", stateZip(t, tagOf(3), "prod"), true)
			},
			wantRun:   2,
			wantSkips: []skip{{3, "deployment-state artifact expired"}},
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/zip"), "the expired artifact is not downloaded")
			},
		},
		{
			name: "another environment is passed over",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2)
				withArtifacts(t, sim, "dev", 3)
			},
			query:     func(q *source.Query) { q.Environment = "prod" },
			wantRun:   2,
			wantSkips: []skip{{3, `deployed to environment "dev", not "prod"`}},
		},
		{
			name: "no environment in the query accepts any",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1)
				withArtifacts(t, sim, "dev", 2)
			},
			wantRun: 2,
		},
		{
			name: "unusable zip is passed over, naming the run and the problem",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 4)
				withArtifacts(t, sim, "prod", 1)
				sim.AddArtifact(2, "deployment-state", []byte("<html>not a zip</html>"), false)
				bad, err := deploystate.Zip(state("abc1234", "prod"))
				require.NoError(t, err)
				sim.AddArtifact(3, "deployment-state", bad[:len(bad)/2], false)
				sim.AddArtifact(4, "deployment-state", multiLine(t), false)
			},
			wantRun: 1,
			wantSkips: []skip{
				{4, "deployment state unusable: last-successful-image-tag.txt: more than one line"},
				{3, "deployment state unusable: not a zip archive"},
				{2, "deployment state unusable: not a zip archive"},
			},
		},
		{
			name: "failed runs are never candidates",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.AddRun(ghsim.Run{ID: 3, WorkflowID: workflowID, HeadBranch: "main", Conclusion: "failure", CreatedAt: t0.Add(3 * time.Hour)})
				withArtifacts(t, sim, "prod", 3)
			},
			wantRun: 2,
		},
		{
			name: "the excluded run is never the source",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2, 3)
			},
			query:   func(q *source.Query) { q.ExcludeRunID = 3 },
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/zip"))
			},
		},
		{
			name: "other branches and fork runs do not count",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				sim.AddRun(ghsim.Run{ID: 2, WorkflowID: workflowID, HeadBranch: "feature", Conclusion: "success", CreatedAt: t0.Add(2 * time.Hour)})
				sim.AddRun(ghsim.Run{ID: 3, WorkflowID: workflowID, HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(3 * time.Hour), HeadRepository: "mallory/shop"})
				withArtifacts(t, sim, "prod", 2, 3)
			},
			wantRun:   1,
			wantSkips: []skip{{3, "ran on a fork (mallory/shop)"}},
		},
		{
			name: "workflow as a path",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
			},
			query:   func(q *source.Query) { q.Workflow = ".github/workflows/deploy.yml" },
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/actions/workflows/deploy.yml/runs"))
			},
		},
		{
			name: "workflow by ID",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
			},
			query:   func(q *source.Query) { q.Workflow = fmt.Sprint(workflowID) },
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount(fmt.Sprintf("/actions/workflows/%d/runs", workflowID)))
			},
		},
		{
			name: "found on the second page of runs",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 150)
				withArtifacts(t, sim, "prod", 7)
			},
			wantRun:   7,
			wantSkips: skipsFor(seq(150, 8), "no deployment-state artifact"),
			wantCalls: 5,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 2, sim.CallCount("/actions/workflows/"))
				assert.Equal(t, 1, listings(sim), "one page of artifacts decides every run")
			},
		},
		{
			name: "artifact on the second page of artifacts: paged, not passed over",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				// 120 newer runs of another workflow whose artifacts share the name.
				for i := int64(1001); i <= 1120; i++ {
					sim.AddRun(ghsim.Run{ID: i, WorkflowPath: ".github/workflows/preview.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(time.Duration(i) * time.Hour)})
					sim.AddArtifact(i, "deployment-state", stateZip(t, tagOf(i), "preview"), false)
				}
			},
			wantRun: 1,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 2, listings(sim))
			},
		},
		{
			name: "a re-run of an older run that succeeded after the newest run wins",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2, 3)
				require.True(t, sim.Rerun(2, t0.Add(10*time.Hour), "success"))
				sim.AddArtifact(2, "deployment-state", stateZip(t, "rerun02", "prod"), false)
			},
			wantRun: 2,
			wantTag: "rerun02",
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/_apis/"), "one download")
			},
		},
		{
			name: "a re-run older than every listed run is fetched alone",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 130)
				withArtifacts(t, sim, "prod", seq(1, 130)...)
				require.True(t, sim.Rerun(5, t0.Add(200*time.Hour), "success"))
				sim.AddArtifact(5, "deployment-state", stateZip(t, "rerun05", "prod"), false)
			},
			wantRun:   5,
			wantTag:   "rerun05",
			wantCalls: 5,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/actions/runs/5"), "run 5 is asked for alone")
				assert.Equal(t, 1, sim.CallCount("/actions/workflows/"), "not found by paging")
			},
		},
		{
			name: "a re-run of another workflow's old run is asked for, then left",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 100, 130)
				withArtifacts(t, sim, "prod", seq(101, 230)...)
				sim.AddRun(ghsim.Run{ID: 5, WorkflowPath: ".github/workflows/other.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: t0})
				require.True(t, sim.Rerun(5, t0.Add(500*time.Hour), "success"))
				sim.AddArtifact(5, "deployment-state", stateZip(t, "other05", "prod"), false)
			},
			wantRun: 230,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/actions/runs/5"))
			},
		},
		{
			name: "a re-run that failed is no source, its first attempt neither",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1, 2, 3)
				require.True(t, sim.Rerun(3, t0.Add(10*time.Hour), "failure"))
			},
			wantRun: 2,
		},
		{
			name: "a tag: runs on any ref count",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				sim.AddTag("v1.3.0", "")
				for i, ref := range []string{"v1.1.0", "main", "v1.2.0"} {
					id := int64(i + 1)
					sim.AddRun(ghsim.Run{ID: id, WorkflowID: workflowID, HeadBranch: ref, Conclusion: "success", CreatedAt: t0.Add(time.Duration(id) * time.Hour)})
				}
				withArtifacts(t, sim, "prod", 1, 2, 3)
				withArtifacts(t, sim, "dev", 2)
			},
			query:   func(q *source.Query) { q.Branch, q.Environment = "v1.3.0", "prod" },
			wantRun: 3,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/git/ref/tags/v1.3.0"))
				assert.Equal(t, 2, sim.CallCount("/actions/workflows/"), "listed again without the branch filter")
			},
		},
		{
			name: "a branch that is no tag keeps its filter",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				sim.AddRun(ghsim.Run{ID: 2, WorkflowID: workflowID, HeadBranch: "release/2", Conclusion: "success", CreatedAt: t0.Add(2 * time.Hour)})
				sim.AddRun(ghsim.Run{ID: 3, WorkflowID: workflowID, HeadBranch: "v9", Conclusion: "success", CreatedAt: t0.Add(3 * time.Hour)})
				withArtifacts(t, sim, "prod", 2, 3)
			},
			query:   func(q *source.Query) { q.Branch, q.DefaultBranch = "release/2", "main" },
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 1, sim.CallCount("/git/ref/tags/release/2"))
				assert.Equal(t, 1, sim.CallCount("/actions/workflows/"))
			},
		},
		{
			name: "the default branch is not looked up",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
			},
			wantRun: 1,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Zero(t, sim.CallCount("/git/"))
			},
		},
		{
			name: "any ref asked explicitly",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				sim.AddRun(ghsim.Run{ID: 2, WorkflowID: workflowID, HeadBranch: "hotfix", Conclusion: "success", CreatedAt: t0.Add(2 * time.Hour)})
				withArtifacts(t, sim, "prod", 2)
			},
			query:   func(q *source.Query) { q.Branch = source.AnyRef },
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Zero(t, sim.CallCount("/git/"))
				for _, c := range sim.Calls() {
					assert.NotContains(t, c.Query, "branch=", "%s: no branch filter", c.Path)
				}
			},
		},
		{
			name: "busy repository: after 3 pages of other artifacts, each run's own list",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 4)
				withArtifacts(t, sim, "prod", 1, 2, 3) // run 4 has none
				for i := int64(1001); i <= 1600; i++ {
					sim.AddRun(ghsim.Run{ID: i, WorkflowPath: ".github/workflows/other.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
					sim.AddArtifact(i, "deployment-state", stateZip(t, tagOf(i), "prod"), false)
				}
			},
			wantRun:   3,
			wantSkips: []skip{{4, "no deployment-state artifact"}},
			wantCalls: 9,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 3, listings(sim), "the fast path stops after 3 pages")
				assert.Equal(t, 1, sim.CallCount("/actions/runs/4/artifacts"), "run 4 asked for its own")
				assert.Equal(t, 1, sim.CallCount("/actions/runs/3/artifacts"), "then run 3")
			},
		},
		{
			name: "too large artifact is passed over",
			setup: func(t *testing.T, sim *ghsim.Server, f *source.Finder) {
				f.MaxArtifactBytes = 2000
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1)
				big := stateZip(t, tagOf(2), "prod")
				sim.AddArtifact(2, "deployment-state", append(big, make([]byte, 2000)...), false)
			},
			wantRun:   1,
			wantSkips: []skip{{2, "more than the 2000-byte limit"}},
		},
		{
			name: "flaky 503 and a secondary rate limit are retried by ghhttp",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.FailNext("/actions/workflows/", 2, http.StatusServiceUnavailable, nil)
				sim.FailNext("/actions/artifacts", 1, http.StatusForbidden, map[string]string{"Retry-After": "1"})
				sim.FailNext("/zip", 1, http.StatusBadGateway, nil)
			},
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 3, sim.CallCount("/actions/workflows/"))
				assert.Equal(t, 2, listings(sim))
				assert.Equal(t, 2, sim.CallCount("/zip"))
			},
		},
		{
			name: "expired download link is fetched afresh once",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.ExpireDownloadLinks(1)
			},
			wantRun: 2,
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 2, sim.CallCount("/zip"))
				assert.Equal(t, 2, sim.CallCount("/_apis/"))
			},
		},
		{
			name: "410 on download passes the run over",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.FailNext("/zip", 1, http.StatusGone, nil)
			},
			wantRun:   1,
			wantSkips: []skip{{2, "deployment-state artifact expired (410 Gone)"}},
		},
		{
			name: "artifacts without workflow_run (older GHES): asked per run",
			opts: []ghsim.Option{ghsim.WithoutArtifactWorkflowRun()},
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
				withArtifacts(t, sim, "prod", 1)
			},
			wantRun:   1,
			wantSkips: skipsFor([]int64{3, 2}, "no deployment-state artifact"),
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 3, sim.CallCount("/actions/runs/"))
			},
		},
		{
			name: "custom artifact name",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.AddArtifact(1, "prod state", stateZip(t, "custom1", "prod"), false)
			},
			query:     func(q *source.Query) { q.ArtifactName = "prod state" },
			wantRun:   1,
			wantTag:   "custom1",
			wantSkips: []skip{{2, "no prod state artifact"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, f := newFinder(t, tt.opts...)
			tt.setup(t, sim, f)
			q := query
			if tt.query != nil {
				tt.query(&q)
			}
			dep, skipped, err := f.LastSuccessful(t.Context(), q)
			require.NoError(t, err)
			assert.Equal(t, tt.wantRun, dep.RunID)
			wantTag := tt.wantTag
			if wantTag == "" {
				wantTag = tagOf(tt.wantRun)
			}
			assert.Equal(t, wantTag, dep.State.ImageTag)
			assertSkips(t, sim, tt.wantSkips, skipped)
			if tt.wantCalls > 0 {
				assert.LessOrEqual(t, len(sim.Calls()), tt.wantCalls, "requests: %v", paths(sim))
			}
			if tt.check != nil {
				tt.check(t, sim)
			}
		})
	}
}

func TestLastSuccessfulDeploymentFields(t *testing.T) {
	t.Parallel()
	sim, f := newFinder(t)
	addRuns(sim, 0, 2)
	artifactID := sim.AddArtifact(2, "deployment-state", stateZip(t, "abc123d", "prod"), false)
	var logged []string
	f.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }

	got, skipped, err := f.LastSuccessful(t.Context(), query)
	require.NoError(t, err)
	assert.Empty(t, skipped)
	want := source.Deployment{
		RunID:       2,
		RunNumber:   2,
		RunAttempt:  1,
		RunURL:      strings.TrimSuffix(sim.APIURL(), ghsim.APIPrefix) + "/acme/shop/actions/runs/2",
		HeadBranch:  "main",
		HeadSHA:     fmt.Sprintf("%040x", 2),
		CreatedAt:   t0.Add(2 * time.Hour),
		SucceededAt: t0.Add(2*time.Hour + time.Minute), // the simulator uploads an artifact a minute into its run
		ArtifactID:  artifactID,
		State:       state("abc123d", "prod"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployment (-want +got):\n%s", diff)
	}
	assert.NotEmpty(t, logged, "debug lines go to Logf")
}

func TestLastSuccessfulErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []ghsim.Option
		setup      func(t *testing.T, sim *ghsim.Server, f *source.Finder)
		query      func(q *source.Query)
		wantNoPrev bool     // errors.Is ErrNoPreviousDeployment
		wantErr    []string // parts of the message
		wantSkips  []skip
		check      func(t *testing.T, sim *ghsim.Server)
	}{
		{
			name: "no run has an artifact",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 3)
			},
			wantNoPrev: true,
			wantErr:    []string{"workflow deploy.yml on branch main", "searched 3 runs"},
			wantSkips:  skipsFor([]int64{3, 2, 1}, "no deployment-state artifact"),
		},
		{
			name: "no run at all",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				sim.AddRun(ghsim.Run{WorkflowID: workflowID, HeadBranch: "main", Conclusion: "failure"})
			},
			wantNoPrev: true,
			wantErr:    []string{"searched 0 runs"},
		},
		{
			name: "every artifact unusable",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				sim.AddArtifact(1, "deployment-state", []byte("junk"), false)
				sim.AddArtifact(2, "deployment-state", stateZip(t, tagOf(2), "prod"), true)
			},
			wantNoPrev: true,
			wantErr:    []string{"searched 2 runs"},
			wantSkips:  []skip{{2, "artifact expired"}, {1, "not a zip archive"}},
		},
		{
			name: "no artifact at all: one page of runs settles it",
			setup: func(t *testing.T, sim *ghsim.Server, f *source.Finder) {
				addRuns(sim, 0, 250)
			},
			wantNoPrev: true,
			wantErr:    []string{"searched 100 runs"},
			wantSkips:  skipsFor(seq(250, 151), "no deployment-state artifact"),
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 2, len(sim.Calls()), "the complete, empty artifact list says no run has one")
			},
		},
		{
			name: "request bound reached",
			setup: func(t *testing.T, sim *ghsim.Server, f *source.Finder) {
				f.MaxCalls = 4
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				for i := int64(1001); i <= 1350; i++ {
					sim.AddRun(ghsim.Run{ID: i, WorkflowPath: ".github/workflows/preview.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(time.Duration(i) * time.Hour)})
					sim.AddArtifact(i, "deployment-state", stateZip(t, tagOf(i), "preview"), false)
				}
			},
			wantNoPrev: true,
			wantErr:    []string{"searched 0 runs", "stops after 4 GitHub requests"},
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 4, len(sim.Calls()))
			},
		},
		{
			name: "runs asked one by one, within the request bound",
			opts: []ghsim.Option{ghsim.WithoutArtifactWorkflowRun()},
			setup: func(t *testing.T, sim *ghsim.Server, f *source.Finder) {
				f.MaxCalls = 10
				addRuns(sim, 0, 20)
				withArtifacts(t, sim, "prod", 1) // listed without its run: each run must be asked
			},
			wantNoPrev: true,
			wantErr:    []string{"searched 8 runs", "stops after 10 GitHub requests"},
			wantSkips:  skipsFor(seq(20, 13), "no deployment-state artifact"),
		},
		{
			name: "tag lookup fails: an error, not a guess",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				withArtifacts(t, sim, "prod", 1)
				sim.FailNext("/git/ref/tags/", 10, http.StatusInternalServerError, nil)
			},
			query:   func(q *source.Query) { q.Branch, q.DefaultBranch = "v2", "main" },
			wantErr: []string{"look up tag v2", "500"},
		},
		{
			name: "invalid token",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				sim.SetToken("another")
			},
			wantErr: []string{"token is invalid", "401"},
		},
		{
			name: "token lacks actions: read",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				sim.SetRepoAccess(http.StatusForbidden)
			},
			wantErr: []string{"list successful runs of workflow deploy.yml on branch main", "`actions: read`", "or workflow deploy.yml does not exist in acme/shop", "Resource not accessible by integration"},
		},
		{
			name:    "workflow does not exist",
			setup:   func(t *testing.T, sim *ghsim.Server, _ *source.Finder) { addRuns(sim, 0, 1) },
			query:   func(q *source.Query) { q.Workflow = "nope.yml" },
			wantErr: []string{"GitHub answered 404", "`actions: read`", "workflow nope.yml does not exist"},
		},
		{
			name: "download link expired twice",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.ExpireDownloadLinks(2)
			},
			wantErr: []string{"download artifact", "of run 2", "403 Forbidden"},
			check: func(t *testing.T, sim *ghsim.Server) {
				assert.Equal(t, 2, sim.CallCount("/zip"), "one fresh link, no more")
			},
		},
		{
			name: "download host failure is an error, not a pass-over",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 2)
				withArtifacts(t, sim, "prod", 1, 2)
				sim.FailNext("/_apis/", 1, http.StatusInternalServerError, nil)
			},
			wantErr: []string{"download artifact", "of run 2", "500 Internal Server Error"},
		},
		{
			name: "rate limit that outlasts MaxWait",
			setup: func(t *testing.T, sim *ghsim.Server, _ *source.Finder) {
				addRuns(sim, 0, 1)
				sim.FailNext("/actions/workflows/", 1, http.StatusForbidden, map[string]string{
					"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(time.Now().Add(time.Hour).Unix()),
				})
			},
			wantErr: []string{"rate limit exceeded"},
		},
		{
			name:    "no workflow",
			setup:   func(*testing.T, *ghsim.Server, *source.Finder) {},
			query:   func(q *source.Query) { q.Workflow = " " },
			wantErr: []string{"no workflow given"},
		},
		{
			name:    "no branch",
			setup:   func(*testing.T, *ghsim.Server, *source.Finder) {},
			query:   func(q *source.Query) { q.Branch = "" },
			wantErr: []string{"no branch given"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, f := newFinder(t, tt.opts...)
			tt.setup(t, sim, f)
			q := query
			if tt.query != nil {
				tt.query(&q)
			}
			dep, skipped, err := f.LastSuccessful(t.Context(), q)
			require.Error(t, err)
			assert.Equal(t, source.Deployment{}, dep)
			assert.Equal(t, tt.wantNoPrev, errors.Is(err, source.ErrNoPreviousDeployment), "errors.Is ErrNoPreviousDeployment: %v", err)
			for _, part := range tt.wantErr {
				assert.ErrorContains(t, err, part)
			}
			assertSkips(t, sim, tt.wantSkips, skipped)
			if tt.check != nil {
				tt.check(t, sim)
			}
		})
	}
}

func TestDefaultBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(sim *ghsim.Server)
		want    string
		wantErr string
	}{
		{name: "trunk", setup: func(sim *ghsim.Server) { sim.SetDefaultBranch("trunk") }, want: "trunk"},
		{name: "bad token", setup: func(sim *ghsim.Server) { sim.SetToken("other") }, wantErr: "token is invalid"},
		{name: "flaky", setup: func(sim *ghsim.Server) { sim.FailNext("/repos/acme/shop", 1, 503, nil) }, want: "main"},
		{name: "rate limit that outlasts MaxWait: not mistaken for a missing repository", setup: func(sim *ghsim.Server) {
			sim.FailNext("/repos/acme/shop", 1, http.StatusForbidden, map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(time.Now().Add(time.Hour).Unix()),
			})
		}, wantErr: "rate limit exceeded until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, f := newFinder(t)
			tt.setup(sim)
			got, err := f.DefaultBranch(t.Context())
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("unknown repository", func(t *testing.T) {
		t.Parallel()
		_, f := newFinder(t)
		f.Repo = "gone"
		_, err := f.DefaultBranch(t.Context())
		assert.ErrorContains(t, err, "does not exist or the token cannot read it")
	})
}

func TestLastSuccessfulCancelled(t *testing.T) {
	t.Parallel()
	sim, f := newFinder(t)
	addRuns(sim, 0, 1)
	withArtifacts(t, sim, "prod", 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := f.LastSuccessful(ctx, query)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, source.ErrNoPreviousDeployment))
}

// skipsFor expects each run of ids, given newest first, passed over for reason.
func skipsFor(ids []int64, reason string) []skip {
	var out []skip
	for _, id := range ids {
		out = append(out, skip{id, reason})
	}
	return out
}

// assertSkips compares skipped runs, in order, by ID and reason part, and
// checks each names its run's URL.
func assertSkips(t *testing.T, sim *ghsim.Server, want []skip, got []source.Skipped) {
	t.Helper()
	var gotIDs, wantIDs []int64
	for _, s := range got {
		gotIDs = append(gotIDs, s.RunID)
	}
	for _, s := range want {
		wantIDs = append(wantIDs, s.RunID)
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("skipped runs (-want +got):\n%s", diff)
		return
	}
	web := strings.TrimSuffix(sim.APIURL(), ghsim.APIPrefix)
	for i, s := range got {
		assert.Contains(t, s.Reason, want[i].Reason, "reason for run %d", s.RunID)
		assert.Equal(t, fmt.Sprintf("%s/acme/shop/actions/runs/%d", web, s.RunID), s.RunURL)
	}
}

// listings counts the requests for the repository's artifact list.
func listings(sim *ghsim.Server) int {
	n := 0
	for _, c := range sim.Calls() {
		if strings.HasSuffix(c.Path, "/repos/acme/shop/actions/artifacts") {
			n++
		}
	}
	return n
}

func paths(sim *ghsim.Server) []string {
	var out []string
	for _, c := range sim.Calls() {
		out = append(out, c.Host+" "+c.Path)
	}
	return out
}

// multiLine is an artifact whose image tag file has two lines.
func multiLine(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		deploystate.FileImageTag:    "abc1234\ndef5678\n",
		deploystate.FileEnvironment: "prod\n",
		deploystate.FileCommitSHA:   sha + "\n",
		deploystate.FileTimestamp:   "2024-05-01T12:00:00Z\n",
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}
