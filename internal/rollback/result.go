// Package rollback is the use case: it drives trigger, source, target,
// safety checks, apply, wait and verify, and returns a Result that says
// exactly what happened.
package rollback

import (
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// Outcome is the action's result output.
type Outcome string

// Outcomes, as written to the result output.
const (
	RolledBack     Outcome = "rolled-back"
	AlreadyCurrent Outcome = "already-current"
	Planned        Outcome = "planned"
	Skipped        Outcome = "skipped"
	Failed         Outcome = "failed"
	Recorded       Outcome = "recorded"
)

// Result is everything the report needs to say what happened.
type Result struct {
	Outcome     Outcome
	Reason      string // kebab-case, for skipped and failed
	Message     string // one sentence: what happened and what to do next
	Cluster     string
	Environment string
	DryRun      bool
	ImageTag    string // the target image tag
	Source      *source.Deployment
	SourceKind  string // the source output: artifact, ecs or manual; "" when no target was chosen
	SourceSkips []source.Skipped
	Trigger     *trigger.Run // the failed run, for workflow_run
	RepoURL     string       // e.g. https://github.com/octo-org/octo-repo
	Services    []ServiceResult
	Warnings    []string
	// Newer names what is newer than the failed deploy: a deployment of a
	// service created after it, a deploy run not completed yet. The
	// automatic rollback is skipped then (newer-deployment); a manual one
	// warns.
	Newer     []string
	StatePath string // record: the folder written
	Timings   []Timing
}

// ServiceResult is the outcome for one service.
type ServiceResult struct {
	Service        string
	Outcome        Outcome
	Reason         string
	Message        string
	From           *revision.Revision // what the service ran before
	FromImageTag   string
	To             *revision.Revision // the target
	ToImageTag     string
	How            target.How
	Checks         []safety.Check
	UpdateSent     bool   // UpdateService (or CodeDeploy) was called
	Mechanism      string // when not UpdateService: StopServiceDeployment or ContinueServiceDeployment with ROLLBACK
	CodeDeployID   string // for CODE_DEPLOY services
	Deregistered   string // ARN deregistered after the rollback
	Events         []ecsread.Event
	StoppedReasons []string
	Superseded     string // deployment in progress that the rollback superseded
}

// Timing is the duration of one phase.
type Timing struct {
	Phase    string
	Duration time.Duration
}
