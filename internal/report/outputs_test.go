package report

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/rollback"
)

const (
	arnWeb45 = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:45"
	arnWeb42 = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42"
)

func TestOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		result rollback.Result
		want   []Output
	}{
		{
			name:   "one service rolled back",
			result: rolledBack(),
			want: []Output{
				{"result", "rolled-back"},
				{"reason", ""},
				{"from-task-definition", arnWeb45},
				{"to-task-definition", arnWeb42},
				{"to-revision", "42"},
				{"image-tag", "def5678"},
				{"source-run-id", "9001"},
				{"source", "artifact"},
				{"codedeploy-deployment-id", ""},
				{"services", `[{"service":"web","result":"rolled-back","reason":"","from-task-definition":"` + arnWeb45 +
					`","to-task-definition":"` + arnWeb42 + `","to-revision":"42","image-tag":"def5678","codedeploy-deployment-id":""}]`},
			},
		},
		{
			name:   "several services: the first one's values and the overall result",
			result: multiPartial(),
			want: []Output{
				{"result", "failed"},
				{"reason", "wait-timeout"},
				{"from-task-definition", arnWeb45},
				{"to-task-definition", arnWeb42},
				{"to-revision", "42"},
				{"image-tag", "def5678"},
				{"source-run-id", "9001"},
				{"source", ""},
				{"codedeploy-deployment-id", ""},
				{"services", `[` +
					`{"service":"web","result":"rolled-back","reason":"","from-task-definition":"` + arnWeb45 + `","to-task-definition":"` + arnWeb42 +
					`","to-revision":"42","image-tag":"def5678","codedeploy-deployment-id":""},` +
					`{"service":"api","result":"failed","reason":"wait-timeout","from-task-definition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/api:12",` +
					`"to-task-definition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/api:10","to-revision":"10","image-tag":"def5678","codedeploy-deployment-id":""},` +
					`{"service":"worker","result":"already-current","reason":"","from-task-definition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:7",` +
					`"to-task-definition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:7","to-revision":"7","image-tag":"def5678","codedeploy-deployment-id":""}` +
					`]`},
			},
		},
		{
			name:   "skipped before any service: every output still set",
			result: skippedLoopGuard(),
			want: []Output{
				{"result", "skipped"},
				{"reason", "loop-guard"},
				{"from-task-definition", ""},
				{"to-task-definition", ""},
				{"to-revision", ""},
				{"image-tag", ""},
				{"source-run-id", ""},
				{"source", ""},
				{"codedeploy-deployment-id", ""},
				{"services", "[]"},
			},
		},
		{
			name:   "failed without a target",
			result: failedNoPrevious(),
			want: []Output{
				{"result", "failed"},
				{"reason", "no-previous-deployment"},
				{"from-task-definition", ""},
				{"to-task-definition", ""},
				{"to-revision", ""},
				{"image-tag", ""},
				{"source-run-id", ""},
				{"source", ""},
				{"codedeploy-deployment-id", ""},
				{"services", "[]"},
			},
		},
		{
			name: "service reason and outcome stand in for missing overall ones; tag looked for without a target",
			result: rollback.Result{
				ImageTag: "def5678",
				Services: []rollback.ServiceResult{{Service: "web", Outcome: rollback.Failed, Reason: "no-matching-revision", From: newRevision("web", 45)}},
			},
			want: []Output{
				{"result", "failed"},
				{"reason", "no-matching-revision"},
				{"from-task-definition", arnWeb45},
				{"to-task-definition", ""},
				{"to-revision", ""},
				{"image-tag", "def5678"},
				{"source-run-id", ""},
				{"source", ""},
				{"codedeploy-deployment-id", ""},
				{"services", `[{"service":"web","result":"failed","reason":"no-matching-revision","from-task-definition":"` + arnWeb45 +
					`","to-task-definition":"","to-revision":"","image-tag":"def5678","codedeploy-deployment-id":""}]`},
			},
		},
		{
			name:   "CodeDeploy deployment id",
			result: withCodeDeploy(planned(), "d-ABCDEF123"),
			want: []Output{
				{"result", "planned"},
				{"reason", ""},
				{"from-task-definition", arnWeb45},
				{"to-task-definition", arnWeb42},
				{"to-revision", "42"},
				{"image-tag", "def5678"},
				{"source-run-id", ""},
				{"source", ""},
				{"codedeploy-deployment-id", "d-ABCDEF123"},
				{"services", `[{"service":"web","result":"planned","reason":"","from-task-definition":"` + arnWeb45 +
					`","to-task-definition":"` + arnWeb42 + `","to-revision":"42","image-tag":"def5678","codedeploy-deployment-id":"d-ABCDEF123"}]`},
			},
		},
		{
			name:   "record adds state-path",
			result: recorded(),
			want: []Output{
				{"result", "recorded"},
				{"reason", ""},
				{"from-task-definition", arnWeb42},
				{"to-task-definition", ""},
				{"to-revision", ""},
				{"image-tag", "def5678"},
				{"source-run-id", ""},
				{"source", ""},
				{"codedeploy-deployment-id", ""},
				{"services", `[{"service":"web","result":"recorded","reason":"","from-task-definition":"` + arnWeb42 +
					`","to-task-definition":"","to-revision":"","image-tag":"def5678","codedeploy-deployment-id":""}]`},
				{"state-path", "deployment-state"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Outputs(tc.result)); diff != "" {
				t.Errorf("Outputs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutputsKeepData checks that outputs carry values as they are (they are
// data, written with a delimiter by the runtime) and that services stays one
// line of valid JSON whatever the values hold.
func TestOutputsKeepData(t *testing.T) {
	t.Parallel()
	out := Outputs(injection())
	byName := map[string]string{}
	for _, o := range out {
		byName[o.Name] = o.Value
	}
	require.Equal(t, evil, byName["image-tag"])
	require.NotContains(t, byName["services"], "\n")

	var services []map[string]string
	require.NoError(t, json.Unmarshal([]byte(byName["services"]), &services))
	require.Len(t, services, 1)
	if diff := cmp.Diff(map[string]string{
		"service":                  evil,
		"result":                   "failed",
		"reason":                   evil,
		"from-task-definition":     evil,
		"to-task-definition":       evil,
		"to-revision":              "42",
		"image-tag":                evil,
		"codedeploy-deployment-id": evil,
	}, services[0]); diff != "" {
		t.Errorf("services[0] mismatch (-want +got):\n%s", diff)
	}
}
