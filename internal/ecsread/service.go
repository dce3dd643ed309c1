// Package ecsread reads Amazon ECS through narrow aws-sdk-go-v2 interfaces:
// services, task-definition revisions and stopped tasks, with one limiter
// for the describes of a run and a prefetch of likely candidates.
package ecsread

import "time"

// Service is what the action needs of an ECS service.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
type Service struct {
	ARN            string
	Name           string
	ClusterARN     string
	Status         string // ACTIVE, DRAINING, INACTIVE
	TaskDefinition string // ARN (or bare family:revision from some emulators)
	Controller     string // ECS, CODE_DEPLOY, EXTERNAL
	DesiredCount   int32
	RunningCount   int32
	PendingCount   int32
	Deployments    []Deployment
	Events         []Event // newest first
	Launch         Launch  // load balancers, platform version, network, capacity providers
}

// Deployment is one entry of a service's deployments.
type Deployment struct {
	ID             string
	Status         string // PRIMARY, ACTIVE, INACTIVE
	TaskDefinition string
	DesiredCount   int32
	RunningCount   int32
	PendingCount   int32
	FailedTasks    int32
	RolloutState   string // COMPLETED, FAILED, IN_PROGRESS
	RolloutReason  string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Event is one service event message.
type Event struct {
	ID        string
	CreatedAt time.Time
	Message   string
}

// Primary returns the service's PRIMARY deployment: the one ECS is rolling
// out or has rolled out last.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
func (s Service) Primary() (Deployment, bool) {
	for _, d := range s.Deployments {
		if d.Status == "PRIMARY" {
			return d, true
		}
	}
	return Deployment{}, false
}

// EventLog remembers which service events were already seen, so that a
// wait can print each new one once, oldest first, as ecspresso does.
type EventLog struct{ seen map[string]bool }

// NewEventLog starts a log in which the events of s count as seen.
func NewEventLog(s Service) *EventLog {
	l := &EventLog{seen: make(map[string]bool, len(s.Events))}
	l.New(s)
	return l
}

// New returns the events of s not seen before, oldest first, and marks
// them seen. An event without an ID is keyed by its time and message.
func (l *EventLog) New(s Service) []Event {
	var fresh []Event
	for i := len(s.Events) - 1; i >= 0; i-- { // ECS lists newest first
		e := s.Events[i]
		key := e.ID
		if key == "" {
			key = e.CreatedAt.String() + " " + e.Message
		}
		if l.seen[key] {
			continue
		}
		l.seen[key] = true
		fresh = append(fresh, e)
	}
	return fresh
}
