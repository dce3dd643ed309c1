package wait

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
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

// DeploymentTimeoutError says a deployment had neither put traffic on its
// target nor ended within the timeout.
type DeploymentTimeoutError struct {
	ID      string
	Timeout time.Duration
	Last    CodeDeployment // as last read; zero if never read
}

// Error says which deployment did not get how far in how long. A deployment
// Ready waits for its traffic to be rerouted: it has not failed.
func (e *DeploymentTimeoutError) Error() string {
	if e.Last.Status == StatusReady {
		return fmt.Sprintf("CodeDeploy deployment %s is Ready: its replacement task set runs, and it waits for production traffic to be rerouted to it (manual reroute: ContinueDeployment) (waited %s)", e.ID, e.Timeout)
	}
	status := e.Last.Status
	if status == "" {
		status = "unknown"
	}
	msg := fmt.Sprintf("CodeDeploy deployment %s had not put traffic on its target within %s (status %s", e.ID, e.Timeout, status)
	if ev, ok := e.Last.Current(); ok {
		msg += fmt.Sprintf("; lifecycle event %s %s", ev.Name, ev.Status)
	}
	return msg + ")"
}

// ErrNoRollback says a stopped deployment ended without a rollback
// deployment: CodeDeploy had nothing to roll back, and the service runs what
// it ran before the stopped deployment reached it.
var ErrNoRollback = errors.New("the stopped deployment ended without a rollback deployment")

// CodeDeployAPI is what CodeDeploy reads: the deployment and its ECS
// target; *codedeploy.Client satisfies it.
type CodeDeployAPI interface {
	codedeploy.GetDeploymentAPIClient
	ListDeploymentTargetsAPI
	GetDeploymentTargetAPI
}

// ListDeploymentTargetsAPI is the client of ListDeploymentTargets.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeploymentTargets.html
type ListDeploymentTargetsAPI interface {
	ListDeploymentTargets(ctx context.Context, in *codedeploy.ListDeploymentTargetsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
}

// GetDeploymentTargetAPI is the client of GetDeploymentTarget.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentTarget.html
type GetDeploymentTargetAPI interface {
	GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
}

var _ CodeDeployAPI = (*codedeploy.Client)(nil)

// CodeDeploy polls the deployment and its ECS target until production
// traffic is on the target (its AllowTraffic lifecycle event succeeded, and
// AfterAllowTraffic too when it has one) or the deployment ends. An ECS
// blue/green deployment stays InProgress long after that, until the
// original task set is terminated at the end of the group's termination
// wait (up to 2880 minutes): the service has recovered by then, and the
// wait does not last that long. A deployment Ready (manual reroute) is
// waited on.
//
// It returns the deployment when traffic is on its target or it Succeeded,
// a *DeploymentFailedError (with errorInformation) when it ended Failed or
// Stopped, a *DeploymentTimeoutError when o.Timeout passes, and ctx's error
// (wrapped) when ctx ends. A role that may not read deployment targets
// makes it wait for the deployment to end instead (TargetsError says why).
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentTarget.html
func CodeDeploy(ctx context.Context, api CodeDeployAPI, id string, o Options) (CodeDeployment, error) {
	r := &targetReader{api: api}
	var last CodeDeployment
	err := codeDeploySchedule(o).Run(ctx, func(ctx context.Context) (bool, error) {
		d, err := r.read(ctx, id)
		if err != nil {
			return false, err
		}
		last = d
		if o.OnDeployment != nil {
			o.OnDeployment(d)
		}
		return d.Ended() || d.Traffic, nil
	})
	switch {
	case errors.Is(err, ErrTimeout):
		return last, &DeploymentTimeoutError{ID: id, Timeout: o.Timeout, Last: last}
	case err != nil:
		return last, fmt.Errorf("wait for CodeDeploy deployment %s: %w", id, err)
	}
	if last.Ended() && last.Status != StatusSucceeded {
		return last, &DeploymentFailedError{Deployment: last}
	}
	return last, nil
}

// ReadCodeDeployment reads a deployment and, once it has started, its ECS
// target's lifecycle.
func ReadCodeDeployment(ctx context.Context, api CodeDeployAPI, id string) (CodeDeployment, error) {
	return (&targetReader{api: api}).read(ctx, id)
}

// targetReader reads a deployment and its ECS target, remembering the
// target's id and whether the role may read targets at all.
type targetReader struct {
	api      CodeDeployAPI
	targetID string
	denied   string // why targets cannot be read; "" while they can
}

func (r *targetReader) read(ctx context.Context, id string) (CodeDeployment, error) {
	d, err := GetCodeDeployment(ctx, r.api, id)
	if err != nil {
		return d, err
	}
	if d.Status == StatusSucceeded {
		d.Traffic = true
	}
	d.TargetsError = r.denied
	if d.Ended() || d.Status == string(types.DeploymentStatusCreated) || d.Status == string(types.DeploymentStatusQueued) || r.denied != "" {
		return d, nil
	}
	t, err := r.target(ctx, id)
	var notStarted *types.DeploymentNotStartedException
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &notStarted):
		return d, nil
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException":
		r.denied = apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
		d.TargetsError = r.denied
		return d, nil
	case err != nil:
		return d, err
	case t == nil:
		return d, nil
	}
	d.TargetStatus = string(t.Status)
	for _, e := range t.LifecycleEvents {
		d.Lifecycle = append(d.Lifecycle, LifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)})
	}
	d.Traffic = d.Traffic || d.trafficOnTarget()
	return d, nil
}

// target reads the deployment's ECS target; nil when it has none yet.
func (r *targetReader) target(ctx context.Context, id string) (*types.ECSTarget, error) {
	if r.targetID == "" {
		in := &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)}
		for {
			out, err := r.api.ListDeploymentTargets(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list the targets of CodeDeploy deployment %s: %w", id, err)
			}
			if len(out.TargetIds) > 0 {
				r.targetID = out.TargetIds[0] // an ECS deployment has one: its service
				break
			}
			if aws.ToString(out.NextToken) == "" {
				return nil, nil
			}
			in.NextToken = out.NextToken
		}
	}
	out, err := r.api.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(r.targetID)})
	if err != nil {
		return nil, fmt.Errorf("get target %s of CodeDeploy deployment %s: %w", r.targetID, id, err)
	}
	if out.DeploymentTarget == nil {
		return nil, nil
	}
	return out.DeploymentTarget.EcsTarget, nil
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
	StatusReady     = string(types.DeploymentStatusReady)
)

// The lifecycle events that move production traffic to an ECS target.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#reference-appspec-file-structure-hooks-list-ecs
const (
	EventAllowTraffic      = "AllowTraffic"
	EventAfterAllowTraffic = "AfterAllowTraffic"
)

// LifecycleEvent is one lifecycle event of a deployment's ECS target.
type LifecycleEvent struct {
	Name   string // BeforeInstall, Install, …, AllowTraffic, AfterAllowTraffic
	Status string // Pending, InProgress, Succeeded, Failed, Skipped, Unknown
}

// CodeDeployment is what a rollback needs of a deployment.
type CodeDeployment struct {
	ID           string
	Status       string // Created, Queued, InProgress, Ready, Baking, Succeeded, Failed, Stopped
	ErrorCode    string // errorInformation.code
	ErrorMessage string // errorInformation.message
	// RollbackID is the rollback deployment CodeDeploy created when this one
	// was stopped or failed (rollbackInfo.rollbackDeploymentId).
	RollbackID string
	// TerminationWait says traffic moved and CodeDeploy keeps the original
	// task set until its termination wait ends
	// (instanceTerminationWaitTimeStarted).
	TerminationWait bool
	// TargetStatus and Lifecycle are the ECS target's, when read.
	TargetStatus string
	Lifecycle    []LifecycleEvent
	// Traffic says production traffic is on the deployment's target: its
	// AllowTraffic event succeeded (and AfterAllowTraffic, when it has
	// one), or the deployment Succeeded.
	Traffic bool
	// TargetsError says why the target could not be read (the role may
	// not call codedeploy:ListDeploymentTargets or GetDeploymentTarget).
	TargetsError string
}

// trafficOnTarget says the lifecycle has moved production traffic to the
// target and its AfterAllowTraffic hooks passed.
func (d CodeDeployment) trafficOnTarget() bool {
	allowed := false
	for _, e := range d.Lifecycle {
		switch e.Name {
		case EventAllowTraffic:
			allowed = e.Status == string(types.LifecycleEventStatusSucceeded)
		case EventAfterAllowTraffic:
			if e.Status != string(types.LifecycleEventStatusSucceeded) && e.Status != string(types.LifecycleEventStatusSkipped) {
				return false
			}
		}
	}
	return allowed
}

// Current is the lifecycle event the deployment is at: the first that has
// not succeeded.
func (d CodeDeployment) Current() (LifecycleEvent, bool) {
	for _, e := range d.Lifecycle {
		if e.Status != string(types.LifecycleEventStatusSucceeded) && e.Status != string(types.LifecycleEventStatusSkipped) {
			return e, true
		}
	}
	return LifecycleEvent{}, false
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
	d.TerminationWait = info.InstanceTerminationWaitTimeStarted
	return d, nil
}
