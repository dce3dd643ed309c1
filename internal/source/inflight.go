package source

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/google/go-github/v66/github"
)

// InFlightRun is a run of the deploy workflow that has not completed: a
// deployment that may be under way while the rollback was queued.
type InFlightRun struct {
	ID        int64
	Status    string // queued, in_progress, waiting, pending, requested
	Branch    string
	CreatedAt time.Time
	URL       string
}

// inFlightStatuses are the statuses of a run that has not completed.
// See https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
var inFlightStatuses = map[string]bool{"queued": true, "in_progress": true, "waiting": true, "pending": true, "requested": true}

// inFlightPage is how many of the newest runs are looked at: a deploy
// started after the failed one is among the newest.
const inFlightPage = 20

// InFlight lists the runs of workflow (an ID or a file name) that have not
// completed and were created after after, newest first; the run exclude
// (the failed one) counts too when it is running again, re-run. It makes
// one call: the newest runs of the workflow, whatever their status.
func (f *Finder) InFlight(ctx context.Context, workflow string, after time.Time, exclude int64) ([]InFlightRun, error) {
	wf, err := workflowRef(workflow)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	v.Set("exclude_pull_requests", "true")
	v.Set("per_page", strconv.Itoa(inFlightPage))
	p := fmt.Sprintf("repos/%s/%s/actions/workflows/%s/runs?%s",
		url.PathEscape(f.Owner), url.PathEscape(f.Repo), url.PathEscape(wf), v.Encode())
	var out github.WorkflowRuns
	resp, err := f.get(ctx, p, &out)
	if err != nil {
		return nil, f.apiError(fmt.Sprintf("list the newest runs of workflow %s", workflow), err, resp)
	}
	var runs []InFlightRun
	for _, r := range out.WorkflowRuns {
		created := r.GetCreatedAt().Time
		if !inFlightStatuses[r.GetStatus()] {
			continue
		}
		// The failed run itself, going again, is a re-run of the deploy:
		// it keeps its ID and creation time.
		if r.GetID() != exclude && !created.After(after) {
			continue
		}
		runs = append(runs, InFlightRun{ID: r.GetID(), Status: r.GetStatus(), Branch: r.GetHeadBranch(), CreatedAt: created, URL: r.GetHTMLURL()})
	}
	f.logf("%d runs of %s created after %s have not completed", len(runs), workflow, after.Format(time.RFC3339))
	return runs, nil
}
