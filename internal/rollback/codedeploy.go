package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/wait"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// cdPlan is what planning learned about a CODE_DEPLOY service.
type cdPlan struct {
	group  apply.CodeDeployGroup
	active []string // deployments of the group that have not ended, newest first
	// spec is the AppSpec of a new deployment but for its task definition:
	// the service's load balancer, platform version, network and capacity
	// providers.
	spec apply.AppSpec
}

// planCodeDeploy checks that the service has a load balancer to route a
// blue/green deployment by, reads the deployment group, checks that it
// deploys the service, and finds the deployments in progress. A deployment
// in progress that has already put production traffic on the target, and
// only waits to terminate the original task set, is left alone.
func (r *Runner) planCodeDeploy(ctx context.Context, cfg config.Config, p *plan) *failure {
	app, name := cfg.CodeDeployApplication, cfg.CodeDeployDeploymentGroup
	svc := p.result.Service
	if r.CodeDeploy == nil {
		return fail(reason.CodeDeploy, "service %s uses the CODE_DEPLOY deployment controller, but no CodeDeploy client is configured", svc)
	}
	spec, ok := appSpecOf(p.service)
	if !ok {
		return fail(reason.CodeDeploy,
			"service %s uses the CODE_DEPLOY deployment controller but has no load balancer that names a container and port. CodeDeploy routes an ECS blue/green deployment's traffic by them (LoadBalancerInfo in the AppSpec), so it cannot deploy revision %d. Nothing was changed. Check the service's load balancers, or roll it back by hand.",
			svc, p.result.To.Number)
	}
	g, err := apply.GetCodeDeployGroup(ctx, r.CodeDeploy, app, name)
	if err != nil {
		return asFailure(ctx, fmt.Errorf("%w. Check %s, and that the role may call codedeploy:GetDeploymentGroup", err, config.Setting(r.Flags, "codedeploy-application", "codedeploy-deployment-group")), reason.CodeDeploy)
	}
	if !g.Deploys(cfg.Cluster, p.service.Name) {
		var deploys []string
		for _, s := range g.Services {
			deploys = append(deploys, s.Cluster+"/"+s.Service)
		}
		return fail(reason.CodeDeploy, "CodeDeploy deployment group %s of application %s deploys %s, not service %s in cluster %s. Check %s",
			name, app, orNone(strings.Join(deploys, ", ")), svc, cfg.Cluster, config.Setting(r.Flags, "codedeploy-deployment-group"))
	}
	active, err := apply.ActiveCodeDeployments(ctx, r.CodeDeploy, app, name)
	if err != nil {
		return asFailure(ctx, err, reason.CodeDeploy)
	}
	active = r.stillToStop(ctx, p, active)
	p.cd = &cdPlan{group: g, active: active, spec: spec}
	if len(active) > 0 {
		r.logf("%s: CodeDeploy deployment %s is in progress; it will be stopped with auto-rollback", svc, strings.Join(active, ", "))
	}
	return nil
}

// stillToStop drops from active the deployments that have already put
// production traffic on the target the service runs: they only wait to
// terminate the original task set (an earlier rollback's, typically), and
// stopping one with auto-rollback would put the traffic back on the
// revision it replaced.
func (r *Runner) stillToStop(ctx context.Context, p *plan, active []string) []string {
	if len(active) == 0 || !revision.SameRevision(p.service.TaskDefinition, p.result.To.ARN) {
		return active
	}
	var out []string
	for _, id := range active {
		d, err := wait.ReadCodeDeployment(ctx, r.CodeDeploy, id)
		if err == nil && d.Traffic && !d.Ended() {
			r.logf("%s: CodeDeploy deployment %s has put production traffic on revision %d, the target, and only waits to terminate the original task set: left alone", p.result.Service, id, p.result.To.Number)
			continue
		}
		out = append(out, id)
	}
	return out
}

// appSpecOf is the AppSpec of a deployment that changes nothing of the
// service but its task definition: the container and port of its first
// load balancer that names them (its deployment group names target groups
// only), its platform version (CodeDeploy takes LATEST without one), its
// awsvpc network configuration and its capacity-provider strategy. ok is
// false without such a load balancer: CodeDeploy requires one for ECS.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
func appSpecOf(svc ecsread.Service) (apply.AppSpec, bool) {
	l := svc.Launch
	var spec apply.AppSpec
	for _, lb := range l.LoadBalancers {
		if lb.ContainerName != "" && lb.ContainerPort != 0 {
			spec.ContainerName, spec.ContainerPort = lb.ContainerName, lb.ContainerPort
			break
		}
	}
	if spec.ContainerName == "" {
		return spec, false
	}
	spec.PlatformVersion = l.PlatformVersion
	if n := l.Network; n != nil && len(n.Subnets) > 0 {
		spec.Network = &apply.AppSpecNetwork{Subnets: n.Subnets, SecurityGroups: n.SecurityGroups, AssignPublicIP: n.AssignPublicIP}
	}
	for _, c := range l.CapacityProviders {
		spec.CapacityProviders = append(spec.CapacityProviders, apply.AppSpecCapacityProvider{CapacityProvider: c.Name, Base: c.Base, Weight: c.Weight})
	}
	return spec, true
}

// applyCodeDeploy rolls a CODE_DEPLOY service back through CodeDeploy. A
// deployment in progress is stopped with auto-rollback, and the rollback
// deployment CodeDeploy creates is waited for; when that leaves the service
// on another revision than the target (or there was nothing in progress), a
// deployment of the target is created and waited for. All of it shares
// wait-timeout. Without wait, the first deployment that will put the
// service back is reported and not waited for.
func (r *Runner) applyCodeDeploy(ctx context.Context, cfg config.Config, p *plan) *failure {
	sr := &p.result
	cd := p.cd
	if cd == nil || r.CodeDeploy == nil {
		return fail(reason.CodeDeploy, "service %s: CodeDeploy was not planned; nothing was changed", sr.Service)
	}
	to := sr.To
	deadline := r.now().Add(cfg.WaitTimeout)
	opts := func() wait.Options {
		return wait.Options{
			Timeout:   max(time.Until(deadline), time.Millisecond),
			FirstPoll: r.FirstPoll,
			MaxPoll:   r.MaxPoll,
			OnDeployment: func(d wait.CodeDeployment) {
				at := ""
				if ev, ok := d.Current(); ok {
					at = fmt.Sprintf(" (lifecycle event %s %s)", ev.Name, ev.Status)
				}
				r.debugf("%s: CodeDeploy deployment %s is %s%s", sr.Service, d.ID, d.Status, at)
			},
		}
	}

	if len(cd.active) > 0 {
		var stopped []string
		for _, id := range cd.active {
			r.logf("StopDeployment %s with auto-rollback (service %s)", id, sr.Service)
			err := apply.StopCodeDeployment(ctx, r.CodeDeploy, id)
			if errors.Is(err, apply.ErrAlreadyCompleted) {
				r.logf("CodeDeploy deployment %s had already ended", id)
				continue
			}
			sr.UpdateSent = sr.UpdateSent || mayHaveApplied(err)
			if err != nil {
				return r.applyFailure(ctx, err, reason.CodeDeploy, "stop the CodeDeploy deployment in progress")
			}
			stopped = append(stopped, id)
		}
		sr.Superseded = strings.Join(stopped, ", ")
		for _, id := range stopped {
			rb, err := wait.CodeDeployRollback(ctx, r.CodeDeploy, id, opts())
			if errors.Is(err, wait.ErrNoRollback) {
				r.logf("stopped CodeDeploy deployment %s has no rollback deployment", id)
				continue
			}
			if err != nil {
				return r.codeDeployFailure(ctx, cfg, p, id, err)
			}
			sr.CodeDeployID = rb
			r.logf("CodeDeploy rolls %s back with deployment %s", sr.Service, rb)
			if !cfg.Wait {
				p.unverified = true
				sr.Message = fmt.Sprintf("stopped CodeDeploy deployment %s; CodeDeploy rolls the service back with deployment %s, which was not waited for (wait is false)", id, rb)
				return nil
			}
			d, err := wait.CodeDeploy(ctx, r.CodeDeploy, rb, opts())
			if err != nil {
				return r.codeDeployFailure(ctx, cfg, p, rb, err)
			}
			r.trafficOnTarget(p, d)
		}
		svc, err := ecsread.DescribeService(ctx, r.ECS, cfg.Cluster, sr.Service)
		if err != nil {
			return r.applyFailure(ctx, err, reason.VerifyFailed, "describe service "+sr.Service+" after stopping its CodeDeploy deployment")
		}
		if revision.SameRevision(svc.TaskDefinition, to.ARN) {
			return nil
		}
		r.logf("%s runs %s after the stop, not the target: creating a CodeDeploy deployment of revision %d", sr.Service, svc.TaskDefinition, to.Number)
	}

	spec := cd.spec
	spec.TaskDefinition = to.ARN
	r.logf("CreateDeployment of %s to CodeDeploy group %s (service %s)", to.ARN, cfg.CodeDeployDeploymentGroup, sr.Service)
	id, err := apply.CreateCodeDeployment(ctx, r.CodeDeploy, cfg.CodeDeployApplication, cfg.CodeDeployDeploymentGroup, spec,
		fmt.Sprintf("ecs-rollback: roll %s back to revision %d", sr.Service, to.Number))
	sr.UpdateSent = sr.UpdateSent || mayHaveApplied(err)
	if err != nil {
		return r.applyFailure(ctx, err, reason.CodeDeploy, "create a CodeDeploy deployment of "+to.ARN)
	}
	sr.CodeDeployID = id
	if !cfg.Wait {
		p.unverified = true
		sr.Message = fmt.Sprintf("created CodeDeploy deployment %s of revision %d, which was not waited for (wait is false)", id, to.Number)
		return nil
	}
	r.logf("waiting up to %s for CodeDeploy deployment %s to put production traffic on revision %d", time.Until(deadline).Round(time.Second), id, to.Number)
	d, err := wait.CodeDeploy(ctx, r.CodeDeploy, id, opts())
	if err != nil {
		return r.codeDeployFailure(ctx, cfg, p, id, err)
	}
	r.trafficOnTarget(p, d)
	return nil
}

// trafficOnTarget notes what a deployment that put production traffic on
// the target leaves going on: CodeDeploy keeps the original task set, and
// the deployment InProgress, until the group's termination wait ends.
func (r *Runner) trafficOnTarget(p *plan, d wait.CodeDeployment) {
	sr := &p.result
	if d.TargetsError != "" {
		p.warnings = append(p.warnings, fmt.Sprintf(
			"%s: the targets of CodeDeploy deployment %s could not be read (%s), so the action waited for the deployment to end rather than for production traffic to be on the target. Allow codedeploy:ListDeploymentTargets and codedeploy:GetDeploymentTarget.",
			sr.Service, d.ID, d.TargetsError))
	}
	if d.Ended() {
		return
	}
	until := "its termination wait"
	if tw := p.cd.group.TerminationWait; tw > 0 {
		until = fmt.Sprintf("its termination wait of %d minutes", int(tw/time.Minute))
	}
	sr.Message = fmt.Sprintf("production traffic is on revision %d; CodeDeploy keeps the original task set until %s ends (deployment %s stays %s until then)",
		sr.To.Number, until, d.ID, d.Status)
	r.logf("%s: %s", sr.Service, sr.Message)
}

// codeDeployFailure explains a CodeDeploy deployment that failed, was
// stopped, or did not end in time, with the service's recent events.
func (r *Runner) codeDeployFailure(ctx context.Context, cfg config.Config, p *plan, id string, err error) *failure {
	sr := &p.result
	var (
		fe *wait.DeploymentFailedError
		wt *wait.DeploymentTimeoutError
		f  *failure
	)
	switch {
	case errors.As(err, &fe):
		f = fail(reason.RolloutFailed,
			"the rollback of %s to revision %d through CodeDeploy failed: %v. Read the deployment in the CodeDeploy console; the service may still run its previous task set.",
			sr.Service, sr.To.Number, strings.TrimSuffix(err.Error(), "."))
	case errors.As(err, &wt) && wt.Last.Status == wait.StatusReady:
		f = fail(reason.WaitTimeout,
			"CodeDeploy deployment %s, which rolls %s back to revision %d, is Ready: the replacement task set runs, and the deployment group waits for production traffic to be rerouted to it by hand (manual reroute). The deployment has not failed. Reroute it with ContinueDeployment (aws deploy continue-deployment --deployment-id %s --deployment-wait-type READY_WAIT, or Reroute traffic in the CodeDeploy console), then run the rollback again to verify it (waited %s).",
			id, sr.Service, sr.To.Number, id, wt.Timeout.Round(time.Second))
	case errors.As(err, &wt):
		f = fail(reason.WaitTimeout,
			"%v while rolling %s back to revision %d. CodeDeploy keeps going; watch the deployment, or raise wait-timeout.",
			err, sr.Service, sr.To.Number)
	case ctx.Err() != nil:
		return fail(reason.Cancelled,
			"the run was cancelled while waiting for CodeDeploy deployment %s of %s; CodeDeploy keeps going.", id, sr.Service)
	default:
		f = fail(reason.CodeDeploy, "waiting for CodeDeploy deployment %s of %s: %v", id, sr.Service, err)
	}
	r.readDiagnostics(ctx, cfg.Cluster, sr, "")
	return f
}

func orNone(s string) string {
	if s == "" {
		return "no ECS service"
	}
	return s
}
