package wait

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/ecsread"
)

// DeploymentAPI is the client of the deployment wait: DescribeServices and
// the service-history reads.
type DeploymentAPI interface {
	ecs.DescribeServicesAPIClient
	ecsread.HistoryAPI
}

// Goal is what a deployment wait waits for.
type Goal int

const (
	// GoalRolledBack: a deployment we stopped or answered with ROLLBACK is
	// ROLLBACK_SUCCESSFUL.
	GoalRolledBack Goal = iota
	// GoalDeployed: a deployment we started has production traffic on its
	// target: for BLUE_GREEN, LINEAR and CANARY its lifecycle stage is
	// BAKE_TIME or CLEAN_UP (or it is SUCCESSFUL); for ROLLING the service
	// is stable on the target (see IsStable).
	GoalDeployed
)

// Poll delays of the deployment wait: the first poll at once, since a
// native rollback of a blue/green deployment is a traffic switch.
const (
	deploymentFirstPoll = 500 * time.Millisecond
	deploymentMaxPoll   = 2 * time.Second
)

// UndoneError says ECS undid the deployment the wait followed: it rolled
// it back (ROLLBACK_* status: circuit breaker, alarm), stopped it, or the
// deployment is no longer known.
type UndoneError struct {
	Service    string
	Deployment ecsread.ServiceDeployment // as last described
	Missing    bool                      // ECS no longer knows the deployment
	Last       ecsread.Service           // the service as last described
}

// Error says what ECS did.
func (e *UndoneError) Error() string {
	if e.Missing {
		return fmt.Sprintf("service deployment %s of %s is no longer known to ECS", e.Deployment.ARN, e.Service)
	}
	return fmt.Sprintf("service deployment %s of %s ended %s: %s", e.Deployment.ARN, e.Service, e.Deployment.Status, e.Deployment.StatusReason)
}

// RollbackFailedError says the rollback the wait followed failed
// (ROLLBACK_FAILED, or the deployment ended another way).
type RollbackFailedError struct {
	Service    string
	Deployment ecsread.ServiceDeployment
	Last       ecsread.Service
}

// Error says how the rollback ended.
func (e *RollbackFailedError) Error() string {
	return fmt.Sprintf("the rollback of service deployment %s of %s ended %s: %s", e.Deployment.ARN, e.Service, e.Deployment.Status, e.Deployment.StatusReason)
}

// Progress is what a deployment wait saw last.
type Progress struct {
	Service    ecsread.Service
	Deployment ecsread.ServiceDeployment
}

// Deployment polls the service and the service deployment arn together
// until goal is reached, and returns both as last described. targetARN is
// the task definition the service must end on. It fails at once with an
// *UndoneError (GoalDeployed) or a *RollbackFailedError (GoalRolledBack)
// when ECS ends the deployment otherwise, with a *StableTimeoutError when
// o.Timeout passes, and with ctx's error (wrapped) when ctx ends. A failed
// poll is retried at the next; three in a row end the wait.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html
func Deployment(ctx context.Context, api DeploymentAPI, cluster, service, arn, targetARN string, goal Goal, o Options) (Progress, error) {
	var last Progress
	s := Schedule{First: o.FirstPoll, Max: o.MaxPoll, Timeout: o.Timeout, MaxFailures: maxPollErrors, Immediate: true}
	s = s.OrDefaults(deploymentFirstPoll, deploymentMaxPoll)
	err := s.Run(ctx, func(ctx context.Context) (bool, error) {
		var (
			wg           sync.WaitGroup
			svc          ecsread.Service
			deps         []ecsread.ServiceDeployment
			svcErr, dErr error
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			svc, svcErr = ecsread.DescribeService(ctx, api, cluster, service)
		}()
		go func() {
			defer wg.Done()
			deps, dErr = ecsread.DescribeServiceDeployments(ctx, api, []string{arn})
		}()
		wg.Wait()
		var nf *ecsread.NotFoundError
		switch {
		case errors.As(svcErr, &nf):
			return true, fmt.Errorf("wait for service %s in cluster %s: %w", service, cluster, svcErr)
		case svcErr != nil:
			return false, svcErr
		case dErr != nil:
			return false, dErr
		}
		last.Service = svc
		if o.OnService != nil {
			o.OnService(svc)
		}
		if len(deps) == 0 {
			last.Deployment.ARN = arn
			if goal == GoalRolledBack {
				return true, &RollbackFailedError{Service: service, Deployment: last.Deployment, Last: svc}
			}
			return true, &UndoneError{Service: service, Deployment: last.Deployment, Missing: true, Last: svc}
		}
		d := deps[0]
		last.Deployment = d
		return reached(goal, svc, d, targetARN, service)
	})
	switch {
	case errors.Is(err, ErrTimeout):
		return last, &StableTimeoutError{Service: service, Timeout: o.Timeout, Last: last.Service}
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return last, fmt.Errorf("wait for service deployment %s of %s: %w", arn, service, err)
	}
	var failures *FailuresError
	if errors.As(err, &failures) {
		return last, fmt.Errorf("wait for service deployment %s of %s: %w", arn, service, err)
	}
	return last, err
}

// reached decides one poll of Deployment.
func reached(goal Goal, svc ecsread.Service, d ecsread.ServiceDeployment, targetARN, service string) (bool, error) {
	switch goal {
	case GoalRolledBack:
		switch d.Status {
		case ecsread.SDRollbackSuccessful:
			return true, nil
		case "ROLLBACK_FAILED", ecsread.SDStopped, ecsread.SDSuccessful:
			return true, &RollbackFailedError{Service: service, Deployment: d, Last: svc}
		}
		return false, nil
	default:
		switch d.Status {
		case "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", ecsread.SDRollbackSuccessful, "ROLLBACK_FAILED", ecsread.SDStopped, "STOP_REQUESTED":
			return true, &UndoneError{Service: service, Deployment: d, Last: svc}
		}
		if d.Strategy == "" || d.Strategy == ecsread.StrategyRolling {
			return IsStable(svc, targetARN), nil
		}
		return TrafficOnTarget(d), nil
	}
}

// TrafficOnTarget reports whether a BLUE_GREEN, LINEAR or CANARY
// deployment has production traffic entirely on its target: lifecycle
// stage BAKE_TIME or CLEAN_UP, or the deployment SUCCESSFUL.
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html
func TrafficOnTarget(d ecsread.ServiceDeployment) bool {
	return d.Status == ecsread.SDSuccessful || d.Stage == ecsread.StageBakeTime || d.Stage == ecsread.StageCleanUp
}
