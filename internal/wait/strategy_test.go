package wait_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/wait"
)

var fastPolls = wait.Options{FirstPoll: 10 * time.Millisecond, MaxPoll: 20 * time.Millisecond, Timeout: 5 * time.Second}

// deployedTwice is service web on revision 1, deployed to 2 with cfg as
// r says; it returns the revisions and the deployment of 2.
func deployedTwice(t *testing.T, cfg ecssim.DeploymentConfig, r ecssim.Rollout, ago time.Duration) (*ecssim.Server, *ecs.Client, []string, string) {
	t.Helper()
	s, c := newSim(t)
	arns := register(s, "web", 2)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 2}))
	require.NoError(t, s.SetDeploymentConfig("prod", "web", cfg))
	s.SetRollout("prod", "web", r)
	sd, err := s.Deploy("prod", "web", arns[1], ago)
	require.NoError(t, err)
	return s, c, arns, sd
}

func TestDeploymentRolledBack(t *testing.T) {
	t.Parallel()
	_, c, arns, sd := deployedTwice(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: time.Hour}, ecssim.Rollout{Settle: time.Minute}, 2*time.Minute)
	_, err := c.StopServiceDeployment(context.Background(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(sd), StopType: types.StopServiceDeploymentStopTypeRollback})
	require.NoError(t, err)
	p, err := wait.Deployment(context.Background(), c, "prod", "web", sd, arns[0], wait.GoalRolledBack, fastPolls)
	require.NoError(t, err)
	assert.Equal(t, ecsread.SDRollbackSuccessful, p.Deployment.Status)
	assert.Equal(t, arns[0], p.Service.TaskDefinition)
}

func TestDeploymentTrafficOnTarget(t *testing.T) {
	t.Parallel()
	_, c, arns, sd := deployedTwice(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyCanary, CanaryPercent: 10, CanaryBake: 100 * time.Millisecond, BakeTime: time.Hour}, ecssim.Rollout{Settle: 100 * time.Millisecond}, 0)
	p, err := wait.Deployment(context.Background(), c, "prod", "web", sd, arns[1], wait.GoalDeployed, fastPolls)
	require.NoError(t, err)
	assert.Equal(t, ecsread.StageBakeTime, p.Deployment.Stage, "done once traffic is on the target, in the bake")
	assert.Equal(t, ecsread.SDInProgress, p.Deployment.Status)
}

func TestDeploymentUndoneByCircuitBreaker(t *testing.T) {
	t.Parallel()
	_, c, arns, sd := deployedTwice(t, ecssim.DeploymentConfig{CircuitBreakerRollback: true}, ecssim.Rollout{Settle: 50 * time.Millisecond, Fail: true}, 0)
	p, err := wait.Deployment(context.Background(), c, "prod", "web", sd, arns[1], wait.GoalDeployed, fastPolls)
	var undone *wait.UndoneError
	require.True(t, errors.As(err, &undone), "%v", err)
	assert.Equal(t, "TRIGGERED", undone.Deployment.CircuitBreaker)
	assert.Equal(t, arns[0], p.Service.TaskDefinition, "ECS put the source back")
}

func TestDeploymentMissing(t *testing.T) {
	t.Parallel()
	_, c, arns, _ := deployedTwice(t, ecssim.DeploymentConfig{}, ecssim.Rollout{Never: true}, 0)
	_, err := wait.Deployment(context.Background(), c, "prod", "web", "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/gone", arns[1], wait.GoalDeployed, fastPolls)
	var undone *wait.UndoneError
	require.True(t, errors.As(err, &undone), "%v", err)
	assert.True(t, undone.Missing)
}

func TestDeploymentTimeout(t *testing.T) {
	t.Parallel()
	_, c, arns, sd := deployedTwice(t, ecssim.DeploymentConfig{}, ecssim.Rollout{Never: true}, 0)
	o := fastPolls
	o.Timeout = 100 * time.Millisecond
	_, err := wait.Deployment(context.Background(), c, "prod", "web", sd, arns[1], wait.GoalDeployed, o)
	var to *wait.StableTimeoutError
	assert.True(t, errors.As(err, &to), "%v", err)
}

func TestTrafficOnTarget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    ecsread.ServiceDeployment
		want bool
	}{
		{ecsread.ServiceDeployment{Status: ecsread.SDInProgress, Stage: "SCALE_UP"}, false},
		{ecsread.ServiceDeployment{Status: ecsread.SDInProgress, Stage: "PRODUCTION_TRAFFIC_SHIFT"}, false},
		{ecsread.ServiceDeployment{Status: ecsread.SDInProgress, Stage: ecsread.StageBakeTime}, true},
		{ecsread.ServiceDeployment{Status: ecsread.SDInProgress, Stage: ecsread.StageCleanUp}, true},
		{ecsread.ServiceDeployment{Status: ecsread.SDSuccessful}, true},
	} {
		assert.Equal(t, tt.want, wait.TrafficOnTarget(tt.d), "%+v", tt.d)
	}
}
