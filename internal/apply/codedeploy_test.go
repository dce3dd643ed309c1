package apply_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/wait"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
)

const (
	app   = "web-app"
	group = "web-dg"
	td42  = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:42"
	td45  = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:45"
)

// spec42 is an AppSpec of revision 42 behind the load balancer.
var spec42 = apply.AppSpec{TaskDefinition: td42, ContainerName: "app", ContainerPort: 80}

// fast polls without delay worth the name.
var fast = wait.Options{FirstPoll: time.Millisecond, MaxPoll: 2 * time.Millisecond, Timeout: 30 * time.Second}

// succeeded records what the simulator reported as succeeded.
type succeeded struct {
	mu  sync.Mutex
	all []cdsim.DeploymentState
}

func (s *succeeded) add(d cdsim.DeploymentState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, d)
}

func (s *succeeded) taskDefs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.all {
		out = append(out, d.TaskDefinition)
	}
	return out
}

func newSim(t *testing.T, opts ...cdsim.Option) (*cdsim.Server, *sdk.Client, *succeeded) {
	t.Helper()
	s := cdsim.New(opts...)
	t.Cleanup(s.Close)
	s.AddDeploymentGroup(cdsim.GroupSpec{
		Application: app, Name: group, Cluster: "prod", Service: "web", TaskDefinition: td42,
		TargetGroups: []string{"web-blue", "web-green"}, ProdListener: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2",
	})
	got := &succeeded{}
	s.OnSucceeded(got.add)
	return s, s.Client(), got
}

func TestGetGroup(t *testing.T) {
	t.Parallel()
	_, api, _ := newSim(t)
	g, err := apply.GetCodeDeployGroup(t.Context(), api, app, group)
	require.NoError(t, err)
	want := apply.CodeDeployGroup{
		Application: app, Name: group, ComputePlatform: "ECS",
		Services:     []apply.ECSService{{Cluster: "prod", Service: "web"}},
		TargetGroups: []string{"web-blue", "web-green"},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("GetGroup mismatch (-want +got):\n%s", diff)
	}

	_, err = apply.GetCodeDeployGroup(t.Context(), api, app, "nope")
	var nf *types.DeploymentGroupDoesNotExistException
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "get CodeDeploy deployment group nope of application web-app")
	_, err = apply.GetCodeDeployGroup(t.Context(), api, "nope", group)
	var anf *types.ApplicationDoesNotExistException
	require.ErrorAs(t, err, &anf)
}

func TestGroupDeploys(t *testing.T) {
	t.Parallel()
	g := apply.CodeDeployGroup{Services: []apply.ECSService{{Cluster: "prod", Service: "web"}}}
	tests := []struct {
		cluster, service string
		want             bool
	}{
		{"prod", "web", true},
		{"arn:aws:ecs:us-east-1:123456789012:cluster/prod", "arn:aws:ecs:us-east-1:123456789012:service/prod/web", true},
		{"", "web", true},
		{"staging", "web", false},
		{"prod", "api", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, g.Deploys(tt.cluster, tt.service), "%s/%s", tt.cluster, tt.service)
	}
}

func TestActive(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t, cdsim.WithPageSize(2))
	var want []string
	for _, status := range []string{cdsim.StatusSucceeded, cdsim.StatusCreated, cdsim.StatusQueued, cdsim.StatusFailed, cdsim.StatusInProgress, cdsim.StatusReady, cdsim.StatusStopped} {
		id, err := s.AddDeployment(cdsim.DeploymentSpec{Application: app, Group: group, TaskDefinition: td45, Status: status})
		require.NoError(t, err)
		if status != cdsim.StatusSucceeded && status != cdsim.StatusFailed && status != cdsim.StatusStopped {
			want = append([]string{id}, want...) // newest first
		}
	}
	got, err := apply.ActiveCodeDeployments(t.Context(), api, app, group)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 2, s.CallCount("ListDeployments"), "two pages of two")
	var body struct {
		IncludeOnlyStatuses []string `json:"includeOnlyStatuses"`
	}
	require.NoError(t, json.Unmarshal(s.Calls()[0].Body, &body))
	assert.ElementsMatch(t, []string{"Created", "Queued", "InProgress", "Ready"}, body.IncludeOnlyStatuses)
}

var update = flag.Bool("update", false, "rewrite the golden AppSpecs under testdata/appspec")

// The AppSpecs a rollback sends, as goldens: what CodeDeploy reads, to the
// byte.
func TestAppSpecContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden string
		spec   apply.AppSpec
	}{
		{
			golden: "load-balancer",
			spec:   apply.AppSpec{TaskDefinition: td42, ContainerName: "app", ContainerPort: 8080},
		},
		{
			golden: "fargate-pinned",
			spec: apply.AppSpec{
				TaskDefinition: td42, ContainerName: "app", ContainerPort: 8080, PlatformVersion: "1.4.0",
				Network: &apply.AppSpecNetwork{Subnets: []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}, SecurityGroups: []string{"sg-0123abcd"}, AssignPublicIP: "DISABLED"},
			},
		},
		{
			golden: "capacity-providers",
			spec: apply.AppSpec{
				TaskDefinition: td42, ContainerName: "app", ContainerPort: 8080, PlatformVersion: "LATEST",
				Network: &apply.AppSpecNetwork{Subnets: []string{"subnet-0a1b2c3d"}, AssignPublicIP: "DISABLED"},
				CapacityProviders: []apply.AppSpecCapacityProvider{
					{CapacityProvider: "FARGATE", Base: 1, Weight: 1},
					{CapacityProvider: "FARGATE_SPOT", Weight: 3},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("..", "..", "testdata", "appspec", tt.golden+".golden.json")
			got := tt.spec.Content()
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Content mismatch (-want +got):\n%s", diff)
			}
			// CodeDeploy reads the AppSpec as YAML too; both say the same.
			var asJSON, asYAML map[string]any
			require.NoError(t, json.Unmarshal([]byte(got), &asJSON))
			require.NoError(t, yaml.Unmarshal([]byte(got), &asYAML))
			assert.Equal(t, asJSON["Resources"].([]any)[0].(map[string]any)["TargetService"].(map[string]any)["Type"], "AWS::ECS::Service")
			assert.Len(t, asYAML["Resources"], 1)
		})
	}
}

func TestCreateAndWait(t *testing.T) {
	t.Parallel()
	s, api, got := newSim(t)
	s.SetBehavior(cdsim.Behavior{Settle: 20 * time.Millisecond})
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, group, apply.AppSpec{TaskDefinition: td42, ContainerName: "app", ContainerPort: 80}, "rollback")
	require.NoError(t, err)
	require.NotEmpty(t, id)

	// One active deployment per group, as in CodeDeploy.
	_, err = apply.CreateCodeDeployment(t.Context(), api, app, group, apply.AppSpec{TaskDefinition: td45, ContainerName: "app", ContainerPort: 80}, "")
	var limit *types.DeploymentLimitExceededException
	require.ErrorAs(t, err, &limit)

	var polls int
	o := fast
	o.OnDeployment = func(wait.CodeDeployment) { polls++ }
	d, err := wait.CodeDeploy(t.Context(), api, id, o)
	require.NoError(t, err)
	assert.True(t, d.Traffic, "traffic is on the target")
	assert.GreaterOrEqual(t, polls, 1)
	// Without a termination wait, the deployment ends with its hooks.
	d, err = wait.GetCodeDeployment(t.Context(), api, id)
	require.NoError(t, err)
	assert.Equal(t, wait.StatusSucceeded, d.Status)
	assert.Equal(t, []string{td42}, got.taskDefs())

	st, ok := s.Deployment(id)
	require.True(t, ok)
	assert.Equal(t, "app", st.ContainerName)
	assert.Equal(t, int32(80), st.ContainerPort)
	assert.Equal(t, td42, st.TaskDefinition)
}

func TestWaitFailed(t *testing.T) {
	t.Parallel()
	s, api, got := newSim(t)
	s.SetBehavior(cdsim.Behavior{Fail: true, ErrorCode: "HEALTH_CONSTRAINTS", ErrorMessage: "The overall deployment failed because too many individual instances failed deployment"})
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, group, spec42, "")
	require.NoError(t, err)
	_, err = wait.CodeDeploy(t.Context(), api, id, fast)
	var fe *wait.DeploymentFailedError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, wait.StatusFailed, fe.Deployment.Status)
	assert.Equal(t, "HEALTH_CONSTRAINTS", fe.Deployment.ErrorCode)
	assert.Contains(t, err.Error(), "ended Failed: HEALTH_CONSTRAINTS: The overall deployment failed")
	assert.Empty(t, got.taskDefs())
}

func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t)
	s.SetBehavior(cdsim.Behavior{Never: true})
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, group, spec42, "")
	require.NoError(t, err)
	o := fast
	o.Timeout = 30 * time.Millisecond
	_, err = wait.CodeDeploy(t.Context(), api, id, o)
	var wt *wait.DeploymentTimeoutError
	require.ErrorAs(t, err, &wt)
	assert.Equal(t, "InProgress", wt.Last.Status)
}

func TestStopWithRollback(t *testing.T) {
	t.Parallel()
	s, api, got := newSim(t)
	s.SetStopDelay(20 * time.Millisecond)
	s.SetRollbackBehavior(cdsim.Behavior{Settle: 10 * time.Millisecond})
	id, err := s.AddDeployment(cdsim.DeploymentSpec{Application: app, Group: group, TaskDefinition: td45})
	require.NoError(t, err)

	require.NoError(t, apply.StopCodeDeployment(t.Context(), api, id))
	var body map[string]any
	require.NoError(t, json.Unmarshal(s.Calls()[0].Body, &body))
	assert.Equal(t, map[string]any{"deploymentId": id, "autoRollbackEnabled": true}, body)

	rb, err := wait.CodeDeployRollback(t.Context(), api, id, fast)
	require.NoError(t, err)
	require.NotEqual(t, id, rb)
	_, err = wait.CodeDeploy(t.Context(), api, rb, fast)
	require.NoError(t, err)
	assert.Equal(t, []string{td42}, got.taskDefs(), "the rollback put the service back on the task definition it ran before")

	stopped, _ := s.Deployment(id)
	assert.Equal(t, cdsim.StatusStopped, stopped.Status)
	assert.Equal(t, rb, stopped.RollbackID)
	rollback, _ := s.Deployment(rb)
	assert.Equal(t, "codeDeployRollback", rollback.Creator)
	assert.Equal(t, id, rollback.RollbackOf)

	// A deployment that has ended cannot be stopped.
	err = apply.StopCodeDeployment(t.Context(), api, id)
	require.ErrorIs(t, err, apply.ErrAlreadyCompleted)
}

func TestStopWithoutRollback(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t)
	id, err := s.AddDeployment(cdsim.DeploymentSpec{Application: app, Group: group, TaskDefinition: td45})
	require.NoError(t, err)
	_, err = api.StopDeployment(t.Context(), &sdk.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)})
	require.NoError(t, err)
	_, err = wait.CodeDeployRollback(t.Context(), api, id, fast)
	require.ErrorIs(t, err, wait.ErrNoRollback)
}

func TestWaitRetriesAFailedPoll(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t)
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, group, spec42, "")
	require.NoError(t, err)
	// The SDK retries a throttle itself; four in a row spend its three
	// attempts on the first poll, and the next poll succeeds.
	s.FailNext("GetDeployment", 4, cdsim.ErrThrottling)
	_, err = wait.CodeDeploy(t.Context(), api, id, fast)
	require.NoError(t, err)
	assert.Equal(t, 5, s.CallCount("GetDeployment"))

	s.FailNext("GetDeployment", 9, cdsim.ErrServer)
	_, err = wait.CodeDeploy(t.Context(), api, id, fast)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "3 polls in a row failed")
	assert.False(t, errors.Is(err, wait.ErrNoRollback))
}

// addGroup adds another group of the same service with the blue/green
// settings of g.
func addGroup(s *cdsim.Server, name string, g cdsim.GroupSpec) {
	g.Application, g.Name, g.Cluster, g.Service, g.TaskDefinition = app, name, "prod", "web", td42
	g.TargetGroups = []string{"web-blue", "web-green"}
	s.AddDeploymentGroup(g)
}

// Traffic on the target ends the wait: the termination wait of the original
// task set is not waited for.
func TestWaitEndsWhenTrafficIsOnTheTarget(t *testing.T) {
	t.Parallel()
	s, api, got := newSim(t)
	addGroup(s, "tw-dg", cdsim.GroupSpec{TerminationWait: 48 * time.Hour})
	g, err := apply.GetCodeDeployGroup(t.Context(), api, app, "tw-dg")
	require.NoError(t, err)
	assert.Equal(t, 48*time.Hour, g.TerminationWait)
	assert.False(t, g.ManualReroute)
	s.SetBehavior(cdsim.Behavior{Settle: 30 * time.Millisecond})
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, "tw-dg", spec42, "")
	require.NoError(t, err)

	d, err := wait.CodeDeploy(t.Context(), api, id, fast)
	require.NoError(t, err)
	assert.True(t, d.Traffic)
	assert.Equal(t, "InProgress", d.Status, "CodeDeploy keeps the original task set")
	again, err := wait.GetCodeDeployment(t.Context(), api, id)
	require.NoError(t, err)
	assert.True(t, again.TerminationWait, "instanceTerminationWaitTimeStarted")
	assert.Contains(t, d.Lifecycle, wait.LifecycleEvent{Name: "AllowTraffic", Status: "Succeeded"})
	assert.Empty(t, got.taskDefs(), "the deployment has not succeeded")
	st, _ := s.Deployment(id)
	assert.True(t, st.TrafficShifted)
	assert.Equal(t, 1, s.CallCount("ListDeploymentTargets"), "the target's id is read once")
	assert.Positive(t, s.CallCount("GetDeploymentTarget"))
}

// A deployment Ready waits for a reroute: the timeout says so, and does not
// call it a failure.
func TestWaitReadyTimesOut(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t)
	addGroup(s, "manual-dg", cdsim.GroupSpec{ManualReroute: true})
	g, err := apply.GetCodeDeployGroup(t.Context(), api, app, "manual-dg")
	require.NoError(t, err)
	assert.True(t, g.ManualReroute)
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, "manual-dg", spec42, "")
	require.NoError(t, err)
	o := fast
	o.Timeout = 50 * time.Millisecond
	_, err = wait.CodeDeploy(t.Context(), api, id, o)
	var wt *wait.DeploymentTimeoutError
	require.ErrorAs(t, err, &wt)
	assert.Equal(t, wait.StatusReady, wt.Last.Status)
	assert.Contains(t, err.Error(), "waits for production traffic to be rerouted")
	assert.Contains(t, err.Error(), "ContinueDeployment")
	assert.NotContains(t, err.Error(), "fail")
}

// A role that may not read deployment targets waits for the deployment to
// end, as before, and says why.
func TestWaitWithoutTargetPermissions(t *testing.T) {
	t.Parallel()
	s, api, _ := newSim(t)
	s.SetBehavior(cdsim.Behavior{Settle: 300 * time.Millisecond})
	id, err := apply.CreateCodeDeployment(t.Context(), api, app, group, spec42, "")
	require.NoError(t, err)
	s.FailNext("ListDeploymentTargets", 1, "AccessDeniedException")
	d, err := wait.CodeDeploy(t.Context(), api, id, fast)
	require.NoError(t, err)
	assert.Equal(t, wait.StatusSucceeded, d.Status)
	assert.Contains(t, d.TargetsError, "AccessDeniedException")
	assert.Equal(t, 1, s.CallCount("ListDeploymentTargets"), "asked once")
	assert.Equal(t, 0, s.CallCount("GetDeploymentTarget"))
}
