package ecsread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// ECS keeps a record of a service's deployments since late 2024, for 90
// days: service deployments (one per change, with a status and, for
// BLUE_GREEN, LINEAR and CANARY, a lifecycle stage) and the service
// revisions they moved between (with the image digests ECS resolved at
// deploy time).
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html

// HistoryAPI is the client of ListServiceDeployments,
// DescribeServiceDeployments and DescribeServiceRevisions.
type HistoryAPI interface {
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error)
}

var _ HistoryAPI = (*ecs.Client)(nil)

// Service deployment statuses and lifecycle stages the action acts on.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
const (
	SDPending            = string(types.ServiceDeploymentStatusPending)
	SDInProgress         = string(types.ServiceDeploymentStatusInProgress)
	SDSuccessful         = string(types.ServiceDeploymentStatusSuccessful)
	SDStopped            = string(types.ServiceDeploymentStatusStopped)
	SDRollbackSuccessful = string(types.ServiceDeploymentStatusRollbackSuccessful)
	StageBakeTime        = string(types.ServiceDeploymentLifecycleStageBakeTime)
	StageCleanUp         = string(types.ServiceDeploymentLifecycleStageCleanUp)
	StrategyRolling      = string(types.DeploymentStrategyRolling)
)

// HistoryLimit is how many of a service's newest deployments the history
// describes: one DescribeServiceDeployments call (at most 20 ARNs).
const HistoryLimit = 20

// The listing: pages of 100 (the most ListServiceDeployments gives), at
// most 5 of them; 90 days of history rarely fill one.
const (
	historyPageSize = 100
	historyPages    = 5
)

// ServiceDeployment is what the action needs of one service deployment.
type ServiceDeployment struct {
	ARN          string
	Status       string // PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_* …
	StatusReason string
	Stage        string   // lifecycleStage; "" for ROLLING
	Sources      []string // source service revision ARNs
	Target       string   // target service revision ARN
	CreatedAt    time.Time
	FinishedAt   time.Time
	Strategy     string // ROLLING, BLUE_GREEN, LINEAR, CANARY
	BakeTime     time.Duration
	// Rollback is set when ECS rolled the deployment back (or is doing so).
	Rollback *Rollback
	// CircuitBreaker and Alarms are the rollback monitors' statuses
	// (TRIGGERED when they caused a rollback); TriggeredAlarms names the
	// alarms.
	CircuitBreaker  string
	Alarms          string
	TriggeredAlarms []string
	// Hooks are the lifecycle hooks of the current stage.
	Hooks []Hook
}

// Rollback is a service deployment's rollback.
type Rollback struct {
	Reason          string
	StartedAt       time.Time
	ServiceRevision string // the ARN rolled back to
}

// Hook is a lifecycle hook of a deployment.
type Hook struct {
	ID     string
	Type   string // AWS_LAMBDA, PAUSE
	Status string // AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT
}

// Awaiting returns the hook waiting for ContinueServiceDeployment, if any.
func (d ServiceDeployment) Awaiting() (Hook, bool) {
	for _, h := range d.Hooks {
		if h.Status == string(types.DeploymentLifecycleHookStatusAwaitingAction) {
			return h, true
		}
	}
	return Hook{}, false
}

// InFlight reports whether the deployment is still going (PENDING or
// IN_PROGRESS).
func (d ServiceDeployment) InFlight() bool {
	return d.Status == SDPending || d.Status == SDInProgress
}

// ServiceRevision is what the action needs of one service revision.
type ServiceRevision struct {
	ARN            string
	TaskDefinition string
	Images         []ContainerImage
	CreatedAt      time.Time
}

// ContainerImage is an image of a service revision, with the digest ECS
// resolved when it deployed it.
type ContainerImage struct {
	Container string
	Image     string
	Digest    string
}

// History is a service's recent deployments, newest first, and the
// service revisions they name.
type History struct {
	Deployments []ServiceDeployment
	Revisions   map[string]ServiceRevision // by ARN
}

// TaskDefinition is the task definition of a service revision; "" when
// it is not known.
func (h History) TaskDefinition(revisionARN string) string {
	return h.Revisions[revisionARN].TaskDefinition
}

// Empty reports whether ECS holds no history of the service.
func (h History) Empty() bool { return len(h.Deployments) == 0 }

// HistoryError says a history call failed; Op names the operation, so the
// caller can name the permission.
type HistoryError struct {
	Op  string
	Err error
}

// Error names the operation and the failure.
func (e *HistoryError) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }

// Unwrap returns the failure.
func (e *HistoryError) Unwrap() error { return e.Err }

// Denied reports whether the caller lacks the permission (AccessDenied).
func (e *HistoryError) Denied() bool {
	var apiErr smithy.APIError
	return errors.As(e.Err, &apiErr) && strings.Contains(apiErr.ErrorCode(), "AccessDenied")
}

// Unsupported reports whether the endpoint does not offer the operation
// at all (an emulator, an old region): history is simply absent.
func (e *HistoryError) Unsupported() bool {
	var de *smithy.DeserializationError
	if errors.As(e.Err, &de) {
		return true // an emulator's error page, not an AWS answer
	}
	var apiErr smithy.APIError
	if !errors.As(e.Err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "UnsupportedFeatureException", "UnknownOperationException", "InvalidAction", "NotImplemented":
		return true
	}
	return false
}

// ReadHistory reads a service's HistoryLimit newest deployments and the
// service revisions they name: three calls, one after the other (more when
// the listing runs over a page). A service
// without history answers an empty History and no error.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
func ReadHistory(ctx context.Context, api HistoryAPI, cluster, service string) (History, error) {
	h := History{Revisions: map[string]ServiceRevision{}}
	// The API reference does not promise an order: read up to
	// historyPages pages and keep the newest by createdAt.
	var briefs []types.ServiceDeploymentBrief
	var token *string
	for range historyPages {
		list, err := api.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
			Cluster:    optional(cluster),
			Service:    aws.String(service),
			MaxResults: aws.Int32(historyPageSize),
			NextToken:  token,
		})
		if err != nil {
			return h, &HistoryError{Op: "ListServiceDeployments", Err: err}
		}
		briefs = append(briefs, list.ServiceDeployments...)
		if token = list.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	slices.SortStableFunc(briefs, func(a, b types.ServiceDeploymentBrief) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	var arns []string
	for _, b := range briefs {
		if b.ServiceDeploymentArn != nil && !slices.Contains(arns, *b.ServiceDeploymentArn) {
			arns = append(arns, *b.ServiceDeploymentArn)
		}
	}
	if len(arns) == 0 {
		return h, nil
	}
	deps, err := DescribeServiceDeployments(ctx, api, arns[:min(len(arns), HistoryLimit)])
	if err != nil {
		return h, err
	}
	h.Deployments = deps
	var revs []string
	for _, d := range deps {
		for _, a := range append(slices.Clone(d.Sources), d.Target) {
			if a != "" && !slices.Contains(revs, a) {
				revs = append(revs, a)
			}
		}
		if d.Rollback != nil && d.Rollback.ServiceRevision != "" && !slices.Contains(revs, d.Rollback.ServiceRevision) {
			revs = append(revs, d.Rollback.ServiceRevision)
		}
	}
	for chunk := range slices.Chunk(revs, HistoryLimit) {
		out, err := api.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: chunk})
		if err != nil {
			return h, &HistoryError{Op: "DescribeServiceRevisions", Err: err}
		}
		for _, r := range out.ServiceRevisions {
			rev := ServiceRevision{ARN: aws.ToString(r.ServiceRevisionArn), TaskDefinition: aws.ToString(r.TaskDefinition), CreatedAt: aws.ToTime(r.CreatedAt)}
			for _, ci := range r.ContainerImages {
				rev.Images = append(rev.Images, ContainerImage{Container: aws.ToString(ci.ContainerName), Image: aws.ToString(ci.Image), Digest: aws.ToString(ci.ImageDigest)})
			}
			h.Revisions[rev.ARN] = rev
		}
	}
	return h, nil
}

// DescribeServiceDeployments describes up to 20 service deployments,
// newest first; those ECS no longer knows are left out.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html
func DescribeServiceDeployments(ctx context.Context, api HistoryAPI, arns []string) ([]ServiceDeployment, error) {
	out, err := api.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: arns})
	if err != nil {
		return nil, &HistoryError{Op: "DescribeServiceDeployments", Err: err}
	}
	deps := make([]ServiceDeployment, 0, len(out.ServiceDeployments))
	for _, sd := range out.ServiceDeployments {
		deps = append(deps, serviceDeploymentFrom(sd))
	}
	slices.SortStableFunc(deps, func(a, b ServiceDeployment) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return deps, nil
}

func serviceDeploymentFrom(sd types.ServiceDeployment) ServiceDeployment {
	d := ServiceDeployment{
		ARN:          aws.ToString(sd.ServiceDeploymentArn),
		Status:       string(sd.Status),
		StatusReason: aws.ToString(sd.StatusReason),
		Stage:        string(sd.LifecycleStage),
		CreatedAt:    aws.ToTime(sd.CreatedAt),
		FinishedAt:   aws.ToTime(sd.FinishedAt),
		Strategy:     StrategyRolling,
	}
	for _, s := range sd.SourceServiceRevisions {
		d.Sources = append(d.Sources, aws.ToString(s.Arn))
	}
	if sd.TargetServiceRevision != nil {
		d.Target = aws.ToString(sd.TargetServiceRevision.Arn)
	}
	if c := sd.DeploymentConfiguration; c != nil {
		if c.Strategy != "" {
			d.Strategy = string(c.Strategy)
		}
		d.BakeTime = time.Duration(aws.ToInt32(c.BakeTimeInMinutes)) * time.Minute
	}
	if r := sd.Rollback; r != nil {
		d.Rollback = &Rollback{Reason: aws.ToString(r.Reason), StartedAt: aws.ToTime(r.StartedAt), ServiceRevision: aws.ToString(r.ServiceRevisionArn)}
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil {
		d.CircuitBreaker = string(cb.Status)
	}
	if a := sd.Alarms; a != nil {
		d.Alarms, d.TriggeredAlarms = string(a.Status), a.TriggeredAlarmNames
	}
	for _, h := range sd.LifecycleHookDetails {
		d.Hooks = append(d.Hooks, Hook{ID: aws.ToString(h.HookId), Type: string(h.TargetType), Status: string(h.Status)})
	}
	return d
}

// LastGood is the task definition of the last good revision by ECS's
// record: that of the newest SUCCESSFUL deployment whose target is not the
// current revision (a deployment ECS rolled back is never SUCCESSFUL).
// When the newest deployment is one ECS rolled back onto the current
// revision, the current revision is the last good one. "" when the history
// names none.
func (h History) LastGood(current string, same func(a, b string) bool) string {
	if len(h.Deployments) > 0 {
		if d := h.Deployments[0]; d.Status == SDRollbackSuccessful && d.Rollback != nil {
			if td := h.TaskDefinition(d.Rollback.ServiceRevision); td != "" && same(td, current) {
				return current
			}
		}
	}
	for _, d := range h.Deployments {
		if d.Status != SDSuccessful {
			continue
		}
		if td := h.TaskDefinition(d.Target); td != "" && !same(td, current) {
			return td
		}
	}
	return ""
}

// InFlightDeployment is the newest deployment still PENDING or
// IN_PROGRESS.
func (h History) InFlightDeployment() (ServiceDeployment, bool) {
	for _, d := range h.Deployments {
		if d.InFlight() {
			return d, true
		}
	}
	return ServiceDeployment{}, false
}

// LastSuccessfulRevision is the service revision of the newest SUCCESSFUL
// deployment of taskDef: what ECS ran of it, digests included.
func (h History) LastSuccessfulRevision(taskDef string, same func(a, b string) bool) (ServiceRevision, bool) {
	for _, d := range h.Deployments {
		if d.Status != SDSuccessful {
			continue
		}
		if r, ok := h.Revisions[d.Target]; ok && same(r.TaskDefinition, taskDef) {
			return r, true
		}
	}
	return ServiceRevision{}, false
}

// RolledBackFrom is the task definition ECS itself rolled the service back
// from onto current: the target of the newest deployment, when it is
// ROLLBACK_SUCCESSFUL onto current. "" otherwise.
func (h History) RolledBackFrom(current string, same func(a, b string) bool) string {
	if len(h.Deployments) == 0 {
		return ""
	}
	d := h.Deployments[0]
	if d.Status != SDRollbackSuccessful || d.Rollback == nil {
		return ""
	}
	to, from := h.TaskDefinition(d.Rollback.ServiceRevision), h.TaskDefinition(d.Target)
	if to == "" || from == "" || !same(to, current) || same(from, current) {
		return ""
	}
	return from
}
