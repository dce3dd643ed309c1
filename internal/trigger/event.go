// Package trigger decides from the event that started the job whether a
// rollback should happen at all: the workflow_run conclusion, the loop guard,
// the fork guard, and for people the typed confirmation.
package trigger

import "time"

// Event is what the action needs of the event payload at GITHUB_EVENT_PATH.
type Event struct {
	Name          string // GITHUB_EVENT_NAME, e.g. workflow_run, workflow_dispatch
	Repository    string // repository.full_name of the payload
	DefaultBranch string // repository.default_branch of the payload
	Run           *Run   // the triggering run; set for workflow_run only
}

// Run is the workflow run that triggered a workflow_run event.
type Run struct {
	ID             int64
	WorkflowID     int64
	Attempt        int
	Name           string // workflow_run.name (empty in some real payloads)
	WorkflowName   string // top-level workflow.name
	Path           string // workflow file path, without any "@ref" suffix
	Status         string
	Conclusion     string
	Event          string // the event that started the triggering run
	HeadBranch     string
	HeadSHA        string
	HTMLURL        string
	HeadRepository string // workflow_run.head_repository.full_name
	// CreatedAt is when the run was created; UpdatedAt when it last changed
	// (for a completed run, about when it completed).
	CreatedAt, UpdatedAt time.Time
}

// Policy is the configuration the trigger decision depends on.
type Policy struct {
	FailureConclusions []string // e.g. failure, timed_out
	LoopGuard          string   // case-insensitive word; empty disables
}

// Decision says whether to go on with a rollback, and if not, why.
type Decision struct {
	Proceed bool
	Reason  string // kebab-case when !Proceed: not-a-failure, loop-guard, fork
	Message string // one sentence for the operator
}
