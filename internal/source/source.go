// Package source finds the last successful deployment of a workflow on GitHub
// and reads its deployment-state artifact.
package source

import (
	"errors"
	"time"

	"github.com/deplight/ecs-rollback/internal/deploystate"
)

// ErrNoPreviousDeployment is returned when no successful run with a usable
// deployment-state artifact was found within the search bound.
var ErrNoPreviousDeployment = errors.New("no previous successful deployment")

// AnyRef as Query.Branch makes runs on any ref count.
const AnyRef = "*"

// Query says which deployment to look for.
type Query struct {
	Workflow string // workflow file name (deploy.yml) or numeric ID
	// Branch: only runs whose head_branch is Branch count; AnyRef: runs on
	// any ref. When Branch names a tag of the repository rather than a
	// branch — the run of a tag push carries the tag's name in head_branch —
	// runs on any ref count too.
	Branch string
	// DefaultBranch is the repository's default branch when the caller knows
	// it (the event's repository.default_branch): a Branch equal to it is
	// taken for a branch without asking GitHub. Optional.
	DefaultBranch string
	ExcludeRunID  int64  // the failed run itself is never a source
	ArtifactName  string // e.g. deployment-state
	Environment   string // when set, an artifact with another environment.txt is passed over
}

// Deployment is a successful run and the state its artifact recorded.
type Deployment struct {
	RunID      int64
	RunNumber  int
	RunAttempt int    // the attempt that succeeded (above 1 for a re-run)
	RunURL     string // html_url of the run
	HeadBranch string // the branch or tag the run ran on
	HeadSHA    string
	CreatedAt  time.Time // when the run was created (its first attempt)
	// SucceededAt is when the deployment succeeded: the creation of its
	// artifact, which a re-run attempt uploads afresh. Candidates are
	// ordered by it, newest first.
	SucceededAt time.Time
	ArtifactID  int64
	State       deploystate.State
}

// Skipped is a run that was passed over, with the reason, for the summary.
type Skipped struct {
	RunID  int64
	RunURL string
	Reason string
}
