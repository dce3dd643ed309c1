package ecssim_test

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

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// historyWorld is service web on revision 1, then deployed to 2 (ROLLING,
// settled), then configured with cfg and a rollout of settle, and deployed
// to 3 ago before now.
func historyWorld(t *testing.T, cfg ecssim.DeploymentConfig, r ecssim.Rollout, ago time.Duration) (*ecssim.Server, *clock, *ecs.Client, []string) {
	t.Helper()
	clk := newClock()
	s := ecssim.New(ecssim.WithClock(clk.Now))
	t.Cleanup(s.Close)
	var arns []string
	for _, tag := range []string{"one", "two", "three"} {
		arns = append(arns, s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:" + tag}}}))
	}
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 2}))
	_, err := s.Deploy("prod", "web", arns[1], time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.SetDeploymentConfig("prod", "web", cfg))
	s.SetRollout("prod", "web", r)
	_, err = s.Deploy("prod", "web", arns[2], ago)
	require.NoError(t, err)
	return s, clk, s.Client(), arns
}

func listDeployments(t *testing.T, c *ecs.Client) []types.ServiceDeploymentBrief {
	t.Helper()
	out, err := c.ListServiceDeployments(context.Background(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("web")})
	require.NoError(t, err)
	return out.ServiceDeployments
}

func describeDeployment(t *testing.T, c *ecs.Client, arn string) types.ServiceDeployment {
	t.Helper()
	out, err := c.DescribeServiceDeployments(context.Background(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	require.NoError(t, err)
	require.Len(t, out.ServiceDeployments, 1)
	return out.ServiceDeployments[0]
}

func TestServiceHistoryThroughTheSDK(t *testing.T) {
	t.Parallel()
	s, _, c, arns := historyWorld(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 30 * time.Minute},
		ecssim.Rollout{Settle: time.Minute}, 2*time.Minute)
	ctx := context.Background()

	briefs := listDeployments(t, c)
	require.Len(t, briefs, 3, "the first deployment, 2, and 3")
	assert.Equal(t, types.ServiceDeploymentStatusInProgress, briefs[0].Status, "newest first")
	assert.Equal(t, types.ServiceDeploymentStatusSuccessful, briefs[1].Status)
	assert.Equal(t, types.ServiceDeploymentStatusSuccessful, briefs[2].Status)

	sd := describeDeployment(t, c, *briefs[0].ServiceDeploymentArn)
	assert.Equal(t, types.ServiceDeploymentLifecycleStageBakeTime, sd.LifecycleStage)
	assert.Equal(t, types.DeploymentStrategyBlueGreen, sd.DeploymentConfiguration.Strategy)
	assert.Equal(t, int32(30), aws.ToInt32(sd.DeploymentConfiguration.BakeTimeInMinutes))
	require.Len(t, sd.SourceServiceRevisions, 1)
	assert.Equal(t, 100.0, aws.ToFloat64(sd.TargetServiceRevision.RequestedProductionTrafficWeight), "traffic is on green in the bake")

	revs, err := c.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{*sd.SourceServiceRevisions[0].Arn, *sd.TargetServiceRevision.Arn}})
	require.NoError(t, err)
	require.Len(t, revs.ServiceRevisions, 2)
	assert.Equal(t, arns[1], aws.ToString(revs.ServiceRevisions[0].TaskDefinition))
	assert.Equal(t, arns[2], aws.ToString(revs.ServiceRevisions[1].TaskDefinition))
	require.Len(t, revs.ServiceRevisions[0].ContainerImages, 1)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, aws.ToString(revs.ServiceRevisions[0].ContainerImages[0].ImageDigest))

	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	require.NoError(t, err)
	assert.Equal(t, *briefs[0].ServiceDeploymentArn, aws.ToString(svc.Services[0].CurrentServiceDeployment))
	assert.Equal(t, types.DeploymentStrategyBlueGreen, svc.Services[0].DeploymentConfiguration.Strategy)
	assert.Len(t, svc.Services[0].Deployments, 2, "blue runs on through the bake")

	// Stop with ROLLBACK in the bake: traffic goes back to blue at once.
	_, err = c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: briefs[0].ServiceDeploymentArn, StopType: types.StopServiceDeploymentStopTypeRollback})
	require.NoError(t, err)
	sd = describeDeployment(t, c, *briefs[0].ServiceDeploymentArn)
	assert.Equal(t, types.ServiceDeploymentStatusRollbackSuccessful, sd.Status)
	require.NotNil(t, sd.Rollback)
	assert.Equal(t, *sd.SourceServiceRevisions[0].Arn, aws.ToString(sd.Rollback.ServiceRevisionArn))
	to, _, ok := s.Traffic("prod", "web")
	require.True(t, ok)
	assert.Equal(t, arns[1], to)
	st, _ := s.Service("prod", "web")
	assert.Equal(t, arns[1], st.TaskDefinition)
	assert.Len(t, st.Deployments, 1)

	// Stopping it again conflicts: it is no longer in progress.
	_, err = c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: briefs[0].ServiceDeploymentArn, StopType: types.StopServiceDeploymentStopTypeRollback})
	var conflict *types.ConflictException
	assert.True(t, errors.As(err, &conflict), "%v", err)
	_, err = c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/nope")})
	var missing *types.ServiceDeploymentNotFoundException
	assert.True(t, errors.As(err, &missing), "%v", err)
}

func TestBlueGreenTimeline(t *testing.T) {
	t.Parallel()
	s, clk, c, arns := historyWorld(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 10 * time.Minute},
		ecssim.Rollout{Settle: time.Minute}, 0)
	arn := *listDeployments(t, c)[0].ServiceDeploymentArn
	assert.Equal(t, types.ServiceDeploymentLifecycleStageScaleUp, describeDeployment(t, c, arn).LifecycleStage)
	to, _, _ := s.Traffic("prod", "web")
	assert.Equal(t, arns[1], to, "blue takes the traffic while green scales up")
	clk.Advance(time.Minute)
	assert.Equal(t, types.ServiceDeploymentLifecycleStageBakeTime, describeDeployment(t, c, arn).LifecycleStage)
	to, at, _ := s.Traffic("prod", "web")
	assert.Equal(t, arns[2], to)
	assert.Equal(t, clk.Now(), at)
	clk.Advance(10 * time.Minute)
	sd := describeDeployment(t, c, arn)
	assert.Equal(t, types.ServiceDeploymentStatusSuccessful, sd.Status)
	st, _ := s.Service("prod", "web")
	assert.Len(t, st.Deployments, 1)
}

func TestLinearAndCanaryShiftInSteps(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg   ecssim.DeploymentConfig
		shift time.Duration
	}{
		{ecssim.DeploymentConfig{Strategy: ecssim.StrategyLinear, StepPercent: 25, StepBake: 2 * time.Minute, BakeTime: 5 * time.Minute}, time.Minute + 3*2*time.Minute},
		{ecssim.DeploymentConfig{Strategy: ecssim.StrategyCanary, CanaryPercent: 10, CanaryBake: 4 * time.Minute, BakeTime: 5 * time.Minute}, time.Minute + 4*time.Minute},
	} {
		t.Run(tt.cfg.Strategy, func(t *testing.T) {
			t.Parallel()
			s, clk, c, arns := historyWorld(t, tt.cfg, ecssim.Rollout{Settle: time.Minute}, 0)
			arn := *listDeployments(t, c)[0].ServiceDeploymentArn
			clk.Advance(tt.shift - time.Second)
			assert.Equal(t, types.ServiceDeploymentLifecycleStageProductionTrafficShift, describeDeployment(t, c, arn).LifecycleStage)
			to, _, _ := s.Traffic("prod", "web")
			assert.Equal(t, arns[1], to)
			clk.Advance(time.Second)
			assert.Equal(t, types.ServiceDeploymentLifecycleStageBakeTime, describeDeployment(t, c, arn).LifecycleStage)
			to, _, _ = s.Traffic("prod", "web")
			assert.Equal(t, arns[2], to)
		})
	}
}

func TestCircuitBreakerRevertsRollingDeployment(t *testing.T) {
	t.Parallel()
	s, clk, c, arns := historyWorld(t, ecssim.DeploymentConfig{CircuitBreakerRollback: true}, ecssim.Rollout{Settle: time.Minute, Fail: true}, 0)
	arn := *listDeployments(t, c)[0].ServiceDeploymentArn
	assert.Equal(t, types.ServiceDeploymentStatusInProgress, describeDeployment(t, c, arn).Status)
	clk.Advance(time.Minute)
	sd := describeDeployment(t, c, arn)
	assert.Equal(t, types.ServiceDeploymentStatusRollbackSuccessful, sd.Status)
	assert.Equal(t, types.ServiceDeploymentRollbackMonitorsStatusTriggered, sd.DeploymentCircuitBreaker.Status)
	assert.Contains(t, aws.ToString(sd.Rollback.Reason), "circuit breaker")
	st, _ := s.Service("prod", "web")
	assert.Equal(t, arns[1], st.TaskDefinition)
}

func TestPausedDeploymentCanBeStopped(t *testing.T) {
	t.Parallel()
	s, clk, c, arns := historyWorld(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 10 * time.Minute, PauseAt: "POST_TEST_TRAFFIC_SHIFT"},
		ecssim.Rollout{Settle: time.Minute}, 0)
	arn := *listDeployments(t, c)[0].ServiceDeploymentArn
	clk.Advance(5 * time.Minute)
	sd := describeDeployment(t, c, arn)
	assert.Equal(t, types.ServiceDeploymentLifecycleStage("POST_TEST_TRAFFIC_SHIFT"), sd.LifecycleStage)
	require.Len(t, sd.LifecycleHookDetails, 1)
	assert.Equal(t, types.DeploymentLifecycleHookStatusAwaitingAction, sd.LifecycleHookDetails[0].Status)
	_, err := c.StopServiceDeployment(context.Background(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: &arn, StopType: types.StopServiceDeploymentStopTypeRollback})
	require.NoError(t, err, "a paused deployment is in progress and can be stopped too")
	st, _ := s.Service("prod", "web")
	assert.Equal(t, arns[1], st.TaskDefinition)
}

func TestContinueRollbackAtHook(t *testing.T) {
	t.Parallel()
	s, clk, c, arns := historyWorld(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 10 * time.Minute, PauseAt: "POST_TEST_TRAFFIC_SHIFT"},
		ecssim.Rollout{Settle: time.Minute}, 0)
	arn := *listDeployments(t, c)[0].ServiceDeploymentArn
	clk.Advance(5 * time.Minute)
	sd := describeDeployment(t, c, arn)
	require.Len(t, sd.LifecycleHookDetails, 1)
	_, err := c.ContinueServiceDeployment(context.Background(), &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: &arn, HookId: sd.LifecycleHookDetails[0].HookId, Action: types.DeploymentLifecycleHookActionRollback,
	})
	require.NoError(t, err)
	sd = describeDeployment(t, c, arn)
	assert.Equal(t, types.ServiceDeploymentStatusRollbackSuccessful, sd.Status)
	st, _ := s.Service("prod", "web")
	assert.Equal(t, arns[1], st.TaskDefinition)
	_, err = c.ContinueServiceDeployment(context.Background(), &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: &arn, HookId: sd.LifecycleHookDetails[0].HookId, Action: types.DeploymentLifecycleHookActionRollback,
	})
	var bad *types.InvalidParameterException
	assert.True(t, errors.As(err, &bad), "the hook no longer awaits action: %v", err)
}

func TestUpdateServiceSupersedesDeploymentInFlight(t *testing.T) {
	t.Parallel()
	s, clk, c, arns := historyWorld(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 30 * time.Minute},
		ecssim.Rollout{Settle: time.Minute}, 2*time.Minute)
	_, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: &arns[1]})
	require.NoError(t, err)
	briefs := listDeployments(t, c)
	require.Len(t, briefs, 4)
	assert.Equal(t, types.ServiceDeploymentStatusInProgress, briefs[0].Status)
	assert.Equal(t, types.ServiceDeploymentStatusStopped, briefs[1].Status, "the deployment in the bake is superseded")
	to, _, _ := s.Traffic("prod", "web")
	assert.Equal(t, arns[2], to, "a full rollout of the old revision must scale up first")
	clk.Advance(time.Minute)
	to, _, _ = s.Traffic("prod", "web")
	assert.Equal(t, arns[1], to)
}
