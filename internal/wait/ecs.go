package wait

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// Poll delays of Stable. The SDK's own services-stable waiter starts at
// 15s; these keep the time between stability and noticing it under MaxPoll
// while averaging at most about one DescribeServices call a second.
const (
	ecsFirstPoll = time.Second
	ecsMaxPoll   = 2 * time.Second
	// maxPollErrors is how many DescribeServices failures in a row end the
	// wait; the SDK has already retried each one.
	maxPollErrors = 3
)

// RolloutFailedError says the deployment of the target revision ended with
// rolloutState FAILED (for example, the deployment circuit breaker tripped).
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
type RolloutFailedError struct {
	Service string
	Reason  string          // the deployment's rolloutStateReason
	Last    ecsread.Service // the service as last described
}

// Error says which service failed and why.
func (e *RolloutFailedError) Error() string {
	return fmt.Sprintf("rollout of service %s failed: %s", e.Service, e.Reason)
}

// StableTimeoutError says the service was not stable on the target revision
// within the timeout.
type StableTimeoutError struct {
	Service string
	Timeout time.Duration
	Last    ecsread.Service // the service as last described; zero if never described
}

// Error says which service did not become stable in how long.
func (e *StableTimeoutError) Error() string {
	return fmt.Sprintf("service %s was not stable within %s", e.Service, e.Timeout)
}

// Stable polls DescribeServices until the service is stable on
// targetARN (see IsStable) and returns it as last described. It polls first
// after o.FirstPoll, then backs off ×1.5 up to o.MaxPoll. It fails at once
// with a *RolloutFailedError when the target's deployment is FAILED, with a
// *StableTimeoutError when o.Timeout passes, with a *ecsread.NotFoundError when the
// service disappears, and with ctx's error (wrapped) when ctx ends. A failed
// poll is retried at the next one; three failures in a row end the wait.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
func Stable(ctx context.Context, api ecs.DescribeServicesAPIClient, cluster, service, targetARN string, o Options) (ecsread.Service, error) {
	var last ecsread.Service
	err := schedule(o).Run(ctx, func(ctx context.Context) (bool, error) {
		s, err := ecsread.DescribeService(ctx, api, cluster, service)
		var nf *ecsread.NotFoundError
		switch {
		case errors.As(err, &nf):
			return true, fmt.Errorf("wait for service %s in cluster %s to be stable: %w", service, cluster, err)
		case err != nil:
			return false, err
		}
		last = s
		if o.OnService != nil {
			o.OnService(s)
		}
		if IsStable(s, targetARN) {
			return true, nil
		}
		if d, ok := targetDeployment(s, targetARN); ok && d.RolloutState == "FAILED" {
			reason := d.RolloutReason
			if reason == "" {
				reason = "the deployment's rollout state is FAILED"
			}
			return true, &RolloutFailedError{Service: service, Reason: reason, Last: s}
		}
		return false, nil
	})
	var failures *FailuresError
	switch {
	case errors.Is(err, ErrTimeout):
		return last, &StableTimeoutError{Service: service, Timeout: o.Timeout, Last: last}
	case errors.As(err, &failures):
		return last, fmt.Errorf("wait for service %s in cluster %s to be stable: %w", service, cluster, err)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return last, fmt.Errorf("wait for service %s in cluster %s to be stable on %s: %w", service, cluster, targetARN, err)
	}
	return last, err
}

// schedule is Stable's poll schedule for o.
func schedule(o Options) Schedule {
	s := Schedule{First: o.FirstPoll, Max: o.MaxPoll, Timeout: o.Timeout, MaxFailures: maxPollErrors}
	return s.OrDefaults(ecsFirstPoll, ecsMaxPoll)
}

// IsStable reports whether s has finished rolling out targetARN: exactly one
// deployment, PRIMARY, of the target revision (an ARN or family:revision),
// running as many tasks as desired both in the deployment and in the
// service, and with rollout state COMPLETED or none (emulators omit it).
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
func IsStable(s ecsread.Service, targetARN string) bool {
	if len(s.Deployments) != 1 || targetARN == "" {
		return false
	}
	d := s.Deployments[0]
	return d.Status == "PRIMARY" &&
		d.TaskDefinition != "" && revision.SameRevision(d.TaskDefinition, targetARN) &&
		d.RunningCount == d.DesiredCount &&
		s.RunningCount == s.DesiredCount &&
		(d.RolloutState == "" || d.RolloutState == "COMPLETED")
}

// targetDeployment finds the deployment of the target revision: the PRIMARY
// one if it is the target, else the newest of the target (after a circuit
// breaker rollback the failed deployment is no longer PRIMARY).
func targetDeployment(s ecsread.Service, targetARN string) (ecsread.Deployment, bool) {
	if p, ok := s.Primary(); ok && revision.SameRevision(p.TaskDefinition, targetARN) {
		return p, true
	}
	var (
		best  ecsread.Deployment
		found bool
	)
	for _, d := range s.Deployments {
		if revision.SameRevision(d.TaskDefinition, targetARN) && (!found || d.CreatedAt.After(best.CreatedAt)) {
			best, found = d, true
		}
	}
	return best, found
}
