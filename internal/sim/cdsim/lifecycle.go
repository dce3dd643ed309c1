package cdsim

import (
	"fmt"
	"slices"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// The lifecycle of an ECS blue/green deployment's target, in order. Each
// event takes an even share of Behavior.Settle; a manual reroute holds the
// deployment Ready after AfterInstall. (A group with a test listener also has
// AllowTestTraffic and AfterAllowTestTraffic; the simulator's groups have
// none.)
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#reference-appspec-file-structure-hooks-list-ecs
var lifecycleNames = []string{"BeforeInstall", "Install", "AfterInstall", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

// Lifecycle event and target statuses.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_LifecycleEvent.html
const (
	EventPending    = "Pending"
	EventInProgress = "InProgress"
	EventSucceeded  = "Succeeded"
	EventFailed     = "Failed"
	EventSkipped    = "Skipped"
)

// readyIndex is the first event a manual reroute holds back.
const readyIndex = 3

// allowTrafficIndex is the AllowTraffic event's.
const allowTrafficIndex = 4

type lifecycleEvent struct {
	Name       string
	Status     string
	Start, End time.Time // zero when not started, not ended
}

// eventEnd is the progress at which event j ends.
func eventEnd(b Behavior, j int) time.Duration {
	return b.Settle * time.Duration(j+1) / time.Duration(len(lifecycleNames))
}

// readyAfter is the progress at which a manual reroute holds a deployment
// Ready: the replacement task set runs, traffic has not moved.
func readyAfter(b Behavior) time.Duration { return eventEnd(b, readyIndex-1) }

// trafficAfter is the progress at which AllowTraffic succeeds.
func trafficAfter(b Behavior) time.Duration { return eventEnd(b, allowTrafficIndex) }

// progress is how far the deployment's lifecycle has come at now, in time
// worked: the time spent Ready does not count.
func (d *deployment) progress(now time.Time) time.Duration {
	worked := d.head + now.Sub(d.created)
	if !d.manualReroute {
		return worked
	}
	ready := readyAfter(d.behavior)
	if d.continued.IsZero() {
		return min(worked, ready)
	}
	return ready + now.Sub(d.continued)
}

// waitingReady says the deployment waits for a reroute at now.
func (d *deployment) waitingReady(now time.Time) bool {
	return d.manualReroute && d.continued.IsZero() && !d.behavior.Never && !d.behavior.Fail &&
		d.head+now.Sub(d.created) >= readyAfter(d.behavior)
}

// at is the time at which the lifecycle reached progress p.
func (d *deployment) at(p time.Duration) time.Time {
	ready := readyAfter(d.behavior)
	if d.manualReroute && !d.continued.IsZero() && p > ready {
		return d.continued.Add(p - ready)
	}
	return d.created.Add(p - d.head)
}

// lifecycle is the target's lifecycle events at now.
func (d *deployment) lifecycle(now time.Time) []lifecycleEvent {
	if d.events != nil {
		return d.events
	}
	b := d.behavior
	out := make([]lifecycleEvent, len(lifecycleNames))
	for j, name := range lifecycleNames {
		out[j].Name = name
		start, end := eventEnd(b, j-1), eventEnd(b, j)
		if j == 0 {
			start = 0
		}
		switch {
		case d.Status == StatusSucceeded:
			out[j].Status = EventSucceeded
		case d.Status == StatusFailed || b.Never || b.Fail:
			// Stuck in Install: the replacement tasks do not start.
			switch {
			case j == 0:
				out[j].Status = EventSucceeded
			case j == 1 && d.Status == StatusFailed:
				out[j].Status = EventFailed
			case j == 1:
				out[j].Status = EventInProgress
			case d.Status == StatusFailed:
				out[j].Status = EventSkipped
			default:
				out[j].Status = EventPending
			}
		case d.Status == StatusCreated || d.Status == StatusQueued:
			out[j].Status = EventPending
		default:
			p := d.progress(now)
			switch {
			case d.waitingReady(now) && j >= readyIndex:
				out[j].Status = EventPending
			case p >= end:
				out[j].Status = EventSucceeded
			case p > start || j == 0:
				out[j].Status = EventInProgress
			default:
				out[j].Status = EventPending
			}
		}
		if out[j].Status != EventPending {
			out[j].Start = d.at(start)
		}
		if out[j].Status == EventSucceeded || out[j].Status == EventFailed {
			out[j].End = d.at(end)
			if out[j].End.After(now) {
				out[j].End = now
			}
		}
	}
	return out
}

// skipRest marks the events a stop cut short as Skipped.
func skipRest(events []lifecycleEvent) []lifecycleEvent {
	for i := range events {
		if events[i].Status != EventSucceeded {
			events[i].Status = EventSkipped
		}
	}
	return events
}

// targetStatus is the ECS target's status at now.
func (d *deployment) targetStatus(now time.Time) string {
	switch {
	case d.Status == StatusSucceeded:
		return EventSucceeded
	case d.Status == StatusFailed || d.Status == StatusStopped:
		return EventFailed
	case d.Status == StatusCreated || d.Status == StatusQueued:
		return EventPending
	case d.waitingReady(now):
		return StatusReady
	}
	return EventInProgress
}

// targetID is the id CodeDeploy gives the ECS target of a deployment:
// <cluster>:<service>.
func (d *deployment) targetID() string { return d.Cluster + ":" + d.Service }

type deploymentTargetRequest struct {
	DeploymentID  string              `json:"deploymentId"`
	TargetID      string              `json:"targetId"`
	NextToken     string              `json:"nextToken"`
	TargetFilters map[string][]string `json:"targetFilters"`
}

type lifecycleEventWire struct {
	LifecycleEventName string         `json:"lifecycleEventName"`
	Status             string         `json:"status"`
	StartTime          *awsjson.Epoch `json:"startTime,omitempty"`
	EndTime            *awsjson.Epoch `json:"endTime,omitempty"`
}

type targetGroupInfoWire struct {
	Name string `json:"name"`
}

type ecsTaskSetWire struct {
	Identifer     string               `json:"identifer"` // sic: CodeDeploy's spelling
	Status        string               `json:"status"`
	TrafficWeight float64              `json:"trafficWeight"`
	TaskSetLabel  string               `json:"taskSetLabel"`
	TargetGroup   *targetGroupInfoWire `json:"targetGroup,omitempty"`
}

type ecsTargetWire struct {
	DeploymentID    string               `json:"deploymentId"`
	TargetID        string               `json:"targetId"`
	TargetArn       string               `json:"targetArn"`
	LastUpdatedAt   *awsjson.Epoch       `json:"lastUpdatedAt,omitempty"`
	LifecycleEvents []lifecycleEventWire `json:"lifecycleEvents"`
	Status          string               `json:"status"`
	TaskSetsInfo    []ecsTaskSetWire     `json:"taskSetsInfo"`
}

// started finds the deployment of a target request and checks that it has
// started; callers hold s.mu.
func (s *Server) started(req deploymentTargetRequest) (*deployment, *awsjson.Error) {
	if req.DeploymentID == "" {
		return nil, awsjson.Errorf(ErrDeploymentIDRequired, "At least one deployment ID must be specified.")
	}
	d := s.find(req.DeploymentID)
	if d == nil {
		return nil, awsjson.Errorf(ErrDeploymentDoesNotExist, "The deployment %s could not be found.", req.DeploymentID)
	}
	if d.Status == StatusCreated || d.Status == StatusQueued {
		return nil, awsjson.Errorf(ErrDeploymentNotStarted, "The deployment %s has not started.", d.ID)
	}
	return d, nil
}

// listDeploymentTargets: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeploymentTargets.html
// An ECS deployment has one target, its service.
func (s *Server) listDeploymentTargets(body []byte) (any, *awsjson.Error) {
	var req deploymentTargetRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	d, e := s.started(req)
	if e != nil {
		return nil, e
	}
	if req.NextToken != "" {
		return nil, awsjson.Errorf(ErrInvalidNextToken, "The next token is not valid.")
	}
	ids := []string{d.targetID()}
	for name, values := range req.TargetFilters {
		switch name {
		case "TargetStatus":
			if !slices.Contains(values, d.targetStatus(s.now())) {
				ids = []string{}
			}
		case "ServerInstanceLabel":
			// Blue/green instance labels: not for ECS targets.
		default:
			return nil, awsjson.Errorf(ErrInvalidTargetFilterName, "The target filter name %s is invalid.", name)
		}
	}
	return map[string]any{"targetIds": ids}, nil
}

// getDeploymentTarget: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentTarget.html
func (s *Server) getDeploymentTarget(body []byte) (any, *awsjson.Error) {
	var req deploymentTargetRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	d, e := s.started(req)
	if e != nil {
		return nil, e
	}
	if req.TargetID == "" {
		return nil, awsjson.Errorf(ErrTargetIDRequired, "A deployment target ID must be specified.")
	}
	if req.TargetID != d.targetID() {
		return nil, awsjson.Errorf(ErrTargetDoesNotExist, "The deployment target %s does not exist in deployment %s.", req.TargetID, d.ID)
	}
	now := s.now()
	t := ecsTargetWire{
		DeploymentID: d.ID,
		TargetID:     d.targetID(),
		TargetArn:    fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:service/%s/%s", d.Cluster, d.Service),
		Status:       d.targetStatus(now),
	}
	last := d.created
	for _, ev := range d.lifecycle(now) {
		w := lifecycleEventWire{LifecycleEventName: ev.Name, Status: ev.Status}
		if !ev.Start.IsZero() {
			w.StartTime = awsjson.EpochPtr(ev.Start)
			last = maxTime(last, ev.Start)
		}
		if !ev.End.IsZero() {
			w.EndTime = awsjson.EpochPtr(ev.End)
			last = maxTime(last, ev.End)
		}
		t.LifecycleEvents = append(t.LifecycleEvents, w)
	}
	t.LastUpdatedAt = awsjson.EpochPtr(last)
	// Blue is the original task set, green the replacement; the weights
	// say where production traffic is.
	blue, green := 100.0, 0.0
	if d.TrafficShifted {
		blue, green = 0, 100
	}
	g := s.groups[d.Application+"/"+d.Group]
	tg := func(i int) *targetGroupInfoWire {
		if g == nil || i >= len(g.TargetGroups) {
			return nil
		}
		return &targetGroupInfoWire{Name: g.TargetGroups[i]}
	}
	t.TaskSetsInfo = []ecsTaskSetWire{
		{Identifer: "ecs-svc/" + d.ID + "-blue", Status: taskSetStatus(blue), TrafficWeight: blue, TaskSetLabel: "Blue", TargetGroup: tg(0)},
		{Identifer: "ecs-svc/" + d.ID + "-green", Status: taskSetStatus(green), TrafficWeight: green, TaskSetLabel: "Green", TargetGroup: tg(1)},
	}
	return map[string]any{"deploymentTarget": map[string]any{"deploymentTargetType": "ECSTarget", "ecsTarget": t}}, nil
}

func taskSetStatus(weight float64) string {
	if weight > 0 {
		return "PRIMARY"
	}
	return "ACTIVE"
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

type continueRequest struct {
	DeploymentID       string `json:"deploymentId"`
	DeploymentWaitType string `json:"deploymentWaitType"`
}

// Wait types of ContinueDeployment.
const (
	WaitReady       = "READY_WAIT"
	WaitTermination = "TERMINATION_WAIT"
)

// continueDeployment: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ContinueDeployment.html
// READY_WAIT reroutes the traffic of a deployment waiting Ready;
// TERMINATION_WAIT ends the termination wait of one whose traffic moved.
func (s *Server) continueDeployment(body []byte) (any, *awsjson.Error) {
	var req continueRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.DeploymentID == "" {
		return nil, awsjson.Errorf(ErrDeploymentIDRequired, "At least one deployment ID must be specified.")
	}
	d := s.find(req.DeploymentID)
	if d == nil {
		return nil, awsjson.Errorf(ErrDeploymentDoesNotExist, "The deployment %s could not be found.", req.DeploymentID)
	}
	if terminal(d.Status) || d.Stopped {
		return nil, awsjson.Errorf(ErrDeploymentAlreadyCompleted, "The deployment %s has already completed.", d.ID)
	}
	now := s.now()
	wt := req.DeploymentWaitType
	if wt == "" {
		wt = WaitReady
	}
	switch wt {
	case WaitReady:
		if !d.waitingReady(now) {
			return nil, awsjson.Errorf(ErrDeploymentNotReady, "The deployment %s is not in the Ready state.", d.ID)
		}
		d.continued = now
	case WaitTermination:
		if d.progress(now) < d.behavior.Settle || d.behavior.Never || d.behavior.Fail {
			return nil, awsjson.Errorf(ErrInvalidDeploymentStatus, "The deployment %s is not waiting to terminate the original task set.", d.ID)
		}
		d.terminated = true
	default:
		return nil, awsjson.Errorf(ErrInvalidWaitType, "The wait type %s is invalid.", wt)
	}
	d.Continued = append(d.Continued, wt)
	s.pendingNotify = append(s.pendingNotify, s.advance()...)
	return map[string]any{}, nil
}
