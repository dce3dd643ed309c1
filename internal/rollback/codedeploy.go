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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// cdPlan is what planning learned about a CODE_DEPLOY service.
type cdPlan struct {
	group  apply.CodeDeployGroup
	active []string // deployments of the group that have not ended, newest first
	// container and port route the load balancer's traffic in the AppSpec.
	container string
	port      int32
}

// planCodeDeploy reads the deployment group, checks that it deploys the
// service, and finds the deployments in progress; it also reads the
// service's load balancer for the AppSpec of a new deployment.
func (r *Runner) planCodeDeploy(ctx context.Context, cfg config.Config, p *plan) *failure {
	app, name := cfg.CodeDeployApplication, cfg.CodeDeployDeploymentGroup
	svc := p.result.Service
	if r.CodeDeploy == nil {
		return fail(reason.CodeDeploy, "service %s uses the CODE_DEPLOY deployment controller, but no CodeDeploy client is configured", svc)
	}
	g, err := apply.GetCodeDeployGroup(ctx, r.CodeDeploy, app, name)
	if err != nil {
		return asFailure(ctx, fmt.Errorf("%w. Check the inputs codedeploy-application and codedeploy-deployment-group, and that the role may call codedeploy:GetDeploymentGroup", err), reason.CodeDeploy)
	}
	if !g.Deploys(cfg.Cluster, p.service.Name) {
		var deploys []string
		for _, s := range g.Services {
			deploys = append(deploys, s.Cluster+"/"+s.Service)
		}
		return fail(reason.CodeDeploy, "CodeDeploy deployment group %s of application %s deploys %s, not service %s in cluster %s. Check the input codedeploy-deployment-group",
			name, app, orNone(strings.Join(deploys, ", ")), svc, cfg.Cluster)
	}
	active, err := apply.ActiveCodeDeployments(ctx, r.CodeDeploy, app, name)
	if err != nil {
		return asFailure(ctx, err, reason.CodeDeploy)
	}
	p.cd = &cdPlan{group: g, active: active}
	if len(active) > 0 {
		r.logf("%s: CodeDeploy deployment %s is in progress; it will be stopped with auto-rollback", svc, strings.Join(active, ", "))
	}
	container, port, err := r.serviceLoadBalancer(ctx, cfg.Cluster, p.service)
	if err != nil {
		return asFailure(ctx, err, reason.ECSError)
	}
	p.cd.container, p.cd.port = container, port
	return nil
}

// serviceLoadBalancer returns the container name and port of the service's
// first load balancer that names them (an ECS service deployed by CodeDeploy
// has one; its deployment group names target groups only, not the
// container). None gives "" and 0: the AppSpec then leaves LoadBalancerInfo
// out, and CodeDeploy takes the service's own.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html
func (r *Runner) serviceLoadBalancer(ctx context.Context, cluster string, svc ecsread.Service) (string, int32, error) {
	ref := svc.ARN
	if ref == "" {
		ref = svc.Name
	}
	in := &ecs.DescribeServicesInput{Services: []string{ref}}
	if cluster != "" {
		in.Cluster = aws.String(cluster)
	}
	out, err := r.ECS.DescribeServices(ctx, in)
	if err != nil {
		return "", 0, fmt.Errorf("read the load balancers of service %s: %w", svc.Name, err)
	}
	for _, s := range out.Services {
		for _, lb := range s.LoadBalancers {
			if aws.ToString(lb.ContainerName) != "" {
				return aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort), nil
			}
		}
	}
	return "", 0, nil
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
				r.debugf("%s: CodeDeploy deployment %s is %s", sr.Service, d.ID, d.Status)
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
			if _, err := wait.CodeDeploy(ctx, r.CodeDeploy, rb, opts()); err != nil {
				return r.codeDeployFailure(ctx, cfg, p, rb, err)
			}
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

	spec := apply.AppSpec{TaskDefinition: to.ARN, ContainerName: cd.container, ContainerPort: cd.port}
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
	r.logf("waiting up to %s for CodeDeploy deployment %s", time.Until(deadline).Round(time.Second), id)
	if _, err := wait.CodeDeploy(ctx, r.CodeDeploy, id, opts()); err != nil {
		return r.codeDeployFailure(ctx, cfg, p, id, err)
	}
	return nil
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
