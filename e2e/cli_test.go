//go:build unix

package e2e

// The operator CLI end to end: the built binary, run the way a person runs it
// on a laptop (no GITHUB_ACTIONS; AWS credentials, region and
// AWS_ENDPOINT_URL_ECS and _ECR from the environment), against the ECS and
// ECR simulators of newWorld. The interactive rollback runs under a pseudo-terminal, where the
// phrase is typed as a person types it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// cliEnv is a laptop's environment pointed at the world's ECS simulator,
// with extra KEY=VALUE entries on top. There is no GITHUB_ACTIONS, and no
// shared AWS files.
func cliEnv(w *world, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.dir,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_ECS=" + w.ecs.URL(),
		"AWS_ENDPOINT_URL_ECR=" + w.ecr.URL(),
		"AWS_ENDPOINT_URL_CODEDEPLOY=" + w.cd.URL(),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(w.dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(w.dir, "no-aws-credentials"),
	}, extra...)
}

// cliResult is what one run of the binary left behind.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLIBinary runs the binary with args, stdin piped from the given text.
func runCLIBinary(t *testing.T, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binPath, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else {
		require.NoError(t, err)
	}
	r := cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if t.Failed() || testing.Verbose() {
		t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// keyValues parses the key=value lines of the rollback command's stdout.
func keyValues(s string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(s) {
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\n"), "="); ok {
			out[k] = v
		}
	}
	return out
}

// terminalSession is the binary running with stdin and stderr on a
// pseudo-terminal (its controlling terminal, so Ctrl-C is a SIGINT) and
// stdout on a pipe, as in `ecs-rollback rollback … > result.txt`.
type terminalSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File
	stdout bytes.Buffer

	mu     sync.Mutex
	screen bytes.Buffer // everything written to the terminal
	grew   chan struct{}
	done   chan struct{} // closed when the terminal is closed
}

func startOnTerminal(t *testing.T, env []string, args ...string) *terminalSession {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	s := &terminalSession{t: t, ptmx: ptmx, grew: make(chan struct{}, 1), done: make(chan struct{})}
	s.cmd = exec.CommandContext(t.Context(), binPath, args...)
	s.cmd.Env = env
	s.cmd.Stdin, s.cmd.Stderr, s.cmd.Stdout = tty, tty, &s.stdout
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	require.NoError(t, s.cmd.Start())
	require.NoError(t, tty.Close()) // the child holds it now; EOF on ptmx once the child exits
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.screen.Write(buf[:n])
			s.mu.Unlock()
			select {
			case s.grew <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		ptmx.Close()
	})
	return s
}

// waitFor reads the terminal until it shows text. The deadline only keeps a
// broken binary from hanging the test.
func (s *terminalSession) waitFor(text string) {
	s.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if strings.Contains(s.Screen(), text) {
			return
		}
		select {
		case <-s.grew:
		case <-s.done:
			require.Contains(s.t, s.Screen(), text, "the program ended")
			return
		case <-deadline:
			require.FailNow(s.t, "the terminal never showed "+text, s.Screen())
		}
	}
}

// typeText types on the keyboard.
func (s *terminalSession) typeText(text string) {
	s.t.Helper()
	_, err := s.ptmx.Write([]byte(text))
	require.NoError(s.t, err)
}

// wait waits for the program to end and returns its exit status.
func (s *terminalSession) wait() int {
	s.t.Helper()
	err := s.cmd.Wait()
	<-s.done
	if s.t.Failed() || testing.Verbose() {
		s.t.Logf("terminal:\n%s\nstdout:\n%s", s.Screen(), s.stdout.String())
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	require.NoError(s.t, err)
	return 0
}

// Screen is what the terminal shows so far.
func (s *terminalSession) Screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.screen.String()
}

const cliPrompt = "(anything else cancels): "

func TestCLIRollbackTypedOnTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := startOnTerminal(t, cliEnv(w), "rollback", "--cluster", cluster, "--service", "web",
		"--image-tag", "c2c2c2c", "--environment", "prod")
	s.waitFor(cliPrompt)

	// Before anything is typed: the plan, the phrase, nothing changed.
	screen := s.Screen()
	assert.Contains(t, screen, "revision 45 (f5f5f5f) → revision 42 (c2c2c2c)")
	assert.Contains(t, screen, "target exists and is ACTIVE")
	assert.Contains(t, screen, "type \x1b[1mROLLBACK-PROD\x1b[0m", "the phrase, in bold on a terminal")
	assert.Empty(t, w.mutations(), "nothing changes before the phrase is typed")

	s.typeText("ROLLBACK-PROD\r")
	require.Equal(t, 0, s.wait())

	out := keyValues(s.stdout.String())
	assert.Equal(t, "rolled-back", out["result"])
	assert.Equal(t, w.revs[45], out["from-task-definition"])
	assert.Equal(t, w.revs[42], out["to-task-definition"])
	assert.Equal(t, "c2c2c2c", out["image-tag"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Regexp(t, `\[\s*\d+\.\ds\].*waiting up to 10m0s for web`, s.Screen(), "progress with the elapsed time")
	assert.NotContains(t, s.stdout.String(), "ROLLBACK-PROD", "stdout holds the result only")
}

func TestCLIWrongPhraseOnTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := startOnTerminal(t, cliEnv(w, "NO_COLOR=1"), "rollback", "--cluster", cluster, "--service", "web",
		"--revision", "42", "--environment", "prod")
	s.waitFor(cliPrompt)
	s.typeText("ROLLBACK\r") // prod is protected: ROLLBACK-PROD is needed
	require.Equal(t, 1, s.wait())

	out := keyValues(s.stdout.String())
	assert.Equal(t, "failed", out["result"])
	assert.Equal(t, "confirmation-mismatch", out["reason"])
	assert.Contains(t, s.Screen(), "ecs-rollback: ")
	assert.Contains(t, s.Screen(), `"ROLLBACK-PROD"`)
	assert.Contains(t, s.Screen(), "Nothing was changed.")
	assert.NotContains(t, s.Screen(), "no AWS call", "the plan read ECS")
	assert.NotContains(t, s.Screen(), "input")
	assert.NotContains(t, s.Screen(), "\x1b[", "NO_COLOR")
	assert.Empty(t, w.ecs.MutatingCalls())
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
}

func TestCLICtrlCAtThePrompt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := startOnTerminal(t, cliEnv(w), "rollback", "--cluster", cluster, "--service", "web", "--revision", "42")
	s.waitFor(cliPrompt)
	s.typeText("\x03") // Ctrl-C: the terminal sends SIGINT
	require.Equal(t, 130, s.wait())
	assert.Contains(t, s.Screen(), "interrupted at the confirmation: nothing was changed")
	assert.Empty(t, w.ecs.MutatingCalls())
}

func TestCLIRollbackPipedWithConfirm(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := runCLIBinary(t, cliEnv(w), "", "rollback", "--cluster", cluster, "--service", "web",
		"--revision", "42", "--confirm", "ROLLBACK", "--no-wait", "--output", "json")
	require.Equal(t, 0, r.code)

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), "stdout is one JSON object")
	assert.Equal(t, "rolled-back", got["result"])
	assert.Equal(t, w.revs[42], got["to-task-definition"])
	assert.Equal(t, "42", got["to-revision"])
	assert.Equal(t, "c2c2c2c", got["image-tag"])
	assert.Contains(t, r.stderr, "UpdateService web")
	assert.NotContains(t, r.stderr, "\x1b[", "no colour off a terminal")
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
}

func TestCLIRollbackRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   func(w *world) []string
		code   int
		reason string
		stderr string
	}{
		{
			name:   "wrong phrase",
			args:   func(*world) []string { return []string{"--revision", "42", "--confirm", "ROLLBACK-PROD"} },
			code:   1,
			reason: "confirmation-mismatch",
			stderr: `exactly "ROLLBACK"`,
		},
		{
			name: "a revision of another family",
			args: func(w *world) []string {
				other := w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: "worker", Containers: []ecssim.Container{{Name: "app", Image: ecrRepo + ":c2c2c2c"}}})
				return []string{"--revision", other, "--confirm", "ROLLBACK"}
			},
			code:   1,
			reason: "other-family",
			stderr: "belongs to family worker",
		},
		{
			name:   "roll forward",
			args:   func(*world) []string { return []string{"--revision", "46", "--confirm", "ROLLBACK"} },
			code:   1,
			reason: "target-not-active",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := runCLIBinary(t, cliEnv(w), "", append([]string{"rollback", "--cluster", cluster, "--service", "web"}, tc.args(w)...)...)
			assert.Equal(t, tc.code, r.code)
			out := keyValues(r.stdout)
			assert.Equal(t, "failed", out["result"])
			assert.Equal(t, tc.reason, out["reason"])
			assert.Contains(t, r.stderr, "ecs-rollback: ")
			assert.Contains(t, r.stderr, tc.stderr)
			assert.Empty(t, w.ecs.MutatingCalls(), "nothing was changed")
			assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
		})
	}
}

func TestCLINoTerminalNoConfirm(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := runCLIBinary(t, cliEnv(w), "ROLLBACK\n", "rollback", "--cluster", cluster, "--service", "web", "--revision", "42")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "ecs-rollback: standard input is not a terminal")
	assert.Contains(t, r.stderr, "--confirm ROLLBACK")
	assert.Empty(t, r.stdout)
	assert.Empty(t, w.ecs.Calls(), "no AWS call")
}

func TestCLIDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := runCLIBinary(t, cliEnv(w), "", "rollback", "--cluster", cluster, "--service", "web", "--image-tag", "b1b1b1b", "--dry-run")
	require.Equal(t, 0, r.code)
	out := keyValues(r.stdout)
	assert.Equal(t, "planned", out["result"])
	assert.Equal(t, w.revs[41], out["to-task-definition"])
	assert.Contains(t, r.stderr, "web: revision 45 (f5f5f5f) → revision 41 (b1b1b1b)")
	assert.Contains(t, r.stderr, "✓ revision is older than the current one")
	assert.Contains(t, r.stderr, "✓ target images exist in ECR", "ECR is asked, through AWS_ENDPOINT_URL_ECR")
	assert.Contains(t, r.stderr, "Nothing was changed.")
	assert.Empty(t, w.ecs.MutatingCalls())
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
}

func TestCLIList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	text := runCLIBinary(t, cliEnv(w), "", "list", "--cluster", cluster, "--service", "web", "--limit", "3")
	require.Equal(t, 0, text.code)
	lines := strings.Split(strings.TrimRight(text.stdout, "\n"), "\n")
	require.Len(t, lines, 6, "title, blank, header, 3 revisions")
	assert.Regexp(t, `^\*\s+45\s+app=f5f5f5f log-router=stable\s`, lines[3])
	assert.Regexp(t, `^\s+44\s+app=e4e4e4e`, lines[4])
	assert.Regexp(t, `^\s+43\s+app=d3d3d3d`, lines[5])

	js := runCLIBinary(t, cliEnv(w), "", "list", "--cluster", cluster, "--service", "web", "--limit", "4", "--output", "json")
	require.Equal(t, 0, js.code)
	var got struct {
		Current   string `json:"current-task-definition"`
		Revisions []struct {
			Revision int32  `json:"revision"`
			ARN      string `json:"task-definition"`
			Current  bool   `json:"current"`
			Images   []struct {
				Container string `json:"container"`
				Tag       string `json:"tag"`
			} `json:"images"`
		} `json:"revisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(js.stdout), &got))
	assert.Equal(t, w.revs[45], got.Current)
	require.Len(t, got.Revisions, 4, "--limit 4")
	for i, n := range []int32{45, 44, 43, 42} {
		rev := got.Revisions[i]
		assert.Equal(t, n, rev.Revision, "newest first")
		assert.Equal(t, w.revs[n], rev.ARN)
		assert.Equal(t, n == 45, rev.Current)
		require.NotEmpty(t, rev.Images)
		assert.Equal(t, "app", rev.Images[0].Container)
		assert.Equal(t, revisionTags[n], rev.Images[0].Tag)
	}
	assert.Empty(t, w.ecs.MutatingCalls())
}

func TestCLIHelp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		args     []string
		rollback bool // the help lists the exit codes of a rollback: 1 and 130 beside 0 and 2
	}{
		{[]string{"--help"}, true}, {[]string{"-h"}, true}, {[]string{"help"}, true},
		{[]string{"list", "--help"}, true}, {[]string{"list", "-h"}, true},
		{[]string{"rollback", "--help"}, true}, {[]string{"rollback", "-h"}, true},
		{[]string{"demo", "--help"}, false}, {[]string{"version", "--help"}, false},
	} {
		r := runCLIBinary(t, cliEnv(w), "", tc.args...)
		assert.Equal(t, 0, r.code, tc.args)
		assert.Contains(t, r.stdout, "Usage:", tc.args)
		assert.Contains(t, r.stdout, "Exit status:\n  0    ", tc.args)
		assert.Contains(t, r.stdout, "\n  2    usage error", tc.args)
		if tc.rollback {
			assert.Contains(t, r.stdout, "130  interrupted", tc.args)
		} else {
			assert.NotContains(t, r.stdout, "130  interrupted", tc.args)
			if tc.args[0] == "version" { // the demo can end with 1
				assert.NotContains(t, r.stdout, "\n  1    ", tc.args)
			}
			assert.NotContains(t, r.stdout, "--cluster", tc.args)
		}
		assert.Empty(t, r.stderr, tc.args)
	}
	assert.Empty(t, w.ecs.Calls())
}

func TestCLIUnknownFlagSuggestsTheNearest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := runCLIBinary(t, cliEnv(w), "", "list", "--clustr", cluster, "--service", "web")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "ecs-rollback: list: unknown flag --clustr: did you mean --cluster?\n")
	assert.NotContains(t, r.stderr, " -clustr")
	assert.Empty(t, r.stdout)
	assert.Empty(t, w.ecs.Calls())
}

// The binary the tests build is given no version with -ldflags, as go build
// and go install give none: version tells what Go recorded in it instead.
func TestCLIVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	recorded, err := exec.Command("go", "version", "-m", binPath).Output()
	require.NoError(t, err)
	modVersion, settings := "", map[string]string{}
	for line := range strings.Lines(string(recorded)) {
		f := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case len(f) >= 3 && f[0] == "mod":
			modVersion = f[2]
		case len(f) == 2 && f[0] == "build":
			if k, v, ok := strings.Cut(f[1], "="); ok {
				settings[k] = v
			}
		}
	}
	require.NotEmpty(t, modVersion, "go version -m names the main module:\n%s", recorded)

	r := runCLIBinary(t, cliEnv(w), "", "version")
	require.Equal(t, 0, r.code)
	line := strings.TrimSuffix(r.stdout, "\n")
	assert.NotContains(t, line, "\n", "one line")
	if modVersion != "(devel)" {
		assert.True(t, strings.HasPrefix(line, "ecs-rollback "+modVersion), "the module version %s: %q", modVersion, line)
	}
	if rev := settings["vcs.revision"]; rev != "" {
		assert.Contains(t, line, "commit "+rev)
		assert.Equal(t, settings["vcs.modified"] == "true", strings.Contains(line, "with local changes"), line)
	}
	if modVersion == "(devel)" && settings["vcs.revision"] == "" {
		assert.Equal(t, "ecs-rollback dev", line, "nothing recorded: dev")
	}
	assert.Empty(t, r.stderr)

	// A version given at build time wins: what the release image does.
	tagged := filepath.Join(t.TempDir(), "ecs-rollback")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=v9.8.7", "-o", tagged, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(tagged, "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "ecs-rollback v9.8.7\n", string(out))
}

// withoutAWSKeys is cliEnv less the access keys: a laptop with no
// credentials configured (shared files absent, instance metadata off),
// with extra entries on top.
func withoutAWSKeys(w *world, extra ...string) []string {
	var env []string
	for _, kv := range cliEnv(w) {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Credential problems are told with how to configure credentials, not as the
// SDK's chain of errors.
func TestCLICredentialErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, w *world) []string // the environment
		flags []string
		want  []string
	}{
		{
			name:  "no credentials at all",
			setup: func(_ *testing.T, w *world) []string { return withoutAWSKeys(w) },
			want: []string{"ecs-rollback: no AWS credentials were found.\n", "aws configure sso --profile NAME", "aws sso login --profile NAME",
				"AWS_PROFILE=NAME", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		},
		{
			name: "an SSO profile never logged in",
			setup: func(t *testing.T, w *world) []string {
				config := filepath.Join(t.TempDir(), "config")
				require.NoError(t, os.WriteFile(config, []byte("[profile dev]\n"+
					"sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"+
					"sso_account_id = 123456789012\nsso_role_name = Deployer\nregion = us-east-1\n"), 0o600))
				return withoutAWSKeys(w, "AWS_CONFIG_FILE="+config)
			},
			flags: []string{"--profile", "dev"},
			want:  []string{"ecs-rollback: the AWS SSO session of profile dev has expired or was never started: run aws sso login --profile dev"},
		},
		{
			name:  "a profile that does not exist",
			setup: func(_ *testing.T, w *world) []string { return withoutAWSKeys(w, "AWS_PROFILE=nope") },
			want:  []string{"ecs-rollback: the AWS profile nope is in no shared config file", "aws configure sso --profile nope"},
		},
	}
	raw := []string{"get identity", "failed to refresh cached credentials", "operation error", "ec2imds", "failed to get shared config profile", "the SSO session has expired or is invalid"}
	for _, tc := range tests {
		for _, cmd := range [][]string{
			{"list", "--cluster", cluster, "--service", "web"},
			{"rollback", "--cluster", cluster, "--service", "web", "--revision", "42", "--confirm", "ROLLBACK"},
		} {
			t.Run(tc.name+"/"+cmd[0], func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				r := runCLIBinary(t, tc.setup(t, w), "", append(cmd, tc.flags...)...)
				assert.Equal(t, 1, r.code)
				for _, want := range tc.want {
					assert.Contains(t, r.stderr, want)
				}
				for _, not := range raw {
					assert.NotContains(t, r.stderr, not)
				}
				assert.Empty(t, w.ecs.Calls(), "no request reached ECS")
			})
		}
	}
}

func TestCLINoRegion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var env []string
	for _, kv := range cliEnv(w) {
		if !strings.HasPrefix(kv, "AWS_REGION=") {
			env = append(env, kv)
		}
	}
	r := runCLIBinary(t, env, "", "list", "--cluster", cluster, "--service", "web")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "ecs-rollback: no AWS region is configured: pass --region")
	assert.Contains(t, r.stderr, "set AWS_REGION")

	r = runCLIBinary(t, env, "", "list", "--cluster", cluster, "--service", "web", "--region", "us-east-1")
	assert.Equal(t, 0, r.code, "--region")
}

// The README's "From your terminal" section names every flag of the CLI.
func TestCLIDocsNameEveryFlag(t *testing.T) {
	t.Parallel()
	// The README's "From your terminal" points at docs/cli.md, which names
	// every flag.
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "\n## From your terminal\n")
	require.Contains(t, string(readme), "(docs/cli.md)")
	raw, err := os.ReadFile("docs/cli.md")
	require.NoError(t, err)
	section := string(raw)

	w := newWorld(t)
	flagRE := regexp.MustCompile(`(?m)^  (--[a-z-]+)`)
	for _, cmd := range []string{"list", "rollback"} {
		help := runCLIBinary(t, cliEnv(w), "", cmd, "--help")
		require.Equal(t, 0, help.code)
		flags := flagRE.FindAllStringSubmatch(help.stdout, -1)
		require.NotEmpty(t, flags)
		for _, f := range flags {
			assert.Contains(t, section, "`"+f[1], "%s %s", cmd, f[1])
		}
	}
}
