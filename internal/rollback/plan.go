package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/ecrcheck"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/target"
)

// speculativeDescribes is how many revisions below the current one are
// described per service while the GitHub chain is still answering.
const speculativeDescribes = 1

// prepared is what the ECS chain learns before the target tag is known.
type prepared struct {
	current revision.Revision
	family  string
	active  []string // ACTIVE revisions below the current one, newest first
	inProg  bool     // a deployment is rolling out right now
	// revs describes task definitions; while the target tag is unknown it
	// is a revisionCache already describing active, and stop ends that.
	revs ecsread.DescribeTaskDefinitionAPI
	stop func()
	// lim bounds the describes in flight, for every service of the run.
	lim *ecsread.Limiter
	// ECS's deployment history (native.go): nil with historyErr when it
	// could not be read; artifact and srcFail say what the GitHub chain found.
	history    *ecsread.History
	historyErr error
	artifact   bool
	srcFail    *failure
}

// plan resolves and checks the target of every service. The GitHub chain
// (last successful deployment) and the ECS chain (service, current revision,
// ACTIVE revisions) run concurrently; matching waits for both.
func (r *Runner) plan(ctx context.Context, req Request, res *Result) ([]*plan, *failure) {
	cfg := req.Config
	defer r.phase(res, "plan")()
	end := r.group("Plan")
	defer end()

	// The GitHub chain.
	var (
		dep     *source.Deployment
		srcFail *failure
		srcWG   sync.WaitGroup
	)
	srcCtx, cancelSrc := context.WithCancel(ctx)
	defer cancelSrc()
	var (
		inFlight     []source.InFlightRun
		inFlightWarn string
	)
	workflow := deployWorkflow(req)
	if cfg.Source == config.SourceECS {
		workflow = "" // ECS's history alone: no GitHub call at all
	}
	srcWG.Add(1)
	go func() {
		defer srcWG.Done()
		if cfg.Revision == "" && cfg.ImageTag == "" && cfg.Source != config.SourceECS {
			dep, srcFail = r.findSource(srcCtx, req, res)
			if srcFail != nil && !historyMayDecide(cfg, srcFail) {
				return
			}
		}
		// Then the deploys that have not completed yet: after the search,
		// so that it never competes with the search's own requests.
		if r.Source != nil && workflow != "" {
			inFlight, inFlightWarn = r.findInFlight(srcCtx, req, workflow)
		}
	}()

	// The ECS chain, per service.
	plans := make([]*plan, len(cfg.Services))
	for i, name := range cfg.Services {
		plans[i] = &plan{result: ServiceResult{Service: name}}
	}
	preps := make([]prepared, len(plans))
	defer func() {
		for _, pre := range preps {
			if pre.stop != nil {
				pre.stop()
			}
		}
	}()
	// Until the GitHub chain names the target, describe the likeliest
	// candidate ahead: the revision just below the current one. After a
	// failed deploy the last good revision is most often that one, which is
	// also what a recorded task definition usually names; speculating
	// further would spend ECS's request budget on revisions a recorded task
	// definition makes needless.
	speculate := 0
	if cfg.Revision == "" && cfg.ImageTag == "" {
		speculate = min(cfg.MaxRevisions, speculativeDescribes, max(1, r.describeConcurrency()/max(len(cfg.Services), 1)))
	}
	services, err := ecsread.DescribeServices(ctx, r.ECS, cfg.Cluster, cfg.Services)
	if err != nil && len(services) == 0 {
		cancelSrc()
		srcWG.Wait()
		return plans, asFailure(ctx, fmt.Errorf("describe services in cluster %s: %w", cfg.Cluster, err), reason.ECSError)
	}
	lim := ecsread.NewLimiter(r.describeConcurrency())
	var wg sync.WaitGroup
	for i, p := range plans {
		svc, ok := services[p.result.Service]
		if !ok {
			p.fail = asFailure(ctx, err, reason.ServiceNotFound)
			if p.fail.reason != reason.ServiceNotFound {
				p.fail = fail(reason.ServiceNotFound, "service %s was not found in cluster %s. Check the cluster and service inputs and the AWS region.", p.result.Service, cfg.Cluster)
			}
			continue
		}
		p.service = svc
		wg.Add(1)
		go func() {
			defer wg.Done()
			preps[i], p.fail = r.prepare(ctx, cfg, svc, speculate, lim)
		}()
	}
	wg.Wait()
	srcWG.Wait()
	if inFlightWarn != "" {
		res.Warnings = append(res.Warnings, inFlightWarn)
	}
	if srcFail != nil && !historyMayDecide(cfg, srcFail) {
		return plans, srcFail
	} else if srcFail != nil {
		r.logf("no usable deployment-state artifact (%s); ECS's deployment history may name the target", srcFail.msg)
	}

	tag, recorded := cfg.ImageTag, ""
	if dep != nil {
		res.Source = dep
		tag, recorded = dep.State.ImageTag, dep.State.TaskDefinitionARN
		r.logf("last successful deployment: run %d, image tag %s", dep.RunID, dep.State.ImageTag)
	}
	res.ImageTag = tag

	var mu sync.Mutex
	for i, p := range plans {
		if p.fail != nil {
			continue
		}
		preps[i].artifact, preps[i].srcFail = dep != nil, srcFail
		wg.Add(1)
		go func() {
			defer wg.Done()
			warns, f := r.resolve(ctx, cfg, p, preps[i], tag, recorded)
			if preps[i].stop != nil {
				preps[i].stop()
			}
			p.fail = f
			mu.Lock()
			res.Warnings = append(res.Warnings, warns...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	settleSources(cfg, plans, res)
	res.Newer = newer(req.Event.Run, plans, inFlight)
	return plans, nil
}

// prepare reads the service's current revision and the ACTIVE revisions
// below it.
func (r *Runner) prepare(ctx context.Context, cfg config.Config, svc ecsread.Service, speculate int, lim *ecsread.Limiter) (prepared, *failure) {
	out := prepared{revs: r.ECS, lim: lim}
	family, number, err := revision.ParseARN(svc.TaskDefinition)
	if err != nil {
		return out, fail(reason.ECSError, "service %s runs task definition %q, which cannot be read: %v", svc.Name, svc.TaskDefinition, err)
	}
	out.family = family
	out.inProg = inProgress(svc)
	if speculate > 0 {
		// The GitHub chain is still looking for the tag and the list of
		// ACTIVE revisions is not in yet: describe the revisions most likely
		// to be candidates now. The list still decides which count.
		out.revs, out.stop = ecsread.Prefetch(ctx, r.ECS, ecsread.LikelyCandidates(svc.TaskDefinition, number, speculate), lim)
	}

	var (
		wg                sync.WaitGroup
		curErr, activeErr error
	)
	r.startHistory(ctx, svc, cfg.Cluster, &out, &wg)
	wg.Add(2)
	go func() {
		defer wg.Done()
		out.current, curErr = ecsread.DescribeRevision(ctx, r.ECS, svc.TaskDefinition)
	}()
	go func() {
		defer wg.Done()
		out.active, activeErr = ecsread.ActiveRevisionARNs(ctx, r.ECS, family, number, cfg.MaxRevisions)
	}()
	wg.Wait()
	if curErr != nil {
		return out, asFailure(ctx, fmt.Errorf("describe the current task definition of %s: %w", svc.Name, curErr), reason.ECSError)
	}
	if activeErr != nil {
		return out, asFailure(ctx, fmt.Errorf("list ACTIVE revisions of family %s: %w", family, activeErr), reason.ECSError)
	}
	return out, nil
}

// inProgress reports whether a deployment is rolling out.
func inProgress(svc ecsread.Service) bool {
	if len(svc.Deployments) > 1 {
		return true
	}
	for _, d := range svc.Deployments {
		if d.RolloutState == "IN_PROGRESS" {
			return true
		}
	}
	return false
}

// resolve picks the target revision of one service and runs the safety
// checks on it.
func (r *Runner) resolve(ctx context.Context, cfg config.Config, p *plan, pre prepared, tag, recorded string) ([]string, *failure) {
	var warns []string
	if f := serviceStateFailure(p.service); f != nil {
		return nil, f
	}
	p.nat = &nativeState{history: pre.history}
	if pre.historyErr != nil {
		if w := historyWarning(pre.historyErr); w != "" {
			warns = append(warns, w)
		} else {
			r.debugf("%s: no deployment history: %v", p.result.Service, pre.historyErr)
		}
	}
	cur := pre.current
	p.result.From = &cur
	p.result.FromImageTag = revision.ImageTag(cur, cfg.ContainerName)

	d, f := r.chooseTarget(ctx, cfg, pre, tag, recorded)
	warns = append(warns, d.Warnings...)
	if f != nil {
		return warns, f
	}
	tgt, how := d.Target, d.How
	p.result.To = &tgt
	p.result.How = how
	p.result.ToImageTag = revision.ImageTag(tgt, cfg.ContainerName)
	if how == target.HowImageTag && tag != "" {
		p.result.ToImageTag = tag
	}

	in := safety.Input{
		Service:              p.result.Service,
		ServiceFamily:        pre.family,
		Controller:           p.service.Controller,
		Current:              cur,
		Target:               tgt,
		TargetFound:          true,
		SchemaLabel:          cfg.SchemaLabel,
		ContainerName:        cfg.ContainerName,
		AllowSchemaDowngrade: cfg.AllowSchemaDowngrade,
		CodeDeployConfigured: cfg.CodeDeployApplication != "" && cfg.CodeDeployDeploymentGroup != "",
		Flags:                r.Flags,
	}
	p.result.Checks = safety.Evaluate(in)
	p.strategy, _ = strategyFor(p.service.Controller)
	if _, failed := safety.FirstFailure(p.result.Checks); !failed && p.strategy.plan != nil {
		if f := p.strategy.plan(r, ctx, cfg, p); f != nil {
			return warns, f
		}
	}
	// A CodeDeploy deployment in progress must be stopped even when the
	// service still runs the target: it is about to replace it.
	codeDeployBusy := p.cd != nil && len(p.cd.active) > 0
	if safety.AlreadyCurrent(in) && !codeDeployBusy {
		if pre.inProg && p.cd == nil {
			// A rollout to the target is under way (another rollback run):
			// wait for it rather than start another.
			p.join = true
			p.result.Message = "a deployment to the target revision was already in progress; the action waited for it instead of starting another"
			if prev, ok := r.leaving(ctx, p.service, cur); ok {
				p.result.From = &prev
				p.result.FromImageTag = revision.ImageTag(prev, cfg.ContainerName)
			}
			return warns, nil
		}
		p.result.Outcome = AlreadyCurrent
		return warns, nil
	}
	// The images, last: it asks ECR, and only when something will change.
	images := r.checkImages(ctx, tgt)
	p.result.Checks = append(p.result.Checks, images)
	if images.Status == safety.Warn {
		warns = append(warns, fmt.Sprintf("%s: the target's images in ECR %s", p.result.Service, images.Detail))
	}
	if c, failed := safety.FirstFailure(p.result.Checks); failed {
		return warns, fail(reasonForCheck(c), "refused to roll back %s: %s.", p.result.Service, strings.TrimSuffix(c.Detail, "."))
	}
	if pre.inProg && p.cd == nil && !p.nat.native() {
		p.result.Superseded = p.service.TaskDefinition
	}
	return warns, nil
}

// leaving is the revision a service is rolling out of while a deployment to
// current is under way: that of its older, non-PRIMARY deployment.
func (r *Runner) leaving(ctx context.Context, svc ecsread.Service, current revision.Revision) (revision.Revision, bool) {
	for _, d := range svc.Deployments {
		if d.Status == "PRIMARY" || revision.SameRevision(d.TaskDefinition, current.ARN) {
			continue
		}
		rev, err := ecsread.DescribeRevision(ctx, r.ECS, d.TaskDefinition)
		return rev, err == nil
	}
	return revision.Revision{}, false
}

// ecrCheckTimeout bounds the ECR check of one target, so that an ECR that
// cannot be reached only turns the check into a warning.
const ecrCheckTimeout = 30 * time.Second

// checkImages asks ECR whether the images of rev still exist.
func (r *Runner) checkImages(ctx context.Context, rev revision.Revision) safety.Check {
	if r.ECR == nil {
		return ecrcheck.Unavailable("no ECR client is configured")
	}
	images := make([]string, 0, len(rev.Containers))
	for _, c := range rev.Containers {
		images = append(images, c.Image)
	}
	ctx, cancel := context.WithTimeout(ctx, ecrCheckTimeout)
	defer cancel()
	c := ecrcheck.Look(ctx, r.ECR, images).Check()
	r.debugf("%s: %s: %s", rev.ARN, c.Status, c.Detail)
	return c
}

// chooseTarget gathers what target.Choose needs, one describe wave at a
// time, until it decides: the target and how it was chosen, or a refusal.
func (r *Runner) chooseTarget(ctx context.Context, cfg config.Config, pre prepared, tag, recorded string) (target.Decision, *failure) {
	snap := target.Snapshot{
		Current:          pre.current,
		Family:           pre.family,
		Manual:           cfg.Revision,
		Recorded:         recorded,
		Tag:              tag,
		ContainerName:    cfg.ContainerName,
		FallbackPrevious: cfg.Fallback == config.FallbackPrevious,
		Active:           pre.active,
		MaxRevisions:     cfg.MaxRevisions,
		Described:        map[string]target.Described{},
		Batch:            r.describeConcurrency(),
	}
	// Every wave describes at least one revision not described before, so
	// the loop ends; the bound only guards against a broken rule.
	for range len(pre.active) + 4 {
		d, f := chooseFrom(snap, cfg, pre)
		if f != nil {
			return d, f
		}
		if len(d.Need) == 0 {
			r.debugf("described %d revisions of %s to choose the target", len(snap.Described), pre.family)
			if d.Refusal != nil {
				return d, fail(d.Refusal.Reason, "%s", d.Refusal.Message)
			}
			return d, nil
		}
		for _, o := range ecsread.DescribeAll(ctx, pre.revs, pre.lim, d.Need) {
			if o.Err != nil && ctx.Err() != nil {
				return d, asFailure(ctx, o.Err, reason.ECSError)
			}
			desc := target.Described{Revision: o.Revision}
			if o.Err != nil {
				var ce *types.ClientException
				desc.Err, desc.NotFound = briefError(o.Err), errors.As(o.Err, &ce)
			}
			snap.Described[o.Ref] = desc
		}
	}
	return target.Decision{}, fail(reason.ECSError, "choosing the target of family %s did not settle", pre.family)
}

// reasonForCheck maps a failed safety check to the reason output.
func reasonForCheck(c safety.Check) string {
	switch c.Name {
	case safety.NameTargetActive:
		return reason.TargetNotActive
	case safety.NameOlder:
		return reason.RollForward
	case safety.NameFamily:
		return reason.OtherFamily
	case safety.NameSchema:
		return reason.SchemaDowngrade
	case safety.NameController:
		return reason.Controller
	case safety.NameImagesInECR:
		return reason.ImageMissing
	}
	return reason.CheckFailed
}
