package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/deplight/ecs-rollback/internal/deploystate"
)

// Defaults for Finder fields left zero.
const (
	DefaultMaxPages         = 5
	DefaultMaxArtifactBytes = 10 << 20
	DefaultCallTimeout      = 2 * time.Minute
	DefaultArtifactName     = "deployment-state"
)

// perPage is GitHub's largest page.
const perPage = 100

// Finder finds the last successful deployment of a workflow: the newest
// successful run on a branch whose deployment-state artifact is usable. It
// reads GitHub's workflow runs and artifacts
// (https://docs.github.com/rest/actions/workflow-runs,
// https://docs.github.com/rest/actions/artifacts).
type Finder struct {
	// GitHub is the API client, authenticated for actions: read; its
	// transport should retry (see internal/ghhttp).
	GitHub *github.Client
	// Download fetches artifact zips from the signed URL GitHub redirects to.
	// It must be a plain client WITHOUT authentication: that URL is on
	// another host and must never receive the token. Nil: a plain client.
	Download *http.Client
	// Owner and Repo name the repository.
	Owner, Repo string
	// MaxPages bounds the pages of runs, and of artifacts, read (default 5,
	// of 100 each).
	MaxPages int
	// MaxArtifactBytes is the largest artifact zip downloaded (default 10 MiB).
	MaxArtifactBytes int64
	// CallTimeout bounds each GitHub request and each download, retries
	// included (default 2 minutes).
	CallTimeout time.Duration
	// Logf, when set, receives debug lines.
	Logf func(format string, args ...any)
}

// DefaultBranch returns the repository's default branch, from
// GET /repos/{owner}/{repo} (https://docs.github.com/rest/repos/repos#get-a-repository).
func (f *Finder) DefaultBranch(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, f.callTimeout())
	defer cancel()
	repo, resp, err := f.GitHub.Repositories.Get(ctx, f.Owner, f.Repo)
	if err != nil {
		what := fmt.Sprintf("get repository %s/%s", f.Owner, f.Repo)
		if _, ok := denied(err, resp); ok {
			return "", fmt.Errorf("%s: the repository does not exist or the token cannot read it: %w", what, err)
		}
		return "", f.apiError(what, err, resp)
	}
	if repo.GetDefaultBranch() == "" {
		return "", fmt.Errorf("get repository %s/%s: no default branch in the answer", f.Owner, f.Repo)
	}
	return repo.GetDefaultBranch(), nil
}

// LastSuccessful returns the newest successful run of q.Workflow on
// q.Branch that holds a usable, unexpired artifact named q.ArtifactName
// (default deployment-state) with a matching environment, and the newer runs
// it passed over, newest first, each with the reason.
//
// It lists the workflow's successful runs and the repository's artifacts of
// that name at the same time, one page of 100 each, and matches them by the
// artifact's workflow_run.id, so runs without an artifact cost no request.
// Only the chosen candidate is downloaded (GitHub answers a 302 to a signed
// URL on another host, fetched with f.Download without the token; an
// expired link is fetched afresh once). Further pages are read only when the
// ones at hand hold no usable candidate, at most MaxPages of each.
//
// Runs are passed over (a Skipped) when they have no such artifact, when it
// expired or is gone (410), is larger than MaxArtifactBytes, is unusable
// (deploystate.ErrUnusable) or records another environment, or when the run
// came from a fork. Errors talking to GitHub or the download host are
// returned, never turned into a pass-over: going further back because of a
// network hiccup would pick an older deployment than the operator expects.
// When nothing is found the error wraps ErrNoPreviousDeployment and says how
// many runs were searched, and whether the search bound stopped it.
func (f *Finder) LastSuccessful(ctx context.Context, q Query) (Deployment, []Skipped, error) {
	workflow, err := workflowRef(q.Workflow)
	if err != nil {
		return Deployment{}, nil, err
	}
	if strings.TrimSpace(q.Branch) == "" {
		return Deployment{}, nil, errors.New("find the last successful deployment: no branch given")
	}
	if f.GitHub == nil || f.Owner == "" || f.Repo == "" {
		return Deployment{}, nil, errors.New("find the last successful deployment: the finder has no GitHub client or repository")
	}
	s := &search{f: f, q: q, workflow: workflow, name: q.ArtifactName, byRun: map[int64][]*github.Artifact{}}
	if s.name == "" {
		s.name = DefaultArtifactName
	}
	if err := s.firstPages(ctx); err != nil {
		return Deployment{}, nil, err
	}
	return s.walk(ctx)
}

// search is the state of one LastSuccessful call.
type search struct {
	f        *Finder
	q        Query
	workflow string
	name     string

	runs     []*github.WorkflowRun // newest first, as listed
	runPages int
	runsNext int // next page of runs, 0 when none

	byRun     map[int64][]*github.Artifact // artifacts named name, by run ID
	artPages  int
	artsNext  int       // next page of artifacts, 0 when none
	oldestArt time.Time // created_at of the oldest artifact listed
	perRun    bool      // artifacts carry no workflow_run: ask per run

	skipped  []Skipped
	searched int

	logMu sync.Mutex // the first pages log from two goroutines
}

// logf passes a debug line to Finder.Logf, one at a time.
func (s *search) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.f.logf(format, args...)
}

// firstPages lists the first page of runs and of artifacts concurrently.
// Both are let finish, so that when both fail the runs listing's error,
// which names the likelier causes, is the one returned.
func (s *search) firstPages(ctx context.Context) error {
	var runsErr, artsErr error
	var wg sync.WaitGroup
	wg.Go(func() { runsErr = s.nextRuns(ctx) })
	wg.Go(func() { artsErr = s.nextArtifacts(ctx) })
	wg.Wait()
	if runsErr != nil {
		return runsErr
	}
	return artsErr
}

// walk goes through the runs newest first until one has a usable artifact.
func (s *search) walk(ctx context.Context) (Deployment, []Skipped, error) {
	for i := 0; ; {
		for i < len(s.runs) {
			run := s.runs[i]
			if run.GetID() == s.q.ExcludeRunID {
				s.logf("run %d is the run that triggered the rollback; not a source", run.GetID())
				i++
				continue
			}
			if reason := s.notEligible(run); reason != "" {
				i++
				s.searched++
				s.skip(run, "%s", reason)
				continue
			}
			arts, decided, err := s.artifactsOf(ctx, run)
			if err != nil {
				return Deployment{}, s.skipped, err
			}
			if !decided {
				if s.artsNext != 0 && s.artPages < s.f.maxPages() {
					if err := s.nextArtifacts(ctx); err != nil {
						return Deployment{}, s.skipped, err
					}
					continue
				}
				return Deployment{}, s.skipped, fmt.Errorf(
					"%w: searched %d runs of workflow %s on branch %s; stopped after %d pages of %q artifacts without reaching run %d's",
					ErrNoPreviousDeployment, s.searched, s.q.Workflow, s.q.Branch, s.artPages, s.name, run.GetID())
			}
			i++
			s.searched++
			dep, ok, err := s.try(ctx, run, arts)
			if err != nil {
				return Deployment{}, s.skipped, err
			}
			if ok {
				return dep, s.skipped, nil
			}
		}
		if s.runsNext == 0 {
			return Deployment{}, s.skipped, fmt.Errorf(
				"%w: no successful run of workflow %s on branch %s has a usable, unexpired %q artifact (searched %d runs)",
				ErrNoPreviousDeployment, s.q.Workflow, s.q.Branch, s.name, s.searched)
		}
		if s.runPages >= s.f.maxPages() {
			return Deployment{}, s.skipped, fmt.Errorf(
				"%w: none of the newest %d successful runs of workflow %s on branch %s has a usable %q artifact (searched %d runs; the search stops after %d pages of %d runs)",
				ErrNoPreviousDeployment, len(s.runs), s.q.Workflow, s.q.Branch, s.name, s.searched, s.runPages, perPage)
		}
		if err := s.nextRuns(ctx); err != nil {
			return Deployment{}, s.skipped, err
		}
	}
}

// artifactsOf returns run's artifacts named s.name, newest first, and
// whether that answer is final: the artifact list is sorted newest first,
// and an artifact is created after its run, so a run created after the
// oldest artifact listed so far has all of its artifacts listed already.
func (s *search) artifactsOf(ctx context.Context, run *github.WorkflowRun) ([]*github.Artifact, bool, error) {
	if s.perRun {
		arts, err := s.runArtifacts(ctx, run.GetID())
		return arts, true, err
	}
	arts := s.byRun[run.GetID()]
	if len(arts) > 0 || s.artsNext == 0 {
		return arts, true, nil
	}
	created := run.GetCreatedAt().Time
	return nil, !created.IsZero() && !s.oldestArt.IsZero() && created.After(s.oldestArt), nil
}

// notEligible says why a listed run cannot be a source whatever its
// artifacts, or "". The listing already filters on these; this guards
// against a server that does not.
func (s *search) notEligible(run *github.WorkflowRun) string {
	if c := run.GetConclusion(); c != "success" {
		return fmt.Sprintf("conclusion is %q, not success", c)
	}
	if b := run.GetHeadBranch(); b != s.q.Branch {
		return fmt.Sprintf("ran on branch %q, not %q", b, s.q.Branch)
	}
	if head := run.GetHeadRepository().GetFullName(); head != "" && !strings.EqualFold(head, s.f.Owner+"/"+s.f.Repo) {
		return fmt.Sprintf("ran on a fork (%s)", head)
	}
	return ""
}

// skip records that run was passed over, and why.
func (s *search) skip(run *github.WorkflowRun, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	s.logf("passing over run %d: %s", run.GetID(), reason)
	s.skipped = append(s.skipped, Skipped{RunID: run.GetID(), RunURL: run.GetHTMLURL(), Reason: reason})
}

// try checks one run's artifacts and, when the newest unexpired one is
// usable, returns the deployment; otherwise it records why the run was
// passed over.
func (s *search) try(ctx context.Context, run *github.WorkflowRun, arts []*github.Artifact) (Deployment, bool, error) {
	f := s.f
	id := run.GetID()
	skip := func(format string, args ...any) (Deployment, bool, error) {
		s.skip(run, format, args...)
		return Deployment{}, false, nil
	}
	if len(arts) == 0 {
		return skip("no %s artifact", s.name)
	}
	var art *github.Artifact
	for _, a := range arts {
		if !a.GetExpired() {
			art = a
			break
		}
	}
	if art == nil {
		return skip("%s artifact expired", s.name)
	}
	if size := art.GetSizeInBytes(); size > f.maxArtifactBytes() {
		return skip("%s artifact is %d bytes, more than the %d-byte limit", s.name, size, f.maxArtifactBytes())
	}
	data, reason, err := s.download(ctx, run, art)
	if err != nil {
		return Deployment{}, false, err
	}
	if reason != "" {
		return skip("%s", reason)
	}
	st, err := deploystate.ReadZip(data)
	if err != nil {
		return skip("%v", err)
	}
	if s.q.Environment != "" && st.Environment != "" && st.Environment != s.q.Environment {
		return skip("deployed to environment %q, not %q", st.Environment, s.q.Environment)
	}
	s.logf("run %d (#%d) has a usable %s artifact %d: image tag %s", id, run.GetRunNumber(), s.name, art.GetID(), st.ImageTag)
	return Deployment{
		RunID:      id,
		RunNumber:  run.GetRunNumber(),
		RunURL:     run.GetHTMLURL(),
		HeadSHA:    run.GetHeadSHA(),
		CreatedAt:  run.GetCreatedAt().Time,
		ArtifactID: art.GetID(),
		State:      st,
	}, true, nil
}

// download fetches an artifact's zip: the API answers 302 with a signed URL
// on another host (https://docs.github.com/rest/actions/artifacts#download-an-artifact),
// which is fetched without the token. A reason is returned instead of data
// when the artifact is gone or too large; an expired link (403 or 400 from
// the download host) is fetched afresh once.
func (s *search) download(ctx context.Context, run *github.WorkflowRun, art *github.Artifact) ([]byte, string, error) {
	f := s.f
	id := art.GetID()
	for attempt := 1; ; attempt++ {
		what := fmt.Sprintf("get the download URL of artifact %d of run %d", id, run.GetID())
		cctx, cancel := context.WithTimeout(ctx, f.callTimeout())
		u, resp, err := f.GitHub.Actions.DownloadArtifact(cctx, f.Owner, f.Repo, id, 0)
		cancel()
		if err != nil {
			switch status(resp) {
			case http.StatusGone:
				return nil, fmt.Sprintf("%s artifact expired (410 Gone)", s.name), nil
			case http.StatusNotFound:
				return nil, fmt.Sprintf("%s artifact was deleted (404 Not Found)", s.name), nil
			case http.StatusForbidden:
				return nil, "", fmt.Errorf("%s: GitHub answered 403: the token probably lacks `actions: read` permission, or a rate limit was hit: %w", what, err)
			}
			return nil, "", f.apiError(what, err, resp)
		}
		data, code, err := f.fetch(ctx, u)
		if err != nil {
			return nil, "", fmt.Errorf("download artifact %d of run %d from %s: %w", id, run.GetID(), u.Host, err)
		}
		switch {
		case code == http.StatusOK && int64(len(data)) > f.maxArtifactBytes():
			return nil, fmt.Sprintf("%s artifact is larger than the %d-byte limit", s.name, f.maxArtifactBytes()), nil
		case code == http.StatusOK:
			return data, "", nil
		case (code == http.StatusForbidden || code == http.StatusBadRequest) && attempt == 1:
			s.logf("download link of artifact %d answered %d (expired?); asking GitHub for a fresh one", id, code)
			continue
		}
		return nil, "", fmt.Errorf("download artifact %d of run %d from %s: %d %s", id, run.GetID(), u.Host, code, http.StatusText(code))
	}
}

// fetch GETs a signed download URL with the plain client, reading at most
// MaxArtifactBytes+1 bytes of a 200 answer.
func (f *Finder) fetch(ctx context.Context, u *url.URL) ([]byte, int, error) {
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, 0, fmt.Errorf("download URL has scheme %q", u.Scheme)
	}
	ctx, cancel := context.WithTimeout(ctx, f.callTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	client := f.Download
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, resp.StatusCode, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxArtifactBytes()+1))
	if err != nil {
		return nil, 0, err
	}
	return data, resp.StatusCode, nil
}

// nextRuns lists the next page of the workflow's successful runs on the
// branch (https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow).
func (s *search) nextRuns(ctx context.Context) error {
	page := max(s.runsNext, 1)
	v := url.Values{}
	v.Set("status", "success")
	v.Set("branch", s.q.Branch)
	v.Set("exclude_pull_requests", "true")
	v.Set("per_page", strconv.Itoa(perPage))
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	p := fmt.Sprintf("repos/%s/%s/actions/workflows/%s/runs?%s",
		url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), url.PathEscape(s.workflow), v.Encode())
	var out github.WorkflowRuns
	resp, err := s.f.get(ctx, p, &out)
	if err != nil {
		what := fmt.Sprintf("list successful runs of workflow %s on branch %s", s.q.Workflow, s.q.Branch)
		if st, ok := denied(err, resp); ok {
			return fmt.Errorf("%s: GitHub answered %d: the token probably lacks `actions: read` permission, or workflow %s does not exist in %s/%s: %w",
				what, st, s.q.Workflow, s.f.Owner, s.f.Repo, err)
		}
		return s.f.apiError(what, err, resp)
	}
	s.runs = append(s.runs, out.WorkflowRuns...)
	s.runPages++
	s.runsNext = resp.NextPage
	s.logf("runs page %d: %d successful runs of %s on %s (total %d)", page, len(out.WorkflowRuns), s.q.Workflow, s.q.Branch, out.GetTotalCount())
	return nil
}

// nextArtifacts lists the next page of the repository's artifacts named
// s.name (https://docs.github.com/rest/actions/artifacts#list-artifacts-for-a-repository).
func (s *search) nextArtifacts(ctx context.Context) error {
	page := max(s.artsNext, 1)
	v := url.Values{}
	v.Set("name", s.name)
	v.Set("per_page", strconv.Itoa(perPage))
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	p := fmt.Sprintf("repos/%s/%s/actions/artifacts?%s", url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), v.Encode())
	var out github.ArtifactList
	resp, err := s.f.get(ctx, p, &out)
	if err != nil {
		return s.f.artifactsError(fmt.Sprintf("list %q artifacts", s.name), err, resp)
	}
	for _, a := range out.Artifacts {
		if a.GetName() != s.name {
			continue // a server that ignores the name filter
		}
		if a.GetWorkflowRun().GetID() == 0 {
			// An older GitHub Enterprise Server: no workflow_run in
			// artifacts, so ask per run instead.
			s.perRun = true
			continue
		}
		runID := a.GetWorkflowRun().GetID()
		s.byRun[runID] = append(s.byRun[runID], a)
		if c := a.GetCreatedAt().Time; !c.IsZero() && (s.oldestArt.IsZero() || c.Before(s.oldestArt)) {
			s.oldestArt = c
		}
	}
	for _, arts := range s.byRun {
		sortNewestFirst(arts)
	}
	s.artPages++
	s.artsNext = resp.NextPage
	s.logf("artifacts page %d: %d %q artifacts (total %d)", page, len(out.Artifacts), s.name, out.GetTotalCount())
	return nil
}

// runArtifacts lists one run's artifacts named s.name
// (https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts),
// for servers whose artifact list does not say which run an artifact
// belongs to.
func (s *search) runArtifacts(ctx context.Context, runID int64) ([]*github.Artifact, error) {
	v := url.Values{}
	v.Set("name", s.name)
	v.Set("per_page", strconv.Itoa(perPage))
	p := fmt.Sprintf("repos/%s/%s/actions/runs/%d/artifacts?%s", url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), runID, v.Encode())
	var out github.ArtifactList
	resp, err := s.f.get(ctx, p, &out)
	if err != nil {
		return nil, s.f.artifactsError(fmt.Sprintf("list %q artifacts of run %d", s.name, runID), err, resp)
	}
	var arts []*github.Artifact
	for _, a := range out.Artifacts {
		if a.GetName() == s.name {
			arts = append(arts, a)
		}
	}
	sortNewestFirst(arts)
	return arts, nil
}

func sortNewestFirst(arts []*github.Artifact) {
	slices.SortStableFunc(arts, func(a, b *github.Artifact) int {
		if c := b.GetCreatedAt().Compare(a.GetCreatedAt().Time); c != 0 {
			return c
		}
		switch {
		case a.GetID() > b.GetID():
			return -1
		case a.GetID() < b.GetID():
			return 1
		}
		return 0
	})
}

// get sends one GET to the API path p (relative to the client's BaseURL),
// under CallTimeout, decoding the JSON answer into v.
func (f *Finder) get(ctx context.Context, p string, v any) (*github.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, f.callTimeout())
	defer cancel()
	req, err := f.GitHub.NewRequest(http.MethodGet, p, nil)
	if err != nil {
		return nil, err
	}
	return f.GitHub.Do(ctx, req, v)
}

// artifactsError explains a failed artifacts listing.
func (f *Finder) artifactsError(what string, err error, resp *github.Response) error {
	if st, ok := denied(err, resp); ok {
		return fmt.Errorf("%s: GitHub answered %d: the token probably lacks `actions: read` permission: %w", what, st, err)
	}
	return f.apiError(what, err, resp)
}

// apiError explains the errors every GitHub call can meet: rate limits and
// a bad token.
func (f *Finder) apiError(what string, err error, resp *github.Response) error {
	var rle *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rle):
		return fmt.Errorf("%s: GitHub API rate limit exceeded until %s: %w", what, rle.Rate.Reset.UTC().Format(time.RFC3339), err)
	case errors.As(err, &abuse):
		return fmt.Errorf("%s: GitHub secondary rate limit exceeded; try again in a few minutes: %w", what, err)
	case status(resp) == http.StatusUnauthorized:
		return fmt.Errorf("%s: the GitHub token is invalid or expired (401 Bad credentials); check the github-token input: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// denied reports whether GitHub answered 403 or 404 for a reason other than a
// rate limit (which apiError explains): the token may not read what was
// asked, or it does not exist. It returns the status too.
func denied(err error, resp *github.Response) (int, bool) {
	var rle *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	st := status(resp)
	return st, (st == http.StatusForbidden || st == http.StatusNotFound) && !errors.As(err, &rle) && !errors.As(err, &abuse)
}

// status is the HTTP status of resp, or 0 when there was no answer.
func status(resp *github.Response) int {
	if resp == nil || resp.Response == nil {
		return 0
	}
	return resp.StatusCode
}

// workflowRef turns the deploy-workflow input into the {workflow_id} path
// element: a numeric ID as is, a file name as is, and a path such as
// .github/workflows/deploy.yml or a run's path with an @ref suffix reduced
// to its file name.
func workflowRef(w string) (string, error) {
	w = strings.TrimSpace(w)
	if w == "" {
		return "", errors.New("find the last successful deployment: no workflow given")
	}
	if _, err := strconv.ParseInt(w, 10, 64); err == nil {
		return w, nil
	}
	w, _, _ = strings.Cut(w, "@")
	base := path.Base(w)
	if base == "." || base == "/" || base == "" {
		return "", fmt.Errorf("find the last successful deployment: workflow %q is neither an ID nor a file name", w)
	}
	return base, nil
}

func (f *Finder) maxPages() int {
	if f.MaxPages > 0 {
		return f.MaxPages
	}
	return DefaultMaxPages
}

func (f *Finder) maxArtifactBytes() int64 {
	if f.MaxArtifactBytes > 0 {
		return f.MaxArtifactBytes
	}
	return DefaultMaxArtifactBytes
}

func (f *Finder) callTimeout() time.Duration {
	if f.CallTimeout > 0 {
		return f.CallTimeout
	}
	return DefaultCallTimeout
}

func (f *Finder) logf(format string, args ...any) {
	if f.Logf != nil {
		f.Logf(format, args...)
	}
}
