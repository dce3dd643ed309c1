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

// Query says which deployment to look for.
type Query struct {
	Workflow     string // workflow file name (deploy.yml) or numeric ID
	Branch       string // only runs on this branch count
	ExcludeRunID int64  // the failed run itself is never a source
	ArtifactName string // e.g. deployment-state
	Environment  string // when set, an artifact with another environment.txt is passed over
}

// Deployment is a successful run and the state its artifact recorded.
type Deployment struct {
	RunID      int64
	RunNumber  int
	RunURL     string // html_url of the run
	HeadSHA    string
	CreatedAt  time.Time
	ArtifactID int64
	State      deploystate.State
}

// Skipped is a run that was passed over, with the reason, for the summary.
type Skipped struct {
	RunID  int64
	RunURL string
	Reason string
}
