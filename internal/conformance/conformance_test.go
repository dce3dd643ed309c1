package conformance_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/conformance"
)

// defs returns the real definitions; a test without them skips, saying
// how to install them, except in CI, where they must be there.
func defs(t *testing.T) *conformance.Definitions {
	t.Helper()
	d, err := conformance.Load()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI checks against the real API definitions: %v", err)
		}
		t.Skipf("the real API definitions are not installed: %v", err)
	}
	return d
}

// toyModel is a botocore-style model with one operation.
const toyModel = `{
  "metadata": {"serviceId": "Toy", "targetPrefix": "Toy_2020"},
  "operations": {"Put": {"input": {"shape": "PutRequest"}, "output": {"shape": "PutResponse"},
                         "errors": [{"shape": "NotFound"}]}},
  "shapes": {
    "PutRequest": {"type": "structure", "required": ["name"], "members": {
      "name": {"shape": "Name"}, "mode": {"shape": "Mode"}, "items": {"shape": "Items"},
      "count": {"shape": "Count"}, "tags": {"shape": "Tags"}, "when": {"shape": "When"}, "on": {"shape": "Flag"}}},
    "PutResponse": {"type": "structure", "members": {"item": {"shape": "Item"}}},
    "Item": {"type": "structure", "required": ["id"], "members": {"id": {"shape": "Name"}}},
    "Items": {"type": "list", "member": {"shape": "Item"}, "max": 2},
    "Tags": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}},
    "Name": {"type": "string", "min": 1, "max": 5},
    "Mode": {"type": "string", "enum": ["FAST", "SLOW"]},
    "Count": {"type": "integer", "box": true, "min": 1, "max": 10},
    "When": {"type": "timestamp"},
    "Flag": {"type": "boolean"},
    "NotFound": {"type": "structure", "members": {"message": {"shape": "Name"}}, "exception": true}
  }
}`

func TestAWSModelFlagsEachKindOfViolation(t *testing.T) {
	t.Parallel()
	m, err := conformance.ParseAWSModel([]byte(toyModel))
	require.NoError(t, err)
	tests := []struct {
		name string
		body string
		want []string // "path: problem" fragments, in order
	}{
		{name: "valid", body: `{"name":"a","mode":"FAST","items":[{"id":"x"}],"count":3,"tags":{"k":"v"},"when":1.5,"on":true}`},
		{name: "null is absent", body: `{"name":"a","mode":null}`},
		{name: "unknown member", body: `{"name":"a","colour":"red"}`, want: []string{`colour: unknown member (not in PutRequest)`}},
		{name: "missing required member", body: `{"mode":"FAST"}`, want: []string{"name: required member missing"}},
		{name: "wrong enum", body: `{"name":"a","mode":"MEDIUM"}`, want: []string{`mode: "MEDIUM" is not one of FAST, SLOW`}},
		{name: "too long list", body: `{"name":"a","items":[{"id":"1"},{"id":"2"},{"id":"3"}]}`, want: []string{"items: 3 items, at most 2 allowed"}},
		{name: "nested required member", body: `{"name":"a","items":[{"id":"1"},{}]}`, want: []string{"items[1].id: required member missing"}},
		{name: "string too long", body: `{"name":"abcdef"}`, want: []string{"name: 6 characters, at most 5 allowed"}},
		{name: "string too short", body: `{"name":""}`, want: []string{"name: 0 characters, at least 1 allowed"}},
		{name: "integer out of range", body: `{"name":"a","count":11}`, want: []string{"count: 11 is above the maximum 10"}},
		{name: "integer not integral", body: `{"name":"a","count":1.5}`, want: []string{"count: want an integer"}},
		{name: "wrong types", body: `{"name":7,"on":"yes","when":"2020-01-01"}`, want: []string{"name: want a string", "on: want a boolean", "when: want a timestamp"}},
		{name: "map value", body: `{"name":"a","tags":{"k":"toolong"}}`, want: []string{`tags["k"]: 7 characters`}},
		{name: "not an object", body: `[]`, want: []string{"want an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs := m.CheckRequest("Put", []byte(tt.body))
			require.Len(t, vs, len(tt.want), conformance.Join(vs))
			for i, w := range tt.want {
				assert.Contains(t, vs[i].String(), "Toy Put request: "+w)
			}
		})
	}
	t.Run("unknown operation", func(t *testing.T) {
		t.Parallel()
		vs := m.CheckRequest("Get", []byte(`{}`))
		require.Len(t, vs, 1)
		assert.Contains(t, vs[0].Problem, "has no operation Get")
	})
	t.Run("answers", func(t *testing.T) {
		t.Parallel()
		assert.Empty(t, m.CheckResponse("Put", 200, []byte(`{"item":{"id":"x"}}`)))
		assert.Contains(t, conformance.Join(m.CheckResponse("Put", 200, []byte(`{"item":{}}`))), "item.id: required member missing")
		assert.Empty(t, m.CheckResponse("Put", 400, []byte(`{"__type":"NotFound","message":"no"}`)))
		assert.Empty(t, m.CheckResponse("Put", 400, []byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`)), "common errors are not modelled")
		assert.Contains(t, conformance.Join(m.CheckResponse("Put", 400, []byte(`{"__type":"NotFound","message":"no","extra":1}`))), "extra: unknown member")
		assert.Contains(t, conformance.Join(m.CheckResponse("Put", 400, []byte(`{"message":"no"}`))), "__type: missing error type")
	})
}

func TestRealAWSModels(t *testing.T) {
	t.Parallel()
	d := defs(t)
	tests := []struct {
		service, op, body string
		want              string // "" for no violation
	}{
		{"ECS", "UpdateService", `{"cluster":"prod","service":"web","taskDefinition":"arn:aws:ecs:us-east-1:123456789012:task-definition/web:42"}`, ""},
		{"ECS", "UpdateService", `{"cluster":"prod","service":"web","taskDefinitionArn":"web:42"}`, "taskDefinitionArn: unknown member"},
		{"ECS", "UpdateService", `{"cluster":"prod","taskDefinition":"web:42"}`, "service: required member missing"},
		{"ECS", "ListTaskDefinitions", `{"familyPrefix":"web","status":"ACTIVE","sort":"DOWN"}`, `sort: "DOWN" is not one of ASC, DESC`},
		{"ECR", "DescribeImages", `{"repositoryName":"web","imageIds":[` + strings.Repeat(`{"imageTag":"t"},`, 100) + `{"imageTag":"t"}]}`, "imageIds: 101 items, at most 100 allowed"},
		{"ECR", "DescribeImages", `{"repositoryName":"web","imageIds":[]}`, "imageIds: 0 items, at least 1 allowed"},
		{"ECS", "DescribeServices", `{"cluster":"prod","services":["web"],"include":["TAGS"]}`, ""},
		{"ECS", "RollbackEverything", `{}`, "ECS has no operation RollbackEverything"},
		{"ECR", "DescribeImages", `{"repositoryName":"web","imageIds":[{"imageTag":"c2c2c2c"}]}`, ""},
		{"ECR", "DescribeImages", `{"repositoryName":"w"}`, "repositoryName: 1 characters, at least 2 allowed"},
		{"ECR", "DescribeImages", `{"repositoryName":"WEB"}`, `repositoryName: "WEB" does not match the pattern`},
		{"CodeDeploy", "StopDeployment", `{"deploymentId":"d-ABCDEF123","autoRollbackEnabled":true}`, ""},
		{"CodeDeploy", "BatchGetDeployments", `{"deploymentIds":[]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.op+" "+tt.want, func(t *testing.T) {
			t.Parallel()
			vs := d.CheckAWSExchange(tt.service, tt.op, []byte(tt.body), 0, nil)
			if tt.want == "" {
				assert.Empty(t, vs, conformance.Join(vs))
				return
			}
			require.NotEmpty(t, vs)
			assert.Contains(t, conformance.Join(vs), tt.want)
		})
	}
}

func TestECSAppSpec(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:42"
	tests := []struct {
		name, content string
		want          []string
	}{
		{name: "the action's JSON", content: `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` + arn + `","LoadBalancerInfo":{"ContainerName":"app","ContainerPort":8080}}}}]}`},
		{name: "the reference's YAML", content: `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "` + arn + `"
        LoadBalancerInfo:
          ContainerName: "SampleApplicationName"
          ContainerPort: 80
        PlatformVersion: "LATEST"
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: ["subnet-1234abcd"]
            SecurityGroups: ["sg-12345678"]
            AssignPublicIp: "ENABLED"
        CapacityProviderStrategy:
          - Base: 1
            CapacityProvider: "FARGATE_SPOT"
            Weight: 2
Hooks:
  - BeforeInstall: "LambdaFunctionToValidateBeforeInstall"
  - AfterAllowTraffic: "LambdaFunctionToValidateAfterTrafficShift"
`},
		{name: "no LoadBalancerInfo", content: `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` + arn + `"}}}]}`,
			want: []string{"Resources[0].TargetService.Properties.LoadBalancerInfo: required member missing"}},
		{name: "no ContainerPort", content: `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` + arn + `","LoadBalancerInfo":{"ContainerName":"app"}}}}]}`,
			want: []string{"LoadBalancerInfo.ContainerPort: required member missing"}},
		{name: "no ContainerName, port out of range", content: `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` + arn + `","LoadBalancerInfo":{"ContainerPort":70000}}}}]}`,
			want: []string{"LoadBalancerInfo.ContainerName: required member missing", "LoadBalancerInfo.ContainerPort: 70000 is not a port"}},
		{name: "wrong type and unknown member", content: `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::Lambda::Function","Properties":{"TaskDefinition":"x","LoadBalancerInfo":{"ContainerName":"app","ContainerPort":80},"Image":"x"}}}]}`,
			want: []string{"TargetService.Type: AWS::Lambda::Function, want AWS::ECS::Service", "Properties.Image: unknown member"}},
		{name: "wrong version and hook", content: `{"version":"1.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"x","LoadBalancerInfo":{"ContainerName":"app","ContainerPort":80}}}}],"Hooks":[{"ApplicationStart":"f"}]}`,
			want: []string{`version: "1.0", want 0.0`, "Hooks[0].ApplicationStart: not an ECS lifecycle event"}},
		{name: "two resources", content: `{"version":"0.0","Resources":[]}`, want: []string{"Resources: 0 resources"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs := conformance.CheckECSAppSpec(tt.content)
			require.Len(t, vs, len(tt.want), conformance.Join(vs))
			for i, w := range tt.want {
				assert.Contains(t, vs[i].String(), w)
			}
		})
	}
}

func TestGitHubOpenAPIRequests(t *testing.T) {
	t.Parallel()
	d := defs(t)
	const runs = "/repos/octo-org/octo-repo/actions/workflows/deploy.yml/runs"
	tests := []struct {
		method, path, query string
		want                string
	}{
		{"GET", runs, "branch=main&status=success&per_page=100&page=2", ""},
		{"GET", runs, "exclude_pull_requests=true", ""},
		{"GET", "/repos/octo-org/octo-repo/actions/workflows/161335/runs", "", ""},
		{"GET", "/repos/octo-org/octo-repo/actions/runs/5000", "", ""},
		{"GET", "/repos/octo-org/octo-repo/actions/artifacts/7/zip", "", ""},
		{"GET", "/repos/octo-org/octo-repo/actions/artifacts", "name=deployment-state&per_page=100", ""},
		{"GET", runs, "status=finished", `query.status: the string "finished" is not one of`},
		{"GET", runs, "conclusion=failure", "query.conclusion: query parameter not declared"},
		{"GET", runs, "per_page=lots", `query.per_page: "lots" is not a number`},
		{"GET", "/repos/octo-org/octo-repo/actions/runs/latest", "", `path.run_id: "latest" is not a number`},
		{"DELETE", "/repos/octo-org/octo-repo/actions/workflows/deploy.yml/runs", "", "method not defined"},
		{"GET", "/repos/octo-org/octo-repo/actions/deployments", "", "no such path"},
		// A Git reference holds a slash, sent unescaped as go-github does.
		{"GET", "/repos/octo-org/octo-repo/git/ref/tags/v1.3.0", "", ""},
		{"GET", "/repos/octo-org/octo-repo/branches/main", "", ""},
		{"GET", "/repos/octo-org/octo-repo/branches/main/extra", "", "no such path"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+"?"+tt.query, func(t *testing.T) {
			t.Parallel()
			vs := d.GitHub.CheckRequest(tt.method, tt.path, tt.query)
			if tt.want == "" {
				assert.Empty(t, vs, conformance.Join(vs))
				return
			}
			require.NotEmpty(t, vs)
			assert.Contains(t, conformance.Join(vs), tt.want)
		})
	}
}

// GitHub's own examples pass the strict response check; edits of them
// fail it at the member edited.
func TestGitHubOpenAPIResponses(t *testing.T) {
	t.Parallel()
	d := defs(t)
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		fixture, path string
		edit          func(string) string
		want          string
	}{
		{fixture: "rest-list-workflow-runs-for-workflow.json", path: "/repos/o/r/actions/workflows/build.yml/runs"},
		{fixture: "rest-get-workflow-run.json", path: "/repos/o/r/actions/runs/30433642"},
		{fixture: "rest-list-workflow-run-artifacts.json", path: "/repos/o/r/actions/runs/30433642/artifacts"},
		{fixture: "rest-list-artifacts-for-repo.json", path: "/repos/o/r/actions/artifacts"},
		{fixture: "rest-get-artifact.json", path: "/repos/o/r/actions/artifacts/11"},
		{fixture: "rest-get-artifact.json", path: "/repos/o/r/actions/artifacts/11",
			edit: func(s string) string { return strings.Replace(s, `"expired": false`, `"expired": "no"`, 1) },
			want: `expired: want boolean, got the string "no"`},
		{fixture: "rest-get-artifact.json", path: "/repos/o/r/actions/artifacts/11",
			edit: func(s string) string {
				return strings.Replace(s, `"expired": false`, `"expired": false, "deleted": true`, 1)
			},
			want: "deleted: member not in the schema"},
		{fixture: "rest-get-artifact.json", path: "/repos/o/r/actions/artifacts/11",
			edit: func(s string) string { return strings.Replace(s, `"name": "Rails",`, ``, 1) },
			want: "name: required member missing"},
		{fixture: "rest-get-workflow-run.json", path: "/repos/o/r/actions/runs/30433642",
			edit: func(s string) string {
				return strings.Replace(s, `"created_at": "2020-01-22T19:33:08Z"`, `"created_at": "22/01/2020"`, 1)
			},
			want: `created_at: "22/01/2020" is not an RFC 3339 date-time`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+" "+tt.want, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile("../../testdata/github/" + tt.fixture)
			require.NoError(t, err)
			body := string(raw)
			if tt.edit != nil {
				edited := tt.edit(body)
				require.NotEqual(t, body, edited, "the edit applies")
				body = edited
			}
			vs := d.GitHub.CheckResponse("GET", tt.path, 200, jsonHeader, []byte(body))
			if tt.want == "" {
				assert.Empty(t, vs, conformance.Join(vs))
				return
			}
			assert.Contains(t, conformance.Join(vs), tt.want)
		})
	}
	t.Run("undeclared statuses", func(t *testing.T) {
		t.Parallel()
		path := "/repos/o/r/actions/artifacts/11/zip"
		assert.Empty(t, d.GitHub.CheckResponse("GET", path, 302, http.Header{"Location": {"https://blob.example/x"}}, nil))
		assert.Contains(t, conformance.Join(d.GitHub.CheckResponse("GET", path, 302, http.Header{}, nil)), "header.Location: declared header missing")
		assert.Contains(t, conformance.Join(d.GitHub.CheckResponse("GET", path, 200, jsonHeader, []byte(`{}`))), "status not declared")
		assert.Empty(t, d.GitHub.CheckResponse("GET", path, 403, jsonHeader, []byte(`{"message":"API rate limit exceeded","documentation_url":"https://docs.github.com/rest"}`)), "any error answers basic-error")
		assert.Contains(t, conformance.Join(d.GitHub.CheckResponse("GET", path, 500, jsonHeader, []byte(`{"error":"boom"}`))), "error: member not in the schema")
	})
}

func TestGitHubWebhookSchemas(t *testing.T) {
	t.Parallel()
	d := defs(t)
	raw, err := os.ReadFile("../../testdata/events/event-workflow_run-completed-1-success.json")
	require.NoError(t, err)
	ok := string(raw)
	tests := []struct {
		name, event, payload, want string
	}{
		{name: "published example", event: "workflow_run", payload: ok},
		{name: "wrong conclusion", event: "workflow_run", payload: strings.Replace(ok, `"conclusion": "success"`, `"conclusion": "exploded"`, 1),
			want: `workflow_run.conclusion: the string "exploded" is not one of`},
		{name: "id as text", event: "workflow_run", payload: strings.Replace(ok, `"run_attempt": 1`, `"run_attempt": "1"`, 1),
			want: `workflow_run.run_attempt: want integer, got the string "1"`},
		{name: "no such event", event: "deploy_rollback", payload: `{}`, want: "no webhook deploy-rollback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.payload != ok {
				require.NotEqual(t, ok, tt.payload, "the edit applies")
			}
			vs := d.Webhooks.CheckWebhook(tt.event, []byte(tt.payload))
			if tt.want == "" {
				assert.Empty(t, vs, conformance.Join(vs))
				return
			}
			assert.Contains(t, conformance.Join(vs), tt.want)
		})
	}
}

func TestInstallHintNamesThePinnedPackages(t *testing.T) {
	t.Setenv(conformance.EnvNPMDir, "/opt/defs")
	hint := conformance.InstallHint()
	for _, want := range []string{"pip install botocore", "npm install --prefix /opt/defs", conformance.OpenAPIPackage, conformance.OpenAPIWebhooksPackage, conformance.WebhooksExamplesPackage} {
		assert.Contains(t, hint, want)
	}
}
