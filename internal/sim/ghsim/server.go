// Package ghsim simulates the parts of the GitHub REST API that ecs-rollback
// uses — the repository, workflow runs, artifacts and artifact downloads —
// over loopback HTTP, so the real go-github client and the real action binary
// can be tested against it. It serves JSON in the shapes of GitHub's OpenAPI
// description (https://github.com/github/rest-api-description), with its
// pagination, authentication and error behaviour, and can inject latency,
// failures, rate limits and expired download links.
//
// The API is mounted under /api/v3, as on GitHub Enterprise Server, so a
// client that builds absolute URLs or drops the prefix gets a loud 404.
// Artifact downloads redirect to a second server, the "blob" host, with a
// signed, expiring URL, as GitHub's do.
//
// It does not import testing: tests, end-to-end runs of the binary and the
// demo command all use it.
package ghsim

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the path the API is mounted under, as on GitHub Enterprise
// Server.
const APIPrefix = "/api/v3"

// downloadLinkTTL is how long a download URL stays valid: "This URL expires
// after 1 minute"
// (https://docs.github.com/rest/actions/artifacts#download-an-artifact).
const downloadLinkTTL = time.Minute

// artifactRetention is GitHub's default artifact retention.
const artifactRetention = 90 * 24 * time.Hour

// Run is a workflow run the simulator knows. Zero fields get defaults when
// added: ID the next free ID, RunNumber the next number, WorkflowPath
// .github/workflows/deploy.yml, WorkflowID derived from the path, Name
// "Deploy", Event push, Status completed, HeadSHA a stable fake SHA,
// CreatedAt the simulator's clock, HeadRepository owner/repo, Actor octocat,
// DisplayTitle from the SHA, RunAttempt 1, RunStartedAt CreatedAt.
type Run struct {
	ID             int64
	RunNumber      int64
	WorkflowID     int64
	WorkflowPath   string // e.g. .github/workflows/deploy.yml; GitHub may append @ref
	Name           string
	HeadBranch     string
	HeadSHA        string
	Event          string
	Status         string // requested, in_progress, completed, queued, pending, waiting
	Conclusion     string // success, failure, …; empty is null
	CreatedAt      time.Time
	HeadRepository string // full name; another one than owner/repo makes the run a fork's
	Actor          string
	DisplayTitle   string
	RunAttempt     int64 // default 1; above 1 gives the run a previous_attempt_url
	// RunStartedAt is when the latest attempt started (default CreatedAt);
	// a re-run keeps the run's ID and CreatedAt and moves this.
	RunStartedAt time.Time
	// UpdatedAt is the run's last change (default: two minutes after
	// RunStartedAt once completed, else RunStartedAt).
	UpdatedAt time.Time
	// ReferencedWorkflows are the reusable workflows the run called.
	ReferencedWorkflows []ReferencedWorkflow
}

// ReferencedWorkflow is a reusable workflow a run called.
type ReferencedWorkflow struct {
	Path string // owner/repo/.github/workflows/file.yml@ref
	SHA  string
	Ref  string // empty when called by SHA
}

// Call is one request the simulator received.
type Call struct {
	Method     string
	Path       string // URL path, /api/v3 prefix included for the API
	Query      string // raw query
	Host       string // "api" or "blob"
	Authorized bool   // an Authorization header was present
	At         time.Time
	// Status, Header and Body are the answer (Status 0 while it is being
	// written, or when the client went away first), for checks of the
	// simulator's answers against GitHub's API description.
	Status int
	Header http.Header
	Body   []byte
}

type artifact struct {
	id        int64
	runID     int64
	name      string
	zip       []byte
	expired   bool
	createdAt time.Time
	expiresAt time.Time
}

type failure struct {
	pathContains string
	left         int
	status       int
	headers      map[string]string
}

// Server is a running simulator. Its methods are safe for concurrent use.
type Server struct {
	owner, repo string
	api, blob   *httptest.Server
	apiURL      string // http://127.0.0.1:port/api/v3
	webURL      string // http://127.0.0.1:port, for html_url values
	blobURL     string // http://127.0.0.1:port of the blob host
	key         []byte // signs download URLs
	now         func() time.Time
	mux         *http.ServeMux
	// noArtifactRun leaves workflow_run out of artifacts.
	noArtifactRun bool

	mu             sync.Mutex
	defaultBranch  string
	token          string
	runs           map[int64]*Run
	nextRunID      int64
	artifacts      map[int64]*artifact
	nextArtifactID int64
	branches       map[string]string // name → SHA, besides the default and the runs' head branches
	tags           map[string]string // name → SHA
	latency        time.Duration
	failures       []*failure
	expireLinks    int
	repoAccess     int
	calls          []Call
}

// Option configures a Server at creation.
type Option func(*Server)

// WithClock sets the simulator's clock (default time.Now), used for default
// run times, artifact expiry dates and download-link expiry.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithoutArtifactWorkflowRun leaves workflow_run out of artifact objects,
// as older GitHub Enterprise Server versions do, so clients must find an
// artifact's run another way.
func WithoutArtifactWorkflowRun() Option { return func(s *Server) { s.noArtifactRun = true } }

// WithToken is SetToken at creation.
func WithToken(tok string) Option { return func(s *Server) { s.token = tok } }

// WithDefaultBranch is SetDefaultBranch at creation.
func WithDefaultBranch(b string) Option { return func(s *Server) { s.defaultBranch = b } }

// New starts a simulator for repository owner/repo: the API and the blob
// host, each an httptest server on 127.0.0.1. Close it when done.
func New(owner, repo string, opts ...Option) *Server {
	s := &Server{
		owner:          owner,
		repo:           repo,
		now:            time.Now,
		defaultBranch:  "main",
		runs:           map[int64]*Run{},
		nextRunID:      9_000_000_001,
		artifacts:      map[int64]*artifact{},
		branches:       map[string]string{},
		tags:           map[string]string{},
		nextArtifactID: 1_000_001,
		key:            make([]byte, 32),
	}
	_, _ = rand.Read(s.key)
	for _, o := range opts {
		o(s)
	}
	s.mux = http.NewServeMux()
	s.routes()
	// The URLs are set before the servers start, so handlers never race
	// with their assignment.
	s.api = httptest.NewUnstartedServer(http.HandlerFunc(s.serveAPI))
	s.blob = httptest.NewUnstartedServer(http.HandlerFunc(s.serveBlob))
	s.webURL = "http://" + s.api.Listener.Addr().String()
	s.apiURL = s.webURL + APIPrefix
	s.blobURL = "http://" + s.blob.Listener.Addr().String()
	s.api.Start()
	s.blob.Start()
	return s
}

// APIURL is the API base URL, e.g. http://127.0.0.1:41234/api/v3 (no
// trailing slash), what GITHUB_API_URL holds on GitHub Enterprise Server.
func (s *Server) APIURL() string { return s.apiURL }

// BlobURL is the base URL of the host artifact downloads redirect to.
func (s *Server) BlobURL() string { return s.blobURL }

// Close shuts both servers down.
func (s *Server) Close() {
	s.api.Close()
	s.blob.Close()
}

func (s *Server) fullName() string { return s.owner + "/" + s.repo }

// SetDefaultBranch sets the repository's default branch (default main).
func (s *Server) SetDefaultBranch(b string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultBranch = b
}

// SetToken makes the API require "Authorization: Bearer tok" (or "token
// tok"); other requests get 401 Bad credentials. An empty tok accepts any
// request, as a public repository would.
func (s *Server) SetToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

// AddRun adds a workflow run, or replaces the one with the same ID. Zero
// fields get the defaults listed on Run.
func (s *Server) AddRun(r Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == 0 {
		r.ID = s.nextRunID
	}
	s.nextRunID = max(s.nextRunID, r.ID+1)
	if r.RunNumber == 0 {
		r.RunNumber = int64(len(s.runs) + 1)
	}
	if r.WorkflowPath == "" {
		r.WorkflowPath = ".github/workflows/deploy.yml"
	}
	if r.WorkflowID == 0 {
		r.WorkflowID = stableID("workflow/" + workflowFile(r.WorkflowPath))
	}
	if r.Name == "" {
		r.Name = "Deploy"
	}
	if r.Event == "" {
		r.Event = "push"
	}
	if r.Status == "" {
		r.Status = "completed"
	}
	if r.HeadSHA == "" {
		r.HeadSHA = fakeSHA(fmt.Sprint("run/", r.ID))
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	if r.HeadRepository == "" {
		r.HeadRepository = s.fullName()
	}
	if r.Actor == "" {
		r.Actor = "octocat"
	}
	if r.RunAttempt == 0 {
		r.RunAttempt = 1
	}
	if r.RunStartedAt.IsZero() {
		r.RunStartedAt = r.CreatedAt
	}
	r.RunStartedAt = r.RunStartedAt.UTC().Truncate(time.Second)
	r.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Second)
	r.ReferencedWorkflows = slices.Clone(r.ReferencedWorkflows)
	if r.DisplayTitle == "" {
		r.DisplayTitle = "Deploy " + r.HeadSHA[:min(7, len(r.HeadSHA))]
	}
	s.runs[r.ID] = &r
}

// Rerun re-runs run id, as "Re-run all jobs" does: the run keeps its ID,
// run number and created_at (so its place in the list of runs); its
// run_attempt goes up by one, run_started_at becomes at, and it completes
// two minutes later with conclusion. Artifacts added afterwards belong to
// the new attempt. It reports whether the run exists.
func (s *Server) Rerun(id int64, at time.Time, conclusion string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return false
	}
	r.RunAttempt++
	r.RunStartedAt = at.UTC().Truncate(time.Second)
	r.UpdatedAt = r.RunStartedAt.Add(2 * time.Minute)
	r.Status, r.Conclusion = "completed", conclusion
	return true
}

// AddBranch adds a branch of the repository, pointing at sha (a fake one
// when empty). The default branch and the head branches of runs not on a
// tag exist without it.
func (s *Server) AddBranch(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sha == "" {
		sha = fakeSHA("branch/" + name)
	}
	s.branches[name] = sha
}

// AddTag adds a lightweight tag of the repository, pointing at sha (a fake
// one when empty). A run triggered by pushing the tag has its name as
// HeadBranch, as on GitHub.
func (s *Server) AddTag(name, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sha == "" {
		sha = fakeSHA("tag/" + name)
	}
	s.tags[name] = sha
}

// AddArtifact adds an artifact named name, holding zip, to run runID, and
// returns its ID. It is created a minute after the run's latest attempt
// started (later for each further artifact of the run); an expired
// artifact is listed with expired: true and its download answers 410 Gone.
func (s *Server) AddArtifact(runID int64, name string, zip []byte, expired bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &artifact{id: s.nextArtifactID, runID: runID, name: name, zip: slices.Clone(zip), expired: expired}
	s.nextArtifactID++
	a.createdAt = s.now().UTC().Truncate(time.Second)
	if run, ok := s.runs[runID]; ok {
		n := 0
		for _, other := range s.artifacts {
			if other.runID == runID {
				n++
			}
		}
		a.createdAt = run.RunStartedAt.Add(time.Minute + time.Duration(n)*time.Second)
	}
	// Keep expired and expires_at consistent whatever the run's age.
	a.expiresAt = a.createdAt.Add(artifactRetention)
	if limit := s.now().Add(-time.Hour); expired && a.expiresAt.After(limit) {
		a.expiresAt = limit
	}
	if limit := s.now().Add(24 * time.Hour); !expired && a.expiresAt.Before(limit) {
		a.expiresAt = limit
	}
	a.expiresAt = a.expiresAt.UTC().Truncate(time.Second)
	s.artifacts[a.id] = a
	return a.id
}

// SetLatency delays every answer, of both hosts, by d (the request's
// context still cancels the wait).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n requests, to either host, whose path contains
// pathContains answer status with headers instead. The body is GitHub's
// basic-error JSON for the status; a 403 or 429 says "You have exceeded a
// secondary rate limit", or "API rate limit exceeded" when headers set
// X-RateLimit-Remaining to 0. Rules apply in the order they were added.
func (s *Server) FailNext(pathContains string, n int, status int, headers map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{pathContains: pathContains, left: n, status: status, headers: headers})
}

// ExpireDownloadLinks makes the next n blob downloads answer 403 "Request
// has expired", as a signed URL used too late does.
func (s *Server) ExpireDownloadLinks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLinks = n
}

// SetRepoAccess makes every actions endpoint (a path containing /actions/)
// answer status: 403 "Resource not accessible by integration", as for a
// token without actions: read, or 404 Not Found. 0 or 200 restores access.
func (s *Server) SetRepoAccess(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == http.StatusOK {
		status = 0
	}
	s.repoAccess = status
}

// Calls returns every request received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount counts the requests, to either host, whose path contains
// pathContains ("" counts all).
func (s *Server) CallCount(pathContains string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if strings.Contains(c.Path, pathContains) {
			n++
		}
	}
	return n
}

// record logs a request and returns the settings the answer depends on and
// the writer to answer through, which logs the answer.
func (s *Server) record(w http.ResponseWriter, r *http.Request, host string) (time.Duration, http.ResponseWriter, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &recorder{ResponseWriter: w}
	idx := len(s.calls)
	done := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls[idx].Status, s.calls[idx].Header, s.calls[idx].Body = rec.status, w.Header().Clone(), rec.body
	}
	s.calls = append(s.calls, Call{
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Host:       host,
		Authorized: r.Header.Get("Authorization") != "",
		At:         s.now(),
	})
	return s.latency, rec, done
}

// recorder keeps the status and body of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body = append(r.body, b...)
	return r.ResponseWriter.Write(b)
}

// wait sleeps d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// takeFailure returns the injected failure for path, if one is due.
func (s *Server) takeFailure(p string) *failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.failures {
		if f.left > 0 && strings.Contains(p, f.pathContains) {
			f.left--
			return f
		}
	}
	return nil
}

func writeFailure(w http.ResponseWriter, f *failure) {
	msg := http.StatusText(f.status)
	docs := "https://docs.github.com/rest"
	if f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests {
		msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
		docs = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
		if f.headers["X-RateLimit-Remaining"] == "0" || f.headers["X-Ratelimit-Remaining"] == "0" {
			msg = "API rate limit exceeded for installation ID 1."
			docs = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
		}
	}
	for k, v := range f.headers {
		w.Header().Set(k, v)
	}
	writeJSON(w, f.status, errorJSON(f.status, msg, docs))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, errorJSON(http.StatusNotFound, "Not Found", "https://docs.github.com/rest"))
}

// serveAPI answers the API host: log, latency, authentication, injected
// failures, access to actions endpoints, then the route.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	latency, w, done := s.record(w, r, "api")
	defer done()
	if err := wait(r.Context(), latency); err != nil {
		return
	}
	s.mu.Lock()
	token, access, used := s.token, s.repoAccess, len(s.calls)
	s.mu.Unlock()

	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(5000-used, 1)))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(used, 4999)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.now().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")

	if token != "" && !authorized(r.Header.Get("Authorization"), token) {
		writeJSON(w, http.StatusUnauthorized, errorJSON(http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest"))
		return
	}
	if f := s.takeFailure(r.URL.Path); f != nil {
		writeFailure(w, f)
		return
	}
	if access != 0 && strings.Contains(r.URL.Path, "/actions/") {
		msg := http.StatusText(access)
		if access == http.StatusForbidden {
			msg = "Resource not accessible by integration"
		}
		writeJSON(w, access, errorJSON(access, msg, "https://docs.github.com/rest/actions/artifacts"))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized reports whether header carries tok as "Bearer tok" or "token tok".
func authorized(header, tok string) bool {
	scheme, value, ok := strings.Cut(header, " ")
	if !ok || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		return false
	}
	return hmac.Equal([]byte(strings.TrimSpace(value)), []byte(tok))
}

// routes mounts the endpoints under APIPrefix.
func (s *Server) routes() {
	p := APIPrefix + "/repos/{owner}/{repo}"
	s.mux.HandleFunc("GET "+p, s.repoOnly(s.getRepo))
	s.mux.HandleFunc("GET "+p+"/branches/{branch...}", s.repoOnly(s.getBranch))
	s.mux.HandleFunc("GET "+p+"/git/ref/{ref...}", s.repoOnly(s.getRef))
	s.mux.HandleFunc("GET "+p+"/actions/workflows/{workflow}/runs", s.repoOnly(s.listWorkflowRuns))
	s.mux.HandleFunc("GET "+p+"/actions/runs/{run}", s.repoOnly(s.getRun))
	s.mux.HandleFunc("GET "+p+"/actions/runs/{run}/artifacts", s.repoOnly(s.listRunArtifacts))
	s.mux.HandleFunc("GET "+p+"/actions/artifacts", s.repoOnly(s.listArtifacts))
	s.mux.HandleFunc("GET "+p+"/actions/artifacts/{artifact}", s.repoOnly(s.getArtifact))
	s.mux.HandleFunc("GET "+p+"/actions/artifacts/{artifact}/{format}", s.repoOnly(s.downloadArtifact))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
}

// repoOnly answers 404 for any repository but the simulated one (names are
// case-insensitive, as on GitHub).
func (s *Server) repoOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.PathValue("owner"), s.owner) || !strings.EqualFold(r.PathValue("repo"), s.repo) {
			notFound(w)
			return
		}
		h(w, r)
	}
}

func (s *Server) getRepo(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	branch := s.defaultBranch
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.fullRepoJSON(branch))
}

// branchSHA returns the commit a branch points at, if it exists: the
// default branch, an added one, or a run's head branch that is not a tag.
func (s *Server) branchSHA(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sha, ok := s.branches[name]; ok {
		return sha, true
	}
	if name == s.defaultBranch {
		return fakeSHA("branch/" + name), true
	}
	if _, tag := s.tags[name]; tag {
		return "", false
	}
	var newest *Run
	for _, r := range s.runs {
		if r.HeadBranch == name && (newest == nil || r.CreatedAt.After(newest.CreatedAt)) {
			newest = r
		}
	}
	if newest == nil {
		return "", false
	}
	return newest.HeadSHA, true
}

// getBranch answers GET /repos/{owner}/{repo}/branches/{branch}
// (https://docs.github.com/rest/branches/branches#get-a-branch), in short.
func (s *Server) getBranch(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("branch")
	sha, ok := s.branchSHA(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorJSON(http.StatusNotFound, "Branch not found",
			"https://docs.github.com/rest/branches/branches#get-a-branch"))
		return
	}
	writeJSON(w, http.StatusOK, s.branchJSON(name, sha))
}

// getRef answers GET /repos/{owner}/{repo}/git/ref/{ref}
// (https://docs.github.com/rest/git/refs#get-a-reference) for heads/… and
// tags/…: an exact match, or 404.
func (s *Server) getRef(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	var sha string
	var ok bool
	switch {
	case strings.HasPrefix(ref, "heads/"):
		sha, ok = s.branchSHA(strings.TrimPrefix(ref, "heads/"))
	case strings.HasPrefix(ref, "tags/"):
		s.mu.Lock()
		sha, ok = s.tags[strings.TrimPrefix(ref, "tags/")]
		s.mu.Unlock()
	}
	if !ok {
		writeJSON(w, http.StatusNotFound, errorJSON(http.StatusNotFound, "Not Found",
			"https://docs.github.com/rest/git/refs#get-a-reference"))
		return
	}
	writeJSON(w, http.StatusOK, s.refJSON("refs/"+ref, sha))
}

// workflowFile is the file name of a workflow path such as
// .github/workflows/deploy.yml@refs/heads/main.
func workflowFile(p string) string {
	p, _, _ = strings.Cut(p, "@")
	return path.Base(p)
}

// paging reads per_page (default 30, at most 100) and page (default 1).
func paging(q url.Values) (perPage, page int) {
	perPage, page = 30, 1
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	return perPage, page
}

// paginate returns the page of n items to serve, as [lo, hi), and sets the
// Link header the way GitHub does (rel="prev", "next", "first", "last").
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	perPage, page := paging(r.URL.Query())
	last := max((n+perPage-1)/perPage, 1)
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.webURL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*perPage, n)
	hi = min(lo+perPage, n)
	return lo, hi
}

func (s *Server) listWorkflowRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wf := r.PathValue("workflow")
	id, numeric := strconv.ParseInt(wf, 10, 64)
	s.mu.Lock()
	known := false
	var runs []Run
	for _, run := range s.runs {
		if (numeric == nil && run.WorkflowID == id) || (numeric != nil && workflowFile(run.WorkflowPath) == wf) {
			known = true
		} else {
			continue
		}
		if v := q.Get("branch"); v != "" && run.HeadBranch != v {
			continue
		}
		if v := q.Get("event"); v != "" && run.Event != v {
			continue
		}
		if v := q.Get("status"); v != "" && run.Status != v && run.Conclusion != v {
			continue
		}
		if v := q.Get("head_sha"); v != "" && run.HeadSHA != v {
			continue
		}
		runs = append(runs, *run)
	}
	s.mu.Unlock()
	if !known {
		notFound(w)
		return
	}
	sortRuns(runs)
	lo, hi := s.paginate(w, r, len(runs))
	out := make([]object, 0, hi-lo)
	for _, run := range runs[lo:hi] {
		out = append(out, s.runJSON(run, false))
	}
	writeJSON(w, http.StatusOK, object{"total_count": len(runs), "workflow_runs": out})
}

// sortRuns orders runs newest first, as GitHub lists them.
func sortRuns(runs []Run) {
	slices.SortFunc(runs, func(a, b Run) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compareDesc(a.ID, b.ID)
	})
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

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	s.mu.Lock()
	run, ok := s.runs[id]
	var cp Run
	if ok {
		cp = *run
	}
	s.mu.Unlock()
	if err != nil || !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.runJSON(cp, true))
}

type artifactView struct {
	a   artifact
	run *Run
}

// listed returns the artifacts keep selects, newest first, with their runs.
func (s *Server) listed(keep func(*artifact) bool) []artifactView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []artifactView
	for _, a := range s.artifacts {
		if !keep(a) {
			continue
		}
		v := artifactView{a: *a}
		if run, ok := s.runs[a.runID]; ok {
			cp := *run
			v.run = &cp
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y artifactView) int {
		if c := y.a.createdAt.Compare(x.a.createdAt); c != 0 {
			return c
		}
		return compareDesc(x.a.id, y.a.id)
	})
	return out
}

func (s *Server) writeArtifacts(w http.ResponseWriter, r *http.Request, list []artifactView) {
	lo, hi := s.paginate(w, r, len(list))
	out := make([]object, 0, hi-lo)
	for _, v := range list[lo:hi] {
		out = append(out, s.artifactJSON(&v.a, v.run))
	}
	writeJSON(w, http.StatusOK, object{"total_count": len(list), "artifacts": out})
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	s.writeArtifacts(w, r, s.listed(func(a *artifact) bool { return name == "" || a.name == name }))
}

func (s *Server) listRunArtifacts(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	s.mu.Lock()
	_, ok := s.runs[id]
	s.mu.Unlock()
	if err != nil || !ok {
		notFound(w)
		return
	}
	name := r.URL.Query().Get("name")
	s.writeArtifacts(w, r, s.listed(func(a *artifact) bool { return a.runID == id && (name == "" || a.name == name) }))
}

// artifactByID returns a copy of the artifact and its run.
func (s *Server) artifactByID(raw string) (artifactView, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return artifactView{}, false
	}
	list := s.listed(func(a *artifact) bool { return a.id == id })
	if len(list) == 0 {
		return artifactView{}, false
	}
	return list[0], true
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request) {
	v, ok := s.artifactByID(r.PathValue("artifact"))
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.artifactJSON(&v.a, v.run))
}

// downloadArtifact answers 302 with a signed blob URL that expires after a
// minute, or 410 Gone for an expired artifact.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request) {
	v, ok := s.artifactByID(r.PathValue("artifact"))
	if !ok || r.PathValue("format") != "zip" {
		notFound(w)
		return
	}
	if v.a.expired {
		writeJSON(w, http.StatusGone, errorJSON(http.StatusGone, "Artifact has expired",
			"https://docs.github.com/rest/actions/artifacts#download-an-artifact"))
		return
	}
	expires := s.now().Add(downloadLinkTTL).UTC().Format(time.RFC3339Nano)
	q := url.Values{}
	q.Set("urlExpires", expires)
	q.Set("urlSigningMethod", "HMACV1")
	q.Set("urlSignature", s.sign(v.a.id, expires))
	loc := fmt.Sprintf("%s/_apis/pipelines/1/runs/%d/artifacts/%d?%s", s.blobURL, v.a.runID, v.a.id, q.Encode())
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

func (s *Server) sign(id int64, expires string) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%d|%s", id, expires)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// serveBlob answers the blob host: the zip bytes for a valid, unexpired
// signed URL. A request that also carries an Authorization header is
// refused, as storage services refuse two authentication mechanisms: the
// token must never be sent there.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	latency, w, done := s.record(w, r, "blob")
	defer done()
	if err := wait(r.Context(), latency); err != nil {
		return
	}
	if f := s.takeFailure(r.URL.Path); f != nil {
		writeFailure(w, f)
		return
	}
	s.mu.Lock()
	expireNow := s.expireLinks > 0
	if expireNow {
		s.expireLinks--
	}
	s.mu.Unlock()
	if expireNow {
		http.Error(w, "Request has expired", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Authorization") != "" {
		http.Error(w, "Only one auth mechanism allowed; the signed URL already authenticates the request", http.StatusBadRequest)
		return
	}
	var runID, id int64
	if _, err := fmt.Sscanf(r.URL.Path, "/_apis/pipelines/1/runs/%d/artifacts/%d", &runID, &id); err != nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	expires := q.Get("urlExpires")
	if !hmac.Equal([]byte(q.Get("urlSignature")), []byte(s.sign(id, expires))) {
		http.Error(w, "Signature does not match", http.StatusForbidden)
		return
	}
	if at, err := time.Parse(time.RFC3339Nano, expires); err != nil || s.now().After(at) {
		http.Error(w, "Request has expired", http.StatusForbidden)
		return
	}
	v, ok := s.artifactByID(strconv.FormatInt(id, 10))
	if !ok || v.a.expired || v.a.runID != runID {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(v.a.zip)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(v.a.zip)
	}
}
