// Package deploystate reads and writes the deployment-state format: a folder
// (or an artifact zip) of one-line text files describing the last successful
// deployment.
package deploystate

// The files of the deployment-state format.
const (
	FileImageTag          = "last-successful-image-tag.txt"
	FileEnvironment       = "environment.txt"
	FileCommitSHA         = "commit-sha.txt"
	FileTimestamp         = "timestamp.txt"
	FileTaskDefinitionARN = "task-definition-arn.txt" // optional
)

// State is one deployment's recorded state.
type State struct {
	ImageTag          string
	Environment       string
	CommitSHA         string
	Timestamp         string // ISO 8601, as recorded
	TaskDefinitionARN string // empty when not recorded
}
