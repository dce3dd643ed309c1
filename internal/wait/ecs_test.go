package wait_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/wait"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// fastWait keeps the tests' polls short; generousTimeout only stops a broken
// test from hanging, no test depends on it.
const generousTimeout = time.Minute

// newSim starts a simulator and a real SDK client pointed at it.
func newSim(t *testing.T) (*ecssim.Server, *ecs.Client) {
	t.Helper()
	s := ecssim.New()
	t.Cleanup(s.Close)
	return s, s.Client()
}

// register adds n revisions of family and returns their ARNs: arns[i] is
// revision i+1.
func register(s *ecssim.Server, family string, n int) []string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = s.RegisterTaskDefinition(ecssim.TaskDef{
			Family:     family,
			Containers: []ecssim.Container{{Name: "app", Image: fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/%s:%07x", family, i+1)}},
		})
	}
	return arns
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}

func fastWait(o wait.Options) wait.Options {
	o.FirstPoll, o.MaxPoll = 20*time.Millisecond, 50*time.Millisecond
	return o
}

// rolledOut starts a rollout of web from revision 3 to revision 1 that
// behaves as r, and returns the target ARN.
func rolledOut(t *testing.T, r ecssim.Rollout) (*ecssim.Server, ecsread.Service, string) {
	t.Helper()
	s, client := newSim(t)
	arns := register(s, "web", 3)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[2], DesiredCount: 2}))
	s.SetRollout("prod", "web", r)
	svc, err := apply.UpdateService(t.Context(), client, "prod", "web", arns[0])
	require.NoError(t, err)
	return s, svc, arns[0]
}

func TestWaitStable(t *testing.T) {
	t.Parallel()

	t.Run("settles after 300ms", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Settle: 300 * time.Millisecond})
		polls := 0
		got, err := wait.Stable(t.Context(), s.Client(), "prod", "web", tgt, fastWait(wait.Options{
			Timeout:   generousTimeout,
			OnService: func(ecsread.Service) { polls++ },
		}))
		require.NoError(t, err)
		assert.True(t, wait.IsStable(got, tgt))
		assert.Equal(t, tgt, got.TaskDefinition)
		assert.Equal(t, polls, s.CallCount("DescribeServices"), "OnPoll sees every poll")
		_, stable := s.StableAt("prod", "web")
		assert.True(t, stable)
	})

	t.Run("target given as family:revision", func(t *testing.T) {
		t.Parallel()
		s, _, _ := rolledOut(t, ecssim.Rollout{})
		got, err := wait.Stable(t.Context(), s.Client(), "prod", "web", "web:1", fastWait(wait.Options{}))
		require.NoError(t, err)
		assert.Len(t, got.Deployments, 1)
	})

	t.Run("rollout FAILED ends the wait at once", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Settle: 100 * time.Millisecond, Fail: true, FailReason: "tasks failed to start"})
		_, err := wait.Stable(t.Context(), s.Client(), "prod", "web", tgt, fastWait(wait.Options{Timeout: generousTimeout}))
		var rf *wait.RolloutFailedError
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
		_, err := wait.Stable(t.Context(), s.Client(), "prod", "web", tdARN("web", 1), fastWait(wait.Options{Timeout: 200 * time.Millisecond}))
		var wt *wait.StableTimeoutError
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
		got, err := wait.Stable(t.Context(), s.Client(), "prod", "web", tgt, fastWait(wait.Options{Timeout: generousTimeout}))
		require.NoError(t, err)
		assert.True(t, wait.IsStable(got, tgt))
		assert.Equal(t, 5, s.CallCount("DescribeServices"))
	})

	t.Run("three failed polls in a row end the wait", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{})
		s.FailNext("DescribeServices", 9, "ThrottlingException")
		_, err := wait.Stable(t.Context(), s.Client(), "prod", "web", tgt, fastWait(wait.Options{Timeout: generousTimeout}))
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "ThrottlingException", ae.ErrorCode())
		var wt *wait.StableTimeoutError
		assert.False(t, errors.As(err, &wt))
		assert.Equal(t, 9, s.CallCount("DescribeServices"))
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{Never: true})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		_, err := wait.Stable(ctx, s.Client(), "prod", "web", tgt, fastWait(wait.Options{
			Timeout:   generousTimeout,
			OnService: func(ecsread.Service) { cancel() },
		}))
		require.ErrorIs(t, err, context.Canceled)
		var wt *wait.StableTimeoutError
		assert.False(t, errors.As(err, &wt))
		assert.Contains(t, err.Error(), "wait for service web in cluster prod")
	})

	t.Run("service gone", func(t *testing.T) {
		t.Parallel()
		s, _, tgt := rolledOut(t, ecssim.Rollout{})
		_, err := wait.Stable(t.Context(), s.Client(), "prod", "nope", tgt, fastWait(wait.Options{Timeout: generousTimeout}))
		var nf *ecsread.NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, 1, s.CallCount("DescribeServices"))
	})
}

func TestIsStable(t *testing.T) {
	t.Parallel()
	const tgt = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	primary := func(mod func(*ecsread.Deployment)) ecsread.Deployment {
		d := ecsread.Deployment{ID: "ecs-svc/1", Status: "PRIMARY", TaskDefinition: tgt, DesiredCount: 3, RunningCount: 3, RolloutState: "COMPLETED"}
		if mod != nil {
			mod(&d)
		}
		return d
	}
	svc := func(running int32, deps ...ecsread.Deployment) ecsread.Service {
		return ecsread.Service{Name: "web", DesiredCount: 3, RunningCount: running, TaskDefinition: tgt, Deployments: deps}
	}
	tests := []struct {
		name   string
		s      ecsread.Service
		target string
		want   bool
	}{
		{"stable", svc(3, primary(nil)), tgt, true},
		{"rollout state omitted", svc(3, primary(func(d *ecsread.Deployment) { d.RolloutState = "" })), tgt, true},
		{"bare family:revision in the deployment", svc(3, primary(func(d *ecsread.Deployment) { d.TaskDefinition = "web:7" })), tgt, true},
		{"bare family:revision as the target", svc(3, primary(nil)), "web:7", true},
		{"other revision", svc(3, primary(nil)), "web:6", false},
		{"other family", svc(3, primary(nil)), "api:7", false},
		{"two deployments", svc(3, primary(nil), ecsread.Deployment{Status: "ACTIVE", TaskDefinition: "web:9", RunningCount: 1, DesiredCount: 1}), tgt, false},
		{"no deployment", svc(3), tgt, false},
		{"not primary", svc(3, primary(func(d *ecsread.Deployment) { d.Status = "ACTIVE" })), tgt, false},
		{"deployment short of tasks", svc(3, primary(func(d *ecsread.Deployment) { d.RunningCount = 2 })), tgt, false},
		{"service short of tasks", svc(2, primary(nil)), tgt, false},
		{"in progress", svc(3, primary(func(d *ecsread.Deployment) { d.RolloutState = "IN_PROGRESS" })), tgt, false},
		{"failed", svc(3, primary(func(d *ecsread.Deployment) { d.RolloutState = "FAILED" })), tgt, false},
		{"empty target", svc(3, primary(func(d *ecsread.Deployment) { d.TaskDefinition = "" })), "", false},
		{"scaled to zero", ecsread.Service{Deployments: []ecsread.Deployment{primary(func(d *ecsread.Deployment) { d.DesiredCount, d.RunningCount = 0, 0 })}}, tgt, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, wait.IsStable(tt.s, tt.target))
		})
	}
}
