package rollback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/wait"

	"github.com/aws/smithy-go"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// diagnosticsTimeout bounds the reads made to explain a failed rollout.
const diagnosticsTimeout = 15 * time.Second

// apply puts one service on its target with the strategy of its deployment
// controller, verifies it and, when asked, deregisters the revision it left.
func (r *Runner) apply(ctx context.Context, cfg config.Config, p *plan) {
	sr := &p.result
	to := sr.To
	end := r.group("Roll back " + sr.Service)
	defer end()

	if p.strategy.apply == nil {
		p.fail = fail(reason.Controller, "service %s uses the deployment controller %q, which this action cannot drive; nothing was changed", sr.Service, p.service.Controller)
		return
	}
	r.debugf("%s: %s", sr.Service, p.strategy.name)
	if p.fail = p.strategy.apply(r, ctx, cfg, p); p.fail != nil {
		return
	}
	to = sr.To // a pinned copy of the target (pin-digests) replaces it
	if p.unverified {
		sr.Outcome = RolledBack
		return
	}

	// Verify: the service's task definition (for CODE_DEPLOY, its PRIMARY
	// task set's) is the target.
	svc, err := r.observe(ctx, cfg, p)
	if err != nil {
		p.fail = r.applyFailure(ctx, err, reason.VerifyFailed, "verify service "+sr.Service)
		return
	}
	if !revision.SameRevision(svc.TaskDefinition, to.ARN) {
		p.fail = fail(reason.VerifyFailed,
			"after the rollback, service %s runs %s instead of the target %s: another deployment may have started. Check the service in the ECS console.",
			sr.Service, svc.TaskDefinition, to.ARN)
		return
	}
	sr.Outcome = RolledBack

	// Deregister the revision left behind. The rollback stands whatever
	// happens here: a failure is a warning.
	if cfg.DeregisterFailed && sr.From != nil && !revision.SameRevision(sr.From.ARN, to.ARN) {
		r.logf("DeregisterTaskDefinition %s", sr.From.ARN)
		if err := apply.Deregister(ctx, r.ECS, sr.From.ARN); err != nil {
			p.warnings = append(p.warnings, fmt.Sprintf(
				"%s was rolled back, but deregistering the revision it left, %d, failed (%s). Deregister %s by hand if it should not be deployed again; the role needs ecs:DeregisterTaskDefinition.",
				sr.Service, sr.From.Number, briefError(err), sr.From.ARN))
		} else {
			sr.Deregistered = sr.From.ARN
		}
	}
}

// observe is the service as last read after the change: the poll that saw
// it stable, or a fresh read when nothing waited for it.
func (r *Runner) observe(ctx context.Context, cfg config.Config, p *plan) (ecsread.Service, error) {
	if p.observed != nil {
		return *p.observed, nil
	}
	return ecsread.DescribeService(ctx, r.ECS, cfg.Cluster, p.result.Service)
}

// briefError is an AWS error as its code and message, else the error.
func briefError(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

// applyFailure describes a failure after planning, saying whether the
// update was sent.
func (r *Runner) applyFailure(ctx context.Context, err error, why, doing string) *failure {
	if ctx.Err() != nil {
		return fail(reason.Cancelled, "the run was cancelled during: %s (%v)", doing, err)
	}
	return fail(why, "%s: %v", doing, err)
}

// waitFailure explains a rollout that failed or did not settle, with the
// service's recent events and the reasons its newest tasks stopped.
func (r *Runner) waitFailure(ctx context.Context, cfg config.Config, p *plan, err error) *failure {
	sr := &p.result
	var (
		rf *wait.RolloutFailedError
		wt *wait.StableTimeoutError
		f  *failure
	)
	switch {
	case errors.As(err, &rf):
		f = fail(reason.RolloutFailed,
			"the rollback of %s to revision %d failed: %s. UpdateService was sent; the service may be between revisions. Read the service events below and the stopped tasks' reasons.",
			sr.Service, sr.To.Number, rf.Reason)
	case errors.As(err, &wt):
		f = fail(reason.WaitTimeout,
			"%s was not stable on revision %d within %s. UpdateService was sent and ECS keeps rolling out; watch the service, or raise wait-timeout.",
			sr.Service, sr.To.Number, cfg.WaitTimeout)
	case ctx.Err() != nil:
		return fail(reason.Cancelled,
			"the run was cancelled while waiting for %s; UpdateService to revision %d was already sent and ECS keeps rolling out.",
			sr.Service, sr.To.Number)
	default:
		f = fail(reason.RolloutFailed, "waiting for %s to be stable: %v", sr.Service, err)
	}
	r.readDiagnostics(ctx, cfg.Cluster, sr, sr.To.ARN)
	return f
}

// readDiagnostics reads what explains a failed rollout into sr: the
// service's 10 newest events and, when stoppedOf names a revision, why its
// 5 newest tasks of it stopped. The job's context may be nearly spent, so
// the reads have their own short deadline.
func (r *Runner) readDiagnostics(ctx context.Context, cluster string, sr *ServiceResult, stoppedOf string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), diagnosticsTimeout)
	defer cancel()
	if svc, err := ecsread.DescribeService(dctx, r.ECS, cluster, sr.Service); err == nil {
		sr.Events = svc.Events[:min(len(svc.Events), 10)]
	}
	if stoppedOf == "" {
		return
	}
	if reasons, err := ecsread.StoppedTaskReasons(dctx, r.ECS, cluster, sr.Service, stoppedOf, 5); err == nil {
		sr.StoppedReasons = reasons
	}
}
