// Package ecsops talks to Amazon ECS through narrow aws-sdk-go-v2 interfaces:
// describe a service, list and describe task-definition revisions, update the
// service, wait until it is stable, and deregister a revision.
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
