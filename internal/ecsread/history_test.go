package ecsread_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// historySim is service web deployed to 1, 2 and 3 in turn; the deploy of
// 3 goes as r says.
func historySim(t *testing.T, cfg ecssim.DeploymentConfig, r ecssim.Rollout) (*ecssim.Server, []string) {
	t.Helper()
	s, _ := newSim(t)
	var arns []string
	for _, tag := range []string{"one", "two", "three"} {
		arns = append(arns, s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:" + tag}}}))
	}
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 2}))
	_, err := s.Deploy("prod", "web", arns[1], time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.SetDeploymentConfig("prod", "web", cfg))
	s.SetRollout("prod", "web", r)
	_, err = s.Deploy("prod", "web", arns[2], time.Minute)
	require.NoError(t, err)
	return s, arns
}

func TestReadHistory(t *testing.T) {
	t.Parallel()
	s, arns := historySim(t, ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 20 * time.Minute}, ecssim.Rollout{Settle: 30 * time.Second})
	h, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "web")
	require.NoError(t, err)
	require.Len(t, h.Deployments, 3)
	assert.Equal(t, ecsread.SDInProgress, h.Deployments[0].Status, "newest first")
	assert.Equal(t, "BLUE_GREEN", h.Deployments[0].Strategy)
	assert.Equal(t, ecsread.StageBakeTime, h.Deployments[0].Stage)
	assert.Equal(t, 20*time.Minute, h.Deployments[0].BakeTime)
	assert.Equal(t, arns[2], h.TaskDefinition(h.Deployments[0].Target))
	require.Len(t, h.Deployments[0].Sources, 1)
	assert.Equal(t, arns[1], h.TaskDefinition(h.Deployments[0].Sources[0]))

	assert.Equal(t, arns[1], h.LastGood(arns[2], revision.SameRevision), "the newest successful deploy that is not the current one")
	d, ok := h.InFlightDeployment()
	require.True(t, ok)
	assert.Equal(t, h.Deployments[0].ARN, d.ARN)
	rev, ok := h.LastSuccessfulRevision(arns[1], revision.SameRevision)
	require.True(t, ok)
	require.Len(t, rev.Images, 1)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, rev.Images[0].Digest)
	assert.Equal(t, "", h.RolledBackFrom(arns[2], revision.SameRevision))
}

func TestReadHistoryAfterCircuitBreakerRevert(t *testing.T) {
	t.Parallel()
	s, arns := historySim(t, ecssim.DeploymentConfig{CircuitBreakerRollback: true}, ecssim.Rollout{Fail: true})
	h, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "web")
	require.NoError(t, err)
	assert.Equal(t, ecsread.SDRollbackSuccessful, h.Deployments[0].Status)
	assert.Equal(t, "TRIGGERED", h.Deployments[0].CircuitBreaker)
	assert.Equal(t, arns[1], h.LastGood(arns[1], revision.SameRevision), "ECS rolled back onto the current revision: it is the last good one")
	assert.Equal(t, arns[2], h.RolledBackFrom(arns[1], revision.SameRevision))
	assert.Equal(t, "", h.RolledBackFrom(arns[2], revision.SameRevision), "never the revision that runs")
}

func TestReadHistoryErrors(t *testing.T) {
	t.Parallel()
	s, _ := historySim(t, ecssim.DeploymentConfig{}, ecssim.Rollout{})
	for _, op := range []string{"ListServiceDeployments", "DescribeServiceDeployments", "DescribeServiceRevisions"} {
		s.FailNext(op, 1, ecssim.ErrAccessDenied)
		_, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "web")
		var he *ecsread.HistoryError
		require.True(t, errors.As(err, &he), "%v", err)
		assert.Equal(t, op, he.Op)
		assert.True(t, he.Denied())
		assert.False(t, he.Unsupported())
	}
	s.FailNext("ListServiceDeployments", 1, ecssim.ErrUnsupportedFeature)
	_, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "web")
	var he *ecsread.HistoryError
	require.True(t, errors.As(err, &he))
	assert.True(t, he.Unsupported())
	assert.False(t, he.Denied())
}

func TestReadHistoryOfAServiceWithout(t *testing.T) {
	t.Parallel()
	s, _ := newSim(t)
	arn := s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "nginx:1"}}})
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "cd", TaskDefinition: arn, DesiredCount: 1, Controller: "CODE_DEPLOY"}))
	h, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "cd")
	require.NoError(t, err)
	assert.True(t, h.Empty())
	assert.Equal(t, "", h.LastGood(arn, revision.SameRevision))
}

func TestReadHistoryKeepsTheNewest(t *testing.T) {
	t.Parallel()
	s, _ := newSim(t)
	var arns []string
	for i := range 3 {
		arns = append(arns, s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "nginx:" + string(rune('a'+i))}}}))
	}
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 1}))
	// 120 deployments: more than a page, more than one describe call.
	for i := range 120 {
		_, err := s.Deploy("prod", "web", arns[1+i%2], time.Duration(120-i)*time.Minute)
		require.NoError(t, err)
	}
	h, err := ecsread.ReadHistory(context.Background(), s.Client(), "prod", "web")
	require.NoError(t, err)
	require.Len(t, h.Deployments, ecsread.HistoryLimit)
	assert.Equal(t, arns[2], h.TaskDefinition(h.Deployments[0].Target), "the newest deploy is of revision 3")
	for i := 1; i < len(h.Deployments); i++ {
		assert.False(t, h.Deployments[i].CreatedAt.After(h.Deployments[i-1].CreatedAt), "newest first")
	}
	assert.Equal(t, 2, s.CallCount("ListServiceDeployments"), "two pages")
}
