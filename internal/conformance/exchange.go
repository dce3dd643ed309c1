package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// CheckAWSExchange checks one AWS JSON 1.1 request of op to service (a
// serviceId: "ECS", "ECR", "CodeDeploy") and, when status is not 0, its
// answer. The ECS AppSpec of a CodeDeploy CreateDeployment is checked too.
func (d *Definitions) CheckAWSExchange(service, op string, request []byte, status int, response []byte) []Violation {
	m, ok := d.AWS[service]
	if !ok {
		return []Violation{{Where: service + " " + op, Problem: "no model of service " + service}}
	}
	out := m.CheckRequest(op, request)
	if service == "CodeDeploy" && op == "CreateDeployment" {
		out = append(out, checkCreateDeploymentAppSpec(request)...)
	}
	if status != 0 {
		out = append(out, m.CheckResponse(op, status, response)...)
	}
	return out
}

// checkCreateDeploymentAppSpec checks the AppSpec content of a
// CreateDeployment request, when it has one.
func checkCreateDeploymentAppSpec(request []byte) []Violation {
	var req struct {
		Revision *struct {
			RevisionType   string `json:"revisionType"`
			AppSpecContent *struct {
				Content string `json:"content"`
			} `json:"appSpecContent"`
		} `json:"revision"`
	}
	if json.Unmarshal(request, &req) != nil || req.Revision == nil || req.Revision.AppSpecContent == nil {
		return nil
	}
	vs := CheckECSAppSpec(req.Revision.AppSpecContent.Content)
	for i := range vs {
		vs[i].Where = "CodeDeploy CreateDeployment request: revision.appSpecContent.content: " + vs[i].Where
	}
	return vs
}

// CheckGitHubExchange checks one GitHub REST request (path without the API
// prefix) and, when status is not 0, its answer.
func (d *Definitions) CheckGitHubExchange(method, path, rawQuery string, status int, header http.Header, body []byte) []Violation {
	out := d.GitHub.CheckRequest(method, path, rawQuery)
	if status != 0 {
		out = append(out, d.GitHub.CheckResponse(method, path, status, header, body)...)
	}
	return out
}

// Summary counts identical violations, most frequent first in order of
// appearance, for a readable failure message.
func Summary(vs []Violation) string {
	counts := map[string]int{}
	var order []string
	for _, v := range vs {
		s := v.String()
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	var b []byte
	for _, s := range order {
		if n := counts[s]; n > 1 {
			b = fmt.Appendf(b, "%s (×%d)\n", s, n)
		} else {
			b = fmt.Appendf(b, "%s\n", s)
		}
	}
	return string(b)
}
