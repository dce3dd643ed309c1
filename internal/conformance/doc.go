// Package conformance checks the traffic between the action and the
// simulators against the published definitions of the real APIs, so that a
// simulator that misreads an API fails the tests instead of the action
// failing in production:
//
//   - AWS requests and answers against the service models botocore ships
//     (the same Smithy models the SDKs are generated from), see
//     https://github.com/boto/botocore/tree/develop/botocore/data;
//   - GitHub REST requests and answers against GitHub's OpenAPI description
//     (npm @octokit/openapi), see https://github.com/github/rest-api-description;
//   - webhook payloads against GitHub's webhook schemas (npm
//     @octokit/openapi-webhooks);
//   - the ECS AppSpec inside CodeDeploy requests against the AppSpec
//     reference, see
//     https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
//
// Each check returns Violations, each naming the member path it is about.
// Locate finds the definitions on the machine (see Definitions).
package conformance

import (
	"fmt"
	"strings"
)

// Violation is one way a message breaks its definition.
type Violation struct {
	// Where is the message, e.g. "ECS UpdateService request" or
	// "GET /repos/{owner}/{repo}/actions/runs/{run_id} 200 response".
	Where string
	// Path is the member path inside the message, e.g.
	// "deploymentConfiguration.maximumPercent" or "workflow_runs[0].status";
	// empty for the message as a whole.
	Path string
	// Problem says what is wrong.
	Problem string
}

// String reads "Where: Path: Problem".
func (v Violation) String() string {
	if v.Path == "" {
		return v.Where + ": " + v.Problem
	}
	return v.Where + ": " + v.Path + ": " + v.Problem
}

// Join formats violations one per line.
func Join(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintln(&b, v.String())
	}
	return b.String()
}

// joinPath appends a member name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// keyPath appends a map key to a path.
func keyPath(path, key string) string { return fmt.Sprintf("%s[%q]", path, key) }
