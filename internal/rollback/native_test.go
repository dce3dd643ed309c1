package rollback_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// TestRunStopsADeploymentInItsBake runs the use case in process, through the
// real SDK client, against a blue/green deploy of 3 in its bake: the run
// reads ECS's history alongside the other reads and rolls back with
// StopServiceDeployment.
func TestRunStopsADeploymentInItsBake(t *testing.T) {
	t.Parallel()
	s := ecssim.New()
	t.Cleanup(s.Close)
	var arns []string
	for _, tag := range []string{"one", "two", "three"} {
		arns = append(arns, s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:" + tag}}}))
	}
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 2}))
	_, err := s.Deploy("prod", "web", arns[1], time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.SetDeploymentConfig("prod", "web", ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 30 * time.Minute}))
	s.SetRollout("prod", "web", ecssim.Rollout{Settle: time.Minute})
	_, err = s.Deploy("prod", "web", arns[2], 2*time.Minute)
	require.NoError(t, err)

	inputs := map[string]string{"cluster": "prod", "service": "web", "image-tag": "two", "confirm": trigger.PhraseRollback}
	cfg, err := config.Load(func(name string) string { return inputs[name] })
	require.NoError(t, err)
	r := &rollback.Runner{ECS: s.Client(), FirstPoll: 10 * time.Millisecond, MaxPoll: 20 * time.Millisecond}
	res := r.Run(context.Background(), rollback.Request{Config: cfg, Event: trigger.Event{Name: "workflow_dispatch"}})
	require.Equal(t, rollback.RolledBack, res.Outcome, res.Message)
	assert.Equal(t, "manual", res.SourceKind)
	require.Len(t, res.Services, 1)
	assert.Equal(t, "StopServiceDeployment", res.Services[0].Mechanism)
	var ops []string
	for _, c := range s.MutatingCalls() {
		ops = append(ops, c.Op)
	}
	assert.Equal(t, []string{"StopServiceDeployment"}, ops)
	to, _, _ := s.Traffic("prod", "web")
	assert.Equal(t, arns[1], to)
}
