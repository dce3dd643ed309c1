// Package target holds the pure decisions about task-definition revisions:
// parsing revision inputs and ARNs, matching container images against an
// image tag, and choosing the revision to roll back to.
package target

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

// How says how a target revision was chosen.
type How string

// The ways a target is chosen, in the order they are tried.
const (
	HowManualRevision   How = "manual-revision"   // the revision input
	HowRecordedARN      How = "recorded-arn"      // task-definition-arn.txt of the deployment state
	HowImageTag         How = "image-tag"         // a revision whose image carries the target tag
	HowFallbackPrevious How = "fallback-previous" // no match: current revision − 1
)
