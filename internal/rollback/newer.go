package rollback

import (
	"context"
	"fmt"
	"time"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// clockSkew is how much later than the failed run's last update a service's
// deployment may have been created and still be the failed deploy's own:
// GitHub's and ECS's clocks are not the same clock.
const clockSkew = 30 * time.Second

// findInFlight lists the runs of the deploy workflow that have not
// completed: for the automatic path those created after the failed run,
// for a person any. A failure to look is a warning, never a refusal.
func (r *Runner) findInFlight(ctx context.Context, req Request, workflow string) ([]source.InFlightRun, string) {
	var after time.Time
	var exclude int64
	if run := req.Event.Run; run != nil {
		after, exclude = run.CreatedAt, run.ID
	}
	runs, err := r.Source.InFlight(ctx, workflow, after, exclude)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ""
		}
		return nil, fmt.Sprintf("could not check for deploys in progress: %v", err)
	}
	return runs, ""
}

// newer describes what is newer than the failed deploy run: a service
// whose PRIMARY deployment was created after the run last changed, and
// the deploy runs that have not completed. A PRIMARY deployment of the
// revision the rollback would go to is not newer work to protect: it is
// a rollback already under way. It is a pure function.
func newer(run *trigger.Run, plans []*plan, inFlight []source.InFlightRun) []string {
	var out []string
	if run != nil && !run.UpdatedAt.IsZero() {
		for _, p := range plans {
			d, ok := p.service.Primary()
			if !ok || !d.CreatedAt.After(run.UpdatedAt.Add(clockSkew)) {
				continue
			}
			if to := p.result.To; to != nil && revision.SameRevision(d.TaskDefinition, to.ARN) {
				continue
			}
			out = append(out, fmt.Sprintf("service %s's deployment %s of %s, created %s, after the failed run %d ended (%s)",
				p.result.Service, d.ID, d.TaskDefinition, d.CreatedAt.UTC().Format(time.RFC3339), run.ID, run.UpdatedAt.UTC().Format(time.RFC3339)))
		}
	}
	for _, f := range inFlight {
		out = append(out, fmt.Sprintf("deploy run %d (%s, on %s, created %s)", f.ID, f.Status, f.Branch, f.CreatedAt.UTC().Format(time.RFC3339)))
	}
	return out
}

// deployWorkflow is the deploy workflow of the request: the input, else the
// failed run's workflow; "" when neither is known.
func deployWorkflow(req Request) string {
	if w := req.Config.DeployWorkflow; w != "" {
		return w
	}
	if run := req.Event.Run; run != nil && run.WorkflowID != 0 {
		return fmt.Sprint(run.WorkflowID)
	}
	return ""
}
