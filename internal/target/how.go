// Package target holds the pure decisions about the target revision:
// matching container images against an image tag, and choosing the
// revision to roll back to.
package target

// How says how a target revision was chosen.
type How string

// The ways a target is chosen, in the order they are tried.
const (
	HowManualRevision   How = "manual-revision"   // the revision input
	HowRecordedARN      How = "recorded-arn"      // task-definition-arn.txt of the deployment state
	HowImageTag         How = "image-tag"         // a revision whose image carries the target tag
	HowFallbackPrevious How = "fallback-previous" // no match: current revision − 1
)
