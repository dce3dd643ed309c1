package e2e

// The benchmark's scenario, its two contenders (the built binary and the
// shell baseline) and the figures read from the simulators' call logs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// The scenario's shape.
const (
	// benchRevisions ACTIVE revisions lie below the current one; the match
	// is the oldest of them, so max-revisions must be benchRevisions.
	benchRevisions = 100
	// benchRuns successful deploy runs, of which the newest
	// benchRunsWithoutArtifact have no deployment-state artifact.
	benchRuns                = 25
	benchRunsWithoutArtifact = 10
	// benchMatchTag is what the newest run with an artifact recorded, and
	// what revision 1 (the oldest) runs.
	benchMatchTag = "9e9e9e9"
	// ecsTargetPrefix prefixes X-Amz-Target on every ECS request.
	ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."
)

// benchSpan is one request as a simulator saw it: from receipt to answer.
type benchSpan struct {
	name       string // ECS operation or GitHub endpoint
	github     bool
	start, end time.Time
}

// benchScenario is a fresh pair of simulators holding the scenario.
type benchScenario struct {
	tb      testing.TB
	dir     string
	ecs     *ecssim.Server
	ecsURL  string // the ECS simulator behind spanRecorder
	gh      *ghsim.Server
	latency time.Duration
	current string // ARN of the revision the service runs (the newest)
	want    string // ARN of the revision it must be rolled back to (the oldest)

	mu       sync.Mutex
	ecsSpans []benchSpan
}

// newBenchScenario builds the scenario: service web in cluster prod runs
// revision benchRevisions+1; revisions 1..benchRevisions are ACTIVE and only
// revision 1 carries benchMatchTag; the deploy workflow has benchRuns
// successful runs on main, the newest benchRunsWithoutArtifact without an
// artifact, the next one with benchMatchTag, older ones with other tags; the
// failed run failedRunID triggers the rollback. Every request to either
// simulator waits latency before it is answered; a rollout takes settle.
func newBenchScenario(tb testing.TB, latency, settle time.Duration) *benchScenario {
	tb.Helper()
	sc := &benchScenario{tb: tb, dir: tb.TempDir(), latency: latency}
	sc.ecs = ecssim.New(ecssim.WithDefaultRollout(ecssim.Rollout{Settle: settle}))
	tb.Cleanup(sc.ecs.Close)
	// The ECS simulator is mounted behind a recorder of when each request
	// was answered; its own call log says when each was received.
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sc.ecs.Handler().ServeHTTP(w, r)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), ecsTargetPrefix)
		sc.mu.Lock()
		sc.ecsSpans = append(sc.ecsSpans, benchSpan{name: op, start: start, end: time.Now()})
		sc.mu.Unlock()
	}))
	tb.Cleanup(rec.Close)
	sc.ecsURL = rec.URL

	sc.ecs.AddCluster(cluster)
	for n := 1; n <= benchRevisions+1; n++ {
		tag := fmt.Sprintf("%07x", 0x1000000+n) // distinct, never benchMatchTag
		if n == 1 {
			tag = benchMatchTag
		}
		arn := sc.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: family, Containers: []ecssim.Container{
			{Name: "app", Image: ecrRepo + ":" + tag, Labels: map[string]string{"schema-version": "7"}},
			{Name: "log-router", Image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"},
		}})
		switch n {
		case 1:
			sc.want = arn
		case benchRevisions + 1:
			sc.current = arn
		}
	}
	if err := sc.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "web", TaskDefinition: sc.current, DesiredCount: 3}); err != nil {
		tb.Fatalf("add service: %v", err)
	}

	sc.gh = ghsim.New(owner, repoName, ghsim.WithToken(token), ghsim.WithDefaultBranch("main"))
	tb.Cleanup(sc.gh.Close)
	checkConformance(tb, peers{ecs: sc.ecs, gh: sc.gh})
	day0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	for i := range benchRuns {
		id := int64(4001 + i)
		at := day0.Add(time.Duration(i) * 24 * time.Hour)
		tag := fmt.Sprintf("%07x", 0xc000000+i)
		if i == benchRuns-benchRunsWithoutArtifact-1 {
			tag = benchMatchTag
		}
		sc.gh.AddRun(ghsim.Run{
			ID: id, RunNumber: id - 4000, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
			HeadBranch: "main", HeadSHA: sha(tag), Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at,
		})
		if i >= benchRuns-benchRunsWithoutArtifact {
			continue // the newest runs have no artifact
		}
		zip, err := deploystate.Zip(deploystate.State{
			ImageTag: tag, Environment: "prod", CommitSHA: sha(tag), Timestamp: at.Format(time.RFC3339),
		})
		if err != nil {
			tb.Fatalf("zip the deployment state: %v", err)
		}
		sc.gh.AddArtifact(id, "deployment-state", zip, false)
	}
	sc.gh.AddRun(ghsim.Run{
		ID: failedRunID, RunNumber: 99, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("f5f5f5f"), Event: "push", Status: "completed", Conclusion: "failure",
		CreatedAt: day0.Add(time.Duration(benchRuns) * 24 * time.Hour),
	})

	sc.ecs.SetLatency(latency)
	sc.gh.SetLatency(latency)
	return sc
}

// eventFile writes the failed run's workflow_run payload, derived from
// GitHub's published example as the end-to-end tests derive it.
func (sc *benchScenario) eventFile() string {
	sc.tb.Helper()
	raw, err := os.ReadFile("testdata/events/event-workflow_run-completed-1-success.json")
	if err != nil {
		sc.tb.Fatalf("read the example event: %v", err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		sc.tb.Fatalf("parse the example event: %v", err)
	}
	wr := ev["workflow_run"].(map[string]any)
	wr["id"] = failedRunID
	wr["conclusion"] = "failure"
	ev["repository"].(map[string]any)["default_branch"] = "main" // as the simulated repository's
	wr["status"] = "completed"
	now := time.Now().UTC()
	wr["created_at"] = now.Add(-10 * time.Minute).Format(time.RFC3339)
	wr["updated_at"] = now.Format(time.RFC3339)
	wr["workflow_id"] = deployWFID
	wr["head_branch"] = "main"
	wr["path"] = deployPath
	ev["workflow"].(map[string]any)["name"] = "Deploy Service"
	ev["workflow"].(map[string]any)["path"] = deployPath
	payload, err := json.Marshal(ev)
	if err != nil {
		sc.tb.Fatalf("encode the event: %v", err)
	}
	path := filepath.Join(sc.dir, "event.json")
	if err := os.WriteFile(path, payload, 0o644); err != nil {
		sc.tb.Fatalf("write the event: %v", err)
	}
	return path
}

// benchRun is what one run of a contender left: when it started and ended,
// and the simulators' logs.
type benchRun struct {
	start, exit time.Time
	ecsCalls    []ecssim.Call
	ecsSpans    []benchSpan
	ghCalls     []ghsim.Call
	latency     time.Duration
	stableAt    time.Time
	stable      bool
}

// runOurs runs the built binary the way a runner runs the Docker action,
// with max-revisions benchRevisions, and checks that it rolled back.
func (sc *benchScenario) runOurs() benchRun {
	sc.tb.Helper()
	out := filepath.Join(sc.dir, "output")
	sum := filepath.Join(sc.dir, "summary.md")
	for _, f := range []string{out, sum} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			sc.tb.Fatal(err)
		}
	}
	env := runnerSetup{
		dir: sc.dir, eventName: "workflow_run", eventPath: sc.eventFile(), output: out, summary: sum,
		workspace: sc.dir, gitHubAPI: sc.gh.APIURL(), endpoints: map[string]string{"ECS": sc.ecsURL},
	}.env(sc.tb)
	env[inputEnv("max-revisions")] = fmt.Sprint(benchRevisions)

	cmd := exec.Command(binPath)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	run := sc.timed(cmd)
	raw, err := os.ReadFile(out)
	if err != nil {
		sc.tb.Fatal(err)
	}
	if !strings.Contains(string(raw), "rolled-back") {
		sc.tb.Fatalf("the action did not roll back; outputs:\n%s", raw)
	}
	return run
}

// runBaseline runs testdata/baseline/rollback.sh against the same
// simulators: the aws CLI with --endpoint-url, curl, jq and unzip.
func (sc *benchScenario) runBaseline() benchRun {
	sc.tb.Helper()
	cmd := exec.Command("bash", "testdata/baseline/rollback.sh")
	// The machine's environment without anything that could point the
	// CLI elsewhere, then the job's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(sc.dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(sc.dir, "no-aws-credentials"),
		"ECS_ENDPOINT_URL="+sc.ecsURL,
		"GITHUB_API_URL="+sc.gh.APIURL(),
		"GITHUB_REPOSITORY="+owner+"/"+repoName,
		"GITHUB_TOKEN="+token,
		"DEPLOY_WORKFLOW="+filepath.Base(deployPath),
		"BRANCH=main",
		"ARTIFACT_NAME=deployment-state",
		"CLUSTER="+cluster,
		"SERVICE=web",
		fmt.Sprintf("MAX_REVISIONS=%d", benchRevisions),
	)
	return sc.timed(cmd)
}

// timed runs cmd, noting the time just before the process starts and just
// after it exits, and checks that the service ended on the target.
func (sc *benchScenario) timed(cmd *exec.Cmd) benchRun {
	sc.tb.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		sc.tb.Fatalf("start %s: %v", cmd.Path, err)
	}
	err := cmd.Wait()
	exit := time.Now()
	if err != nil {
		sc.tb.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", cmd.Path, err, stdout.String(), stderr.String())
	}
	if st, ok := sc.ecs.Service(cluster, "web"); !ok || st.TaskDefinition != sc.want {
		sc.tb.Fatalf("%s: the service runs %s, not %s\nstdout:\n%s\nstderr:\n%s", cmd.Path, st.TaskDefinition, sc.want, stdout.String(), stderr.String())
	}
	run := benchRun{start: start, exit: exit, ecsCalls: sc.ecs.Calls(), ghCalls: sc.gh.Calls(), latency: sc.latency}
	run.stableAt, run.stable = sc.ecs.StableAt(cluster, "web")
	sc.mu.Lock()
	run.ecsSpans = slices.Clone(sc.ecsSpans)
	sc.mu.Unlock()
	return run
}

// benchFigures are the measurements of one run.
type benchFigures struct {
	firstRequest   time.Duration // process start → first request received
	updateSent     time.Duration // process start → UpdateService received
	updateAnswered time.Duration // process start → UpdateService answered
	stableNoticed  time.Duration // service stable → the process saw it
	exit           time.Duration // process start → exit
	roundTrips     int           // sequential round trips before UpdateService
	calls          map[string]int
}

// figures reads one run's measurements from the simulators' logs.
func (r benchRun) figures() (benchFigures, error) {
	f := benchFigures{exit: r.exit.Sub(r.start), calls: map[string]int{}}
	spans := slices.Clone(r.ecsSpans)
	for _, c := range r.ghCalls {
		spans = append(spans, benchSpan{name: githubEndpoint(c), github: true, start: c.At, end: c.At.Add(r.latency)})
	}
	slices.SortFunc(spans, func(a, b benchSpan) int { return a.start.Compare(b.start) })
	if len(spans) == 0 {
		return f, fmt.Errorf("no request reached the simulators")
	}
	f.firstRequest = spans[0].start.Sub(r.start)

	for _, c := range r.ecsCalls {
		f.calls["ecs-"+c.Op]++
		if c.Op == "UpdateService" && f.updateSent == 0 {
			f.updateSent = c.At.Sub(r.start)
		}
	}
	for _, c := range r.ghCalls {
		f.calls["github-"+githubEndpoint(c)]++
		f.calls["github-total"]++
	}
	update := slices.IndexFunc(spans, func(s benchSpan) bool { return !s.github && s.name == "UpdateService" })
	if update < 0 || f.updateSent == 0 {
		return f, fmt.Errorf("no UpdateService was sent")
	}
	f.updateAnswered = spans[update].end.Sub(r.start)
	f.roundTrips = criticalPath(spans[:update+1]) - 1

	// Stability is noticed when the answer to the first DescribeServices
	// received at or after the moment the rollout settled arrives.
	noticed := r.exit
	if r.stable {
		for _, s := range spans[update+1:] {
			if !s.github && s.name == "DescribeServices" && !s.start.Before(r.stableAt) {
				noticed = s.end
				break
			}
		}
		f.stableNoticed = noticed.Sub(r.stableAt)
	}
	return f, nil
}

// criticalPath returns how many latency-bound steps, one after another, end
// with the last of spans (sorted by start).
//
// The method: a request B depends on a request A when B was sent after A
// was answered (B.start >= A.end), whatever the reason: B needed A's
// answer, or B waited for A's slot in a bounded pool. Requests that overlap
// are concurrent and share one step. The depth of a request is 1 + the
// largest depth among the requests it depends on; the depth of
// UpdateService is the number of round trips on the longest chain that leads
// to it, itself included. With an injected latency L every step costs at
// least L, so depth × L is the floor of the time to UpdateService answered,
// and the rest of that time is the process's own work (start-up, parsing,
// Python start-ups in the baseline). GitHub requests are logged on receipt
// only; they are taken to end latency later, which is when the simulator
// started its answer.
func criticalPath(spans []benchSpan) int {
	depth := make([]int, len(spans))
	for i, s := range spans {
		depth[i] = 1
		for j := range i {
			if !spans[j].end.After(s.start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
	}
	return depth[len(depth)-1]
}

// githubEndpoint names the GitHub endpoint a call went to.
func githubEndpoint(c ghsim.Call) string {
	if c.Host == "blob" {
		return "blob-download"
	}
	p := strings.TrimPrefix(c.Path, ghsim.APIPrefix)
	parts := strings.Split(strings.Trim(p, "/"), "/")
	// repos/{owner}/{repo}/actions/...
	switch {
	case len(parts) == 3:
		return "get-repo"
	case len(parts) == 7 && parts[4] == "workflows" && parts[6] == "runs":
		return "list-workflow-runs"
	case len(parts) == 7 && parts[4] == "runs" && parts[6] == "artifacts":
		return "list-run-artifacts"
	case len(parts) == 5 && parts[4] == "artifacts":
		return "list-artifacts"
	case len(parts) == 7 && parts[4] == "artifacts" && parts[6] == "zip":
		return "download-artifact"
	}
	return "other"
}

func TestBenchCriticalPath(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	// span is a request sent at ms and answered 40 ms later.
	span := func(ms int) benchSpan {
		start := t0.Add(time.Duration(ms) * time.Millisecond)
		return benchSpan{start: start, end: start.Add(40 * time.Millisecond)}
	}
	tests := []struct {
		name  string
		sends []int // ms at which each request was sent, in order
		want  int
	}{
		{"one request", []int{0}, 1},
		{"three in sequence", []int{0, 41, 82}, 3},
		{"two concurrent, then one", []int{0, 1, 42}, 2},
		{"a pool of two over four requests", []int{0, 0, 41, 41}, 2},
		{"two chains of different depth, then the last", []int{0, 0, 41, 82, 123}, 4},
		{"sent before the previous answer: concurrent", []int{0, 39}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var spans []benchSpan
			for _, ms := range tt.sends {
				spans = append(spans, span(ms))
			}
			if got := criticalPath(spans); got != tt.want {
				t.Errorf("criticalPath = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBenchGitHubEndpoint(t *testing.T) {
	t.Parallel()
	api := ghsim.APIPrefix + "/repos/o/r"
	tests := []struct {
		call ghsim.Call
		want string
	}{
		{ghsim.Call{Host: "api", Path: api}, "get-repo"},
		{ghsim.Call{Host: "api", Path: api + "/actions/workflows/deploy.yml/runs"}, "list-workflow-runs"},
		{ghsim.Call{Host: "api", Path: api + "/actions/runs/4001/artifacts"}, "list-run-artifacts"},
		{ghsim.Call{Host: "api", Path: api + "/actions/artifacts"}, "list-artifacts"},
		{ghsim.Call{Host: "api", Path: api + "/actions/artifacts/7/zip"}, "download-artifact"},
		{ghsim.Call{Host: "blob", Path: "/_apis/pipelines/1/runs/4001/artifacts/7"}, "blob-download"},
		{ghsim.Call{Host: "api", Path: api + "/actions/runs/4001"}, "other"},
	}
	for _, tt := range tests {
		if got := githubEndpoint(tt.call); got != tt.want {
			t.Errorf("githubEndpoint(%s %s) = %q, want %q", tt.call.Host, tt.call.Path, got, tt.want)
		}
	}
}
