package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/deplight/ecs-rollback/internal/reason"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// The commands run in-process against the ECS simulator through the real
// aws-sdk-go-v2 client; stdin, stdout, stderr and the terminal are injected.

const (
	simCluster = "prod"
	simService = "web"
	ecrRepo    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
)

// tags is the history: revision n of family web runs image tag tags[n].
var tags = map[int32]string{
	40: "a0a0a0a", 41: "b1b1b1b", 42: "c2c2c2c", 43: "d3d3d3d", 44: "e4e4e4e", 45: "f5f5f5f",
}

// registered is when revision n was registered: one day apart, 45 on
// 2026-11-25 09:00 UTC.
func registered(n int32) time.Time {
	return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)-45)
}

type simWorld struct {
	t    *testing.T
	sim  *ecssim.Server
	revs map[int32]string // web revision number → ARN
	// worker is revision 1 of another family, worker.
	worker string
}

// schema is the schema-version label of revision n: 11 on revision 40, 12
// from 41 on.
func schema(n int32) string {
	if n == 40 {
		return "11"
	}
	return "12"
}

// newSim sets up service web in cluster prod on revision 45 of family web
// (revisions 1–45; 40–45 carry the tags above and their schema labels) and
// one revision of another family.
func newSim(t *testing.T, opts ...ecssim.Option) *simWorld {
	t.Helper()
	w := &simWorld{t: t, sim: ecssim.New(opts...), revs: map[int32]string{}}
	t.Cleanup(w.sim.Close)
	w.sim.AddCluster(simCluster)
	for n := int32(1); n <= 45; n++ {
		containers := []ecssim.Container{{Name: "app", Image: fmt.Sprintf("%s:old%04d", ecrRepo, n)}}
		if tag, ok := tags[n]; ok {
			containers = []ecssim.Container{
				{Name: "app", Image: ecrRepo + ":" + tag, Labels: map[string]string{"schema-version": schema(n)}},
				{Name: "log-router", Image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"},
			}
		}
		w.revs[n] = w.sim.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: containers, RegisteredAt: registered(n)})
	}
	w.worker = w.sim.RegisterTaskDefinition(ecssim.TaskDef{Family: "worker", Containers: []ecssim.Container{{Name: "w", Image: ecrRepo + ":c2c2c2c"}}})
	require.NoError(t, w.sim.AddService(ecssim.ServiceSpec{Cluster: simCluster, Name: simService, TaskDefinition: w.revs[45], DesiredCount: 3}))
	return w
}

// ran is what one command line left behind.
type ran struct {
	code           int
	stdout, stderr string
	newAWS         int // how many times Env.NewAWS was called
}

// run runs a command line with stdin (nil: empty), terminal says whether
// stdin and stderr are terminals, and the environment getenv.
func (w *simWorld) run(ctx context.Context, stdin io.Reader, terminal bool, env map[string]string, args ...string) ran {
	w.t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	var mu sync.Mutex
	calls := 0
	code := Run(ctx, args, Env{
		Stdin:            stdin,
		Stdout:           &stdout,
		Stderr:           &stderr,
		Getenv:           func(k string) string { return env[k] },
		StdinIsTerminal:  terminal,
		StderrIsTerminal: terminal,
		NewAWS: func(_ context.Context, region, profile string) (Clients, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return Clients{ECS: w.sim.Client()}, nil
		},
		Version:   "1.2.3",
		FirstPoll: 5 * time.Millisecond,
		MaxPoll:   10 * time.Millisecond,
	})
	r := ran{code: code, stdout: stdout.String(), stderr: stderr.String(), newAWS: calls}
	if w.t.Failed() || testing.Verbose() {
		w.t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func (w *simWorld) mutations() []string {
	var ops []string
	for _, c := range w.sim.MutatingCalls() {
		ops = append(ops, c.Op)
	}
	return ops
}

func (w *simWorld) current() string {
	w.t.Helper()
	st, ok := w.sim.Service(simCluster, simService)
	require.True(w.t, ok)
	return st.TaskDefinition
}

// outputs parses key=value lines.
func outputs(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

func TestListText(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "list", "--cluster", "prod", "--service", "web", "--limit", "4")
	require.Equal(t, ExitOK, r.code, r.stderr)

	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2+1+4, "title, blank line, header, 4 revisions")
	assert.Contains(t, lines[0], "runs web:45")
	assert.Regexp(t, `^\s+REVISION\s+IMAGE TAGS\s+REGISTERED\s+SCHEMA-VERSION$`, lines[2])
	want := []string{
		`^\*\s+45\s+app=f5f5f5f log-router=stable\s+2026-11-25 09:00 UTC\s+12$`,
		`^\s+44\s+app=e4e4e4e log-router=stable\s+2026-11-24 09:00 UTC\s+12$`,
		`^\s+43\s+app=d3d3d3d log-router=stable\s+2026-11-23 09:00 UTC\s+12$`,
		`^\s+42\s+app=c2c2c2c log-router=stable\s+2026-11-22 09:00 UTC\s+12$`,
	}
	for i, re := range want {
		assert.Regexp(t, re, lines[3+i])
	}
	// Aligned: every column starts at the same offset on every line.
	col := strings.Index(lines[2], "IMAGE TAGS")
	for _, l := range lines[3:] {
		assert.Equal(t, "app=", l[col:col+4], l)
	}
	assert.Empty(t, w.mutations())
}

func TestListJSON(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "list", "--cluster", "prod", "--service", "web", "--output", "json", "--limit", "3")
	require.Equal(t, ExitOK, r.code, r.stderr)

	var got struct {
		Cluster     string `json:"cluster"`
		Service     string `json:"service"`
		Family      string `json:"family"`
		Current     string `json:"current-task-definition"`
		SchemaLabel string `json:"schema-label"`
		Revisions   []struct {
			Revision     int32  `json:"revision"`
			ARN          string `json:"task-definition"`
			Status       string `json:"status"`
			Current      bool   `json:"current"`
			RegisteredAt string `json:"registered-at"`
			Schema       string `json:"schema"`
			Images       []struct {
				Container string `json:"container"`
				Image     string `json:"image"`
				Tag       string `json:"tag"`
			} `json:"images"`
		} `json:"revisions"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&got))

	assert.Equal(t, "prod", got.Cluster)
	assert.Equal(t, "web", got.Family)
	assert.Equal(t, w.revs[45], got.Current)
	assert.Equal(t, "schema-version", got.SchemaLabel)
	require.Len(t, got.Revisions, 3, "--limit 3")
	for i, n := range []int32{45, 44, 43} {
		rev := got.Revisions[i]
		assert.Equal(t, n, rev.Revision, "newest first")
		assert.Equal(t, w.revs[n], rev.ARN)
		assert.Equal(t, "ACTIVE", rev.Status)
		assert.Equal(t, n == 45, rev.Current, "only the current revision is marked")
		assert.Equal(t, registered(n).Format(time.RFC3339), rev.RegisteredAt)
		assert.Equal(t, schema(n), rev.Schema)
		require.Len(t, rev.Images, 2)
		assert.Equal(t, "app", rev.Images[0].Container)
		assert.Equal(t, tags[n], rev.Images[0].Tag)
		assert.Equal(t, ecrRepo+":"+tags[n], rev.Images[0].Image)
		assert.Equal(t, "stable", rev.Images[1].Tag)
	}
}

// After a rollback the newer revisions are listed too, and the current one
// is marked even when more than --limit revisions are newer.
func TestListCurrentBelowTheNewest(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	_, err := w.sim.Client().UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(simCluster), Service: aws.String(simService), TaskDefinition: aws.String(w.revs[42]),
	})
	require.NoError(t, err)

	r := w.run(t.Context(), nil, false, nil, "list", "--cluster", "prod", "--service", "web", "--output", "json", "--limit", "2")
	require.Equal(t, ExitOK, r.code, r.stderr)
	var got struct {
		Revisions []struct {
			Revision int32 `json:"revision"`
			Current  bool  `json:"current"`
		} `json:"revisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Len(t, got.Revisions, 3)
	assert.Equal(t, []int32{45, 44, 42}, []int32{got.Revisions[0].Revision, got.Revisions[1].Revision, got.Revisions[2].Revision})
	assert.True(t, got.Revisions[2].Current)
	assert.False(t, got.Revisions[0].Current)
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no cluster", []string{"list", "--service", "web"}, ExitUsage, "--cluster is required"},
		{"limit zero", []string{"list", "--cluster", "prod", "--service", "web", "--limit", "0"}, ExitUsage, `--limit "0"`},
		{"limit too high", []string{"list", "--cluster", "prod", "--service", "web", "--limit", "101"}, ExitUsage, `--limit "101"`},
		{"bad output", []string{"list", "--cluster", "prod", "--service", "web", "--output", "yaml"}, ExitUsage, `--output "yaml"`},
		{"positional", []string{"list", "web"}, ExitUsage, `unexpected argument "web"`},
		{"unknown flag", []string{"list", "--colour"}, ExitUsage, "unknown flag --colour\n"},
		{"missing service", []string{"list", "--cluster", "prod", "--service", "api"}, ExitFailed, "service api not found in cluster prod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			r := w.run(t.Context(), nil, false, nil, tc.args...)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.stderr, "ecs-rollback: ")
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
			if tc.code == ExitUsage {
				assert.Zero(t, r.newAWS, "a usage error is found before any AWS client is built")
			}
		})
	}
}

func TestRollbackWithConfirm(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web",
		"--revision", "42", "--confirm", "ROLLBACK")
	require.Equal(t, ExitOK, r.code, r.stderr)

	out := outputs(r.stdout)
	assert.Equal(t, "rolled-back", out["result"])
	assert.Equal(t, w.revs[45], out["from-task-definition"])
	assert.Equal(t, w.revs[42], out["to-task-definition"])
	assert.Equal(t, "42", out["to-revision"])
	assert.Equal(t, "c2c2c2c", out["image-tag"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.current())
	// Progress and the plan on stderr, with the elapsed time.
	assert.Contains(t, r.stderr, "revision 45 (f5f5f5f) → revision 42 (c2c2c2c)")
	assert.Contains(t, r.stderr, "✓ revision is older than the current one")
	assert.Regexp(t, `\[\s*\d+\.\ds\] waiting up to 10m0s for web`, r.stderr)
	assert.Contains(t, r.stderr, "Rolled back web from revision 45 (f5f5f5f) to revision 42 (c2c2c2c).")
	assert.NotContains(t, r.stderr, "\x1b[", "no colour without a terminal")
}

func TestRollbackByImageTagJSON(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web",
		"--image-tag", "d3d3d3d", "--environment", "prod", "--confirm", "ROLLBACK-PROD", "--output", "json", "--no-wait")
	require.Equal(t, ExitOK, r.code, r.stderr)

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "rolled-back", got["result"])
	assert.Equal(t, w.revs[43], got["to-task-definition"])
	assert.Equal(t, "43", got["to-revision"])
	assert.Equal(t, "d3d3d3d", got["image-tag"])
	assert.Contains(t, got["message"], "Rolled back web")
	services, ok := got["services"].([]any)
	require.True(t, ok, "services is an array, not a string: %T", got["services"])
	require.Len(t, services, 1)
	assert.Equal(t, "web", services[0].(map[string]any)["service"])
	// The keys come in the order of the action contract.
	keys := []string{`"result"`, `"reason"`, `"from-task-definition"`, `"to-task-definition"`, `"to-revision"`, `"image-tag"`, `"source-run-id"`, `"codedeploy-deployment-id"`, `"services"`, `"message"`}
	last := -1
	for _, k := range keys {
		i := strings.Index(r.stdout, k)
		assert.Greater(t, i, last, k)
		last = i
	}
	assert.Equal(t, w.revs[43], w.current())
}

func TestRollbackRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		reason string
		stderr string
	}{
		{
			name:   "wrong phrase",
			args:   []string{"--revision", "42", "--confirm", "rollback"},
			reason: "confirmation-mismatch",
			stderr: `--confirm does not match: this rollback needs exactly "ROLLBACK"`,
		},
		{
			name:   "ROLLBACK for a protected environment",
			args:   []string{"--revision", "42", "--environment", "production", "--confirm", "ROLLBACK"},
			reason: "confirmation-mismatch",
			stderr: `"ROLLBACK-PROD"`,
		},
		{
			name:   "a revision of another family",
			args:   []string{"--revision", "worker:1", "--confirm", "ROLLBACK"},
			reason: "other-family",
			stderr: "refusing to switch families",
		},
		{
			name:   "roll forward",
			args:   []string{"--revision", "web:46", "--confirm", "ROLLBACK"},
			reason: "target-not-active",
		},
		{
			name:   "no revision carries the tag",
			args:   []string{"--image-tag", "0123abc", "--confirm", "ROLLBACK"},
			reason: "no-matching-revision",
			stderr: "fallback is none",
		},
		{
			name:   "one of several services is missing",
			args:   []string{"--service", "web,api", "--revision", "42", "--confirm", "ROLLBACK"},
			reason: "service-not-found",
			stderr: "api: ✗ service api was not found in cluster prod",
		},
		{
			name:   "schema goes down",
			args:   []string{"--revision", "40", "--confirm", "ROLLBACK"},
			reason: "schema-downgrade",
			stderr: "✗ schema version does not go down",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			// A --service in tc.args overrides this one: the last flag wins.
			r := w.run(t.Context(), nil, false, nil, append([]string{"rollback", "--cluster", "prod", "--service", "web"}, tc.args...)...)
			assert.Equal(t, ExitFailed, r.code)
			out := outputs(r.stdout)
			assert.Equal(t, "failed", out["result"])
			assert.Equal(t, tc.reason, out["reason"])
			assert.Contains(t, r.stderr, "ecs-rollback: ")
			assert.Contains(t, r.stderr, tc.stderr)
			assert.Empty(t, w.mutations(), "a refusal changes nothing")
			assert.Equal(t, w.revs[45], w.current())
		})
	}
}

// Going from 45 to 40 takes schema-version from 12 down to 11: allowed only
// with --allow-schema-downgrade.
func TestRollbackAllowSchemaDowngrade(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web",
		"--revision", "40", "--confirm", "ROLLBACK", "--allow-schema-downgrade")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, w.revs[40], w.current())
	assert.Contains(t, r.stderr, "! schema version does not go down")
}

func TestRollbackWrongPhraseMakesNoAWSCall(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--confirm", "YES")
	assert.Equal(t, ExitFailed, r.code)
	assert.Empty(t, w.sim.Calls(), "the phrase is checked before any AWS call")
}

func TestRollbackDryRun(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web",
		"--image-tag", "c2c2c2c", "--environment", "prod", "--dry-run")
	require.Equal(t, ExitOK, r.code, r.stderr)
	out := outputs(r.stdout)
	assert.Equal(t, "planned", out["result"])
	assert.Equal(t, w.revs[42], out["to-task-definition"])
	assert.Contains(t, r.stderr, "Plan in cluster prod, environment prod:")
	assert.Contains(t, r.stderr, "web: revision 45 (f5f5f5f) → revision 42 (c2c2c2c)")
	assert.Contains(t, r.stderr, "target chosen by image tag")
	assert.Contains(t, r.stderr, "✓ target exists and is ACTIVE: web:42 is ACTIVE")
	assert.Contains(t, r.stderr, "Nothing was changed.")
	assert.Empty(t, w.mutations())
	assert.Equal(t, w.revs[45], w.current())
}

func TestRollbackAlreadyCurrent(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, true, nil, "rollback", "--cluster", "prod", "--service", "web", "--revision", "45")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "already-current", outputs(r.stdout)["result"])
	assert.NotContains(t, r.stderr, "type ROLLBACK", "nothing to confirm")
	assert.Empty(t, w.mutations())
}

func TestRollbackRolloutFailed(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	w.sim.SetRollout(simCluster, simService, ecssim.Rollout{Fail: true, StoppedReason: "CannotPullContainerError: pull access denied"})
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--confirm", "ROLLBACK")
	assert.Equal(t, ExitFailed, r.code)
	assert.Equal(t, "rollout-failed", outputs(r.stdout)["reason"])
	assert.Contains(t, r.stderr, "recent events:")
	assert.Contains(t, r.stderr, "stopped task: ")
	assert.Contains(t, r.stderr, "CannotPullContainerError")
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
}

// The runner reports a cancelled run; the command exits 130.
func TestRollbackInterruptedWhileWaiting(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	w.sim.SetRollout(simCluster, simService, ecssim.Rollout{Never: true})
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &cancelOn{substr: "waiting up to", cancel: cancel}
	code := Run(ctx, []string{"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--confirm", "ROLLBACK"}, Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: stderr,
		NewAWS:    func(context.Context, string, string) (Clients, error) { return Clients{ECS: w.sim.Client()}, nil },
		FirstPoll: 5 * time.Millisecond, MaxPoll: 10 * time.Millisecond,
	})
	assert.Equal(t, ExitInterrupted, code, stderr.String())
	assert.Contains(t, stderr.String(), "cancelled")
}

// cancelOn is a writer that cancels a context once substr was written.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	substr string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.substr) {
		c.cancel()
	}
	return n, err
}

func (c *cancelOn) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func TestRollbackInteractive(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), strings.NewReader("ROLLBACK-PROD\n"), true, map[string]string{"NO_COLOR": "1"},
		"rollback", "--cluster", "prod", "--service", "web", "--image-tag", "c2c2c2c", "--environment", "prod")
	require.Equal(t, ExitOK, r.code, r.stderr)

	planAt := strings.Index(r.stderr, "web: revision 45 (f5f5f5f) → revision 42 (c2c2c2c)")
	promptAt := strings.Index(r.stderr, "type ROLLBACK-PROD (anything else cancels): ")
	updateAt := strings.Index(r.stderr, "UpdateService web")
	require.GreaterOrEqual(t, planAt, 0, "the plan is shown")
	require.Greater(t, promptAt, planAt, "then the prompt")
	require.Greater(t, updateAt, promptAt, "then the rollback")
	assert.NotContains(t, r.stderr, "\x1b[", "NO_COLOR")
	assert.Equal(t, "rolled-back", outputs(r.stdout)["result"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.current())
	assert.Equal(t, 1, strings.Count(r.stderr, "target chosen by"), "the plan is shown once")
}

func TestRollbackInteractiveColour(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), strings.NewReader("ROLLBACK\n"), true, nil,
		"rollback", "--cluster", "prod", "--service", "web", "--revision", "44")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "type \x1b[1mROLLBACK\x1b[0m", "the phrase in bold on a terminal")
	assert.Contains(t, r.stderr, "\x1b[32m✓\x1b[0m")
}

func TestRollbackInteractiveRefused(t *testing.T) {
	t.Parallel()
	const (
		mismatch = `ecs-rollback: the phrase typed does not match: a rollback of environment "prod" needs exactly "ROLLBACK-PROD" (what was typed is not shown). Nothing was changed.`
		empty    = `ecs-rollback: nothing was typed: a rollback of environment "prod" needs exactly "ROLLBACK-PROD". Nothing was changed.`
	)
	tests := []struct {
		name  string
		typed string
		want  string
	}{
		{"wrong phrase", "ROLLBACK\n", mismatch}, // the environment is protected
		{"lower case", "rollback-prod\n", mismatch},
		{"empty line", "\n", empty},
		{"end of input", "", empty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			r := w.run(t.Context(), strings.NewReader(tc.typed), true, map[string]string{"NO_COLOR": "1"},
				"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--environment", "prod")
			assert.Equal(t, ExitFailed, r.code)
			assert.Equal(t, "confirmation-mismatch", outputs(r.stdout)["reason"])
			assert.Contains(t, r.stderr, "Nothing was changed")
			assert.Contains(t, r.stderr, tc.want+"\n")
			assert.NotContains(t, r.stderr, "no AWS call", "the plan read ECS")
			assert.NotContains(t, r.stderr, "input")
			assert.NotContains(t, r.stderr, "rollback-prod", "what was typed is not shown")
			assert.Empty(t, w.mutations())
			assert.Equal(t, w.revs[45], w.current())
		})
	}
}

// stdinThen runs do on the first read, then reads from r: something happens
// while the person reads the plan.
type stdinThen struct {
	once sync.Once
	do   func()
	r    io.Reader
}

func (s *stdinThen) Read(p []byte) (int, error) {
	s.once.Do(s.do)
	return s.r.Read(p)
}

func TestRollbackInteractiveServiceChangedMeanwhile(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	stdin := &stdinThen{r: strings.NewReader("ROLLBACK\n"), do: func() {
		_, err := w.sim.Client().UpdateService(context.Background(), &ecs.UpdateServiceInput{
			Cluster: aws.String(simCluster), Service: aws.String(simService), TaskDefinition: aws.String(w.revs[44]),
		})
		require.NoError(t, err)
	}}
	r := w.run(t.Context(), stdin, true, nil, "rollback", "--cluster", "prod", "--service", "web", "--revision", "42")
	assert.Equal(t, ExitFailed, r.code)
	assert.Equal(t, reason.PlanChanged, outputs(r.stdout)["reason"])
	assert.Contains(t, r.stderr, "web now runs web:44")
	assert.Equal(t, []string{"UpdateService"}, w.mutations(), "only the deploy made meanwhile")
	assert.Equal(t, w.revs[44], w.current())
}

// stdinCancel cancels the context on the first read and then blocks, as
// Ctrl-C at the prompt does.
type stdinCancel struct {
	cancel context.CancelFunc
	block  chan struct{}
}

func (s *stdinCancel) Read([]byte) (int, error) {
	s.cancel()
	<-s.block
	return 0, io.EOF
}

func TestRollbackInteractiveInterrupted(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	ctx, cancel := context.WithCancel(t.Context())
	stdin := &stdinCancel{cancel: cancel, block: make(chan struct{})}
	t.Cleanup(func() { close(stdin.block) })
	r := w.run(ctx, stdin, true, nil, "rollback", "--cluster", "prod", "--service", "web", "--revision", "42")
	assert.Equal(t, ExitInterrupted, r.code)
	assert.Contains(t, r.stderr, "interrupted at the confirmation: nothing was changed")
	assert.Empty(t, w.mutations())
}

func TestRollbackUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		terminal bool
		want     []string
	}{
		{"no terminal and no confirm", []string{"--cluster", "prod", "--service", "web", "--revision", "42"}, false,
			[]string{"not a terminal", "--confirm ROLLBACK"}},
		{"no terminal, protected environment", []string{"--cluster", "prod", "--service", "web", "--revision", "42", "--environment", "Prod"}, false,
			[]string{"--confirm ROLLBACK-PROD"}},
		{"no target", []string{"--cluster", "prod", "--service", "web", "--confirm", "ROLLBACK"}, false,
			[]string{"--revision or --image-tag"}},
		{"both targets", []string{"--cluster", "prod", "--service", "web", "--revision", "42", "--image-tag", "c2c2c2c"}, true,
			[]string{"not both"}},
		{"every problem at once", []string{"--service", "web", "--revision", "0", "--wait-timeout", "soon", "--output", "xml"}, true,
			[]string{"ecs-rollback: --cluster: required", "ecs-rollback: --revision: ", "ecs-rollback: --wait-timeout: \"soon\"", `ecs-rollback: --output "xml"`}},
		{"bad image tag", []string{"--cluster", "prod", "--service", "web", "--image-tag", "a b"}, true,
			[]string{"--image-tag: "}},
		{"positional argument", []string{"web"}, true, []string{`unexpected argument "web"`}},
		{"bool flag with a value", []string{"--dry-run=maybe"}, true, []string{"invalid boolean value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			r := w.run(t.Context(), nil, tc.terminal, nil, append([]string{"rollback"}, tc.args...)...)
			assert.Equal(t, ExitUsage, r.code)
			for _, want := range tc.want {
				assert.Contains(t, r.stderr, want)
			}
			assert.Contains(t, r.stderr, "Run 'ecs-rollback rollback --help' for usage.")
			assert.Empty(t, r.stdout)
			assert.Zero(t, r.newAWS, "no AWS client is built")
			assert.Empty(t, w.sim.Calls())
		})
	}
}

func TestNoRegionIsAUsageError(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := Run(t.Context(), []string{"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--dry-run"}, Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		NewAWS: func(context.Context, string, string) (Clients, error) {
			return Clients{}, fmt.Errorf("load: %w", ErrNoRegion)
		},
	})
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, stderr.String(), "pass --region")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	const (
		all      = true  // 0, 1, 2 and 130
		usage    = false // 0 and 2 only
		failed   = "\n  1    "
		stopped  = "\n  130  interrupted"
		misusage = "\n  2    usage error"
	)
	tests := []struct {
		args  []string
		want  []string
		codes bool // all: the help lists 0, 1, 2 and 130; usage: 0 and 2
		not   []string
	}{
		{[]string{"--help"}, []string{"Commands:", "list", "rollback", "demo", "version"}, all, nil},
		{[]string{"help"}, []string{"Commands:"}, all, nil},
		{[]string{"help", "rollback"}, []string{"ecs-rollback rollback --cluster CLUSTER"}, all, nil},
		{[]string{"list", "--help"}, []string{"ecs-rollback list --cluster CLUSTER", "--limit N", "--output FORMAT", "--schema-label LABEL", "--region REGION", "--profile PROFILE", "the listing was printed"}, all,
			[]string{"--revision", "--confirm", "rolled-back"}},
		{[]string{"list", "-h"}, []string{"ecs-rollback list"}, all, nil},
		{[]string{"rollback", "-h"}, []string{"--revision REVISION", "--image-tag TAG", "--confirm PHRASE", "--dry-run", "--no-wait", "--wait-timeout DURATION", "(default 10m)", "--allow-schema-downgrade", "ROLLBACK-PROD", "rolled-back"}, all,
			[]string{"--limit", "list printed"}},
		{[]string{"rollback", "--help"}, []string{"Examples:"}, all, nil},
		{[]string{"demo", "--help"}, []string{"ecs-rollback demo", "-h, --help", "\n  1    the story did not end with a rollback"}, all, []string{"--cluster", "rolled-back, already-current"}},
		{[]string{"version", "-h"}, []string{"ecs-rollback version", "-h, --help"}, usage, []string{"--cluster", "rolled-back", "ECS"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tc.args, Env{Stdout: &stdout, Stderr: &stderr, Demo: func(context.Context) int { return 99 }})
			assert.Equal(t, ExitOK, code)
			assert.Empty(t, stderr.String())
			help := stdout.String()
			for _, want := range tc.want {
				assert.Contains(t, help, want)
			}
			for _, not := range tc.not {
				assert.NotContains(t, help, not, "another command's flag or exit code")
			}
			assert.Contains(t, help, "Exit status:\n  0 ")
			assert.Contains(t, help, misusage)
			if tc.codes == all {
				assert.Contains(t, help, failed)
				if tc.args[0] != "demo" { // the demo ends with 1 when interrupted
					assert.Contains(t, help, stopped)
				}
			} else {
				assert.NotContains(t, help, failed)
				assert.NotContains(t, help, stopped)
			}
		})
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, ExitUsage, "", "Commands:"},
		{"unknown command", []string{"rollforward"}, ExitUsage, "", "ecs-rollback: unknown command \"rollforward\"\n"},
		{"a typo of a command", []string{"lsit"}, ExitUsage, "", `ecs-rollback: unknown command "lsit": did you mean list?`},
		{"a flag for a command", []string{"--rollback"}, ExitUsage, "", `ecs-rollback: unknown command "--rollback": did you mean rollback?`},
		{"the start of a command", []string{"roll"}, ExitUsage, "", `ecs-rollback: unknown command "roll": did you mean rollback?`},
		{"version", []string{"version"}, ExitOK, "ecs-rollback 1.2.3\n", ""},
		{"demo", []string{"demo"}, 99, "", ""},
		{"demo with an argument", []string{"demo", "now"}, ExitUsage, "", `unexpected argument "now"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tc.args, Env{Stdout: &stdout, Stderr: &stderr, Version: "1.2.3", Demo: func(context.Context) int { return 99 }})
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.stdout, stdout.String())
			assert.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

// Values from ECS (image tags, labels) cannot drive the terminal.
func TestListTextIsTerminalSafe(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	arn := w.sim.RegisterTaskDefinition(ecssim.TaskDef{Family: "evil", Containers: []ecssim.Container{{
		Name: "app", Image: ecrRepo + ":v1\x1b[2J\x1b[31mred", Labels: map[string]string{"schema-version": "1\r\n2\t3"},
	}}})
	require.NoError(t, w.sim.AddService(ecssim.ServiceSpec{Cluster: simCluster, Name: "evil", TaskDefinition: arn, DesiredCount: 1}))
	r := w.run(t.Context(), nil, false, nil, "list", "--cluster", "prod", "--service", "evil")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "\x1b")
	assert.NotContains(t, r.stdout, "\r")
	assert.Regexp(t, `(?m)^\*\s+1\s+v1\[2J\[31mred\s+\S.*\s+1 2 3$`, r.stdout)
}

func TestRollbackDeregisterFailed(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.run(t.Context(), nil, false, nil, "rollback", "--cluster", "prod", "--service", "web",
		"--revision", "42", "--confirm", "ROLLBACK", "--deregister-failed")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, []string{"UpdateService", "DeregisterTaskDefinition"}, w.mutations())
	td, ok := w.sim.TaskDefinition(w.revs[45])
	require.True(t, ok)
	assert.Equal(t, "INACTIVE", td.Status)
}

// The CLI speaks of flags: no message, whichever check refuses, names an
// input of the action.
func TestMessagesSpeakOfFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a pair of flags", []string{"--revision", "42", "--confirm", "ROLLBACK", "--codedeploy-application", "app"}, ExitUsage,
			"ecs-rollback: --codedeploy-application and --codedeploy-deployment-group: give both or neither"},
		{"a service ARN of another cluster", []string{"--service", "arn:aws:ecs:us-east-1:123456789012:service/staging/web", "--revision", "42", "--confirm", "ROLLBACK"}, ExitUsage,
			`but --cluster is "prod"`},
		{"every problem at once", []string{"--service", "web", "--revision", "0", "--wait-timeout", "soon", "--max-revisions", "x", "--environment", "!"}, ExitUsage,
			`ecs-rollback: --max-revisions: "x" is not a whole number from 1 to 100`},
		{"a wrong --confirm", []string{"--service", "web", "--revision", "42", "--environment", "prod", "--confirm", "ROLLBACK"}, ExitFailed,
			`ecs-rollback: --confirm does not match: a rollback of environment "prod" needs exactly "ROLLBACK-PROD", e.g. --confirm ROLLBACK-PROD (the value given is not shown). Nothing was changed.`},
		{"a missing service", []string{"--service", "api", "--revision", "42", "--confirm", "ROLLBACK"}, ExitFailed,
			"  api: ✗ service api was not found in cluster prod\n\necs-rollback: service api not found in cluster prod. Check --cluster, --service and the AWS region (--region, AWS_REGION). Nothing was changed."},
		{"missing services", []string{"--service", "api,db,web", "--revision", "42", "--confirm", "ROLLBACK"}, ExitFailed,
			"ecs-rollback: services api, db not found in cluster prod."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSim(t)
			r := w.run(t.Context(), nil, false, nil, append([]string{"rollback", "--cluster", "prod"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "input")
			assert.NotContains(t, r.stdout, "input")
			assert.Empty(t, w.mutations())
		})
	}
}
