package rollback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecrcheck"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// ECSAPI is the part of the ECS client the rollback uses; *ecs.Client
// satisfies it.
type ECSAPI interface {
	ecs.DescribeServicesAPIClient
	ecs.ListTaskDefinitionsAPIClient
	ecsread.DescribeTaskDefinitionAPI
	apply.UpdateServiceAPI
	ecsread.StoppedTasksAPI
	apply.DeregisterAPI
	ecsread.HistoryAPI // the service's deployment history
	apply.NativeAPI    // Stop/ContinueServiceDeployment with ROLLBACK
	apply.PinAPI       // RegisterTaskDefinition, for pin-digests
}

var _ ECSAPI = (*ecs.Client)(nil)

// DeploymentSource finds the last successful deployment; *source.Finder
// satisfies it.
type DeploymentSource interface {
	LastSuccessful(ctx context.Context, q source.Query) (source.Deployment, []source.Skipped, error)
	DefaultBranch(ctx context.Context) (string, error)
	InFlight(ctx context.Context, workflow string, after time.Time, exclude int64) ([]source.InFlightRun, error)
}

// Logger is where progress goes; *githubactions.Action satisfies it.
type Logger interface {
	Infof(format string, args ...any)
	Debugf(format string, args ...any)
	Group(title string)
	EndGroup()
}

// Runner carries the clients and tunables of a rollback.
type Runner struct {
	ECS    ECSAPI
	Source DeploymentSource // nil when the run needs no GitHub lookup
	Log    Logger
	// CodeDeploy rolls back CODE_DEPLOY services; nil refuses them.
	CodeDeploy apply.CodeDeployAPI
	// ECR checks that the target's images still exist; nil skips the check,
	// saying so. *ecr.Client satisfies it.
	ECR ecrcheck.API

	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// FirstPoll and MaxPoll shape the wait for stability; see wait.Options.
	FirstPoll, MaxPoll time.Duration
	// DescribeConcurrency bounds concurrent DescribeTaskDefinition calls.
	DescribeConcurrency int
	// Flags makes messages name settings as the CLI's flags (--cluster)
	// rather than as the action's inputs.
	Flags bool
	// PlanTimeout bounds everything before UpdateService: trigger, source,
	// target and checks; DefaultPlanTimeout when zero.
	PlanTimeout time.Duration
}

// Request is one rollback to carry out.
type Request struct {
	Config  config.Config
	Event   trigger.Event
	RepoURL string // https://github.com/owner/repo, for links in the summary
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// DefaultPlanTimeout bounds planning when Runner.PlanTimeout is zero: long
// enough for a slow GitHub search with retries, short enough that a stuck
// call cannot hold a 3 a.m. rollback for long.
const DefaultPlanTimeout = 3 * time.Minute

func (r *Runner) planTimeout() time.Duration {
	if r.PlanTimeout > 0 {
		return r.PlanTimeout
	}
	return DefaultPlanTimeout
}

func (r *Runner) describeConcurrency() int {
	if r.DescribeConcurrency > 0 {
		return r.DescribeConcurrency
	}
	return ecsread.DescribeConcurrency
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log.Infof(format, args...)
	}
}

func (r *Runner) debugf(format string, args ...any) {
	if r.Log != nil {
		r.Log.Debugf(format, args...)
	}
}

func (r *Runner) group(title string) func() {
	if r.Log == nil {
		return func() {}
	}
	r.Log.Group(title)
	return r.Log.EndGroup
}

// phase times one phase of the run into res.Timings.
func (r *Runner) phase(res *Result, name string) func() {
	start := r.now()
	return func() {
		res.Timings = append(res.Timings, Timing{Phase: name, Duration: r.now().Sub(start)})
	}
}

// failure is a planning failure with its reason output.
type failure struct {
	reason string
	msg    string
}

func (f *failure) Error() string { return f.msg }

func fail(reason, format string, args ...any) *failure {
	return &failure{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// asFailure maps any error met while planning to a reason and message,
// recognising cancellation and a missing service.
func asFailure(ctx context.Context, err error, otherwise string) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fail(reason.Cancelled, "the run was cancelled before any change was made: %v", err)
	}
	var nf *ecsread.NotFoundError
	if errors.As(err, &nf) {
		return fail(reason.ServiceNotFound, "%v. Check the cluster and service inputs and the AWS region.", err)
	}
	return fail(otherwise, "%v", err)
}
