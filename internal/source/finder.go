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
	DefaultMaxCalls         = 30
	DefaultMaxArtifactBytes = 10 << 20
	DefaultCallTimeout      = 2 * time.Minute
	DefaultArtifactName     = "deployment-state"
)

// perPage is GitHub's largest page.
const perPage = 100

// fastArtifactPages is how many pages of the repository's artifact list
// are read before the search turns to each run's own artifact list: in a
// busy repository that list holds every service's and environment's
// deployment-state artifacts.
const fastArtifactPages = 3

// Finder finds the last successful deployment of a workflow: of its
// successful runs on a branch (or on any ref), the one whose usable
// deployment-state artifact is the newest. It reads GitHub's workflow runs,
// artifacts and git refs (https://docs.github.com/rest/actions/workflow-runs,
// https://docs.github.com/rest/actions/artifacts,
// https://docs.github.com/rest/git/refs).
type Finder struct {
	// GitHub is the API client, authenticated for actions: read (and
	// contents: read, to tell a tag from a branch); its transport should
	// retry (see internal/ghhttp).
	GitHub *github.Client
	// Download fetches artifact zips from the signed URL GitHub redirects to.
	// It must be a plain client WITHOUT authentication: that URL is on
	// another host and must never receive the token. Nil: a plain client.
	Download *http.Client
	// Owner and Repo name the repository.
	Owner, Repo string
	// MaxPages bounds the pages of runs read (default 5, of 100 each). The
	// repository's artifact list is read for at most 3 pages, and no more
	// than MaxPages.
	MaxPages int
	// MaxCalls bounds the requests of one search, to the API and the
	// download host together (default 30).
	MaxCalls int
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

// LastSuccessful returns the last successful deployment of q.Workflow: of
// its successful runs on q.Branch that hold a usable, unexpired artifact
// named q.ArtifactName (default deployment-state) with a matching
// environment, the one whose deployment succeeded last. It also returns the
// runs passed over that succeeded later, newest first, each with the reason.
//
// When the deployment succeeded is when its artifact was created: a re-run
// keeps its run's ID and created_at, and the list of runs stays ordered by
// creation, but a re-run attempt uploads its artifact afresh. So a re-run of
// an older run, which is how deployments are often rolled back by hand, wins
// over a newer run that succeeded before it.
//
// The search walks the repository's artifacts of that name newest first
// (https://docs.github.com/rest/actions/artifacts#list-artifacts-for-a-repository)
// and matches each, by its workflow_run.id, with the workflow's successful
// runs, listed at the same time
// (https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow);
// an artifact newer than its run's place in that list (a re-run's) has its
// run fetched alone. Runs without an artifact cost no request. When the
// artifact list would need more than 3 pages, the search turns to the
// listed runs' own artifact lists
// (https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts),
// newest success first; so it does for a server whose artifacts do not name
// their run (older GitHub Enterprise Server). Only the chosen candidate is
// downloaded (GitHub answers a 302 to a signed URL on another host, fetched
// with f.Download without the token; an expired link is fetched afresh
// once). MaxPages and MaxCalls bound the search.
//
// When q.Branch is neither AnyRef nor q.DefaultBranch, the search asks
// whether it names a tag (GET /repos/{owner}/{repo}/git/ref/tags/{name}) at
// the same time as it lists the first pages; for a tag, runs on any ref
// count, and the environment alone scopes them.
//
// Runs are passed over (a Skipped) when their artifact expired or is gone
// (410), is larger than MaxArtifactBytes, is unusable
// (deploystate.ErrUnusable) or records another environment, when they have
// no such artifact, or when the run came from a fork. Errors talking to
// GitHub or the download host are returned, never turned into a pass-over:
// going further back because of a network hiccup would pick an older
// deployment than the operator expects. When nothing is found the error
// wraps ErrNoPreviousDeployment and says how many runs were searched, and
// whether a search bound stopped it.
func (f *Finder) LastSuccessful(ctx context.Context, q Query) (Deployment, []Skipped, error) {
	workflow, err := workflowRef(q.Workflow)
	if err != nil {
		return Deployment{}, nil, err
	}
	q.Branch = strings.TrimSpace(q.Branch)
	if q.Branch == "" {
		return Deployment{}, nil, errors.New("find the last successful deployment: no branch given")
	}
	if f.GitHub == nil || f.Owner == "" || f.Repo == "" {
		return Deployment{}, nil, errors.New("find the last successful deployment: the finder has no GitHub client or repository")
	}
	s := &search{
		f: f, q: q, workflow: workflow, name: q.ArtifactName,
		runByID: map[int64]*github.WorkflowRun{}, byRun: map[int64][]*github.Artifact{}, judged: map[int64]bool{},
	}
	if s.name == "" {
		s.name = DefaultArtifactName
	}
	dep, err := s.find(ctx)
	s.logf("searched %d runs %s with %d GitHub requests (%d pages of runs, %d of artifacts, %d runs fetched alone, %d run artifact lists, %d downloads)",
		s.searched, s.where(), s.calls, s.runPages, s.artPages, s.runGets, s.runLists, s.downloads)
	if err != nil {
		return Deployment{}, s.passedOver(nil), err
	}
	s.settle()
	return dep, s.passedOver(&dep), nil
}

// errBudget is returned by a request that MaxCalls does not allow.
var errBudget = errors.New("search bound reached")

// search is the state of one LastSuccessful call.
type search struct {
	f        *Finder
	q        Query
	workflow string
	name     string

	branch string // head_branch runs must have; "" for any ref
	tagRef bool   // q.Branch names a tag

	runs      []*github.WorkflowRun // as listed: newest created first
	runByID   map[int64]*github.WorkflowRun
	minRunID  int64     // smallest ID listed
	oldestRun time.Time // created_at of the oldest run listed
	runPages  int
	runsNext  int // next page of runs, 0 when none

	arts      []*github.Artifact           // artifacts named name, newest first, as listed
	byRun     map[int64][]*github.Artifact // the same, by run ID, newest first
	artPages  int
	artsNext  int       // next page of artifacts, 0 when none
	oldestArt time.Time // created_at of the oldest artifact listed
	perRun    bool      // artifacts carry no workflow_run: ask per run
	next      int       // index in arts of the next artifact to look at

	judged   map[int64]bool // runs decided on
	skipped  []skipped
	searched int
	settled  bool

	mu                                  sync.Mutex // the first requests go out together
	calls, runGets, runLists, downloads int
}

// skipped is a Skipped with the time its run succeeded, for the order.
type skipped struct {
	Skipped
	at time.Time
}

// logf passes a debug line to Finder.Logf, one at a time.
func (s *search) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.logf(format, args...)
}

// where says which runs count, for messages.
func (s *search) where() string {
	switch {
	case s.branch != "":
		return "on branch " + s.branch
	case s.tagRef:
		return fmt.Sprintf("on any ref (%s is a tag)", s.q.Branch)
	}
	return "on any ref"
}

// find runs the search.
func (s *search) find(ctx context.Context) (Deployment, error) {
	if err := s.start(ctx); err != nil {
		return Deployment{}, s.bounded(err)
	}
	for !s.perRun {
		dep, ok, err := s.walkArtifacts(ctx)
		if err != nil || ok {
			return dep, s.bounded(err)
		}
		if s.artsNext == 0 {
			return Deployment{}, s.notFound("")
		}
		if s.artPages >= min(fastArtifactPages, s.f.maxPages()) {
			s.logf("%d pages of %q artifacts hold no usable one of this workflow; asking each run for its own", s.artPages, s.name)
			break
		}
		if err := s.nextArtifacts(ctx); err != nil {
			return Deployment{}, s.bounded(err)
		}
	}
	dep, err := s.walkRuns(ctx)
	return dep, s.bounded(err)
}

// bounded turns a request refused by MaxCalls into a not-found error.
func (s *search) bounded(err error) error {
	if errors.Is(err, errBudget) {
		return s.notFound(fmt.Sprintf("; the search stops after %d GitHub requests", s.f.maxCalls()))
	}
	return err
}

// notFound is the error when no run qualifies; bound says what stopped
// the search early, if anything.
func (s *search) notFound(bound string) error {
	s.settle()
	return fmt.Errorf("%w: no successful run of workflow %s %s has a usable, unexpired %q artifact (searched %d runs%s)",
		ErrNoPreviousDeployment, s.q.Workflow, s.where(), s.name, s.searched, bound)
}

// start lists the first page of runs and of artifacts, and asks whether
// the branch is a tag, all at once. Every request is let finish, so that
// when several fail the runs listing's error, which names the likelier
// causes, is the one returned. For a tag, the runs are listed again
// without the branch filter.
func (s *search) start(ctx context.Context) error {
	check := s.q.Branch != AnyRef && s.q.Branch != s.q.DefaultBranch
	if s.q.Branch != AnyRef {
		s.branch = s.q.Branch
	}
	var runsErr, artsErr, refErr error
	var tag bool
	var wg sync.WaitGroup
	wg.Go(func() { runsErr = s.nextRuns(ctx) })
	wg.Go(func() { artsErr = s.nextArtifacts(ctx) })
	if check {
		wg.Go(func() { tag, refErr = s.isTag(ctx, s.q.Branch) })
	}
	wg.Wait()
	s.tagRef = tag
	for _, err := range []error{runsErr, artsErr, refErr} {
		if err != nil {
			return err
		}
	}
	if !s.tagRef {
		return nil
	}
	s.logf("%s is a tag, not a branch: runs on any ref count", s.q.Branch)
	s.branch = ""
	s.runs, s.runByID, s.runPages, s.runsNext, s.minRunID, s.oldestRun = nil, map[int64]*github.WorkflowRun{}, 0, 0, 0, time.Time{}
	return s.nextRuns(ctx)
}

// walkArtifacts goes through the listed artifacts newest first and tries
// each one's run, once per run, until one is usable.
func (s *search) walkArtifacts(ctx context.Context) (Deployment, bool, error) {
	for s.next < len(s.arts) {
		a := s.arts[s.next]
		id := a.GetWorkflowRun().GetID()
		if id == s.q.ExcludeRunID || s.judged[id] {
			s.next++
			continue
		}
		run, err := s.runOf(ctx, a)
		if err != nil {
			return Deployment{}, false, err
		}
		s.next++
		if run == nil {
			continue
		}
		s.judged[id] = true
		s.searched++
		if reason := s.notEligible(run); reason != "" {
			s.skip(run, a.GetCreatedAt().Time, "%s", reason)
			continue
		}
		dep, ok, err := s.try(ctx, run, s.byRun[id])
		if err != nil || ok {
			return dep, ok, err
		}
	}
	return Deployment{}, false, nil
}

// runOf returns the successful run of the workflow that artifact a belongs
// to, or nil when it belongs to no such run. A run not listed yet is looked
// for on the next pages of runs when the artifact is older than the runs
// listed, or fetched alone when it is newer: a run older than every run
// listed with a newer artifact is a re-run.
func (s *search) runOf(ctx context.Context, a *github.Artifact) (*github.WorkflowRun, error) {
	wr := a.GetWorkflowRun()
	id := wr.GetID()
	for {
		if run, ok := s.runByID[id]; ok {
			return run, nil
		}
		if s.branch != "" && wr.HeadBranch != nil && wr.GetHeadBranch() != s.branch {
			return nil, nil
		}
		if wr.RepositoryID != nil && wr.HeadRepositoryID != nil && wr.GetRepositoryID() != wr.GetHeadRepositoryID() {
			return nil, nil // a fork's, not listed among the runs
		}
		if s.runsNext == 0 || id > s.minRunID {
			// Every run is listed, or run IDs, which grow with time, say
			// it would be: not a successful run of the workflow.
			return nil, nil
		}
		if a.GetCreatedAt().Before(s.oldestRun) && s.runPages < s.f.maxPages() {
			if err := s.nextRuns(ctx); err != nil {
				return nil, err
			}
			continue
		}
		return s.getRun(ctx, id)
	}
}

// walkRuns tries the listed runs whose artifacts the artifact list did not
// reach, newest success first, asking each for its own artifacts, and
// lists further pages of runs while the search bound allows.
func (s *search) walkRuns(ctx context.Context) (Deployment, error) {
	for {
		var todo []*github.WorkflowRun
		for _, run := range s.runs {
			if id := run.GetID(); id != s.q.ExcludeRunID && !s.judged[id] && !s.decided(run) {
				todo = append(todo, run)
			}
		}
		slices.SortStableFunc(todo, func(a, b *github.WorkflowRun) int { return succeeded(b).Compare(succeeded(a)) })
		for _, run := range todo {
			s.judged[run.GetID()] = true
			if reason := s.notEligible(run); reason != "" {
				s.searched++
				s.skip(run, succeeded(run), "%s", reason)
				continue
			}
			arts, err := s.runArtifacts(ctx, run.GetID())
			if err != nil {
				return Deployment{}, err
			}
			s.searched++
			dep, ok, err := s.try(ctx, run, arts)
			if err != nil || ok {
				return dep, err
			}
		}
		if s.runsNext == 0 {
			return Deployment{}, s.notFound("")
		}
		if s.runPages >= s.f.maxPages() {
			return Deployment{}, s.notFound(fmt.Sprintf("; the search stops after %d pages of %d runs", s.runPages, perPage))
		}
		if err := s.nextRuns(ctx); err != nil {
			return Deployment{}, err
		}
	}
}

// decided reports whether the artifact list settles that run has no
// artifact: it is complete, or the run was created after the oldest
// artifact listed (an artifact is created after its run, and the list is
// sorted newest first).
func (s *search) decided(run *github.WorkflowRun) bool {
	if s.perRun {
		return false
	}
	if s.artsNext == 0 {
		return true
	}
	created := run.GetCreatedAt().Time
	return !created.IsZero() && !s.oldestArt.IsZero() && created.After(s.oldestArt)
}

// succeeded is when a run's latest attempt ended: its updated_at, else
// when that attempt started, else its creation.
func succeeded(run *github.WorkflowRun) time.Time {
	for _, t := range []*github.Timestamp{run.UpdatedAt, run.RunStartedAt, run.CreatedAt} {
		if t != nil && !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}

// settle passes over, once, the listed runs the artifact list shows to
// have no artifact.
func (s *search) settle() {
	if s.settled {
		return
	}
	s.settled = true
	for _, run := range s.runs {
		id := run.GetID()
		if id == s.q.ExcludeRunID || s.judged[id] || len(s.byRun[id]) > 0 || !s.decided(run) || s.notEligible(run) != "" {
			continue
		}
		s.judged[id] = true
		s.searched++
		s.skipped = append(s.skipped, skipped{Skipped{RunID: id, RunURL: run.GetHTMLURL(), Reason: fmt.Sprintf("no %s artifact", s.name)}, succeeded(run)})
	}
}

// passedOver is the runs passed over that succeeded after dep (all, when
// nil), newest first.
func (s *search) passedOver(dep *Deployment) []Skipped {
	all := slices.Clone(s.skipped)
	slices.SortStableFunc(all, func(a, b skipped) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return compareDesc(a.RunID, b.RunID)
	})
	var out []Skipped
	for _, sk := range all {
		if dep == nil || sk.at.After(dep.SucceededAt) {
			out = append(out, sk.Skipped)
		}
	}
	return out
}

func compareDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// notEligible says why a listed run cannot be a source whatever its
// artifacts, or "". The listing already filters on these; this guards
// against a server that does not.
func (s *search) notEligible(run *github.WorkflowRun) string {
	if c := run.GetConclusion(); c != "success" {
		return fmt.Sprintf("conclusion is %q, not success", c)
	}
	if b := run.GetHeadBranch(); s.branch != "" && b != s.branch {
		return fmt.Sprintf("ran on branch %q, not %q", b, s.branch)
	}
	if head := run.GetHeadRepository().GetFullName(); head != "" && !strings.EqualFold(head, s.f.Owner+"/"+s.f.Repo) {
		return fmt.Sprintf("ran on a fork (%s)", head)
	}
	return ""
}

// skip records that run was passed over, and why; at is when it succeeded.
func (s *search) skip(run *github.WorkflowRun, at time.Time, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	s.logf("passing over run %d: %s", run.GetID(), reason)
	s.skipped = append(s.skipped, skipped{Skipped{RunID: run.GetID(), RunURL: run.GetHTMLURL(), Reason: reason}, at})
}

// try checks one run's artifacts (newest first) and, when the newest
// unexpired one is usable, returns the deployment; otherwise it records why
// the run was passed over.
func (s *search) try(ctx context.Context, run *github.WorkflowRun, arts []*github.Artifact) (Deployment, bool, error) {
	f := s.f
	id := run.GetID()
	at := succeeded(run)
	if len(arts) > 0 {
		at = arts[0].GetCreatedAt().Time
	}
	skip := func(format string, args ...any) (Deployment, bool, error) {
		s.skip(run, at, format, args...)
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
	at = art.GetCreatedAt().Time
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
	s.logf("run %d (#%d, attempt %d) has a usable %s artifact %d of %s: image tag %s",
		id, run.GetRunNumber(), max(run.GetRunAttempt(), 1), s.name, art.GetID(), at.UTC().Format(time.RFC3339), st.ImageTag)
	return Deployment{
		RunID:       id,
		RunNumber:   run.GetRunNumber(),
		RunAttempt:  max(run.GetRunAttempt(), 1),
		RunURL:      run.GetHTMLURL(),
		HeadBranch:  run.GetHeadBranch(),
		HeadSHA:     run.GetHeadSHA(),
		CreatedAt:   run.GetCreatedAt().Time,
		SucceededAt: at,
		ArtifactID:  art.GetID(),
		State:       st,
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
		if err := s.spend(2); err != nil {
			return nil, "", err
		}
		s.downloads++
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

// spend takes n requests from the search's budget, or returns errBudget.
func (s *search) spend(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls+n > s.f.maxCalls() {
		return errBudget
	}
	s.calls += n
	return nil
}

// get sends one GET to the API path p within the search's budget.
func (s *search) get(ctx context.Context, p string, v any) (*github.Response, error) {
	if err := s.spend(1); err != nil {
		return nil, err
	}
	return s.f.get(ctx, p, v)
}

// isTag reports whether name is a tag of the repository
// (https://docs.github.com/rest/git/refs#get-a-reference). A token that may
// not read the repository's contents cannot tell: name is taken for a
// branch.
func (s *search) isTag(ctx context.Context, name string) (bool, error) {
	if !validRefName(name) {
		return false, nil // git would not have made a tag of it
	}
	segs := strings.Split(name, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	p := fmt.Sprintf("repos/%s/%s/git/ref/tags/%s", url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), strings.Join(segs, "/"))
	var ref github.Reference
	resp, err := s.get(ctx, p, &ref)
	if err == nil {
		return ref.GetRef() == "refs/tags/"+name, nil
	}
	if st, ok := denied(err, resp); ok || st == http.StatusConflict {
		if st != http.StatusNotFound {
			s.logf("cannot tell whether %s is a tag (GitHub answered %d; the token may lack `contents: read`): taking it for a branch", name, st)
		}
		return false, nil
	}
	return false, s.f.apiError(fmt.Sprintf("look up tag %s", name), err, resp)
}

// getRun fetches one run (https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run)
// and returns it when it is a successful run of the workflow on the branch,
// else nil.
func (s *search) getRun(ctx context.Context, id int64) (*github.WorkflowRun, error) {
	p := fmt.Sprintf("repos/%s/%s/actions/runs/%d?exclude_pull_requests=true", url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), id)
	var run github.WorkflowRun
	resp, err := s.get(ctx, p, &run)
	s.runGets++
	if status(resp) == http.StatusNotFound {
		return nil, nil // deleted since
	}
	if err != nil {
		return nil, s.f.artifactsError(fmt.Sprintf("get run %d", id), err, resp)
	}
	ours := workflowFileOf(run.GetPath()) == s.workflow || strconv.FormatInt(run.GetWorkflowID(), 10) == s.workflow
	switch {
	case !ours, run.GetConclusion() != "success", s.branch != "" && run.GetHeadBranch() != s.branch:
		s.logf("run %d, whose %q artifact is newer than the runs listed, is not a successful run of %s %s", id, s.name, s.q.Workflow, s.where())
		return nil, nil
	}
	s.logf("run %d (attempt %d, started %s) is an older run re-run since", id, run.GetRunAttempt(), run.GetRunStartedAt().UTC().Format(time.RFC3339))
	s.runByID[id] = &run
	return &run, nil
}

// workflowFileOf is the file name of a run's workflow path, which may end
// in @ref.
func workflowFileOf(p string) string {
	p, _, _ = strings.Cut(p, "@")
	return path.Base(p)
}

// nextRuns lists the next page of the workflow's successful runs, on the
// branch unless any ref counts.
func (s *search) nextRuns(ctx context.Context) error {
	page := max(s.runsNext, 1)
	v := url.Values{}
	v.Set("status", "success")
	if s.branch != "" {
		v.Set("branch", s.branch)
	}
	v.Set("exclude_pull_requests", "true")
	v.Set("per_page", strconv.Itoa(perPage))
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	p := fmt.Sprintf("repos/%s/%s/actions/workflows/%s/runs?%s",
		url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), url.PathEscape(s.workflow), v.Encode())
	var out github.WorkflowRuns
	resp, err := s.get(ctx, p, &out)
	if err != nil {
		what := fmt.Sprintf("list successful runs of workflow %s %s", s.q.Workflow, s.where())
		if st, ok := denied(err, resp); ok {
			return fmt.Errorf("%s: GitHub answered %d: the token probably lacks `actions: read` permission, or workflow %s does not exist in %s/%s: %w",
				what, st, s.q.Workflow, s.f.Owner, s.f.Repo, err)
		}
		return s.f.apiError(what, err, resp)
	}
	for _, run := range out.WorkflowRuns {
		id := run.GetID()
		if _, dup := s.runByID[id]; dup {
			continue // listed twice as the list moved
		}
		s.runs = append(s.runs, run)
		s.runByID[id] = run
		if s.minRunID == 0 || id < s.minRunID {
			s.minRunID = id
		}
		if c := run.GetCreatedAt().Time; !c.IsZero() && (s.oldestRun.IsZero() || c.Before(s.oldestRun)) {
			s.oldestRun = c
		}
	}
	s.runPages++
	s.runsNext = resp.NextPage
	s.logf("runs page %d: %d successful runs of %s %s (total %d)", page, len(out.WorkflowRuns), s.q.Workflow, s.where(), out.GetTotalCount())
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
	resp, err := s.get(ctx, p, &out)
	if err != nil {
		return s.f.artifactsError(fmt.Sprintf("list %q artifacts", s.name), err, resp)
	}
	var page0 []*github.Artifact
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
		page0 = append(page0, a)
		runID := a.GetWorkflowRun().GetID()
		s.byRun[runID] = append(s.byRun[runID], a)
		if c := a.GetCreatedAt().Time; !c.IsZero() && (s.oldestArt.IsZero() || c.Before(s.oldestArt)) {
			s.oldestArt = c
		}
	}
	sortNewestFirst(page0)
	s.arts = append(s.arts, page0...)
	for _, arts := range s.byRun {
		sortNewestFirst(arts)
	}
	s.artPages++
	s.artsNext = resp.NextPage
	s.logf("artifacts page %d: %d %q artifacts (total %d)", page, len(out.Artifacts), s.name, out.GetTotalCount())
	return nil
}

// runArtifacts lists one run's artifacts named s.name
// (https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts).
func (s *search) runArtifacts(ctx context.Context, runID int64) ([]*github.Artifact, error) {
	v := url.Values{}
	v.Set("name", s.name)
	v.Set("per_page", strconv.Itoa(perPage))
	p := fmt.Sprintf("repos/%s/%s/actions/runs/%d/artifacts?%s", url.PathEscape(s.f.Owner), url.PathEscape(s.f.Repo), runID, v.Encode())
	var out github.ArtifactList
	resp, err := s.get(ctx, p, &out)
	s.runLists++
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

func sortNewestFirst(arts []*github.Artifact) {
	slices.SortStableFunc(arts, func(a, b *github.Artifact) int {
		if c := b.GetCreatedAt().Compare(a.GetCreatedAt().Time); c != 0 {
			return c
		}
		return compareDesc(a.GetID(), b.GetID())
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

func (f *Finder) maxCalls() int {
	if f.MaxCalls > 0 {
		return f.MaxCalls
	}
	return DefaultMaxCalls
}

// validRefName reports whether name can be the name of a Git branch or tag,
// by the rules of git check-ref-format: no empty, dot-led or ".lock"
// component, no "..", "@{", control characters, space, ~ ^ : ? * [ or \.
// See https://git-scm.com/docs/git-check-ref-format
func validRefName(name string) bool {
	if name == "" || name == "@" || strings.HasSuffix(name, ".") || strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}
