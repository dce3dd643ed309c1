package ecssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// fixtureDir holds the aws-sdk-go-v2 protocol snapshots (see its README).
var fixtureDir = filepath.Join("..", "..", "..", "testdata", "aws")

// snap is one parsed .snap file.
type snap struct {
	first   string // request line or status code
	headers http.Header
	body    []byte
}

func readSnap(t *testing.T, name string) snap {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	first, rest, ok := strings.Cut(text, "\n")
	require.True(t, ok, "%s: no first line", name)
	rest = strings.TrimPrefix(rest, "\n") // requests have a blank line after the request line
	head, body, ok := strings.Cut(rest, "\n\n")
	require.True(t, ok, "%s: no blank line before the body", name)
	h := http.Header{}
	for _, line := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(line, ":")
		require.True(t, ok, "%s: bad header line %q", name, line)
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return snap{first: first, headers: h, body: []byte(strings.TrimSpace(body))}
}

func unmarshalAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	require.NoError(t, d.Decode(&v), "body: %s", b)
	return v
}

// shapeMismatches lists every member of got that has no counterpart at the
// same path in want (a snapshot), or whose JSON kind differs. A snapshot map
// whose only key is "key0" is a free-form map (dockerLabels): its keys are
// data, not member names.
func shapeMismatches(path string, got, want any) []string {
	switch g := got.(type) {
	case map[string]any:
		w, ok := want.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: object, snapshot has %T", path, want)}
		}
		_, freeForm := w["key0"]
		freeForm = freeForm && len(w) == 1
		var out []string
		for _, k := range slices.Sorted(maps.Keys(g)) {
			wk := k
			if freeForm {
				wk = "key0"
			}
			wv, ok := w[wk]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: not a member in the snapshot", path, k))
				continue
			}
			out = append(out, shapeMismatches(path+"."+k, g[k], wv)...)
		}
		return out
	case []any:
		w, ok := want.([]any)
		if !ok || len(w) == 0 {
			return []string{fmt.Sprintf("%s: array, snapshot has %T", path, want)}
		}
		var out []string
		for i, e := range g {
			out = append(out, shapeMismatches(path+"["+strconv.Itoa(i)+"]", e, w[0])...)
		}
		return out
	case nil:
		return []string{path + ": null"}
	default:
		if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			return []string{fmt.Sprintf("%s: %T, snapshot has %T", path, got, want)}
		}
		return nil
	}
}

// post sends a raw JSON 1.1 request, as the SDK would, and returns the
// answer.
func post(t *testing.T, s *Server, op string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", awsjson.ContentType)
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// wireWorld is a simulator holding one of everything, so its answers carry
// every member it can emit.
func wireWorld(t *testing.T) (*Server, string, string) {
	t.Helper()
	clk := time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	s := New(WithClock(func() time.Time { return clk }))
	t.Cleanup(s.Close)
	old := s.RegisterTaskDefinition(TaskDef{Family: "web", Containers: []Container{{Name: "app", Image: "repo/web:aaaaaaa", Labels: map[string]string{"schema-version": "3"}}}})
	cur := s.RegisterTaskDefinition(TaskDef{Family: "web", Containers: []Container{{Name: "app", Image: "repo/web:bbbbbbb"}}})
	require.NoError(t, s.AddService(ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: cur, DesiredCount: 2}))
	s.SetRollout("prod", "web", Rollout{Never: true})
	exit := int32(137)
	_, err := s.AddTask(TaskSpec{Cluster: "prod", Service: "web", TaskDefinition: cur, StoppedReason: "Essential container in task exited",
		Containers: []TaskContainer{{Name: "app", Reason: "OutOfMemoryError: Container killed due to memory usage", ExitCode: &exit}}})
	require.NoError(t, err)
	return s, old, cur
}

// TestWireShapesMatchSnapshots checks that every member the simulator writes
// exists, with the same JSON kind, at the same path in the SDK's response
// snapshot, and that every member it reads exists in the request snapshot.
func TestWireShapesMatchSnapshots(t *testing.T) {
	t.Parallel()
	s, old, cur := wireWorld(t)
	// An update first, so DescribeServices shows two deployments with all
	// their members.
	status, _, body := post(t, s, "UpdateService", []byte(fmt.Sprintf(`{"cluster":"prod","service":"web","taskDefinition":%q}`, old)))
	require.Equal(t, http.StatusOK, status, "%s", body)
	_, _, listed := post(t, s, "ListTasks", []byte(`{"cluster":"prod","serviceName":"web","desiredStatus":"STOPPED","maxResults":1}`))
	var lt struct{ TaskArns []string }
	require.NoError(t, json.Unmarshal(listed, &lt))
	require.Len(t, lt.TaskArns, 1)

	tests := []struct {
		op      string
		request any    // a fully populated request as the simulator reads it
		body    string // what to send
	}{
		{
			op:      "DescribeServices",
			request: describeServicesRequest{Cluster: "c", Services: []string{"s"}, Include: []string{"TAGS"}},
			body:    `{"cluster":"prod","services":["web","nope"],"include":["TAGS"]}`,
		},
		{
			op:      "UpdateService",
			request: updateServiceRequest{Cluster: "c", Service: "s", TaskDefinition: "t", DesiredCount: ptr(int32(1)), ForceNewDeployment: true},
			body:    fmt.Sprintf(`{"cluster":"prod","service":"web","taskDefinition":%q}`, cur),
		},
		{
			op:      "ListTaskDefinitions",
			request: listTaskDefinitionsRequest{FamilyPrefix: "f", Status: "ACTIVE", Sort: "ASC", MaxResults: ptr(int32(1)), NextToken: "n"},
			body:    `{"familyPrefix":"web","maxResults":1}`,
		},
		{
			op:      "DescribeTaskDefinition",
			request: describeTaskDefinitionRequest{TaskDefinition: "t", Include: []string{"TAGS"}},
			body:    fmt.Sprintf(`{"taskDefinition":%q,"include":["TAGS"]}`, old),
		},
		{
			op:      "ListTasks",
			request: listTasksRequest{Cluster: "c", ServiceName: "s", DesiredStatus: "STOPPED", Family: "f", MaxResults: ptr(int32(1)), NextToken: "n"},
			body:    `{"cluster":"prod","serviceName":"web","desiredStatus":"STOPPED","maxResults":1}`,
		},
		{
			op:      "DescribeTasks",
			request: describeTasksRequest{Cluster: "c", Tasks: []string{"t"}, Include: []string{"TAGS"}},
			body:    fmt.Sprintf(`{"cluster":"prod","tasks":[%q,"0123"]}`, lt.TaskArns[0]),
		},
		{
			op:      "RegisterTaskDefinition",
			request: registerTaskDefinitionRequest{Family: "f", ContainerDefinitions: []containerDefinitionWire{{Name: "n", Image: "i", Essential: ptr(true), DockerLabels: map[string]string{"k": "v"}}}},
			body:    `{"family":"web","containerDefinitions":[{"name":"app","image":"repo/web:ccccccc","dockerLabels":{"schema-version":"4"}}]}`,
		},
		{
			op:      "DeregisterTaskDefinition",
			request: deregisterTaskDefinitionRequest{TaskDefinition: "t"},
			body:    fmt.Sprintf(`{"taskDefinition":%q}`, old),
		},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			reqSnap := readSnap(t, tt.op+".request.snap")
			assert.Equal(t, "POST /", reqSnap.first)
			assert.Equal(t, targetPrefix+tt.op, reqSnap.headers.Get("X-Amz-Target"))
			reads, err := json.Marshal(tt.request)
			require.NoError(t, err)
			assert.Empty(t, shapeMismatches(tt.op+" request", unmarshalAny(t, reads), unmarshalAny(t, reqSnap.body)))

			respSnap := readSnap(t, tt.op+".response.snap")
			status, hdr, got := post(t, s, tt.op, []byte(tt.body))
			require.Equal(t, http.StatusOK, status, "%s", got)
			assert.Equal(t, respSnap.first, strconv.Itoa(status))
			assert.Equal(t, respSnap.headers.Get("Content-Type"), hdr.Get("Content-Type"))
			assert.NotEmpty(t, hdr.Get("x-amzn-RequestId"))
			assert.Empty(t, shapeMismatches(tt.op, unmarshalAny(t, got), unmarshalAny(t, respSnap.body)))
		})
	}
}

// TestShapeMismatchesCanFail keeps the shape check honest.
func TestShapeMismatchesCanFail(t *testing.T) {
	t.Parallel()
	want := map[string]any{"service": map[string]any{"createdAt": json.Number("1"), "deployments": []any{map[string]any{"id": "x"}}}}
	tests := []struct {
		name string
		got  map[string]any
		want []string
	}{
		{"ok", map[string]any{"service": map[string]any{"createdAt": json.Number("2.5")}}, nil},
		{"misspelled", map[string]any{"service": map[string]any{"createdat": json.Number("2")}}, []string{"x.service.createdat: not a member in the snapshot"}},
		{"wrong kind", map[string]any{"service": map[string]any{"createdAt": "2026-01-01"}}, []string{"x.service.createdAt: string, snapshot has json.Number"}},
		{"nested", map[string]any{"service": map[string]any{"deployments": []any{map[string]any{"ID": "x"}}}}, []string{"x.service.deployments[0].ID: not a member in the snapshot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, shapeMismatches("x", tt.got, want))
		})
	}
}

// TestSnapshotRequestsReplay sends the SDK's own request snapshots, every
// member filled in, and checks the simulator decodes them and answers as ECS
// would for those placeholder values.
func TestSnapshotRequestsReplay(t *testing.T) {
	t.Parallel()
	s := New()
	t.Cleanup(s.Close)
	td := s.RegisterTaskDefinition(TaskDef{Family: "__TaskDefinition__", Containers: []Container{{Name: "app", Image: "repo/app:1"}}})
	require.NoError(t, s.AddService(ServiceSpec{Cluster: "__Cluster__", Name: "__Member__", TaskDefinition: td, DesiredCount: 1}))
	require.NoError(t, s.AddService(ServiceSpec{Cluster: "__Cluster__", Name: "__Service__", TaskDefinition: td, DesiredCount: 1}))

	tests := []struct {
		op         string
		wantStatus int
		wantType   string // for errors
	}{
		{"DescribeServices", http.StatusOK, ""},
		{"DescribeTaskDefinition", http.StatusOK, ""},
		{"UpdateService", http.StatusOK, ""},
		{"DescribeTasks", http.StatusOK, ""},
		{"RegisterTaskDefinition", http.StatusOK, ""},
		// "__NextToken__" is not a token the simulator issued.
		{"ListTaskDefinitions", http.StatusBadRequest, ErrInvalidParameter},
		{"ListTasks", http.StatusBadRequest, ErrInvalidParameter},
		// A bare family names no revision.
		{"DeregisterTaskDefinition", http.StatusBadRequest, ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			sn := readSnap(t, tt.op+".request.snap")
			status, _, body := post(t, s, tt.op, sn.body)
			assert.Equal(t, tt.wantStatus, status, "%s", body)
			if tt.wantType != "" {
				var e awsjson.Error
				require.NoError(t, json.Unmarshal(body, &e))
				assert.Equal(t, tt.wantType, e.Type)
			}
		})
	}
}

// TestErrorsMatchSnapshots provokes each error the way ECS would and checks
// status, content type and body against the SDK's error snapshots.
func TestErrorsMatchSnapshots(t *testing.T) {
	t.Parallel()
	s := New()
	t.Cleanup(s.Close)
	td := s.RegisterTaskDefinition(TaskDef{Family: "web", Containers: []Container{{Name: "app", Image: "repo/web:1"}}})
	require.NoError(t, s.AddService(ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: td, DesiredCount: 1}))
	require.NoError(t, s.AddService(ServiceSpec{Cluster: "prod", Name: "gone", TaskDefinition: td, Status: "INACTIVE"}))

	tests := []struct {
		name  string
		fault bool // provoked with FailNext, not by the request
		op    string
		body  string
	}{
		{name: ErrClusterNotFound, op: "DescribeServices", body: `{"cluster":"nope","services":["web"]}`},
		{name: ErrInvalidParameter, op: "DescribeServices", body: `{"cluster":"prod","services":["1","2","3","4","5","6","7","8","9","10","11"]}`},
		{name: ErrServiceNotFound, op: "UpdateService", body: `{"cluster":"prod","service":"nope","taskDefinition":"web:1"}`},
		{name: ErrServiceNotActive, op: "UpdateService", body: `{"cluster":"prod","service":"gone","taskDefinition":"web:1"}`},
		{name: ErrClient, op: "DescribeTaskDefinition", body: `{"taskDefinition":"web:99"}`},
		{name: ErrAccessDenied, fault: true, op: "DescribeServices", body: `{"cluster":"prod","services":["web"]}`},
		{name: ErrServer, fault: true, op: "UpdateService", body: `{"cluster":"prod","service":"web"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault {
				s.FailNext(tt.op, 1, tt.name)
			}
			sn := readSnap(t, tt.name+".error.snap")
			status, hdr, body := post(t, s, tt.op, []byte(tt.body))
			assert.Equal(t, sn.first, strconv.Itoa(status), "%s", body)
			assert.Equal(t, sn.headers.Get("Content-Type"), hdr.Get("Content-Type"))
			assert.NotEmpty(t, hdr.Get("x-amzn-RequestId"))
			assert.Empty(t, shapeMismatches(tt.name, unmarshalAny(t, body), unmarshalAny(t, sn.body)))
			var e awsjson.Error
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Equal(t, tt.name, e.Type)
			assert.NotEmpty(t, e.Message)
		})
	}
}

func ptr[T any](v T) *T { return &v }
