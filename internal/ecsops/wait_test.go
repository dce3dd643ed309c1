package ecsops_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/ecsops"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// fast keeps the tests' polls short; generousTimeout only stops a broken
// test from hanging, no test depends on it.
const generousTimeout = time.Minute

func fast(o ecsops.WaitOptions) ecsops.WaitOptions {
	o.FirstPoll, o.MaxPoll = 20*time.Millisecond, 50*time.Millisecond
	return o
}

// rolledOut starts a rollout of web from revision 3 to revision 1 that
// behaves as r, and returns the target ARN.
func rolledOut(t *testing.T, r ecssim.Rollout) (*ecssim.Server, ecsops.Service, string) {
	t.Helper()
	s, client := newSim(t)
	arns := register(s, "web", 3)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[2], DesiredCount: 2}))
	s.SetRollout("prod", "web", r)
	svc, err := ecsops.UpdateService(t.Context(), client, "prod", "web", arns[0])
	require.NoError(t, err)
	return s, svc, arns[0]
}

func TestWaitStable(t *testing.T) {
	t.Parallel()

	t.Run("settles after 300ms", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Settle: 300 * time.Millisecond})
		polls := 0
		got, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", tgt, fast(ecsops.WaitOptions{
			Timeout: generousTimeout,
			OnPoll:  func(ecsops.Service) { polls++ },
		}))
		require.NoError(t, err)
		assert.True(t, ecsops.IsStable(got, tgt))
		assert.Equal(t, tgt, got.TaskDefinition)
		assert.Equal(t, polls, s.CallCount("DescribeServices"), "OnPoll sees every poll")
		_, stable := s.StableAt("prod", "web")
		assert.True(t, stable)
	})

	t.Run("target given as family:revision", func(t *testing.T) {
		t.Parallel()
		s, _, _ := rolledOut(t, ecssim.Rollout{})
		got, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", "web:1", fast(ecsops.WaitOptions{}))
		require.NoError(t, err)
		assert.Len(t, got.Deployments, 1)
	})

	t.Run("rollout FAILED ends the wait at once", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Settle: 100 * time.Millisecond, Fail: true, FailReason: "tasks failed to start"})
		_, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", tgt, fast(ecsops.WaitOptions{Timeout: generousTimeout}))
		var rf *ecsops.RolloutFailedError
		require.ErrorAs(t, err, &rf)
		assert.Equal(t, "web", rf.Service)
		assert.Equal(t, "tasks failed to start", rf.Reason)
		p, ok := rf.Last.Primary()
		require.True(t, ok)
		assert.Equal(t, "FAILED", p.RolloutState)
		assert.Equal(t, "rollout of service web failed: tasks failed to start", err.Error())
	})

	t.Run("never settles: timeout", func(t *testing.T) {
		t.Parallel()
		s, _, _ := rolledOut(t, ecssim.Rollout{Never: true})
		_, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", tdARN("web", 1), fast(ecsops.WaitOptions{Timeout: 200 * time.Millisecond}))
		var wt *ecsops.WaitTimeoutError
		require.ErrorAs(t, err, &wt)
		assert.Equal(t, "web", wt.Service)
		assert.Equal(t, 200*time.Millisecond, wt.Timeout)
		assert.Len(t, wt.Last.Deployments, 2, "the last poll is kept")
		assert.Equal(t, "service web was not stable within 200ms", err.Error())
		assert.False(t, errors.Is(err, context.DeadlineExceeded), "a timeout is not the caller's deadline")
	})

	t.Run("throttled polls are retried", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{})
		// The SDK makes 3 attempts a call: the first poll fails after 3
		// throttles, the second gets through after 1.
		s.FailNext("DescribeServices", 4, "ThrottlingException")
		got, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", tgt, fast(ecsops.WaitOptions{Timeout: generousTimeout}))
		require.NoError(t, err)
		assert.True(t, ecsops.IsStable(got, tgt))
		assert.Equal(t, 5, s.CallCount("DescribeServices"))
	})

	t.Run("three failed polls in a row end the wait", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{})
		s.FailNext("DescribeServices", 9, "ThrottlingException")
		_, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "web", tgt, fast(ecsops.WaitOptions{Timeout: generousTimeout}))
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "ThrottlingException", ae.ErrorCode())
		var wt *ecsops.WaitTimeoutError
		assert.False(t, errors.As(err, &wt))
		assert.Equal(t, 9, s.CallCount("DescribeServices"))
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Never: true})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		_, err := ecsops.WaitStable(ctx, s.Client(), "prod", "web", tgt, fast(ecsops.WaitOptions{
			Timeout: generousTimeout,
			OnPoll:  func(ecsops.Service) { cancel() },
		}))
		require.ErrorIs(t, err, context.Canceled)
		var wt *ecsops.WaitTimeoutError
		assert.False(t, errors.As(err, &wt))
		assert.Contains(t, err.Error(), "wait for service web in cluster prod")
	})

	t.Run("service gone", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{})
		_, err := ecsops.WaitStable(t.Context(), s.Client(), "prod", "nope", tgt, fast(ecsops.WaitOptions{Timeout: generousTimeout}))
		var nf *ecsops.NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, 1, s.CallCount("DescribeServices"))
	})
}

func TestIsStable(t *testing.T) {
	t.Parallel()
	const tgt = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	primary := func(mod func(*ecsops.Deployment)) ecsops.Deployment {
		d := ecsops.Deployment{ID: "ecs-svc/1", Status: "PRIMARY", TaskDefinition: tgt, DesiredCount: 3, RunningCount: 3, RolloutState: "COMPLETED"}
		if mod != nil {
			mod(&d)
		}
		return d
	}
	svc := func(running int32, deps ...ecsops.Deployment) ecsops.Service {
		return ecsops.Service{Name: "web", DesiredCount: 3, RunningCount: running, TaskDefinition: tgt, Deployments: deps}
	}
	tests := []struct {
		name   string
		s      ecsops.Service
		target string
		want   bool
	}{
		{"stable", svc(3, primary(nil)), tgt, true},
		{"rollout state omitted", svc(3, primary(func(d *ecsops.Deployment) { d.RolloutState = "" })), tgt, true},
		{"bare family:revision in the deployment", svc(3, primary(func(d *ecsops.Deployment) { d.TaskDefinition = "web:7" })), tgt, true},
		{"bare family:revision as the target", svc(3, primary(nil)), "web:7", true},
		{"other revision", svc(3, primary(nil)), "web:6", false},
		{"other family", svc(3, primary(nil)), "api:7", false},
		{"two deployments", svc(3, primary(nil), ecsops.Deployment{Status: "ACTIVE", TaskDefinition: "web:9", RunningCount: 1, DesiredCount: 1}), tgt, false},
		{"no deployment", svc(3), tgt, false},
		{"not primary", svc(3, primary(func(d *ecsops.Deployment) { d.Status = "ACTIVE" })), tgt, false},
		{"deployment short of tasks", svc(3, primary(func(d *ecsops.Deployment) { d.RunningCount = 2 })), tgt, false},
		{"service short of tasks", svc(2, primary(nil)), tgt, false},
		{"in progress", svc(3, primary(func(d *ecsops.Deployment) { d.RolloutState = "IN_PROGRESS" })), tgt, false},
		{"failed", svc(3, primary(func(d *ecsops.Deployment) { d.RolloutState = "FAILED" })), tgt, false},
		{"empty target", svc(3, primary(func(d *ecsops.Deployment) { d.TaskDefinition = "" })), "", false},
		{"scaled to zero", ecsops.Service{Deployments: []ecsops.Deployment{primary(func(d *ecsops.Deployment) { d.DesiredCount, d.RunningCount = 0, 0 })}}, tgt, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, ecsops.IsStable(tt.s, tt.target))
		})
	}
}
