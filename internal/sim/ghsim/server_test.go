package ghsim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// runsSim holds five runs of deploy.yml (IDs 1–5, oldest first, one a
// failure, one on another branch, one a workflow_dispatch) and one of ci.yml.
func runsSim(t *testing.T, opts ...ghsim.Option) *ghsim.Server {
	t.Helper()
	sim := ghsim.New("acme", "shop", opts...)
	t.Cleanup(sim.Close)
	for i, r := range []ghsim.Run{
		{HeadBranch: "main", Conclusion: "success"},
		{HeadBranch: "main", Conclusion: "failure"},
		{HeadBranch: "feature", Conclusion: "success"},
		{HeadBranch: "main", Conclusion: "success", Event: "workflow_dispatch"},
		{HeadBranch: "main", Conclusion: "success"},
	} {
		r.ID = int64(i + 1)
		r.CreatedAt = t0.Add(time.Duration(i) * time.Hour)
		sim.AddRun(r)
	}
	sim.AddRun(ghsim.Run{ID: 6, WorkflowPath: ".github/workflows/ci.yml", HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(10 * time.Hour)})
	return sim
}

func runIDs(runs *github.WorkflowRuns) []int64 {
	var ids []int64
	for _, r := range runs.WorkflowRuns {
		ids = append(ids, r.GetID())
	}
	return ids
}

func TestListWorkflowRuns(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	gh := newClient(t, sim)
	deployID := int64(0)
	{
		runs, _, err := gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml", nil)
		require.NoError(t, err)
		require.NotEmpty(t, runs.WorkflowRuns)
		deployID = runs.WorkflowRuns[0].GetWorkflowID()
	}
	tests := []struct {
		name      string
		workflow  string // file name; empty: deployID
		opts      *github.ListWorkflowRunsOptions
		wantIDs   []int64
		wantTotal int
		wantNext  int
		wantLast  int
	}{
		{name: "all runs, newest first", workflow: "deploy.yml", wantIDs: []int64{5, 4, 3, 2, 1}, wantTotal: 5},
		{name: "by numeric ID", wantIDs: []int64{5, 4, 3, 2, 1}, wantTotal: 5},
		{name: "status is a conclusion", workflow: "deploy.yml", opts: &github.ListWorkflowRunsOptions{Status: "success", Branch: "main"}, wantIDs: []int64{5, 4, 1}, wantTotal: 3},
		{name: "status is a status", workflow: "deploy.yml", opts: &github.ListWorkflowRunsOptions{Status: "completed"}, wantIDs: []int64{5, 4, 3, 2, 1}, wantTotal: 5},
		{name: "event", workflow: "deploy.yml", opts: &github.ListWorkflowRunsOptions{Event: "workflow_dispatch"}, wantIDs: []int64{4}, wantTotal: 1},
		{name: "branch", workflow: "deploy.yml", opts: &github.ListWorkflowRunsOptions{Branch: "feature"}, wantIDs: []int64{3}, wantTotal: 1},
		{name: "exclude_pull_requests accepted", workflow: "deploy.yml", opts: &github.ListWorkflowRunsOptions{ExcludePullRequests: true, Branch: "main", Status: "failure"}, wantIDs: []int64{2}, wantTotal: 1},
		{
			name: "first page of two", workflow: "deploy.yml",
			opts:    &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 2}},
			wantIDs: []int64{5, 4}, wantTotal: 5, wantNext: 2, wantLast: 3,
		},
		{
			name: "last page", workflow: "deploy.yml",
			opts:    &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 2, Page: 3}},
			wantIDs: []int64{1}, wantTotal: 5,
		},
		{
			name: "beyond the last page", workflow: "deploy.yml",
			opts:      &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 2, Page: 9}},
			wantTotal: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				runs *github.WorkflowRuns
				resp *github.Response
				err  error
			)
			if tt.workflow == "" {
				runs, resp, err = gh.Actions.ListWorkflowRunsByID(t.Context(), "acme", "shop", deployID, tt.opts)
			} else {
				runs, resp, err = gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", tt.workflow, tt.opts)
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tt.wantIDs, runIDs(runs)); diff != "" {
				t.Errorf("run IDs (-want +got):\n%s", diff)
			}
			assert.Equal(t, tt.wantTotal, runs.GetTotalCount(), "total_count")
			assert.Equal(t, tt.wantNext, resp.NextPage, "next page")
			assert.Equal(t, tt.wantLast, resp.LastPage, "last page")
		})
	}
}

func TestRunFields(t *testing.T) {
	t.Parallel()
	sim := ghsim.New("acme", "shop")
	t.Cleanup(sim.Close)
	sim.AddRun(ghsim.Run{ID: 77, RunNumber: 12, HeadBranch: "main", HeadSHA: "abc123def4567890abc123def4567890abc12345", Conclusion: "success", CreatedAt: t0, HeadRepository: "fork/shop"})
	gh := newClient(t, sim)
	run, _, err := gh.Actions.GetWorkflowRunByID(t.Context(), "acme", "shop", 77)
	require.NoError(t, err)
	webURL := strings.TrimSuffix(sim.APIURL(), ghsim.APIPrefix)
	got := map[string]any{
		"path":            run.GetPath(),
		"html_url":        run.GetHTMLURL(),
		"workflow_id":     run.GetWorkflowID() != 0,
		"run_number":      run.GetRunNumber(),
		"head_repository": run.GetHeadRepository().GetFullName(),
		"repository":      run.GetRepository().GetFullName(),
		"created_at":      run.GetCreatedAt().Time,
		"status":          run.GetStatus(),
		"conclusion":      run.GetConclusion(),
		"head_sha":        run.GetHeadSHA(),
	}
	want := map[string]any{
		"path":            ".github/workflows/deploy.yml",
		"html_url":        webURL + "/acme/shop/actions/runs/77",
		"workflow_id":     true,
		"run_number":      12,
		"head_repository": "fork/shop",
		"repository":      "acme/shop",
		"created_at":      t0,
		"status":          "completed",
		"conclusion":      "success",
		"head_sha":        "abc123def4567890abc123def4567890abc12345",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run (-want +got):\n%s", diff)
	}
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	ids := map[string]int64{}
	ids["r1"] = sim.AddArtifact(1, "deployment-state", []byte("one"), false)
	ids["r4"] = sim.AddArtifact(4, "deployment-state", []byte("four"), true)
	ids["r5"] = sim.AddArtifact(5, "deployment-state", []byte("five"), false)
	ids["r5-logs"] = sim.AddArtifact(5, "test output", []byte("logs"), false)
	gh := newClient(t, sim)
	list := func(t *testing.T, path string) (*github.ArtifactList, *github.Response) {
		t.Helper()
		req, err := gh.NewRequest(http.MethodGet, path, nil)
		require.NoError(t, err)
		var out github.ArtifactList
		resp, err := gh.Do(t.Context(), req, &out)
		require.NoError(t, err)
		return &out, resp
	}
	ofList := func(l *github.ArtifactList) []int64 {
		var out []int64
		for _, a := range l.Artifacts {
			out = append(out, a.GetID())
		}
		return out
	}

	tests := []struct {
		name     string
		path     string
		want     []int64
		total    int64
		wantNext int
	}{
		{name: "repo-wide, newest first", path: "repos/acme/shop/actions/artifacts", want: []int64{ids["r5-logs"], ids["r5"], ids["r4"], ids["r1"]}, total: 4},
		{name: "repo-wide by name", path: "repos/acme/shop/actions/artifacts?name=deployment-state", want: []int64{ids["r5"], ids["r4"], ids["r1"]}, total: 3},
		{name: "name with a space", path: "repos/acme/shop/actions/artifacts?name=test+output", want: []int64{ids["r5-logs"]}, total: 1},
		{name: "paged", path: "repos/acme/shop/actions/artifacts?name=deployment-state&per_page=2", want: []int64{ids["r5"], ids["r4"]}, total: 3, wantNext: 2},
		{name: "page 2", path: "repos/acme/shop/actions/artifacts?name=deployment-state&per_page=2&page=2", want: []int64{ids["r1"]}, total: 3},
		{name: "of a run", path: "repos/acme/shop/actions/runs/5/artifacts", want: []int64{ids["r5-logs"], ids["r5"]}, total: 2},
		{name: "of a run by name", path: "repos/acme/shop/actions/runs/5/artifacts?name=deployment-state", want: []int64{ids["r5"]}, total: 1},
		{name: "of a run without any", path: "repos/acme/shop/actions/runs/2/artifacts", total: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, resp := list(t, tt.path)
			if diff := cmp.Diff(tt.want, ofList(got)); diff != "" {
				t.Errorf("artifact IDs (-want +got):\n%s", diff)
			}
			assert.Equal(t, tt.total, got.GetTotalCount())
			assert.Equal(t, tt.wantNext, resp.NextPage)
		})
	}

	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		a, _, err := gh.Actions.GetArtifact(t.Context(), "acme", "shop", ids["r4"])
		require.NoError(t, err)
		got := map[string]any{
			"expired":      a.GetExpired(),
			"expires_past": a.GetExpiresAt().Before(time.Now()),
			"run":          a.GetWorkflowRun().GetID(),
			"branch":       a.GetWorkflowRun().GetHeadBranch(),
			"sha":          a.GetWorkflowRun().GetHeadSHA() != "",
			"repo_id":      a.GetWorkflowRun().GetRepositoryID() != 0,
			"head_repo_id": a.GetWorkflowRun().GetHeadRepositoryID() == a.GetWorkflowRun().GetRepositoryID(),
			"download":     a.GetArchiveDownloadURL(),
			"size":         a.GetSizeInBytes(),
		}
		want := map[string]any{
			"expired": true, "expires_past": true, "run": int64(4), "branch": "main", "sha": true,
			"repo_id": true, "head_repo_id": true, "size": int64(4),
			"download": fmt.Sprintf("%s/repos/acme/shop/actions/artifacts/%d/zip", sim.APIURL(), ids["r4"]),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("artifact (-want +got):\n%s", diff)
		}
	})
}

func TestDownload(t *testing.T) {
	t.Parallel()
	now := atomic.Pointer[time.Time]{}
	now.Store(&t0)
	sim := runsSim(t, ghsim.WithClock(func() time.Time { return *now.Load() }), ghsim.WithToken("s3cret"))
	good := sim.AddArtifact(5, "deployment-state", []byte("PK zip bytes"), false)
	gone := sim.AddArtifact(4, "deployment-state", []byte("old"), true)
	gh := newClient(t, sim).WithAuthToken("s3cret")

	u, resp, err := gh.Actions.DownloadArtifact(t.Context(), "acme", "shop", good, 0)
	require.NoError(t, err)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.True(t, strings.HasPrefix(u.String(), sim.BlobURL()+"/"), "redirect to the blob host: %s", u)
	assert.NotEmpty(t, u.Query().Get("urlSignature"))
	assert.NotEmpty(t, u.Query().Get("urlExpires"))

	fetch := func(t *testing.T, target string, header http.Header) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}

	status, body := fetch(t, u.String(), nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "PK zip bytes", body)
	calls := sim.Calls()
	last := calls[len(calls)-1]
	assert.Equal(t, ghsim.Call{Method: "GET", Path: u.Path, Query: u.RawQuery, Host: "blob", Authorized: false, At: t0,
		Status: http.StatusOK, Header: last.Header, Body: []byte("PK zip bytes")}, last, "the call and its answer")
	assert.Equal(t, "application/zip", last.Header.Get("Content-Type"))

	status, _ = fetch(t, u.String(), http.Header{"Authorization": {"Bearer s3cret"}})
	assert.Equal(t, http.StatusBadRequest, status, "the blob host refuses a token")
	assert.True(t, sim.Calls()[len(sim.Calls())-1].Authorized, "and records it")

	tampered := *u
	q := tampered.Query()
	q.Set("urlExpires", t0.Add(time.Hour).Format(time.RFC3339Nano))
	tampered.RawQuery = q.Encode()
	status, _ = fetch(t, tampered.String(), nil)
	assert.Equal(t, http.StatusForbidden, status, "a changed expiry breaks the signature")

	sim.ExpireDownloadLinks(1)
	status, body = fetch(t, u.String(), nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "Request has expired")
	status, _ = fetch(t, u.String(), nil)
	assert.Equal(t, http.StatusOK, status, "only the next n downloads expire")

	later := t0.Add(2 * time.Minute)
	now.Store(&later)
	status, body = fetch(t, u.String(), nil)
	assert.Equal(t, http.StatusForbidden, status, "links expire after a minute")
	assert.Contains(t, body, "Request has expired")

	_, resp, err = gh.Actions.DownloadArtifact(t.Context(), "acme", "shop", gone, 0)
	require.Error(t, err)
	assert.Equal(t, http.StatusGone, resp.StatusCode)
}

func TestAuthAndAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		token      string // the simulator's
		header     string // the request's Authorization
		access     int
		path       string
		wantStatus int
		wantMsg    string
	}{
		{name: "no token required", path: "/repos/acme/shop", wantStatus: 200},
		{name: "Bearer", token: "t0k", header: "Bearer t0k", path: "/repos/acme/shop", wantStatus: 200},
		{name: "token scheme", token: "t0k", header: "token t0k", path: "/repos/acme/shop", wantStatus: 200},
		{name: "missing", token: "t0k", path: "/repos/acme/shop", wantStatus: 401, wantMsg: "Bad credentials"},
		{name: "wrong", token: "t0k", header: "Bearer nope", path: "/repos/acme/shop", wantStatus: 401, wantMsg: "Bad credentials"},
		{name: "actions denied", access: 403, path: "/repos/acme/shop/actions/artifacts", wantStatus: 403, wantMsg: "Resource not accessible by integration"},
		{name: "actions hidden", access: 404, path: "/repos/acme/shop/actions/workflows/deploy.yml/runs", wantStatus: 404, wantMsg: "Not Found"},
		{name: "repo still readable", access: 403, path: "/repos/acme/shop", wantStatus: 200},
		{name: "another repository", path: "/repos/acme/other", wantStatus: 404, wantMsg: "Not Found"},
		{name: "unknown workflow", path: "/repos/acme/shop/actions/workflows/nope.yml/runs", wantStatus: 404, wantMsg: "Not Found"},
		{name: "unknown run", path: "/repos/acme/shop/actions/runs/999", wantStatus: 404, wantMsg: "Not Found"},
		{name: "unknown endpoint", path: "/repos/acme/shop/actions/secrets", wantStatus: 404, wantMsg: "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := runsSim(t)
			sim.SetToken(tt.token)
			sim.SetRepoAccess(tt.access)
			gh := newClient(t, sim)
			req, err := gh.NewRequest(http.MethodGet, strings.TrimPrefix(tt.path, "/"), nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := gh.Do(t.Context(), req, nil)
			require.NotNil(t, resp)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantMsg == "" {
				assert.NoError(t, err)
				return
			}
			var er *github.ErrorResponse
			require.ErrorAs(t, err, &er)
			assert.Equal(t, tt.wantMsg, er.Message)
		})
	}
}

func TestPrefixIsRequired(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	root := strings.TrimSuffix(sim.APIURL(), ghsim.APIPrefix)
	for _, p := range []string{"/repos/acme/shop", "/repos/acme/shop/actions/artifacts", "/api/v3/repos/acme/shop"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, root+p, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		want := http.StatusNotFound
		if strings.HasPrefix(p, ghsim.APIPrefix) {
			want = http.StatusOK
		}
		assert.Equal(t, want, resp.StatusCode, p)
	}
}

func TestRepository(t *testing.T) {
	t.Parallel()
	sim := runsSim(t, ghsim.WithDefaultBranch("trunk"))
	gh := newClient(t, sim)
	repo, _, err := gh.Repositories.Get(t.Context(), "acme", "shop")
	require.NoError(t, err)
	assert.Equal(t, "trunk", repo.GetDefaultBranch())
	assert.Equal(t, "acme/shop", repo.GetFullName())
	assert.NotEmpty(t, repo.GetHTMLURL())
	sim.SetDefaultBranch("main")
	repo, _, err = gh.Repositories.Get(t.Context(), "ACME", "Shop")
	require.NoError(t, err, "names are case-insensitive")
	assert.Equal(t, "main", repo.GetDefaultBranch())
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		headers     map[string]string
		wantMessage string
		wantHeader  [2]string
	}{
		{name: "503", status: 503, wantMessage: "Service Unavailable"},
		{name: "secondary rate limit", status: 403, headers: map[string]string{"Retry-After": "1"}, wantMessage: "You have exceeded a secondary rate limit", wantHeader: [2]string{"Retry-After", "1"}},
		{name: "primary rate limit", status: 403, headers: map[string]string{"X-RateLimit-Remaining": "0"}, wantMessage: "API rate limit exceeded", wantHeader: [2]string{"X-RateLimit-Remaining", "0"}},
		{name: "410", status: 410, wantMessage: "Gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := runsSim(t)
			sim.FailNext("/actions/artifacts", 2, tt.status, tt.headers)
			get := func(p string) (int, http.Header, string) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sim.APIURL()+p, nil)
				require.NoError(t, err)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				return resp.StatusCode, resp.Header, string(body)
			}
			status, _, _ := get("/repos/acme/shop")
			assert.Equal(t, 200, status, "other paths are not affected")
			for range 2 {
				status, h, body := get("/repos/acme/shop/actions/artifacts")
				assert.Equal(t, tt.status, status)
				assert.Contains(t, body, tt.wantMessage)
				if tt.wantHeader[0] != "" {
					assert.Equal(t, tt.wantHeader[1], h.Get(tt.wantHeader[0]))
				}
			}
			status, _, _ = get("/repos/acme/shop/actions/artifacts")
			assert.Equal(t, 200, status, "only the next n fail")
			assert.Equal(t, 3, sim.CallCount("/actions/artifacts"))
			assert.Equal(t, 4, sim.CallCount(""))
		})
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	sim.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	gh := newClient(t, sim)
	done := make(chan error, 1)
	go func() {
		_, _, err := gh.Repositories.Get(ctx, "acme", "shop")
		done <- err
	}()
	// Cancel once the simulator holds the request.
	for sim.CallCount("/repos/acme/shop") == 0 {
		select {
		case err := <-done:
			t.Fatalf("answered despite an hour of latency: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	err := <-done
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestCallsRecordQueryAndAuth(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	gh := newClient(t, sim).WithAuthToken("abc")
	_, _, err := gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml",
		&github.ListWorkflowRunsOptions{Status: "success", Branch: "main", ListOptions: github.ListOptions{PerPage: 100}})
	require.NoError(t, err)
	calls := sim.Calls()
	require.Len(t, calls, 1)
	q, err := url.ParseQuery(calls[0].Query)
	require.NoError(t, err)
	got := map[string]any{"method": calls[0].Method, "path": calls[0].Path, "host": calls[0].Host, "auth": calls[0].Authorized,
		"status": q.Get("status"), "branch": q.Get("branch"), "per_page": q.Get("per_page")}
	want := map[string]any{"method": "GET", "path": "/api/v3/repos/acme/shop/actions/workflows/deploy.yml/runs", "host": "api", "auth": true,
		"status": "success", "branch": "main", "per_page": "100"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call (-want +got):\n%s", diff)
	}
}

func TestPerPageIsCappedAt100(t *testing.T) {
	t.Parallel()
	sim := ghsim.New("acme", "shop")
	t.Cleanup(sim.Close)
	for i := range 101 {
		sim.AddRun(ghsim.Run{ID: int64(i + 1), HeadBranch: "main", Conclusion: "success", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	gh := newClient(t, sim)
	runs, resp, err := gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml",
		&github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 500}})
	require.NoError(t, err)
	assert.Len(t, runs.WorkflowRuns, 100)
	assert.Equal(t, 101, runs.GetTotalCount())
	assert.Equal(t, 2, resp.NextPage)
	runs, _, err = gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml", nil)
	require.NoError(t, err)
	assert.Len(t, runs.WorkflowRuns, 30, "default per_page")
}

func TestRerun(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	gh := newClient(t, sim)
	later := t0.Add(48 * time.Hour)
	require.True(t, sim.Rerun(1, later, "success"))
	assert.False(t, sim.Rerun(99, later, "success"), "no such run")
	id := sim.AddArtifact(1, "deployment-state", []byte("zip"), false)

	run, _, err := gh.Actions.GetWorkflowRunByID(t.Context(), "acme", "shop", 1)
	require.NoError(t, err)
	assert.Equal(t, 2, run.GetRunAttempt())
	assert.Equal(t, t0, run.GetCreatedAt().Time, "a re-run keeps created_at")
	assert.Equal(t, later, run.GetRunStartedAt().Time)
	assert.Equal(t, later.Add(2*time.Minute), run.GetUpdatedAt().Time)
	assert.Contains(t, run.GetPreviousAttemptURL(), "/actions/runs/1/attempts/1")

	runs, _, err := gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml", &github.ListWorkflowRunsOptions{Status: "success"})
	require.NoError(t, err)
	assert.Equal(t, []int64{5, 4, 3, 1}, runIDs(runs), "the list stays ordered by creation")

	art, _, err := gh.Actions.GetArtifact(t.Context(), "acme", "shop", id)
	require.NoError(t, err)
	assert.Equal(t, later.Add(time.Minute), art.GetCreatedAt().Time, "the new attempt's artifact")

	require.True(t, sim.Rerun(5, later, "failure"))
	runs, _, err = gh.Actions.ListWorkflowRunsByFileName(t.Context(), "acme", "shop", "deploy.yml", &github.ListWorkflowRunsOptions{Status: "success"})
	require.NoError(t, err)
	assert.Equal(t, []int64{4, 3, 1}, runIDs(runs), "a failed re-run is no longer successful")
}

func TestBranchesAndTags(t *testing.T) {
	t.Parallel()
	sim := runsSim(t)
	sim.AddTag("v1.0.0", "")
	sim.AddBranch("release/1", "")
	sim.AddRun(ghsim.Run{ID: 7, HeadBranch: "v1.0.0", Conclusion: "success", CreatedAt: t0.Add(20 * time.Hour)})
	gh := newClient(t, sim)
	for _, tc := range []struct {
		branch string
		ok     bool
	}{{"main", true}, {"feature", true}, {"release/1", true}, {"v1.0.0", false}, {"nowhere", false}} {
		b, resp, err := gh.Repositories.GetBranch(t.Context(), "acme", "shop", tc.branch, 0)
		if !tc.ok {
			require.Error(t, err, tc.branch)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, tc.branch)
			continue
		}
		require.NoError(t, err, tc.branch)
		assert.Equal(t, tc.branch, b.GetName())
		assert.Len(t, b.GetCommit().GetSHA(), 40)
	}
	ref, _, err := gh.Git.GetRef(t.Context(), "acme", "shop", "tags/v1.0.0")
	require.NoError(t, err)
	assert.Equal(t, "refs/tags/v1.0.0", ref.GetRef())
	assert.Equal(t, "commit", ref.GetObject().GetType())
	for _, missing := range []string{"tags/v1.0", "tags/main", "heads/v1.0.0"} {
		_, resp, err := gh.Git.GetRef(t.Context(), "acme", "shop", missing)
		require.Error(t, err, missing)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, missing)
	}
	ref, _, err = gh.Git.GetRef(t.Context(), "acme", "shop", "heads/release/1")
	require.NoError(t, err)
	assert.Equal(t, "refs/heads/release/1", ref.GetRef())
}
