package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// The record command: the deploy workflow writes the deployment-state folder
// that a later rollback reads back from the artifact.

// workspace is the GITHUB_WORKSPACE of the world's runs.
func (w *world) workspace() string { return filepath.Join(w.dir, "workspace") }

// stateFiles reads every entry of a deployment-state folder: name → content.
func stateFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range entries {
		require.True(t, e.Type().IsRegular(), "%s is a regular file", e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(raw)
	}
	return out
}

func TestE2ERecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		inputs    map[string]string
		statePath string
		withARN   bool
		env       string
	}{
		{
			name:      "with the service's task definition",
			inputs:    map[string]string{"image-tag": "f5f5f5f", "environment": "prod"},
			statePath: "deployment-state",
			withARN:   true,
			env:       "prod",
		},
		{
			name:      "without cluster and service",
			inputs:    map[string]string{"image-tag": "f5f5f5f", "environment": "dev", "cluster": "", "service": ""},
			statePath: "deployment-state",
			env:       "dev",
		},
		{
			name:      "another state-path and a full commit SHA as the tag",
			inputs:    map[string]string{"image-tag": sha("f5f5f5f"), "environment": "prod", "state-path": "out/state"},
			statePath: "out/state",
			withARN:   true,
			env:       "prod",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.eventName, w.event = "push", pushEvent(t, "refs/heads/main", sha("f5f5f5f")) // record runs in the deploy workflow
			inputs := map[string]string{"command": "record"}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			res := w.run(inputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "recorded", res.outputs["result"])
			assert.Equal(t, tc.statePath, res.outputs["state-path"])
			assert.Empty(t, w.ecs.MutatingCalls(), "record changes nothing in ECS")
			assert.Zero(t, w.gh.CallCount("/"), "record makes no GitHub call")

			dir := filepath.Join(w.workspace(), filepath.FromSlash(tc.statePath))
			got := stateFiles(t, dir)
			stamp := strings.TrimSuffix(got[deploystate.FileTimestamp], "\n")
			_, err := time.Parse(time.RFC3339, stamp)
			require.NoError(t, err, "timestamp.txt holds an ISO 8601 time")
			want := map[string]string{
				deploystate.FileImageTag:    tc.inputs["image-tag"] + "\n",
				deploystate.FileEnvironment: tc.env + "\n",
				deploystate.FileCommitSHA:   sha("f5f5f5f") + "\n",
				deploystate.FileTimestamp:   stamp + "\n",
			}
			if tc.withARN {
				want[deploystate.FileTaskDefinitionARN] = w.revs[45] + "\n"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the deployment-state folder holds exactly the contract's files (-want +got):\n%s", diff)
			}

			// The folder, zipped the way actions/upload-artifact zips it
			// (files at the root), reads back as the same state.
			back, err := deploystate.ReadZip(zipFolder(t, dir, ""))
			require.NoError(t, err)
			wantState := deploystate.State{
				ImageTag: tc.inputs["image-tag"], Environment: tc.env, CommitSHA: sha("f5f5f5f"), Timestamp: stamp,
			}
			if tc.withARN {
				wantState.TaskDefinitionARN = w.revs[45]
			}
			if diff := cmp.Diff(wantState, back); diff != "" {
				t.Errorf("ReadZip of the recorded folder (-want +got):\n%s", diff)
			}
			// And inside one top-level folder, as a downloaded artifact
			// sometimes is.
			back, err = deploystate.ReadZip(zipFolder(t, dir, "deployment-state/"))
			require.NoError(t, err)
			assert.Equal(t, wantState, back)
		})
	}
}

func TestE2ERecordRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		reason string
		says   string
		setup  func(t *testing.T, w *world)
	}{
		{name: "tag starting with a hyphen", inputs: map[string]string{"image-tag": "-bad"}, reason: "invalid-input", says: "image-tag"},
		{name: "tag with a slash", inputs: map[string]string{"image-tag": "a/b"}, reason: "invalid-input", says: "image-tag"},
		{name: "tag with a newline", inputs: map[string]string{"image-tag": "abc\ndef"}, reason: "invalid-input", says: "image-tag"},
		{name: "no tag", inputs: map[string]string{"image-tag": ""}, reason: "invalid-input", says: "image-tag"},
		{name: "state-path leaves the workspace", inputs: map[string]string{"image-tag": "f5f5f5f", "state-path": "../elsewhere"}, reason: "invalid-input", says: "state-path"},
		{name: "cluster without service", inputs: map[string]string{"image-tag": "f5f5f5f", "service": ""}, reason: "invalid-input", says: "service"},
		{name: "service not found", inputs: map[string]string{"image-tag": "f5f5f5f", "service": "api"}, reason: "record-failed", says: "api"},
		{
			// The deploy action reported success, but the circuit breaker
			// had put the service back on 44.
			name: "deploy reverted by ECS", inputs: map[string]string{"image-tag": "f5f5f5f"}, reason: "record-failed",
			says: "runs revision 44, whose images (" + ecrRepo + ":e4e4e4e, ",
			setup: func(t *testing.T, w *world) {
				require.NoError(t, w.ecs.SetServiceTaskDefinition(cluster, "web", w.revs[44]))
			},
		},
		{
			name: "rollout FAILED", inputs: map[string]string{"image-tag": "f5f5f5f"}, reason: "record-failed", says: "FAILED",
			setup: func(t *testing.T, w *world) {
				// The deploy of 45 (from 44) fails.
				require.NoError(t, w.ecs.SetServiceTaskDefinition(cluster, "web", w.revs[44]))
				w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Fail: true})
				client := w.ecs.Client()
				_, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), TaskDefinition: aws.String(w.revs[45])})
				require.NoError(t, err)
				require.Eventually(t, func() bool {
					out, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}})
					return err == nil && len(out.Services) == 1 && len(out.Services[0].Deployments) > 0 &&
						out.Services[0].Deployments[0].RolloutState == "FAILED"
				}, 10*time.Second, 20*time.Millisecond, "the rollout fails")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			mutations := len(w.ecs.MutatingCalls())
			w.eventName, w.event = "push", pushEvent(t, "refs/heads/main", sha("f5f5f5f"))
			inputs := map[string]string{"command": "record", "environment": "prod"}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			res := w.run(inputs)

			require.Equal(t, 1, res.code, res.stdout)
			assert.Equal(t, "failed", res.outputs["result"])
			assert.Equal(t, tc.reason, res.outputs["reason"])
			assert.Len(t, w.ecs.MutatingCalls(), mutations, "no change to ECS")
			errLines := errorLines(res.stdout)
			require.Len(t, errLines, 1, "exactly one ::error:: line")
			assert.Contains(t, errLines[0], tc.says)

			entries, err := os.ReadDir(w.workspace())
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing was written to the workspace")
			_, err = os.Stat(filepath.Join(w.dir, "elsewhere"))
			assert.ErrorIs(t, err, os.ErrNotExist, "nor next to it")
		})
	}
}

// TestE2ERecordThenRollBack is the whole story: the deploy workflow records
// revision 43, the artifact is uploaded, a later deploy to 45 fails, and the
// rollback goes back to the recorded task definition.
func TestE2ERecordThenRollBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(s *worldSetup) { s.current = 43 })
	failed := w.event
	w.eventName, w.event = "push", pushEvent(t, "refs/heads/main", sha("d3d3d3d"))
	rec := w.run(map[string]string{"command": "record", "image-tag": "d3d3d3d", "environment": "prod"})
	require.Equal(t, 0, rec.code, rec.stdout)
	w.gh.AddRun(runOf(4010, time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)))
	w.gh.AddArtifact(4010, "deployment-state", zipFolder(t, filepath.Join(w.workspace(), "deployment-state"), ""), false)

	// The next deploy, to revision 45, fails.
	_, err := w.ecs.Client().UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(cluster), Service: aws.String("web"), TaskDefinition: aws.String(w.revs[45]),
	})
	require.NoError(t, err)
	before := len(w.mutations())
	w.eventName, w.event = "workflow_run", failed

	res := w.run(map[string]string{"environment": "prod"})
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "4010", res.outputs["source-run-id"])
	assert.Equal(t, "d3d3d3d", res.outputs["image-tag"])
	assert.Equal(t, w.revs[43], res.outputs["to-task-definition"])
	assert.Equal(t, w.revs[43], w.serviceTaskDefinition())
	assert.Len(t, w.mutations(), before+1, "one UpdateService")
}

// zipFolder zips the regular files of dir as actions/upload-artifact does,
// under prefix ("" for the root, or "name/").
func zipFolder(t *testing.T, dir, prefix string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		f, err := zw.CreateHeader(&zip.FileHeader{Name: prefix + e.Name(), Method: zip.Deflate})
		require.NoError(t, err)
		_, err = f.Write(raw)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// The workflows users copy: the examples, the reusable workflow and the
// README's quick start must agree with the action and with each other.

// workflowFiles are the workflows users copy or call.
var workflowFiles = []string{
	"examples/deploy.yml",
	"examples/auto-rollback.yml",
	"examples/manual-rollback.yml",
	".github/workflows/rollback.yml",
}

// usesRE is a "uses:" line: the action and the rest of the line.
var usesRE = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)

// pinnedRE is a third-party action pinned to a full commit SHA with its
// version in a comment.
var pinnedRE = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)

func TestWorkflowsPinActions(t *testing.T) {
	t.Parallel()
	for _, file := range workflowFiles {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		for i, line := range strings.Split(string(raw), "\n") {
			m := usesRE.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			ref, rest := m[1], strings.TrimSpace(m[2])
			if strings.HasPrefix(ref, "deplight/ecs-rollback") {
				assert.Equal(t, "deplight/ecs-rollback@v1", ref, "%s:%d: the action itself, by its major tag", file, i+1)
				continue
			}
			assert.Regexp(t, pinnedRE, ref, "%s:%d: pinned to a full commit SHA", file, i+1)
			assert.Regexp(t, `^# v\d+\.\d+\.\d+$`, rest, "%s:%d: with the version in a comment", file, i+1)
		}
	}
}

// workflowDoc is the part of a workflow file the checks read.
type workflowDoc struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]string
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	}
	Jobs map[string]struct {
		Permissions map[string]string
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		}
		Steps []struct {
			Name string
			Uses string
			Run  string
			With map[string]any
		}
	}
}

func readWorkflow(t *testing.T, file string) workflowDoc {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc workflowDoc
	require.NoError(t, yaml.Unmarshal(raw, &doc), file)
	return doc
}

func TestWorkflowsUseTheActionsInputs(t *testing.T) {
	t.Parallel()
	inputs := actionDefaults(t) // every input but those defaulting to an expression
	inputs["github-token"] = ""
	for _, file := range workflowFiles {
		doc := readWorkflow(t, file)
		used := 0
		for job, j := range doc.Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "deplight/ecs-rollback") {
					continue
				}
				used++
				for name := range s.With {
					assert.Contains(t, inputs, name, "%s job %s: %q is an input of action.yml", file, job, name)
				}
			}
		}
		assert.Positive(t, used, "%s uses the action", file)
	}
}

func TestWorkflowsGuardScriptInjection(t *testing.T) {
	t.Parallel()
	for _, file := range workflowFiles {
		for job, j := range readWorkflow(t, file).Jobs {
			for _, s := range j.Steps {
				assert.NotContains(t, s.Run, "${{", "%s job %s step %q: values reach run scripts through env only", file, job, s.Name)
			}
		}
	}
}

func TestReusableWorkflow(t *testing.T) {
	t.Parallel()
	doc := readWorkflow(t, ".github/workflows/rollback.yml")
	call, ok := doc.On["workflow_call"].(map[string]any)
	require.True(t, ok, "on: workflow_call")
	declared := call["inputs"].(map[string]any)
	for _, name := range []string{
		"environment", "cluster", "service", "revision", "image-tag", "confirm", "dry-run",
		"aws-region", "aws-role-arn", "deploy-workflow", "rollback-type", "terraform-directory",
	} {
		assert.Contains(t, declared, name)
	}
	require.Len(t, doc.Jobs, 1)
	for _, j := range doc.Jobs {
		assert.Equal(t, map[string]string{"actions": "read", "contents": "read", "id-token": "write"}, j.Permissions, "least privilege")
		assert.Contains(t, j.Concurrency.Group, "${{ inputs.cluster }}")
		assert.Contains(t, j.Concurrency.Group, "${{ inputs.service }}")
		assert.False(t, j.Concurrency.CancelInProgress, "a rollback is never cancelled half-way")
		var runs []string
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
		all := strings.Join(runs, "\n")
		for _, want := range []string{"terraform init", "terraform apply -input=false -auto-approve", `image_tag=$IMAGE_TAG`, "-detailed-exitcode", "$GITHUB_STEP_SUMMARY"} {
			assert.Contains(t, all, want)
		}
	}
}

func TestExamplesConcurrencyAndTriggers(t *testing.T) {
	t.Parallel()
	deploy := readWorkflow(t, "examples/deploy.yml")
	auto := readWorkflow(t, "examples/auto-rollback.yml")
	manual := readWorkflow(t, "examples/manual-rollback.yml")

	raw, err := os.ReadFile("examples/deploy.yml")
	require.NoError(t, err)
	var named struct{ Name string }
	require.NoError(t, yaml.Unmarshal(raw, &named))
	run := auto.On["workflow_run"].(map[string]any)
	assert.Equal(t, []any{named.Name}, run["workflows"], "auto-rollback listens for the deploy workflow by name")
	assert.Equal(t, []any{"completed"}, run["types"])
	assert.Equal(t, "read", auto.Permissions["actions"])
	assert.Equal(t, "read", manual.Permissions["actions"])
	assert.Contains(t, manual.On, "workflow_dispatch")

	for name, doc := range map[string]workflowDoc{"deploy": deploy, "auto": auto, "manual": manual} {
		assert.NotEmpty(t, doc.Concurrency.Group, name)
		assert.False(t, doc.Concurrency.CancelInProgress, name)
	}
	// A manual and an automatic rollback of prod/web share one group.
	assert.Equal(t, auto.Concurrency.Group, strings.ReplaceAll(manual.Concurrency.Group, "${{ inputs.environment }}", "prod"))
}

// TestReadmeQuickStartMatchesExamples keeps the README's quick start a
// verbatim excerpt of the example files, and its call of the reusable
// workflow one the workflow accepts.
func TestReadmeQuickStartMatchesExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, quick, ok := strings.Cut(string(readme), "\n## Quick start\n")
	require.True(t, ok)
	quick, _, _ = strings.Cut(quick, "\n## ")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(quick, -1)
	require.Len(t, blocks, 4, "record, auto rollback, manual rollback, reusable workflow")

	deploy, err := os.ReadFile("examples/deploy.yml")
	require.NoError(t, err)
	assert.Contains(t, string(deploy), blocks[0][1], "the record snippet is an excerpt of examples/deploy.yml")
	auto, err := os.ReadFile("examples/auto-rollback.yml")
	require.NoError(t, err)
	assert.Equal(t, string(auto), blocks[1][1], "the auto-rollback snippet is examples/auto-rollback.yml")
	manual, err := os.ReadFile("examples/manual-rollback.yml")
	require.NoError(t, err)
	assert.Contains(t, string(manual), blocks[2][1], "the manual-rollback snippet is an excerpt of examples/manual-rollback.yml")

	// The call of the reusable workflow: its inputs, the required ones, and
	// the permissions the workflow's job needs.
	var caller struct {
		Jobs map[string]struct {
			Uses        string
			Permissions map[string]string
			With        map[string]any
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(blocks[3][1]), &caller), "the reusable-workflow snippet is YAML")
	require.Len(t, caller.Jobs, 1)
	reusable := readWorkflow(t, ".github/workflows/rollback.yml")
	declared := reusable.On["workflow_call"].(map[string]any)["inputs"].(map[string]any)
	for _, j := range caller.Jobs {
		assert.Equal(t, "deplight/ecs-rollback/.github/workflows/rollback.yml@v1", j.Uses)
		for name := range j.With {
			assert.Contains(t, declared, name, "the snippet passes %q, an input of the reusable workflow", name)
		}
		for name, spec := range declared {
			if req, _ := spec.(map[string]any)["required"].(bool); req {
				assert.Contains(t, j.With, name, "the snippet passes the required input %q", name)
			}
		}
		for _, rj := range reusable.Jobs {
			assert.Equal(t, rj.Permissions, j.Permissions, "the caller grants what the reusable workflow's job asks for")
		}
	}
}

// TestReusableWorkflowDriftCheck runs the drift-check script of the reusable
// workflow as the runner would (bash -eo pipefail), with a stand-in terraform
// that exits 0, 2 or 1, and checks what lands in the step summary, the step
// output and the exit status.
func TestReusableWorkflowDriftCheck(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	var script string
	for _, j := range readWorkflow(t, ".github/workflows/rollback.yml").Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "-detailed-exitcode") {
				script = s.Run
			}
		}
	}
	require.NotEmpty(t, script)

	tests := []struct {
		code     int
		dryRun   string
		drift    string
		says     string
		exit     int
		annotate string
	}{
		{code: 0, dryRun: "false", drift: "no-drift", says: "exited 0: no drift", exit: 0},
		{code: 2, dryRun: "false", drift: "drift", says: "exited 2: drift", exit: 0, annotate: "::warning::"},
		{code: 2, dryRun: "true", drift: "drift", says: "exited 2: dry run", exit: 0},
		{code: 1, dryRun: "false", drift: "error", says: "exited 1: error", exit: 1, annotate: "::error::"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("exit %d dry-run %s", tc.code, tc.dryRun), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			require.NoError(t, os.Mkdir(bin, 0o755))
			fake := fmt.Sprintf("#!/bin/sh\necho \"terraform $*\"\nexit %d\n", tc.code)
			require.NoError(t, os.WriteFile(filepath.Join(bin, "terraform"), []byte(fake), 0o755))
			scriptPath := filepath.Join(dir, "step.sh")
			require.NoError(t, os.WriteFile(scriptPath, []byte(script), 0o644))
			out, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")

			cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", scriptPath)
			cmd.Env = []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"IMAGE_TAG=c2c2c2c", "DRY_RUN=" + tc.dryRun,
				"GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + summary,
			}
			stdout, err := cmd.Output()
			code := 0
			if exitErr, ok := err.(*exec.ExitError); ok {
				code = exitErr.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.exit, code)
			assert.Contains(t, string(stdout), "-detailed-exitcode -var image_tag=c2c2c2c")
			outputs, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, "drift="+tc.drift+"\n", string(outputs))
			sum, err := os.ReadFile(summary)
			require.NoError(t, err)
			assert.Contains(t, string(sum), "### Terraform drift check")
			assert.Contains(t, string(sum), tc.says)
			if tc.annotate != "" {
				assert.Contains(t, string(stdout), tc.annotate)
			} else {
				assert.NotContains(t, string(stdout), "::")
			}
		})
	}
}
