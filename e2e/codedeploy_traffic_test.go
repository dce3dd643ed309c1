package e2e

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// CODE_DEPLOY services as ECS blue/green deployments really go: the
// deployment stays InProgress through the termination wait of the original
// task set, long after production traffic moved; a group with manual
// reroute holds it Ready; the AppSpec must repeat what the service runs
// with.

// withLoadBalancer gives bluegreen the load balancer of the default story.
func (w *world) withLoadBalancer() {
	w.t.Helper()
	require.NoError(w.t, w.ecs.SetLoadBalancers(cluster, cdService, ecssim.LoadBalancer{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bluegreen-blue/0123456789abcdef",
		ContainerName:  "app", ContainerPort: 8080,
	}))
}

// cdOps lists the CodeDeploy calls that change something, ContinueDeployment
// included.
func (w *world) cdOps(ops ...string) []string {
	var out []string
	for _, op := range w.cd.Ops() {
		for _, want := range ops {
			if op == want {
				out = append(out, op)
			}
		}
	}
	return out
}

// The service recovers when traffic moves, minutes into a deployment that
// stays InProgress for two days: the run reports rolled-back then, and says
// that CodeDeploy keeps the original task set. A rerun during the
// termination wait leaves the deployment alone.
func TestE2ECodeDeployTerminationWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployServiceWith(45, cdsim.GroupSpec{TerminationWait: 2880 * time.Minute})
	w.withLoadBalancer()
	// The lifecycle takes long enough to be seen going on across polls.
	w.cd.SetBehavior(cdsim.Behavior{Settle: 1500 * time.Millisecond})
	inputs := maps.Clone(cdInputs)
	inputs["wait-timeout"] = "1m" // far less than the termination wait

	res := w.run(inputs)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition(), "production traffic is on the target")
	deployments := w.cd.Deployments()
	require.Len(t, deployments, 1)
	d := deployments[0]
	assert.Equal(t, d.ID, res.outputs["codedeploy-deployment-id"])
	assert.Equal(t, cdsim.StatusInProgress, d.Status, "the run did not wait for the termination wait")
	assert.True(t, d.TrafficShifted)
	assert.Contains(t, res.stdout, "CodeDeploy keeps the original task set until its termination wait of 2880 minutes ends")
	assert.Contains(t, res.summary, "termination wait of 2880 minutes")
	assert.NotContains(t, res.stdout, "::error")
	assert.Positive(t, w.cd.CallCount("GetDeploymentTarget"), "traffic read from the deployment's ECS target")
	assert.Equal(t, []string{"CreateDeployment"}, w.cdMutations())

	// A rerun while CodeDeploy keeps the original task set: the deployment
	// in progress is the one that put the service on the target; stopping
	// it with auto-rollback would put traffic back on revision 45.
	again := w.run(cdInputs)
	require.Equal(t, 0, again.code, again.stdout)
	assert.Equal(t, "already-current", again.outputs["result"])
	assert.Equal(t, []string{"CreateDeployment"}, w.cdMutations(), "not stopped, no new deployment")
	assert.Contains(t, again.stdout, "only waits to terminate the original task set")
	st, _ := w.cd.Deployment(d.ID)
	assert.Equal(t, cdsim.StatusInProgress, st.Status)
	assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition())
}

// A bad deployment in its termination wait has traffic on the failed
// revision while the original task set still runs: it is stopped with
// auto-rollback, which puts traffic back on the original.
func TestE2ECodeDeployStopsADeploymentInItsTerminationWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployServiceWith(42, cdsim.GroupSpec{TerminationWait: 60 * time.Minute})
	w.withLoadBalancer()
	bad, err := w.cd.AddDeployment(cdsim.DeploymentSpec{Application: cdApp, Group: cdGroup, TaskDefinition: w.revs[45], Original: w.revs[42], Behavior: &cdsim.Behavior{}})
	require.NoError(t, err)
	st, _ := w.cd.Deployment(bad)
	require.True(t, st.TrafficShifted)
	require.Equal(t, w.revs[45], w.cdServiceTaskDefinition(), "traffic is on the failed revision")

	res := w.run(cdInputs)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, []string{"StopDeployment"}, w.cdMutations())
	assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition())
	stopped, _ := w.cd.Deployment(bad)
	assert.Equal(t, cdsim.StatusStopped, stopped.Status)
	assert.Equal(t, stopped.RollbackID, res.outputs["codedeploy-deployment-id"])
}

// A group with manual reroute holds the rollback deployment Ready: the run
// waits on it, and at wait-timeout says it waits for a reroute, not that
// CodeDeploy failed. Once rerouted, a rerun finds the service recovered.
func TestE2ECodeDeployManualRerouteTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployServiceWith(45, cdsim.GroupSpec{ManualReroute: true})
	w.withLoadBalancer()
	inputs := maps.Clone(cdInputs)
	inputs["wait-timeout"] = "2s"

	res := w.run(inputs)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "wait-timeout", res.outputs["reason"])
	deployments := w.cd.Deployments()
	require.Len(t, deployments, 1)
	d := deployments[0]
	assert.Equal(t, cdsim.StatusReady, d.Status)
	assert.Equal(t, d.ID, res.outputs["codedeploy-deployment-id"])
	for _, want := range []string{"is Ready", "rerouted", "ContinueDeployment", "continue-deployment --deployment-id " + d.ID, "has not failed"} {
		assert.Contains(t, res.stdout, want)
	}
	assert.NotContains(t, res.stdout, "rollout-failed")
	assert.Equal(t, w.revs[45], w.cdServiceTaskDefinition(), "traffic has not moved")

	// The operator reroutes; the rerun verifies.
	_, err := w.cd.Client().ContinueDeployment(t.Context(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(d.ID), DeploymentWaitType: types.DeploymentWaitTypeReadyWait})
	require.NoError(t, err)
	again := w.run(cdInputs)
	require.Equal(t, 0, again.code, again.stdout)
	assert.Equal(t, "already-current", again.outputs["result"])
	assert.Equal(t, []string{"CreateDeployment"}, w.cdMutations())
}

// Ready is waited on: rerouted while the run waits, the rollback completes.
func TestE2ECodeDeployManualRerouteWhileWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployServiceWith(45, cdsim.GroupSpec{ManualReroute: true})
	w.withLoadBalancer()
	api := w.cd.Client()

	// The operator: reroute the deployment once it is Ready, as from the
	// console.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rerouted := make(chan string, 1)
	go func() {
		defer close(rerouted)
		for ctx.Err() == nil {
			for _, d := range w.cd.Deployments() {
				if d.Status != cdsim.StatusReady {
					continue
				}
				if _, err := api.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(d.ID)}); err == nil {
					rerouted <- d.ID
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	res := w.run(cdInputs)
	cancel()

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	id := <-rerouted
	require.NotEmpty(t, id, "the deployment was Ready")
	assert.Equal(t, id, res.outputs["codedeploy-deployment-id"])
	st, _ := w.cd.Deployment(id)
	assert.Equal(t, []string{cdsim.WaitReady}, st.Continued)
	assert.Equal(t, w.revs[42], w.cdServiceTaskDefinition())
}

// The AppSpec sent is the golden one: the full task-definition ARN, the
// service's load balancer, and its platform version, network configuration
// and capacity-provider strategy where it has them. The same goldens are
// the unit test's.
func TestE2ECodeDeployAppSpecGoldens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden string
		launch *ecssim.Launch
	}{
		{golden: "load-balancer"},
		{
			golden: "fargate-pinned",
			launch: &ecssim.Launch{PlatformVersion: "1.4.0", Subnets: []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}, SecurityGroups: []string{"sg-0123abcd"}, AssignPublicIP: "DISABLED"},
		},
		{
			golden: "capacity-providers",
			launch: &ecssim.Launch{
				PlatformVersion: "LATEST", Subnets: []string{"subnet-0a1b2c3d"},
				CapacityProviders: []ecssim.CapacityProvider{{Name: "FARGATE", Base: 1, Weight: 1}, {Name: "FARGATE_SPOT", Weight: 3}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.addCodeDeployService(45)
			if tt.launch != nil {
				require.NoError(t, w.ecs.SetLaunch(cluster, cdService, *tt.launch))
			}

			res := w.run(cdInputs)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			deployments := w.cd.Deployments()
			require.Len(t, deployments, 1)
			want, err := os.ReadFile(filepath.Join("testdata", "appspec", tt.golden+".golden.json"))
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), deployments[0].AppSpec); diff != "" {
				t.Errorf("AppSpec mismatch (-want +got):\n%s", diff)
			}
			assert.True(t, strings.HasPrefix(deployments[0].TaskDefinition, "arn:aws:ecs:"), "the full task-definition ARN")
		})
	}
}

// A CODE_DEPLOY service without a load balancer cannot be deployed by
// CodeDeploy: planning refuses it, before any CodeDeploy call.
func TestE2ECodeDeployWithoutALoadBalancer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addCodeDeployServiceWith(45, cdsim.GroupSpec{})

	res := w.run(cdInputs)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "codedeploy-error", res.outputs["reason"])
	assert.Contains(t, res.stdout, "has no load balancer that names a container and port")
	assert.Contains(t, res.stdout, "Nothing was changed")
	assert.Empty(t, w.cd.Ops(), "no CodeDeploy call")
	assert.Empty(t, w.mutations())
	assert.Equal(t, w.revs[45], w.cdServiceTaskDefinition())
}
