package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// Poll delays. The SDK's deployment-successful waiter polls every 15s; an
// ECS blue/green deployment takes minutes, and these keep the time between
// its end and noticing it under MaxPoll.
const (
	defaultFirstPoll = time.Second
	defaultMaxPoll   = 5 * time.Second
	pollGrowth       = 1.5
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

// errWaitTimedOut is the cause of the wait's own deadline.
var errWaitTimedOut = errors.New("wait timeout")

// Wait polls GetDeployment until the deployment ends. It returns the
// deployment when it Succeeded, a *FailedError (with errorInformation) when
// it ended Failed or Stopped, a *WaitTimeoutError when o.Timeout passes, and
// ctx's error (wrapped) when ctx ends.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html
func Wait(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o WaitOptions) (Deployment, error) {
	d, err := poll(ctx, api, id, o, Deployment.Ended)
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
	d, err := poll(ctx, api, id, o, func(d Deployment) bool { return d.RollbackID != "" || d.Ended() })
	if err != nil {
		return "", err
	}
	if d.RollbackID == "" {
		return "", fmt.Errorf("CodeDeploy deployment %s ended %s: %w", id, d.Status, ErrNoRollback)
	}
	return d.RollbackID, nil
}

// poll reads the deployment at once, then on a growing delay, until done.
func poll(ctx context.Context, api codedeploy.GetDeploymentAPIClient, id string, o WaitOptions, done func(Deployment) bool) (Deployment, error) {
	delay := o.FirstPoll
	if delay <= 0 {
		delay = defaultFirstPoll
	}
	maxPoll := o.MaxPoll
	if maxPoll <= 0 {
		maxPoll = defaultMaxPoll
	}
	maxPoll = max(maxPoll, delay)

	parent := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, errWaitTimedOut)
		defer cancel()
	}
	var (
		last   Deployment
		failed int
	)
	ended := func() error {
		if parent.Err() == nil && errors.Is(context.Cause(ctx), errWaitTimedOut) {
			return &WaitTimeoutError{ID: id, Timeout: o.Timeout, Last: last}
		}
		return fmt.Errorf("wait for CodeDeploy deployment %s: %w", id, parent.Err())
	}

	timer := time.NewTimer(0)
	defer timer.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return last, ended()
		case <-timer.C:
		}
		d, err := Get(ctx, api, id)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, ended()
		case err != nil:
			failed++
			if failed >= maxPollErrors {
				return last, fmt.Errorf("wait for CodeDeploy deployment %s: %d polls in a row failed: %w", id, failed, err)
			}
		default:
			failed = 0
			last = d
			if o.OnPoll != nil {
				o.OnPoll(d)
			}
			if done(d) {
				return d, nil
			}
		}
		if !first {
			delay = min(time.Duration(float64(delay)*pollGrowth), maxPoll)
		}
		first = false
		timer.Reset(delay)
	}
}
