// Package revision holds what every stage of the rollback shares about ECS
// task-definition revisions: the Revision and Container types, parsing of
// task-definition ARNs and of the revision input.
package revision

import "time"

// Container is the part of an ECS container definition the decisions need.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
type Container struct {
	Name   string
	Image  string
	Labels map[string]string // dockerLabels
}

// Revision is one ECS task-definition revision.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
type Revision struct {
	ARN          string
	Family       string
	Number       int32
	Status       string // ACTIVE, INACTIVE, DELETE_IN_PROGRESS
	RegisteredAt time.Time
	Containers   []Container
}
