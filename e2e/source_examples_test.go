package e2e

// The examples deploy and roll back per environment: the deploy job of an
// environment records that environment under its own artifact name, and
// shares one concurrency group with the rollbacks of that environment, so
// neither runs while the other does.

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// exampleJob is the part of a job the checks read.
type exampleJob struct {
	Environment string `yaml:"environment"`
	Strategy    struct {
		FailFast    *bool `yaml:"fail-fast"`
		MaxParallel int   `yaml:"max-parallel"`
		Matrix      struct {
			Environment []string `yaml:"environment"`
		}
	}
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	}
	Steps []struct {
		Uses string
		With map[string]string
	}
}

type exampleWorkflow struct {
	On struct {
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Options []string `yaml:"options"`
			}
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	}
	Jobs map[string]exampleJob
}

func readExample(t *testing.T, file string) exampleWorkflow {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc exampleWorkflow
	require.NoError(t, yaml.Unmarshal(raw, &doc), file)
	return doc
}

// step returns the with: of the job's first step using an action whose
// reference starts with prefix.
func (j exampleJob) step(prefix string) (map[string]string, bool) {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, prefix) {
			return s.With, true
		}
	}
	return nil, false
}

func TestExamplesPerEnvironment(t *testing.T) {
	t.Parallel()
	deploy := readExample(t, "examples/deploy.yml")
	auto := readExample(t, "examples/auto-rollback.yml")
	manual := readExample(t, "examples/manual-rollback.yml")

	// The job that records: one per environment of its matrix.
	var job exampleJob
	for _, j := range deploy.Jobs {
		if with, ok := j.step("deplight/ecs-rollback"); ok && with["command"] == "record" {
			job = j
		}
	}
	envs := job.Strategy.Matrix.Environment
	require.Equal(t, []string{"dev", "prod"}, envs, "dev, then prod")
	assert.Equal(t, 1, job.Strategy.MaxParallel, "one environment at a time")
	assert.True(t, job.Strategy.FailFast == nil || *job.Strategy.FailFast, "a failed dev deploy stops prod")
	assert.False(t, job.Concurrency.CancelInProgress)
	record, _ := job.step("deplight/ecs-rollback")
	upload, ok := job.step("actions/upload-artifact")
	require.True(t, ok, "the deploy job uploads the state")
	assert.Empty(t, record["state-path"], "the record step writes the default state-path")
	assert.Equal(t, "deployment-state", upload["path"], "which is uploaded")

	for _, env := range envs {
		in := func(s string) string { return strings.ReplaceAll(s, "${{ matrix.environment }}", env) }
		assert.Equal(t, env, in(job.Environment), "the GitHub environment")
		assert.Equal(t, env, in(record["environment"]), "%s: the environment recorded is the one deployed", env)
		assert.Equal(t, env, in(record["cluster"]), "%s: the cluster recorded is the one deployed to", env)

		// The manual rollback of env: same group, same artifact.
		byHand := func(s string) string { return strings.ReplaceAll(s, "${{ inputs.environment }}", env) }
		assert.Equal(t, in(job.Concurrency.Group), byHand(manual.Concurrency.Group), "%s: deploy and manual rollback share a group", env)
		for _, j := range manual.Jobs {
			with, ok := j.step("deplight/ecs-rollback")
			require.True(t, ok)
			assert.Equal(t, in(upload["name"]), byHand(with["artifact-name"]), "%s: the manual rollback reads what the deploy uploads", env)
			assert.Equal(t, env, byHand(with["environment"]))
		}
	}
	assert.Subset(t, envs, manual.On.WorkflowDispatch.Inputs["environment"].Options, "every environment offered by hand is deployed and recorded")
	assert.False(t, manual.Concurrency.CancelInProgress)

	// The automatic rollback of prod: prod's group, prod's artifact.
	prod := func(s string) string { return strings.ReplaceAll(s, "${{ matrix.environment }}", "prod") }
	assert.Equal(t, prod(job.Concurrency.Group), auto.Concurrency.Group)
	assert.False(t, auto.Concurrency.CancelInProgress)
	for _, j := range auto.Jobs {
		with, ok := j.step("deplight/ecs-rollback")
		require.True(t, ok)
		assert.Equal(t, "prod", with["environment"])
		assert.Equal(t, prod(upload["name"]), with["artifact-name"])
	}
	assert.NotEqual(t, deploy.Concurrency.Group, auto.Concurrency.Group,
		"the deploy run's own group is not the rollback's: a rollback waiting for a whole deploy run would wait behind the next deploy")
}

// TestE2EManualRollbackOfDev runs the manual example's rollback step as
// written, with dev chosen: it reads dev's deployment-state artifact, which
// the deploy example uploads next to prod's in the same run, and rolls back
// the dev service only.
func TestE2EManualRollbackOfDev(t *testing.T) {
	t.Parallel()
	w := manualWorld(t, func(s *worldSetup) { s.skipRuns = true })
	w.ecs.AddCluster("dev")
	require.NoError(t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: "dev", Name: "web", TaskDefinition: w.revs[45], DesiredCount: 1}))
	// Two deploy runs, each deploying its image to dev and then to prod.
	for _, d := range []struct {
		id  int64
		tag string
		at  time.Time
	}{
		{4001, "b1b1b1b", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)},
		{4002, "c2c2c2c", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)},
	} {
		run := runOf(d.id, d.at)
		run.HeadSHA = sha(d.tag)
		w.gh.AddRun(run)
		for _, env := range []string{"dev", "prod"} {
			zip, err := deploystate.Zip(deploystate.State{ImageTag: d.tag, Environment: env, CommitSHA: sha(d.tag), Timestamp: d.at.Format(time.RFC3339)})
			require.NoError(t, err)
			w.gh.AddArtifact(d.id, "deployment-state-"+env, zip, false)
		}
	}

	// The example's step, its expressions filled in as the dispatch would.
	var with map[string]string
	for _, j := range readExample(t, "examples/manual-rollback.yml").Jobs {
		with, _ = j.step("deplight/ecs-rollback")
	}
	require.NotEmpty(t, with)
	dispatch := strings.NewReplacer(
		"${{ inputs.environment }}", "dev", "${{ inputs.image_tag }}", "", "${{ inputs.revision }}", "",
		"${{ inputs.confirm }}", "ROLLBACK", "${{ inputs.dry_run }}", "false",
	)
	inputs := map[string]string{}
	for k, v := range with {
		inputs[k] = dispatch.Replace(v)
		require.NotContains(t, inputs[k], "${{", "input %s", k)
	}

	res := w.run(inputs)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	assert.Equal(t, "c2c2c2c", res.outputs["image-tag"])
	dev, ok := w.ecs.Service("dev", "web")
	require.True(t, ok)
	assert.Equal(t, w.revs[42], dev.TaskDefinition, "dev is rolled back")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition(), "prod is not touched")
}
