package trigger

import (
	"fmt"
	"github.com/deplight/ecs-rollback/internal/reason"
	"path"
	"strings"
)

// Decide says whether the event that started the job leads to a rollback.
//
// For workflow_run it goes on only when the triggering run has completed
// (reason not-completed otherwise) with a conclusion in p.FailureConclusions,
// compared case-insensitively (not-a-failure); when the loop-guard word,
// case-insensitive, is found neither in the run's name, the workflow's name,
// nor the file name of its path (.github/workflows/rollback.yml@main counts
// for "rollback") (loop-guard); and when the run's head repository is the
// repository itself (fork), compared case-insensitively and only when both
// are known. Checks happen in that order, so a queued run reports
// not-completed whatever else is wrong with it.
//
// Any other event was started by a person, and Decide lets it go on: the typed
// confirmation is checked separately, by [CheckConfirm].
func Decide(ev Event, p Policy) Decision {
	if ev.Name != EventWorkflowRun {
		return Decision{Proceed: true, Message: fmt.Sprintf("started by the %s event; the rollback needs a typed confirmation", eventName(ev.Name))}
	}
	run := ev.Run
	if run == nil {
		return Decision{Reason: reason.MissingRun, Message: "the workflow_run event carries no workflow run; nothing to roll back"}
	}
	name := runName(run)
	if !strings.EqualFold(run.Status, "completed") {
		return Decision{
			Reason:  reason.NotCompleted,
			Message: fmt.Sprintf("workflow %q is %q, not completed; rollbacks run only for a completed run", name, run.Status),
		}
	}
	if !containsFold(p.FailureConclusions, run.Conclusion) {
		concluded := fmt.Sprintf("concluded %q", run.Conclusion)
		if run.Conclusion == "" {
			concluded = "completed without a conclusion"
		}
		only := "rollbacks run only for " + strings.Join(p.FailureConclusions, ", ")
		if len(p.FailureConclusions) == 0 {
			only = "no failure-conclusions are configured"
		}
		return Decision{Reason: reason.NotAFailure, Message: fmt.Sprintf("workflow %q %s; %s", name, concluded, only)}
	}
	if word := strings.TrimSpace(p.LoopGuard); word != "" {
		if where, ok := loopGuardHit(run, word); ok {
			return Decision{
				Reason: reason.LoopGuard,
				Message: fmt.Sprintf("workflow %q looks like a rollback workflow: its %s contains the loop-guard word %q; a rollback is never rolled back",
					name, where, word),
			}
		}
	}
	if run.HeadRepository != "" && ev.Repository != "" && !strings.EqualFold(run.HeadRepository, ev.Repository) {
		return Decision{
			Reason: reason.Fork,
			Message: fmt.Sprintf("workflow %q ran for code from %s, not %s; runs from forks never trigger a rollback",
				name, run.HeadRepository, ev.Repository),
		}
	}
	return Decision{Proceed: true, Message: fmt.Sprintf("workflow %q concluded %q; rolling back", name, run.Conclusion)}
}

// loopGuardHit reports whether word is in the run's name, its workflow's name
// or its workflow file name, and says which.
func loopGuardHit(run *Run, word string) (string, bool) {
	w := strings.ToLower(word)
	file := path.Base(cutRef(run.Path))
	for _, c := range []struct{ where, value string }{
		{"run name", run.Name},
		{"workflow name", run.WorkflowName},
		{"file name " + file, file},
	} {
		if c.value != "" && c.value != "." && strings.Contains(strings.ToLower(c.value), w) {
			return c.where, true
		}
	}
	return "", false
}

// runName is how messages name the triggering run: its name, else its
// workflow's, else its file, else its ID.
func runName(run *Run) string {
	switch {
	case run.Name != "":
		return run.Name
	case run.WorkflowName != "":
		return run.WorkflowName
	case run.Path != "":
		return path.Base(cutRef(run.Path))
	default:
		return fmt.Sprintf("run %d", run.ID)
	}
}

// eventName is an event name for a message.
func eventName(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return name
}

// containsFold reports whether list holds s, ignoring case and surrounding
// space; an empty s is never held.
func containsFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}
