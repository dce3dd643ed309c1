// Package report turns a rollback.Result into what the operator sees: the
// step outputs, the annotations, and the Markdown job summary. It returns
// values only; main writes them through the Actions runtime.
package report

import (
	"encoding/json"
	"strconv"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
)

// Output is one step output, as set with go-githubactions' SetOutput.
// Values are data, not log lines: they are not escaped.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#setting-an-output-parameter
type Output struct {
	Name  string
	Value string
}

// serviceOutput is one element of the services output. The struct fixes the
// key order of the JSON object.
type serviceOutput struct {
	Service                string `json:"service"`
	Result                 string `json:"result"`
	Reason                 string `json:"reason"`
	FromTaskDefinition     string `json:"from-task-definition"`
	ToTaskDefinition       string `json:"to-task-definition"`
	ToRevision             string `json:"to-revision"`
	ImageTag               string `json:"image-tag"`
	CodeDeployDeploymentID string `json:"codedeploy-deployment-id"`
}

// Outputs returns the action's outputs, every one of them set (empty values as
// ""), in the order of the action contract: result, reason,
// from-task-definition, to-task-definition, to-revision, image-tag,
// source-run-id, source, codedeploy-deployment-id, services, and state-path when the
// result has one.
//
// result is the overall outcome. With one service, the other top-level values
// are that service's; with several, from-task-definition,
// to-task-definition, to-revision, image-tag and codedeploy-deployment-id are
// the first service's, and services has them all. to-revision is a decimal
// number, in services too (as a JSON string), or "".
func Outputs(r rollback.Result) []Output {
	services := make([]serviceOutput, 0, len(r.Services))
	for _, s := range r.Services {
		services = append(services, serviceOutputOf(r, s))
	}
	first := serviceOutput{ImageTag: r.ImageTag}
	if len(services) > 0 {
		first = services[0]
	}
	// Marshalling a slice of flat string structs cannot fail.
	servicesJSON, _ := json.Marshal(services)

	sourceRunID := ""
	if r.Source != nil && r.Source.RunID != 0 {
		sourceRunID = strconv.FormatInt(r.Source.RunID, 10)
	}

	out := []Output{
		{Name: "result", Value: string(outcomeOf(r))},
		{Name: "reason", Value: reasonOf(r)},
		{Name: "from-task-definition", Value: first.FromTaskDefinition},
		{Name: "to-task-definition", Value: first.ToTaskDefinition},
		{Name: "to-revision", Value: first.ToRevision},
		{Name: "image-tag", Value: first.ImageTag},
		{Name: "source-run-id", Value: sourceRunID},
		{Name: "source", Value: r.SourceKind},
		{Name: "codedeploy-deployment-id", Value: first.CodeDeployDeploymentID},
		{Name: "services", Value: string(servicesJSON)},
	}
	if r.StatePath != "" {
		out = append(out, Output{Name: "state-path", Value: r.StatePath})
	}
	return out
}

func serviceOutputOf(r rollback.Result, s rollback.ServiceResult) serviceOutput {
	o := serviceOutput{
		Service:                s.Service,
		Result:                 string(s.Outcome),
		Reason:                 s.Reason,
		FromTaskDefinition:     arnOf(s.From),
		ToTaskDefinition:       arnOf(s.To),
		ToRevision:             revisionNumber(s.To),
		ImageTag:               targetTag(r, s),
		CodeDeployDeploymentID: s.CodeDeployID,
	}
	if o.Result == "" {
		o.Result = string(r.Outcome)
	}
	return o
}

// outcomeOf is the overall outcome; a lone service's when the result has none.
func outcomeOf(r rollback.Result) rollback.Outcome {
	if r.Outcome == "" && len(r.Services) == 1 {
		return r.Services[0].Outcome
	}
	return r.Outcome
}

// reasonOf is the overall reason; when the result has none, that of a lone
// service, or of the first failed one.
func reasonOf(r rollback.Result) string {
	if r.Reason != "" {
		return r.Reason
	}
	for _, s := range r.Services {
		if s.Reason != "" && (len(r.Services) == 1 || s.Outcome == rollback.Failed) {
			return s.Reason
		}
	}
	return ""
}

// targetTag is the image tag of a service's target: the tag of the chosen
// revision once there is one, else the tag the rollback looked for.
func targetTag(r rollback.Result, s rollback.ServiceResult) string {
	if s.ToImageTag != "" || s.To != nil {
		return s.ToImageTag
	}
	return r.ImageTag
}

func arnOf(rev *revision.Revision) string {
	if rev == nil {
		return ""
	}
	return rev.ARN
}

func revisionNumber(rev *revision.Revision) string {
	if rev == nil || rev.Number <= 0 {
		return ""
	}
	return strconv.FormatInt(int64(rev.Number), 10)
}
