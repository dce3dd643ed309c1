package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// Run carries out one rollback request and returns what happened. It never
// returns an error: every failure is a Result with Outcome Failed, a reason
// and a message that says what to do next.
func (r *Runner) Run(ctx context.Context, req Request) Result {
	cfg := req.Config
	res := Result{
		Cluster:     cfg.Cluster,
		Environment: cfg.Environment,
		DryRun:      cfg.DryRun,
		RepoURL:     req.RepoURL,
	}
	if req.Event.Run != nil {
		run := *req.Event.Run
		res.Trigger = &run
	}

	// 1. Trigger: is this a rollback at all?
	if req.Event.Name == "workflow_run" {
		d := trigger.Decide(req.Event, trigger.Policy{
			FailureConclusions: cfg.FailureConclusions,
			LoopGuard:          cfg.LoopGuard,
		})
		if !d.Proceed {
			res.Outcome, res.Reason, res.Message = Skipped, d.Reason, d.Message
			res.Services = untouched(cfg.Services, Skipped, d.Reason)
			return res
		}
	} else if err := trigger.CheckConfirm(cfg.Confirm, cfg.Environment, cfg.ProtectedEnvironments); err != nil {
		res.Outcome, res.Reason = Failed, reason.Confirmation
		res.Message = fmt.Sprintf("%v. Nothing was changed: no AWS call was made.", err)
		res.Services = untouched(cfg.Services, Failed, reason.Confirmation)
		return res
	}

	planCtx, cancel := context.WithTimeout(ctx, r.planTimeout())
	defer cancel()

	// 2–4. Plan every service: source and ECS reads run concurrently.
	plans, f := r.plan(planCtx, req, &res)
	if f != nil {
		if ctx.Err() != nil {
			f = fail(reason.Cancelled, "the run was cancelled while planning; nothing was changed")
		}
		res.Outcome, res.Reason, res.Message = Failed, f.reason, f.msg
		res.Services = servicesFromPlans(plans, Failed)
		return res
	}
	res.Services = servicesFromPlans(plans, "")
	if len(plans) > 0 {
		res.ImageTag = plans[0].result.ToImageTag
	}

	// Never overwrite a newer deployment: the automatic run stands aside; a
	// person decides, warned.
	if len(res.Newer) > 0 {
		if req.Event.Name == "workflow_run" {
			res.Outcome, res.Reason = Skipped, reason.NewerDeployment
			res.Message = fmt.Sprintf("Not rolling back: %s is newer than the failed deploy. Nothing was changed; roll back by hand if it should be rolled back too.", strings.Join(res.Newer, "; and "))
			res.Services = untouched(cfg.Services, Skipped, reason.NewerDeployment)
			return res
		}
		for _, n := range res.Newer {
			res.Warnings = append(res.Warnings, "newer than the last deployment: "+n)
		}
	}

	// Refusals stop every service before any is changed.
	if f := planFailure(plans); f != nil {
		res.Outcome, res.Reason, res.Message = Failed, f.reason, f.msg
		res.Services = servicesFromPlans(plans, Failed)
		markOthers(res.Services)
		return res
	}

	// Nothing to do for services already on the target.
	todo := make([]*plan, 0, len(plans))
	for _, p := range plans {
		if p.result.Outcome != AlreadyCurrent {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		r.deregisterRolledBack(ctx, cfg, plans, &res)
		res.Outcome = AlreadyCurrent
		res.Message = alreadyCurrentMessage(plans)
		res.Services = servicesFromPlans(plans, "")
		return res
	}
	if cfg.DryRun {
		for _, p := range todo {
			p.result.Outcome = Planned
		}
		res.Outcome = Planned
		res.Message = planMessage(todo)
		res.Services = servicesFromPlans(plans, "")
		return res
	}

	// 5–8. Apply, wait, verify, deregister: each service on its own.
	done := r.phase(&res, "apply and wait")
	var wg sync.WaitGroup
	for _, p := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.apply(ctx, cfg, p)
		}()
	}
	wg.Wait()
	done()

	for _, p := range todo {
		res.Warnings = append(res.Warnings, p.warnings...)
	}
	res.Services = servicesFromPlans(plans, "")
	res.Outcome, res.Reason, res.Message = overall(res.Services, ctx.Err() != nil)
	return res
}

// untouched lists the services of a run that stopped before reading any of
// them, so the outputs and the summary still name each one.
func untouched(names []string, o Outcome, reason string) []ServiceResult {
	out := make([]ServiceResult, len(names))
	for i, n := range names {
		out[i] = ServiceResult{Service: n, Outcome: o, Reason: reason}
	}
	return out
}

// plan is one service's state while the run goes on.
type plan struct {
	service  ecsread.Service
	result   ServiceResult
	fail     *failure
	strategy strategy     // chosen by the service's deployment controller
	join     bool         // a rollout to the target is under way: wait, do not update
	cd       *cdPlan      // CODE_DEPLOY services: what planning learned
	nat      *nativeState // ECS services: history and mechanism (native.go)
	// unverified is true when the change was made but, without wait, not
	// verified (a CodeDeploy deployment takes minutes).
	unverified bool
	warnings   []string         // raised while applying, for the run's warnings
	observed   *ecsread.Service // the service as the wait last saw it stable
}

func servicesFromPlans(plans []*plan, force Outcome) []ServiceResult {
	out := make([]ServiceResult, 0, len(plans))
	for _, p := range plans {
		sr := p.result
		if p.fail != nil {
			sr.Outcome, sr.Reason, sr.Message = Failed, p.fail.reason, p.fail.msg
		} else if force != "" && sr.Outcome == "" {
			sr.Outcome = force
		}
		out = append(out, sr)
	}
	return out
}

func planFailure(plans []*plan) *failure {
	var fs []*plan
	for _, p := range plans {
		if p.fail != nil {
			fs = append(fs, p)
		}
	}
	switch len(fs) {
	case 0:
		return nil
	case 1:
		if len(plans) == 1 {
			return fs[0].fail
		}
		return fail(fs[0].fail.reason, "%s: %s No service was changed.", fs[0].result.Service, fs[0].fail.msg)
	default:
		names := make([]string, len(fs))
		for i, p := range fs {
			names[i] = p.result.Service
		}
		return fail(fs[0].fail.reason, "%d services were refused while planning (%s); the first: %s No service was changed.",
			len(fs), strings.Join(names, ", "), fs[0].fail.msg)
	}
}

// markOthers gives the services that planned fine, but were not changed
// because another was refused, an outcome that says so.
func markOthers(services []ServiceResult) {
	for i := range services {
		if services[i].Reason == "" {
			services[i].Outcome = Failed
			services[i].Reason = reason.OtherServiceFailed
			services[i].Message = "not changed: another service was refused while planning"
		}
	}
}

func alreadyCurrentMessage(plans []*plan) string {
	if len(plans) == 1 {
		p := plans[0]
		return fmt.Sprintf("%s already runs revision %d, the target: nothing was changed.", p.result.Service, p.result.To.Number)
	}
	return fmt.Sprintf("all %d services already run their target revisions: nothing was changed.", len(plans))
}

func planMessage(todo []*plan) string {
	parts := make([]string, len(todo))
	for i, p := range todo {
		parts[i] = fmt.Sprintf("would roll back %s from %d (%s) to %d (%s)",
			p.result.Service, p.result.From.Number, p.result.FromImageTag, p.result.To.Number, p.result.ToImageTag)
		switch {
		case p.cd != nil && len(p.cd.active) > 0:
			parts[i] += fmt.Sprintf(" through CodeDeploy, stopping deployment %s with auto-rollback", strings.Join(p.cd.active, ", "))
		case p.cd != nil:
			parts[i] += " through a CodeDeploy deployment"
		default:
			parts[i] += p.nat.planText()
		}
	}
	return "Dry run: " + strings.Join(parts, "; ") + ". Nothing was changed."
}

// overall folds the services' outcomes into the run's.
func overall(services []ServiceResult, cancelled bool) (Outcome, string, string) {
	var failed, rolled []string
	var first *ServiceResult
	for i, s := range services {
		switch s.Outcome {
		case Failed:
			failed = append(failed, s.Service)
			if first == nil {
				first = &services[i]
			}
		case RolledBack:
			rolled = append(rolled, s.Service)
		}
	}
	if len(failed) == 0 {
		if len(services) == 1 {
			s := services[0]
			msg := fmt.Sprintf("Rolled back %s from revision %d (%s) to revision %d (%s).",
				s.Service, s.From.Number, s.FromImageTag, s.To.Number, s.ToImageTag)
			if s.Message != "" {
				msg += " Note: " + s.Message + "."
			}
			return RolledBack, "", msg
		}
		return RolledBack, "", fmt.Sprintf("Rolled back %d services: %s.", len(rolled), strings.Join(rolled, ", "))
	}
	why := first.Reason
	if cancelled {
		why = reason.Cancelled
	}
	if len(services) == 1 {
		return Failed, why, first.Message
	}
	msg := fmt.Sprintf("%d of %d services failed (%s): %s", len(failed), len(services), strings.Join(failed, ", "), first.Message)
	if len(rolled) > 0 {
		msg += fmt.Sprintf(" Rolled back: %s.", strings.Join(rolled, ", "))
	}
	return Failed, why, msg
}

// sourceQuery builds the GitHub query from the inputs and the event.
func (r *Runner) sourceQuery(ctx context.Context, req Request) (source.Query, *failure) {
	cfg := req.Config
	q := source.Query{
		Workflow:      deployWorkflow(req),
		Branch:        cfg.Branch,
		ArtifactName:  cfg.ArtifactName,
		Environment:   cfg.Environment,
		DefaultBranch: req.Event.DefaultBranch,
	}
	if run := req.Event.Run; run != nil {
		q.ExcludeRunID = run.ID
		if q.Branch == "" {
			q.Branch = run.HeadBranch
		}
	}
	if q.Workflow == "" {
		return q, fail(reason.NoDeployWorkflow,
			"no target given: set revision or image-tag, or deploy-workflow so the last successful deployment can be found")
	}
	if q.Branch == "" {
		q.Branch = req.Event.DefaultBranch
	}
	if q.Branch == "" {
		b, err := r.Source.DefaultBranch(ctx)
		if err != nil {
			return q, fail(reason.SourceError, "find the repository's default branch: %v. Set the branch input.", err)
		}
		q.Branch = b
	}
	return q, nil
}

// findSource looks up the last successful deployment.
func (r *Runner) findSource(ctx context.Context, req Request, res *Result) (*source.Deployment, *failure) {
	if r.Source == nil {
		return nil, fail(reason.SourceError, "no GitHub client is configured to find the last successful deployment; set revision or image-tag")
	}
	q, f := r.sourceQuery(ctx, req)
	if f != nil {
		return nil, f
	}
	r.debugf("looking for the last successful run of workflow %s on branch %s", q.Workflow, q.Branch)
	dep, skipped, err := r.Source.LastSuccessful(ctx, q)
	res.SourceSkips = skipped
	for _, s := range skipped {
		res.Warnings = append(res.Warnings, fmt.Sprintf("passed over run %d: %s", s.RunID, s.Reason))
	}
	if errors.Is(err, source.ErrNoPreviousDeployment) {
		where := "on branch " + q.Branch
		if q.Branch == source.AnyRef {
			where = "on any ref"
		}
		return nil, fail(reason.NoPrevious,
			"no previous successful deployment of workflow %s %s with a usable %q artifact (%v). Manual intervention is needed: roll back by hand with the revision or image-tag input.",
			q.Workflow, where, q.ArtifactName, err)
	}
	if err != nil {
		return nil, asFailure(ctx, fmt.Errorf("find the last successful deployment: %w", err), reason.SourceError)
	}
	return &dep, nil
}
