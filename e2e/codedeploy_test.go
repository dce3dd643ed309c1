package e2e

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// CODE_DEPLOY services: rolled back through CodeDeploy, against the
// CodeDeploy simulator, which puts the ECS simulator's service on whatever
// a deployment deployed when it moves production traffic to it.

// codeDeployTrafficShifted puts the group's ECS service on the task
// definition a CodeDeploy deployment deployed once its traffic moved, as
// the blue/green traffic shift does: the replacement task set is PRIMARY.
func (w *world) codeDeployTrafficShifted(d cdsim.DeploymentState) {
	if err := w.ecs.SetServiceTaskDefinition(d.Cluster, d.Service, d.TaskDefinition); err != nil {
		w.t.Errorf("CodeDeploy deployment %s moved traffic, but the ECS service could not follow: %v", d.ID, err)
	}
}

const (
	cdApp     = "web-app"
	cdGroup   = "bluegreen-dg"
	cdService = "bluegreen"
)

// cdInputs roll back the CODE_DEPLOY service through its deployment group.
var cdInputs = map[string]string{
	"service":                     cdService,
	"codedeploy-application":      cdApp,
	"codedeploy-deployment-group": cdGroup,
}

// addCodeDeployService adds service bluegreen, CODE_DEPLOY-controlled and on
// revision current, behind a load balancer that routes to app:8080, and its
// deployment group.
func (w *world) addCodeDeployService(current int32) {
	w.t.Helper()
	w.addCodeDeployServiceWith(current, cdsim.GroupSpec{})
	require.NoError(w.t, w.ecs.SetLoadBalancers(cluster, cdService, ecssim.LoadBalancer{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bluegreen-blue/0123456789abcdef",
		ContainerName:  "app", ContainerPort: 8080,
	}))
}

// addCodeDeployServiceWith adds service bluegreen, CODE_DEPLOY-controlled,
// on revision current and without a load balancer, and its deployment
// group with the blue/green settings of g.
func (w *world) addCodeDeployServiceWith(current int32, g cdsim.GroupSpec) {
	w.t.Helper()
	require.NoError(w.t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: cdService, TaskDefinition: w.revs[current], DesiredCount: 2, Controller: "CODE_DEPLOY"}))
	g.Application, g.Name, g.Cluster, g.Service, g.TaskDefinition = cdApp, cdGroup, cluster, cdService, w.revs[current]
	g.TargetGroups = []string{"bluegreen-blue", "bluegreen-green"}
	w.cd.AddDeploymentGroup(g)
}

// cdServiceTaskDefinition is the ECS simulator's view of bluegreen now.
func (w *world) cdServiceTaskDefinition() string {
	w.t.Helper()
	st, ok := w.ecs.Service(cluster, cdService)
	require.True(w.t, ok)
	return st.TaskDefinition
}

// cdMutations lists the CodeDeploy calls that change something.
func (w *world) cdMutations() []string {
	var ops []string
	for _, op := range w.cd.Ops() {
		if op == "StopDeployment" || op == "CreateDeployment" {
			ops = append(ops, op)
		}
	}
	return ops
}

func TestE2ECodeDeployStopsTheDeploymentInProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		current int32 // what the service runs while the bad deployment is in progress
	}{
		{name: "traffic already on the failed revision", current: 45},
		{name: "traffic still on the target", current: 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.addCodeDeployService(tt.current)
			bad, err := w.cd.AddDeployment(cdsim.DeploymentSpec{Application: cdApp, Group: cdGroup, TaskDefinition: w.revs[45], Original: w.revs[42]})
			require.NoError(t, err)

			res := w.run(cdInputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
			assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition())
			assert.Equal(t, []string{"StopDeployment"}, w.cdMutations(), "stopped, not a new deployment")
			assert.Empty(t, w.mutations(), "no UpdateService: CodeDeploy owns the service")

			stopped, ok := w.cd.Deployment(bad)
			require.True(t, ok)
			assert.Equal(t, cdsim.StatusStopped, stopped.Status)
			assert.True(t, stopped.AutoRollback, "stopped with autoRollbackEnabled")
			require.NotEmpty(t, stopped.RollbackID)
			rollback, _ := w.cd.Deployment(stopped.RollbackID)
			assert.Equal(t, cdsim.StatusSucceeded, rollback.Status)
			assert.Equal(t, stopped.RollbackID, res.outputs["codedeploy-deployment-id"])

			var services []map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.outputs["services"]), &services))
			require.Len(t, services, 1)
			assert.Equal(t, stopped.RollbackID, services[0]["codedeploy-deployment-id"])
			assert.Contains(t, res.summary, stopped.RollbackID)
			assert.Contains(t, res.summary, bad, "the summary names the stopped deployment")
		})
	}
}

func TestE2ECodeDeployCreatesADeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployService(45)

	res := w.run(cdInputs)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition())
	assert.Equal(t, []string{"CreateDeployment"}, w.cdMutations())
	assert.Empty(t, w.mutations())
	deployments := w.cd.Deployments()
	require.Len(t, deployments, 1)
	d := deployments[0]
	assert.Equal(t, d.ID, res.outputs["codedeploy-deployment-id"])
	assert.Equal(t, cdsim.StatusSucceeded, d.Status)
	assert.Equal(t, w.revs[42], d.TaskDefinition, "the AppSpec's TaskDefinition is the target")
	assert.Equal(t, "app", d.ContainerName, "LoadBalancerInfo comes from the service's load balancer")
	assert.Equal(t, int32(8080), d.ContainerPort)
	var spec map[string]any
	require.NoError(t, json.Unmarshal([]byte(d.AppSpec), &spec), "the AppSpec is JSON")
	assert.Equal(t, "0.0", spec["version"])
	assert.Contains(t, res.summary, "through CodeDeploy")
}

func TestE2ECodeDeployDeploymentFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployService(45)
	w.cd.SetBehavior(cdsim.Behavior{Fail: true, ErrorCode: "HEALTH_CONSTRAINTS", ErrorMessage: "The overall deployment failed because too many individual instances failed deployment"})

	res := w.run(cdInputs)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "rollout-failed", res.outputs["reason"])
	assert.Contains(t, res.stdout, "::error")
	assert.Contains(t, res.stdout, "HEALTH_CONSTRAINTS")
	assert.Contains(t, res.stdout, "too many individual instances failed deployment")
	deployments := w.cd.Deployments()
	require.Len(t, deployments, 1)
	assert.Equal(t, deployments[0].ID, res.outputs["codedeploy-deployment-id"])
	assert.Contains(t, res.summary, deployments[0].ID)
	assert.Equal(t, w.revs[45], w.cdServiceTaskDefinition(), "CodeDeploy did not shift traffic")
}

func TestE2ECodeDeployRefusedWhilePlanning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		setup  func(w *world)
		want   string
	}{
		{
			name:   "no such deployment group",
			inputs: map[string]string{"codedeploy-deployment-group": "nope"},
			want:   "DeploymentGroupDoesNotExistException",
		},
		{
			name: "the group deploys another service",
			setup: func(w *world) {
				w.cd.AddDeploymentGroup(cdsim.GroupSpec{Application: cdApp, Name: "api-dg", Cluster: cluster, Service: "api", TaskDefinition: w.revs[45]})
			},
			inputs: map[string]string{"codedeploy-deployment-group": "api-dg"},
			want:   "deploys prod/api, not service bluegreen",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.addCodeDeployService(45)
			if tt.setup != nil {
				tt.setup(w)
			}
			inputs := maps.Clone(cdInputs)
			maps.Copy(inputs, tt.inputs)
			res := w.run(inputs)
			require.Equal(t, 1, res.code, res.stdout)
			assert.Equal(t, "codedeploy-error", res.outputs["reason"])
			assert.Contains(t, res.stdout, tt.want)
			assert.Empty(t, w.cdMutations())
			assert.Empty(t, w.mutations())
			assert.Equal(t, w.revs[45], w.cdServiceTaskDefinition())
		})
	}
}

func TestE2ECodeDeployDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployService(45)
	bad, err := w.cd.AddDeployment(cdsim.DeploymentSpec{Application: cdApp, Group: cdGroup, TaskDefinition: w.revs[45], Original: w.revs[42]})
	require.NoError(t, err)
	inputs := maps.Clone(cdInputs)
	inputs["dry-run"] = "true"

	res := w.run(inputs)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "planned", res.outputs["result"])
	assert.Contains(t, res.summary, "stopping deployment "+bad)
	assert.Empty(t, w.cdMutations())
	assert.Equal(t, []string{"GetDeploymentGroup", "ListDeployments"}, w.cd.Ops())
}

func TestE2ECodeDeployNoWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployService(45)
	w.cd.SetBehavior(cdsim.Behavior{Never: true})
	inputs := maps.Clone(cdInputs)
	inputs["wait"] = "false"

	res := w.run(inputs)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	deployments := w.cd.Deployments()
	require.Len(t, deployments, 1)
	assert.Equal(t, deployments[0].ID, res.outputs["codedeploy-deployment-id"])
	assert.Equal(t, cdsim.StatusInProgress, deployments[0].Status, "started, not waited for")
	assert.Equal(t, 0, w.cd.CallCount("GetDeployment"))
	assert.Equal(t, w.revs[45], w.cdServiceTaskDefinition())
}
