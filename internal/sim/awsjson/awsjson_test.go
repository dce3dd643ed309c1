package awsjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

const prefix = "Echo_20260101."

var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newEcho serves "Echo", which answers its request body, and "Deny", which
// answers AccessDeniedException (HTTP 403 in this service).
func newEcho(t *testing.T, around func(func() (any, *awsjson.Error)) (any, *awsjson.Error)) *awsjson.Server {
	t.Helper()
	s := awsjson.New(awsjson.Service{
		Name:         "Echo",
		TargetPrefix: prefix,
		Ops: map[string]awsjson.Op{
			"Echo": func(body []byte) (any, *awsjson.Error) { return json.RawMessage(body), nil },
			"Deny": func([]byte) (any, *awsjson.Error) {
				return nil, awsjson.Errorf("AccessDeniedException", "no %s for you", "echo")
			},
		},
		Status:      map[string]int{"AccessDeniedException": http.StatusForbidden},
		ServerError: "InternalFailure",
		Now:         func() time.Time { return clock },
		Around:      around,
	})
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

// send posts body to the server as method path with X-Amz-Target target.
func send(t *testing.T, s *awsjson.Server, method, path, target, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", awsjson.ContentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260301/eu-west-3/echo/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestServe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		method, path     string
		target, body     string
		wantStatus       int
		wantBody         string // exact, for successes
		wantType         string // for errors
		wantOp, wantCall string // the call logged; "" when none
	}{
		{name: "answers the operation", method: "POST", path: "/", target: prefix + "Echo", body: `{"a":1}`, wantStatus: 200, wantBody: `{"a":1}`, wantOp: "Echo"},
		{name: "empty body is {}", method: "POST", path: "/", target: prefix + "Echo", body: " \n", wantStatus: 200, wantBody: `{}`, wantOp: "Echo"},
		{name: "error with its status", method: "POST", path: "/", target: prefix + "Deny", body: `{}`, wantStatus: 403, wantType: "AccessDeniedException", wantOp: "Deny", wantCall: "AccessDeniedException"},
		{name: "unknown operation", method: "POST", path: "/", target: prefix + "Nope", body: `{}`, wantStatus: 400, wantType: awsjson.ErrUnknownOperation, wantOp: "Nope", wantCall: awsjson.ErrUnknownOperation},
		{name: "not POST", method: "GET", path: "/", target: prefix + "Echo", wantStatus: 400, wantType: awsjson.ErrUnknownOperation},
		{name: "not /", method: "POST", path: "/x", target: prefix + "Echo", body: `{}`, wantStatus: 400, wantType: awsjson.ErrUnknownOperation},
		{name: "no target", method: "POST", path: "/", body: `{}`, wantStatus: 400, wantType: awsjson.ErrUnknownOperation},
		{name: "another service's target", method: "POST", path: "/", target: "Other_20260101.Echo", body: `{}`, wantStatus: 400, wantType: awsjson.ErrUnknownOperation},
		{name: "target without operation", method: "POST", path: "/", target: prefix, body: `{}`, wantStatus: 400, wantType: awsjson.ErrUnknownOperation},
		{name: "body too large", method: "POST", path: "/", target: prefix + "Echo", body: `"` + strings.Repeat("a", 1<<20) + `"`, wantStatus: 400, wantType: awsjson.ErrSerialization},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newEcho(t, nil)
			got := send(t, s, tt.method, tt.path, tt.target, tt.body)
			assert.Equal(t, tt.wantStatus, got.status, got.body)
			assert.Equal(t, awsjson.ContentType, got.header.Get("Content-Type"))
			assert.Equal(t, "00000001-5ec5-4e1a-8d1d-000000000001", got.header.Get("x-amzn-RequestId"))
			if tt.wantType == "" {
				assert.JSONEq(t, tt.wantBody, got.body)
			} else {
				var e awsjson.Error
				require.NoError(t, json.Unmarshal([]byte(got.body), &e), got.body)
				assert.Equal(t, tt.wantType, e.Type)
				assert.NotEmpty(t, e.Message)
			}
			var want []awsjson.Call
			if tt.wantOp != "" {
				body := strings.TrimSpace(tt.body)
				if body == "" {
					body = "{}"
				}
				want = []awsjson.Call{{Op: tt.wantOp, Region: "eu-west-3", Body: json.RawMessage(body), At: clock, Err: tt.wantCall,
					Status: tt.wantStatus, Response: json.RawMessage(got.body)}}
			}
			if diff := cmp.Diff(want, s.Calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	s := newEcho(t, nil)
	var ids []string
	for range 3 {
		ids = append(ids, send(t, s, "POST", "/", prefix+"Echo", "{}").header.Get("x-amzn-RequestId"))
	}
	assert.Equal(t, []string{
		"00000001-5ec5-4e1a-8d1d-000000000001",
		"00000002-5ec5-4e1a-8d1d-000000000002",
		"00000003-5ec5-4e1a-8d1d-000000000003",
	}, ids)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := newEcho(t, nil)
	s.FailNext("Echo", 1, awsjson.ErrThrottling)
	s.FailNext("Echo", 1, "ServerException")
	s.FailNext("*", 1, "InternalFailure")
	s.FailNext("Deny", 2, awsjson.ErrThrottling) // not met: no Deny is sent

	var got []awsjson.Error
	for range 4 {
		a := send(t, s, "POST", "/", prefix+"Echo", "{}")
		var e awsjson.Error
		if a.status != http.StatusOK {
			require.NoError(t, json.Unmarshal([]byte(a.body), &e))
		}
		got = append(got, e)
	}
	want := []awsjson.Error{
		{Type: awsjson.ErrThrottling, Message: "Rate exceeded"},
		{Type: "ServerException", Message: "injected fault"},
		{Type: "InternalFailure", Message: "injected fault"},
		{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	var errs []string
	for _, c := range s.Calls() {
		errs = append(errs, c.Err)
	}
	assert.Equal(t, []string{awsjson.ErrThrottling, "ServerException", "InternalFailure", ""}, errs)
	assert.Equal(t, 4, s.CallCount("Echo"))
	assert.Zero(t, s.CallCount("Deny"))
}

// Around sees every answer, injected faults and unknown operations
// included.
func TestAround(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []string
	)
	s := newEcho(t, func(answer func() (any, *awsjson.Error)) (any, *awsjson.Error) {
		out, aerr := answer()
		mu.Lock()
		defer mu.Unlock()
		if aerr != nil {
			seen = append(seen, aerr.Type)
		} else {
			seen = append(seen, "ok")
		}
		return out, aerr
	})
	s.FailNext("Echo", 1, "ServerException")
	send(t, s, "POST", "/", prefix+"Echo", "{}")
	send(t, s, "POST", "/", prefix+"Echo", "{}")
	send(t, s, "POST", "/", prefix+"Nope", "{}")
	send(t, s, "GET", "/", prefix+"Echo", "") // refused before any answer
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"ServerException", "ok", awsjson.ErrUnknownOperation}, seen)
}

func TestCloseAbandonsDelayedRequests(t *testing.T) {
	t.Parallel()
	s := newEcho(t, nil)
	s.SetLatency(time.Hour)
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, err := http.NewRequestWithContext(context.Background(), "POST", s.URL()+"/", bytes.NewReader([]byte("{}")))
		if err != nil {
			return
		}
		req.Header.Set("X-Amz-Target", prefix+"Echo")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}()
	for s.CallCount("Echo") == 0 {
		select {
		case <-t.Context().Done():
			t.Fatal("test context ended before the request arrived")
		case <-time.After(time.Millisecond):
		}
	}
	// Close waits for the handler, which would wait out the hour if Close
	// did not end the delay.
	s.Close()
	<-done
	assert.Equal(t, awsjson.ErrRequestAbandoned, s.Calls()[0].Err)
}

// ClientConfig makes a real SDK client that reaches the server, signs for
// the region given, and retries throttles, three attempts in all.
func TestClientConfig(t *testing.T) {
	t.Parallel()
	s := awsjson.New(awsjson.Service{
		Name:         "ECS",
		TargetPrefix: "AmazonEC2ContainerServiceV20141113.",
		Ops: map[string]awsjson.Op{"ListClusters": func([]byte) (any, *awsjson.Error) {
			return map[string]any{"clusterArns": []string{"arn:aws:ecs:ap-south-1:123456789012:cluster/prod"}}, nil
		}},
		ServerError: "ServerException",
	})
	t.Cleanup(s.Close)
	s.FailNext("ListClusters", 2, awsjson.ErrThrottling)
	client := ecs.NewFromConfig(awsjson.ClientConfig(s.URL(), "ap-south-1"))
	out, err := client.ListClusters(t.Context(), &ecs.ListClustersInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"arn:aws:ecs:ap-south-1:123456789012:cluster/prod"}, out.ClusterArns)
	assert.Equal(t, 3, s.CallCount("ListClusters"), "two throttles retried")
	assert.Equal(t, "ap-south-1", s.Calls()[0].Region)

	s.FailNext("ListClusters", 3, awsjson.ErrThrottling)
	_, err = client.ListClusters(t.Context(), &ecs.ListClustersInput{})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, awsjson.ErrThrottling, ae.ErrorCode())
	assert.Equal(t, "Rate exceeded", ae.ErrorMessage())
}

func TestEpoch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"whole seconds", time.Unix(1_772_366_400, 0), "1772366400"},
		{"milliseconds", time.Unix(1_772_366_400, 500_000_000), "1772366400.5"},
		{"below a millisecond is cut", time.Unix(1_772_366_400, 123_999_999), "1772366400.123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(awsjson.Epoch(tt.t))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
			b, err = json.Marshal(awsjson.EpochPtr(tt.t))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
		})
	}
	assert.Nil(t, awsjson.EpochPtr(time.Time{}), "the zero time is left out")
}

func TestDecode(t *testing.T) {
	t.Parallel()
	var v struct {
		Name string `json:"name"`
	}
	require.Nil(t, awsjson.Decode([]byte(`{"name":"web","other":1}`), &v), "unknown members are ignored")
	assert.Equal(t, "web", v.Name)
	e := awsjson.Decode([]byte(`{"name":`), &v)
	require.NotNil(t, e)
	assert.Equal(t, awsjson.ErrSerialization, e.Type)
	assert.Equal(t, "SerializationException: "+e.Message, e.Error())
}
