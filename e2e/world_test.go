package e2e

// End-to-end tests: build the binary once, then run it the way a runner runs
// a Docker action (INPUT_* with the action.yml defaults, GITHUB_* files and
// URLs, AWS credentials and endpoint from the environment) against the ECS
// and GitHub simulators, and check its exit status, outputs, summary and the
// simulators' final state and call logs.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// binPath is the binary built by TestMain.
var binPath string

// TestMain builds the binary from the repository root and runs the tests
// from there, so that testdata/, examples/, action.yml and README.md are
// read by the same paths a user sees.
func TestMain(m *testing.M) {
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "ecs-rollback-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ecs-rollback")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	owner       = "octo-org"
	repoName    = "octo-repo"
	token       = "ghs_e2eTestToken0123456789"
	deployWFID  = 161335
	deployPath  = ".github/workflows/deploy.yml"
	cluster     = "prod"
	family      = "web"
	ecrRepo     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
	failedRunID = 5000
)

// sha returns a 40-hex commit SHA that starts with the given 7-hex prefix.
func sha(prefix string) string {
	return prefix + strings.Repeat("0", 40-len(prefix))
}

// world is one scenario: simulators, workspace and event.
type world struct {
	t   *testing.T
	ecs *ecssim.Server
	gh  *ghsim.Server
	ecr *ecrsim.Server // holds the images of revisions 40–45
	cd  *cdsim.Server  // no deployment group until a test adds one
	dir string
	// revs maps revision number → ARN.
	revs map[int32]string
	// event is the workflow_run payload, derived from GitHub's published example.
	event     map[string]any
	eventName string
	// runEnded is when the failed run completed (its updated_at); zero is
	// the moment the binary starts, after everything the test set up.
	runEnded time.Time
	env      map[string]string
}

// revisionTags is the default history: revision n runs image tag tags[n].
var revisionTags = map[int32]string{
	40: "a0a0a0a", 41: "b1b1b1b", 42: "c2c2c2c", 43: "d3d3d3d", 44: "e4e4e4e", 45: "f5f5f5f",
}

type worldOption func(*worldSetup)

type worldSetup struct {
	ecsOpts  []ecssim.Option
	labels   map[int32]string // schema label per revision
	current  int32
	skipRuns bool
}

func withECSOptions(o ...ecssim.Option) worldOption {
	return func(s *worldSetup) { s.ecsOpts = append(s.ecsOpts, o...) }
}

func withSchema(labels map[int32]string) worldOption {
	return func(s *worldSetup) { s.labels = labels }
}

// newWorld builds the default story: service web in cluster prod runs
// revision 45 (tag f5f5f5f, the failed deploy); the last successful deploy
// run (id 4002) recorded tag c2c2c2c, which revision 42 carries.
func newWorld(t *testing.T, opts ...worldOption) *world {
	t.Helper()
	setup := worldSetup{current: 45}
	for _, o := range opts {
		o(&setup)
	}
	w := &world{t: t, dir: t.TempDir(), revs: map[int32]string{}, eventName: "workflow_run"}
	w.ecs = ecssim.New(setup.ecsOpts...)
	t.Cleanup(w.ecs.Close)
	w.ecs.AddCluster(cluster)
	// Older history: revisions 1–39, whose images no deployment recorded.
	for n := 1; n < 40; n++ {
		w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: family, Containers: []ecssim.Container{
			{Name: "app", Image: fmt.Sprintf("%s:old%04d", ecrRepo, n)},
		}})
	}
	for n := int32(40); n <= 45; n++ {
		labels := map[string]string{}
		if v, ok := setup.labels[n]; ok {
			labels["schema-version"] = v
		}
		w.revs[n] = w.ecs.RegisterTaskDefinition(ecssim.TaskDef{
			Family: family,
			Containers: []ecssim.Container{
				{Name: "app", Image: ecrRepo + ":" + revisionTags[n], Labels: labels},
				{Name: "log-router", Image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"},
			},
		})
	}
	w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "web", TaskDefinition: w.revs[setup.current], DesiredCount: 3})

	// ECR holds the images of revisions 40–45; CodeDeploy puts the ECS
	// service of a group on what it deployed.
	w.ecr = ecrsim.New()
	t.Cleanup(w.ecr.Close)
	for n := int32(40); n <= 45; n++ {
		_, err := w.ecr.PutImageRef(ecrRepo + ":" + revisionTags[n])
		require.NoError(t, err)
	}
	w.cd = cdsim.New()
	t.Cleanup(w.cd.Close)
	w.cd.OnTrafficShifted(w.codeDeployTrafficShifted)

	w.gh = ghsim.New(owner, repoName)
	t.Cleanup(w.gh.Close)
	w.gh.SetToken(token)
	w.gh.SetDefaultBranch("main")
	if !setup.skipRuns {
		// Two successful deploys: 4001 (tag b1b1b1b) and 4002 (tag c2c2c2c).
		w.addDeployRun(4001, "b1b1b1b", "prod", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), "")
		w.addDeployRun(4002, "c2c2c2c", "prod", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), "")
	}
	// The failed deploy run that triggers the rollback.
	w.gh.AddRun(ghsim.Run{
		ID: failedRunID, RunNumber: 99, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("f5f5f5f"), Event: "push", Status: "completed", Conclusion: "failure",
		CreatedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	checkConformance(t, peers{ecs: w.ecs, ecr: w.ecr, cd: w.cd, gh: w.gh})
	w.event = w.failedRunEvent()
	w.env = map[string]string{}
	return w
}

// addDeployRun adds a successful deploy run with a deployment-state artifact.
func (w *world) addDeployRun(id int64, tag, env string, at time.Time, taskDefARN string) {
	w.t.Helper()
	w.gh.AddRun(ghsim.Run{
		ID: id, RunNumber: id - 4000, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha(tag), Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at,
	})
	zip, err := deploystate.Zip(deploystate.State{
		ImageTag: tag, Environment: env, CommitSHA: sha(tag), Timestamp: at.Format(time.RFC3339), TaskDefinitionARN: taskDefARN,
	})
	require.NoError(w.t, err)
	w.gh.AddArtifact(id, "deployment-state", zip, false)
}

// failedRunEvent derives a failed workflow_run payload from GitHub's own
// published example (testdata/events, octokit/webhooks examples, MIT): the
// example concluded "success"; this one failed, in our repository.
func (w *world) failedRunEvent() map[string]any {
	w.t.Helper()
	raw, err := os.ReadFile("testdata/events/event-workflow_run-completed-1-success.json")
	require.NoError(w.t, err)
	var ev map[string]any
	require.NoError(w.t, json.Unmarshal(raw, &ev))
	wr := ev["workflow_run"].(map[string]any)
	wr["id"] = failedRunID
	wr["conclusion"] = "failure"
	ev["repository"].(map[string]any)["default_branch"] = "main" // as the simulated repository's
	wr["status"] = "completed"
	wr["workflow_id"] = deployWFID
	wr["head_branch"] = "main"
	wr["path"] = deployPath
	wr["name"] = "" // as in the published examples: the name is in workflow.name
	wr["html_url"] = "https://github.com/octo-org/octo-repo/actions/runs/5000"
	ev["workflow"].(map[string]any)["name"] = "Deploy Service"
	ev["workflow"].(map[string]any)["path"] = deployPath
	return ev
}

// result is what one run of the binary left behind.
type result struct {
	code    int
	stdout  string
	stderr  string
	outputs map[string]string
	summary string
}

// run runs the binary with the runner's environment and the given inputs
// (on top of the action.yml defaults).
func (w *world) run(inputs map[string]string) result {
	w.t.Helper()
	return w.runContext(context.Background(), inputs, nil)
}

func (w *world) runContext(ctx context.Context, inputs map[string]string, started func(*exec.Cmd)) result {
	w.t.Helper()
	eventPath := filepath.Join(w.dir, "event.json")
	if wr, ok := w.event["workflow_run"].(map[string]any); ok {
		// The failed run was created before the failed deploy and ended
		// after it: nothing the test set up is newer than it.
		ended := w.runEnded
		if ended.IsZero() {
			ended = time.Now()
		}
		wr["created_at"] = ended.Add(-10 * time.Minute).UTC().Format(time.RFC3339)
		wr["updated_at"] = ended.UTC().Format(time.RFC3339)
	}
	payload, err := json.Marshal(w.event)
	require.NoError(w.t, err)
	require.NoError(w.t, os.WriteFile(eventPath, payload, 0o644))
	outPath := filepath.Join(w.dir, "output")
	sumPath := filepath.Join(w.dir, "summary.md")
	require.NoError(w.t, os.WriteFile(outPath, nil, 0o644))
	require.NoError(w.t, os.WriteFile(sumPath, nil, 0o644))
	workspace := filepath.Join(w.dir, "workspace")
	require.NoError(w.t, os.MkdirAll(workspace, 0o755))

	env := runnerSetup{
		dir: w.dir, eventName: w.eventName, eventPath: eventPath, output: outPath, summary: sumPath,
		workspace: workspace, gitHubAPI: w.gh.APIURL(),
		endpoints: map[string]string{"ECS": w.ecs.URL(), "ECR": w.ecr.URL(), "CODEDEPLOY": w.cd.URL()},
	}.env(w.t)
	for name, value := range inputs {
		env[inputEnv(name)] = value
	}
	maps.Copy(env, w.env)

	cmd := exec.CommandContext(ctx, binPath)
	cmd.Env = nil
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(w.t, cmd.Start())
	if started != nil {
		started(cmd)
	}
	err = cmd.Wait()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else {
		require.NoError(w.t, err)
	}
	outRaw, err := os.ReadFile(outPath)
	require.NoError(w.t, err)
	sumRaw, err := os.ReadFile(sumPath)
	require.NoError(w.t, err)
	res := result{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: parseOutputs(w.t, string(outRaw)), summary: string(sumRaw)}
	if w.t.Failed() || testing.Verbose() {
		w.t.Logf("stdout:\n%s\nstderr:\n%s\nsummary:\n%s", res.stdout, res.stderr, res.summary)
	}
	return res
}

// runnerSetup is where a run's files and peers are.
type runnerSetup struct {
	dir, eventName, eventPath, output, summary, workspace, gitHubAPI string
	endpoints                                                        map[string]string // service → URL, as AWS_ENDPOINT_URL_<SERVICE>
}

// env is the environment a runner gives the Docker action: the GITHUB_*
// variables and files, AWS credentials and endpoints (no shared config, no
// instance metadata), and every input with its action.yml default, plus the
// token, cluster and service of the default story.
func (s runnerSetup) env(tb testing.TB) map[string]string {
	tb.Helper()
	env := map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"HOME":                        s.dir,
		"GITHUB_ACTIONS":              "true",
		"CI":                          "true",
		"GITHUB_EVENT_NAME":           s.eventName,
		"GITHUB_EVENT_PATH":           s.eventPath,
		"GITHUB_OUTPUT":               s.output,
		"GITHUB_STEP_SUMMARY":         s.summary,
		"GITHUB_REPOSITORY":           owner + "/" + repoName,
		"GITHUB_REPOSITORY_OWNER":     owner,
		"GITHUB_API_URL":              s.gitHubAPI,
		"GITHUB_SERVER_URL":           "https://github.com",
		"GITHUB_WORKSPACE":            s.workspace,
		"GITHUB_SHA":                  sha("f5f5f5f"),
		"GITHUB_RUN_ID":               "6000",
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(s.dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(s.dir, "no-aws-credentials"),
	}
	for service, url := range s.endpoints {
		env["AWS_ENDPOINT_URL_"+service] = url
	}
	for name, value := range actionDefaults(tb) {
		env[inputEnv(name)] = value
	}
	env[inputEnv("github-token")] = token
	env[inputEnv("cluster")] = cluster
	env[inputEnv("service")] = "web"
	return env
}

// inputEnv is the variable the runner sets for an input: upper case,
// spaces to underscores, hyphens kept.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// actionDefaults reads the inputs' defaults from action.yml, as the runner
// passes them.
func actionDefaults(t testing.TB) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("action.yml")
	require.NoError(t, err)
	var doc struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	out := map[string]string{}
	for name, in := range doc.Inputs {
		if !strings.Contains(in.Default, "${{") {
			out[name] = in.Default
		}
	}
	return out
}

// parseOutputs reads a GITHUB_OUTPUT file (name<<DELIMITER … DELIMITER).
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
		} else if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

// mutations lists the mutating ECS calls the run made.
func (w *world) mutations() []string {
	var ops []string
	for _, c := range w.ecs.MutatingCalls() {
		ops = append(ops, c.Op)
	}
	return ops
}

// serviceTaskDefinition is the simulator's view of the service now.
func (w *world) serviceTaskDefinition() string {
	w.t.Helper()
	st, ok := w.ecs.Service(cluster, "web")
	require.True(w.t, ok)
	return st.TaskDefinition
}

// runOf is a successful deploy run; add an artifact separately, or none.
func runOf(id int64, at time.Time) ghsim.Run {
	return ghsim.Run{
		ID: id, RunNumber: id - 4000, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("abcdef0"), Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at,
	}
}
