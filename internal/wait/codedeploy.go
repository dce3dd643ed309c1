package wait

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Poll delays of the CodeDeploy waits. The SDK's deployment-successful waiter polls every 15s; an
// ECS blue/green deployment takes minutes, and these keep the time between
// its end and noticing it under MaxPoll.
const (
	codeDeployFirstPoll = time.Second
	codeDeployMaxPoll   = 5 * time.Second
)

// DeploymentFailedError says a deployment ended Failed or Stopped.
type DeploymentFailedError struct {
	Deployment CodeDeployment
}

// Error says which deployment ended how, and why when CodeDeploy said.
func (e *DeploymentFailedError) Error() string {
	d := e.Deployment
	msg := fmt.Sprintf("CodeDeploy deployment %s ended %s", d.ID, d.Status)
	switch {
	case d.ErrorCode != "" && d.ErrorMessage != "":
		msg += fmt.Sprintf(": %s: %s", d.ErrorCode, d.ErrorMessage)
	case d.ErrorCode != "" || d.ErrorMessage != "":
		msg += ": " + d.ErrorCode + d.ErrorMessage
	}
	return msg
}

// DeploymentTimeoutError says a deployment had not ended within the timeout.
type DeploymentTimeoutError struct {
	ID      string
	Timeout time.Duration
	Last    CodeDeployment // as last read; zero if never read
}

// Error says which deployment did not end in how long.
func (e *DeploymentTimeoutError) Error() string {
	status := e.Last.Status
	if status == "" {
		status = "unknown"
	}
	return fmt.Sprintf("CodeDeploy deployment %s had not ended within %s (status %s)", e.ID, e.Timeout, status)
}

// ErrNoRollback says a stopped deployment ended without a rollback
// deployment: CodeDeploy had nothing to roll back, and the service runs what
// it ran before the stopped deployment reached it.
var ErrNoRollback = errors.New("the stopped deployment ended without a rollback deployment")

// CodeDeploy polls GetDeployment until the deployment ends. It returns the
// deployment when it Succeeded, a *DeploymentFailedError (with errorInformation) when
// it ended Failed or Stopped, a *DeploymentTimeoutError when o.Timeout passes, and
// ctx's error (wrapped) when ctx ends.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html
func CodeDeploy(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o Options) (CodeDeployment, error) {
	d, err := waitFor(ctx, api, id, o, CodeDeployment.Ended)
	if err != nil {
		return d, err
	}
	if d.Status != StatusSucceeded {
		return d, &DeploymentFailedError{Deployment: d}
	}
	return d, nil
}

// CodeDeployRollback polls the stopped deployment id until CodeDeploy names the
// rollback deployment it created (rollbackInfo.rollbackDeploymentId) and
// returns that id. It is ErrNoRollback when the stopped deployment ends
// without one; timeouts and ctx as in CodeDeploy.
func CodeDeployRollback(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o Options) (string, error) {
	d, err := waitFor(ctx, api, id, o, func(d CodeDeployment) bool { return d.RollbackID != "" || d.Ended() })
	if err != nil {
		return "", err
	}
	if d.RollbackID == "" {
		return "", fmt.Errorf("CodeDeploy deployment %s ended %s: %w", id, d.Status, ErrNoRollback)
	}
	return d.RollbackID, nil
}

// waitFor reads the deployment at once, then on a growing delay, until
// done.
func waitFor(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o Options, done func(CodeDeployment) bool) (CodeDeployment, error) {
	var last CodeDeployment
	err := codeDeploySchedule(o).Run(ctx, func(ctx context.Context) (bool, error) {
		d, err := GetCodeDeployment(ctx, api, id)
		if err != nil {
			return false, err
		}
		last = d
		if o.OnDeployment != nil {
			o.OnDeployment(d)
		}
		return done(d), nil
	})
	switch {
	case errors.Is(err, ErrTimeout):
		return last, &DeploymentTimeoutError{ID: id, Timeout: o.Timeout, Last: last}
	case err != nil:
		return last, fmt.Errorf("wait for CodeDeploy deployment %s: %w", id, err)
	}
	return last, nil
}

// codeDeploySchedule is the poll schedule of CodeDeploy and CodeDeployRollback for o.
func codeDeploySchedule(o Options) Schedule {
	s := Schedule{First: o.FirstPoll, Max: o.MaxPoll, Immediate: true, Timeout: o.Timeout, MaxFailures: maxPollErrors}
	return s.OrDefaults(codeDeployFirstPoll, codeDeployMaxPoll)
}

// Deployment statuses.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
const (
	StatusSucceeded = string(types.DeploymentStatusSucceeded)
	StatusFailed    = string(types.DeploymentStatusFailed)
	StatusStopped   = string(types.DeploymentStatusStopped)
)

// CodeDeployment is what a rollback needs of a deployment.
type CodeDeployment struct {
	ID           string
	Status       string // Created, Queued, InProgress, Ready, Baking, Succeeded, Failed, Stopped
	ErrorCode    string // errorInformation.code
	ErrorMessage string // errorInformation.message
	// RollbackID is the rollback deployment CodeDeploy created when this one
	// was stopped or failed (rollbackInfo.rollbackDeploymentId).
	RollbackID string
}

// Ended reports whether the deployment has ended.
func (d CodeDeployment) Ended() bool {
	return d.Status == StatusSucceeded || d.Status == StatusFailed || d.Status == StatusStopped
}

// GetCodeDeployment reads a deployment.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html
func GetCodeDeployment(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string) (CodeDeployment, error) {
	out, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return CodeDeployment{}, fmt.Errorf("get CodeDeploy deployment %s: %w", id, err)
	}
	info := out.DeploymentInfo
	if info == nil {
		return CodeDeployment{}, fmt.Errorf("get CodeDeploy deployment %s: the answer holds no deployment", id)
	}
	d := CodeDeployment{ID: aws.ToString(info.DeploymentId), Status: string(info.Status)}
	if d.ID == "" {
		d.ID = id
	}
	if e := info.ErrorInformation; e != nil {
		d.ErrorCode, d.ErrorMessage = string(e.Code), aws.ToString(e.Message)
	}
	if rb := info.RollbackInfo; rb != nil {
		d.RollbackID = aws.ToString(rb.RollbackDeploymentId)
	}
	return d, nil
}
