// Package config turns the action's inputs into a typed Config, validating
// every input at once before any API call is made.
package config

import (
	"strings"
	"time"
)

// Commands of the action.
const (
	CommandRollback = "rollback"
	CommandRecord   = "record"
)

// Fallback says what to do when no revision carries the target image tag.
type Fallback string

// Fallback values.
const (
	FallbackPrevious Fallback = "previous"
	FallbackNone     Fallback = "none"
)

// Config is every input of the action, parsed and validated.
type Config struct {
	Command                   string
	Cluster                   string
	Services                  []string // split on commas and newlines, trimmed, empty dropped, duplicates removed
	Environment               string
	ProtectedEnvironments     []string
	Revision                  string // raw: "42", "family:42" or an ARN; syntax validated
	ImageTag                  string
	Confirm                   string
	DeployWorkflow            string
	Branch                    string
	ArtifactName              string
	ContainerName             string
	MaxRevisions              int
	Fallback                  Fallback
	FailureConclusions        []string
	LoopGuard                 string
	SchemaLabel               string
	AllowSchemaDowngrade      bool
	DryRun                    bool
	Wait                      bool
	WaitTimeout               time.Duration
	GitHubToken               string
	CodeDeployApplication     string
	CodeDeployDeploymentGroup string
	DeregisterFailed          bool
	StatePath                 string // record: folder relative to the workspace
	Source                    Source // where the last good revision comes from
	PinDigests                bool   // roll back to a copy pinned to the recorded digests
}

// Source says where the last good revision comes from when no revision or
// image-tag names it.
type Source string

// Source values.
const (
	SourceAuto     Source = "auto"     // a usable artifact, else ECS's deployment history
	SourceArtifact Source = "artifact" // the deployment-state artifact only
	SourceECS      Source = "ecs"      // ECS's deployment history only
)

// Setting names inputs in a message to the person who set them: as the
// action's inputs ("the input branch", "the inputs a and b"), or, with
// flags, as the CLI's flags ("--branch", "--a and --b").
func Setting(flags bool, names ...string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n
		if flags {
			parts[i] = "--" + n
		}
	}
	list := strings.Join(parts, " and ")
	if len(parts) > 2 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	switch {
	case flags:
		return list
	case len(names) == 1:
		return "the input " + list
	}
	return "the inputs " + list
}
