package cdsim_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
)

// clock is a simulator clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const lbAppSpec = `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"web:2","LoadBalancerInfo":{"ContainerName":"app","ContainerPort":80}}}}]}`

// newLifecycleSim is a group whose deployments take 60s to move traffic,
// on a clock the test moves.
func newLifecycleSim(t *testing.T, g cdsim.GroupSpec) (*cdsim.Server, *codedeploy.Client, *clock, *[]string) {
	t.Helper()
	c := &clock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	s := cdsim.New(cdsim.WithClock(c.Now))
	t.Cleanup(s.Close)
	g.Application, g.Name, g.Cluster, g.Service, g.TaskDefinition = "app", "dg", "prod", "web", "web:1"
	g.TargetGroups = []string{"web-blue", "web-green"}
	s.AddDeploymentGroup(g)
	s.SetBehavior(cdsim.Behavior{Settle: 60 * time.Second})
	var mu sync.Mutex
	var told []string
	s.OnTrafficShifted(func(d cdsim.DeploymentState) {
		mu.Lock()
		told = append(told, "traffic "+d.TaskDefinition)
		mu.Unlock()
	})
	s.OnSucceeded(func(d cdsim.DeploymentState) {
		mu.Lock()
		told = append(told, "succeeded "+d.TaskDefinition)
		mu.Unlock()
	})
	return s, s.Client(), c, &told
}

func create(t *testing.T, api *codedeploy.Client, content string) (string, error) {
	t.Helper()
	out, err := api.CreateDeployment(t.Context(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String(content)}},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.DeploymentId), nil
}

// target reads the deployment's status, its target's status and its
// lifecycle as name=status, through the SDK.
func target(t *testing.T, api *codedeploy.Client, id string) (types.DeploymentStatus, types.TargetStatus, map[string]types.LifecycleEventStatus) {
	t.Helper()
	d, err := api.GetDeployment(t.Context(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	ids, err := api.ListDeploymentTargets(t.Context(), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	require.Equal(t, []string{"prod:web"}, ids.TargetIds)
	out, err := api.GetDeploymentTarget(t.Context(), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(ids.TargetIds[0])})
	require.NoError(t, err)
	require.Equal(t, types.DeploymentTargetTypeEcsTarget, out.DeploymentTarget.DeploymentTargetType)
	ecs := out.DeploymentTarget.EcsTarget
	require.NotNil(t, ecs)
	events := map[string]types.LifecycleEventStatus{}
	for _, e := range ecs.LifecycleEvents {
		events[aws.ToString(e.LifecycleEventName)] = e.Status
	}
	return d.DeploymentInfo.Status, ecs.Status, events
}

func TestTerminationWait(t *testing.T) {
	t.Parallel()
	_, api, c, told := newLifecycleSim(t, cdsim.GroupSpec{TerminationWait: 48 * time.Hour})
	id, err := create(t, api, lbAppSpec)
	require.NoError(t, err)

	c.Add(20 * time.Second) // two of six events done
	status, ts, events := target(t, api, id)
	assert.Equal(t, types.DeploymentStatusInProgress, status)
	assert.Equal(t, types.TargetStatusInProgress, ts)
	assert.Equal(t, types.LifecycleEventStatusSucceeded, events["Install"])
	assert.Equal(t, types.LifecycleEventStatusPending, events["AllowTraffic"])
	assert.Empty(t, *told)

	c.Add(40 * time.Second) // traffic moved; the original task set waits 48 hours
	status, _, events = target(t, api, id)
	assert.Equal(t, types.DeploymentStatusInProgress, status, "InProgress through the termination wait")
	assert.Equal(t, types.LifecycleEventStatusSucceeded, events["AllowTraffic"])
	assert.Equal(t, types.LifecycleEventStatusSucceeded, events["AfterAllowTraffic"])
	assert.Equal(t, []string{"traffic web:2"}, *told)
	d, err := api.GetDeployment(t.Context(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	assert.True(t, d.DeploymentInfo.InstanceTerminationWaitTimeStarted)
	g, err := api.GetDeploymentGroup(t.Context(), &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	require.NoError(t, err)
	assert.Equal(t, int32(2880), g.DeploymentGroupInfo.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes)

	c.Add(48 * time.Hour)
	status, ts, _ = target(t, api, id)
	assert.Equal(t, types.DeploymentStatusSucceeded, status)
	assert.Equal(t, types.TargetStatusSucceeded, ts)
	assert.Equal(t, []string{"traffic web:2", "succeeded web:2"}, *told)
}

func TestContinueTerminationWait(t *testing.T) {
	t.Parallel()
	_, api, c, _ := newLifecycleSim(t, cdsim.GroupSpec{TerminationWait: time.Hour})
	id, err := create(t, api, lbAppSpec)
	require.NoError(t, err)
	_, err = api.ContinueDeployment(t.Context(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: types.DeploymentWaitTypeTerminationWait})
	var bad *types.InvalidDeploymentStatusException
	require.ErrorAs(t, err, &bad, "traffic has not moved yet")
	c.Add(time.Minute)
	_, err = api.ContinueDeployment(t.Context(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: types.DeploymentWaitTypeTerminationWait})
	require.NoError(t, err)
	status, _, _ := target(t, api, id)
	assert.Equal(t, types.DeploymentStatusSucceeded, status)
}

func TestManualReroute(t *testing.T) {
	t.Parallel()
	s, api, c, told := newLifecycleSim(t, cdsim.GroupSpec{ManualReroute: true})
	id, err := create(t, api, lbAppSpec)
	require.NoError(t, err)
	_, err = api.ContinueDeployment(t.Context(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)})
	var notReady *types.DeploymentIsNotInReadyStateException
	require.ErrorAs(t, err, &notReady)

	c.Add(time.Hour) // installed long ago; waits for the reroute
	status, ts, events := target(t, api, id)
	assert.Equal(t, types.DeploymentStatusReady, status)
	assert.Equal(t, types.TargetStatusReady, ts)
	assert.Equal(t, types.LifecycleEventStatusSucceeded, events["AfterInstall"])
	assert.Equal(t, types.LifecycleEventStatusPending, events["BeforeAllowTraffic"])
	assert.Empty(t, *told)
	ready, err := api.ListDeploymentTargets(t.Context(), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id), TargetFilters: map[string][]string{"TargetStatus": {"Ready"}}})
	require.NoError(t, err)
	assert.Len(t, ready.TargetIds, 1)

	_, err = api.ContinueDeployment(t.Context(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: types.DeploymentWaitTypeReadyWait})
	require.NoError(t, err)
	status, _, events = target(t, api, id)
	assert.Equal(t, types.DeploymentStatusInProgress, status)
	assert.Equal(t, types.LifecycleEventStatusPending, events["AllowTraffic"])
	c.Add(30 * time.Second) // the other half of the lifecycle
	status, _, _ = target(t, api, id)
	assert.Equal(t, types.DeploymentStatusSucceeded, status)
	assert.Equal(t, []string{"traffic web:2", "succeeded web:2"}, *told)
	st, _ := s.Deployment(id)
	assert.Equal(t, []string{"READY_WAIT"}, st.Continued)
}

func TestTargetsOfADeploymentNotStarted(t *testing.T) {
	t.Parallel()
	s, api, _, _ := newLifecycleSim(t, cdsim.GroupSpec{})
	id, err := s.AddDeployment(cdsim.DeploymentSpec{Application: "app", Group: "dg", TaskDefinition: "web:2", Status: cdsim.StatusCreated})
	require.NoError(t, err)
	_, err = api.ListDeploymentTargets(t.Context(), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	var ns *types.DeploymentNotStartedException
	require.ErrorAs(t, err, &ns)
	_, err = api.GetDeploymentTarget(t.Context(), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String("prod:web")})
	require.ErrorAs(t, err, &ns)
}

func TestAppSpecWithoutLoadBalancerInfo(t *testing.T) {
	t.Parallel()
	_, api, _, _ := newLifecycleSim(t, cdsim.GroupSpec{})
	_, err := create(t, api, `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"web:2"}}}]}`)
	var bad *types.InvalidRevisionException
	require.ErrorAs(t, err, &bad)
	assert.Contains(t, err.Error(), "ContainerName and ContainerPort")
}

func TestFailedDeploymentLifecycle(t *testing.T) {
	t.Parallel()
	s, api, c, told := newLifecycleSim(t, cdsim.GroupSpec{})
	s.SetBehavior(cdsim.Behavior{Settle: time.Minute, Fail: true})
	id, err := create(t, api, lbAppSpec)
	require.NoError(t, err)
	c.Add(time.Minute)
	status, ts, events := target(t, api, id)
	assert.Equal(t, types.DeploymentStatusFailed, status)
	assert.Equal(t, types.TargetStatusFailed, ts)
	assert.Equal(t, types.LifecycleEventStatusFailed, events["Install"])
	assert.Equal(t, types.LifecycleEventStatusSkipped, events["AllowTraffic"])
	assert.Empty(t, *told)
}
