package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/wait"

	"github.com/aws/smithy-go"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/safety"
)

// strategy is how one deployment controller puts a service on its target.
// The steps around it (plan, checks, verify, deregister) are the same for
// every controller.
type strategy struct {
	// name says how, for the log.
	name string
	// plan makes the controller's own reads and refusals while planning,
	// once the target is known and the safety checks passed; nil: none.
	plan func(r *Runner, ctx context.Context, cfg config.Config, p *plan) *failure
	// apply changes the service and, with wait, waits until it runs the
	// target. It does not verify: apply does, for every controller.
	apply func(r *Runner, ctx context.Context, cfg config.Config, p *plan) *failure
}

// strategyFor chooses the strategy by the service's deployment controller:
// the one place that does. ok is false for a controller the action cannot
// drive (EXTERNAL); the controller safety check refuses it first.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentController.html
func strategyFor(controller string) (strategy, bool) {
	switch strings.ToUpper(controller) {
	case "", safety.ControllerECS:
		return strategy{name: "ECS (native rollback or UpdateService)", plan: (*Runner).planNative, apply: (*Runner).applyNative}, true
	case safety.ControllerCodeDeploy:
		return strategy{name: "CodeDeploy blue/green", plan: (*Runner).planCodeDeploy, apply: (*Runner).applyCodeDeploy}, true
	}
	return strategy{}, false
}

// applyECS updates the service to the target with UpdateService, unless a
// rollout to the target is already under way, and waits until the service
// is stable on it.
func (r *Runner) applyECS(ctx context.Context, cfg config.Config, p *plan) *failure {
	sr := &p.result
	to := sr.To
	if !p.join {
		r.logf("UpdateService %s → %s", sr.Service, to.ARN)
		_, err := apply.UpdateService(ctx, r.ECS, cfg.Cluster, sr.Service, to.ARN)
		sr.UpdateSent = mayHaveApplied(err)
		if err != nil {
			return r.applyFailure(ctx, err, reason.UpdateFailed,
				fmt.Sprintf("update service %s to %s", sr.Service, to.ARN))
		}
	}
	if !cfg.Wait {
		return nil
	}
	r.logf("waiting up to %s for %s to be stable on revision %d", cfg.WaitTimeout, sr.Service, to.Number)
	printEvents := r.printEvents(p)
	stable, err := wait.Stable(ctx, r.ECS, cfg.Cluster, sr.Service, to.ARN, wait.Options{
		Timeout:   cfg.WaitTimeout,
		FirstPoll: r.FirstPoll,
		MaxPoll:   r.MaxPoll,
		OnService: func(s ecsread.Service) {
			printEvents(s)
			r.debugf("%s: running %d of %d, %d deployments", s.Name, s.RunningCount, s.DesiredCount, len(s.Deployments))
		},
	})
	if err != nil {
		return r.waitFailure(ctx, cfg, p, err)
	}
	p.observed = &stable // the read that saw it stable also verifies it
	return nil
}

// mayHaveApplied reports whether a mutating call may have taken effect: it
// succeeded, or failed without an answer from the API (a cut connection, a
// cancelled job).
func mayHaveApplied(err error) bool {
	var apiErr smithy.APIError
	return err == nil || !errors.As(err, &apiErr)
}

// printEvents returns the wait's view of the service: each service event
// that was not there when planning read the service is printed once, as it
// arrives, oldest first.
func (r *Runner) printEvents(p *plan) func(ecsread.Service) {
	events := ecsread.NewEventLog(p.service)
	return func(s ecsread.Service) {
		for _, e := range events.New(s) {
			r.logf("%s: %s %s", p.result.Service, e.CreatedAt.UTC().Format("15:04:05"), e.Message)
		}
	}
}
