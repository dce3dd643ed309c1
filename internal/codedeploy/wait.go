package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deplight/ecs-rollback/internal/poll"
)

// Poll delays. The SDK's deployment-successful waiter polls every 15s; an
// ECS blue/green deployment takes minutes, and these keep the time between
// its end and noticing it under MaxPoll.
const (
	defaultFirstPoll = time.Second
	defaultMaxPoll   = 5 * time.Second
	// maxPollErrors is how many GetDeployment failures in a row end a wait;
	// the SDK has already retried each one.
	maxPollErrors = 3
)

// WaitOptions shapes Wait and WaitRollback.
type WaitOptions struct {
	// Timeout ends the wait with a *WaitTimeoutError; 0 waits as long as ctx
	// allows.
	Timeout time.Duration
	// FirstPoll is the delay after the first GetDeployment, which is made at
	// once; default 1s. The delay grows ×1.5 up to MaxPoll, default 5s.
	FirstPoll, MaxPoll time.Duration
	// OnPoll, when set, sees the deployment after every successful poll.
	OnPoll func(Deployment)
}

// FailedError says a deployment ended Failed or Stopped.
type FailedError struct {
	Deployment Deployment
}

// Error says which deployment ended how, and why when CodeDeploy said.
func (e *FailedError) Error() string {
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

// WaitTimeoutError says a deployment had not ended within the timeout.
type WaitTimeoutError struct {
	ID      string
	Timeout time.Duration
	Last    Deployment // as last read; zero if never read
}

// Error says which deployment did not end in how long.
func (e *WaitTimeoutError) Error() string {
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

// Wait polls GetDeployment until the deployment ends. It returns the
// deployment when it Succeeded, a *FailedError (with errorInformation) when
// it ended Failed or Stopped, a *WaitTimeoutError when o.Timeout passes, and
// ctx's error (wrapped) when ctx ends.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html
func Wait(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o WaitOptions) (Deployment, error) {
	d, err := waitFor(ctx, api, id, o, Deployment.Ended)
	if err != nil {
		return d, err
	}
	if d.Status != StatusSucceeded {
		return d, &FailedError{Deployment: d}
	}
	return d, nil
}

// WaitRollback polls the stopped deployment id until CodeDeploy names the
// rollback deployment it created (rollbackInfo.rollbackDeploymentId) and
// returns that id. It is ErrNoRollback when the stopped deployment ends
// without one; timeouts and ctx as in Wait.
func WaitRollback(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o WaitOptions) (string, error) {
	d, err := waitFor(ctx, api, id, o, func(d Deployment) bool { return d.RollbackID != "" || d.Ended() })
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
func waitFor(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o WaitOptions, done func(Deployment) bool) (Deployment, error) {
	var last Deployment
	err := schedule(o).Run(ctx, func(ctx context.Context) (bool, error) {
		d, err := Get(ctx, api, id)
		if err != nil {
			return false, err
		}
		last = d
		if o.OnPoll != nil {
			o.OnPoll(d)
		}
		return done(d), nil
	})
	switch {
	case errors.Is(err, poll.ErrTimeout):
		return last, &WaitTimeoutError{ID: id, Timeout: o.Timeout, Last: last}
	case err != nil:
		return last, fmt.Errorf("wait for CodeDeploy deployment %s: %w", id, err)
	}
	return last, nil
}

// schedule is the poll schedule of Wait and WaitRollback for o.
func schedule(o WaitOptions) poll.Schedule {
	s := poll.Schedule{First: o.FirstPoll, Max: o.MaxPoll, Immediate: true, Timeout: o.Timeout, MaxFailures: maxPollErrors}
	return s.OrDefaults(defaultFirstPoll, defaultMaxPoll)
}
