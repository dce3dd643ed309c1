// Package ecssim is an Amazon ECS simulator that speaks the AWS JSON 1.1
// protocol over loopback HTTP, for tests, benchmarks and the demo.
//
// Point a real aws-sdk-go-v2 ECS client at URL (BaseEndpoint, or
// AWS_ENDPOINT_URL_ECS for a subprocess). The simulator models clusters,
// task-definition revisions, services with their deployments and events, and
// stopped tasks; it settles rollouts lazily from its clock, injects faults and
// latency on demand, and records every call so tests can assert on what a
// client sent. It covers the operations the action uses:
// DescribeServices, ListTaskDefinitions, DescribeTaskDefinition,
// UpdateService, ListTasks, DescribeTasks, DeregisterTaskDefinition and
// RegisterTaskDefinition.
//
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html
// and https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
package ecssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Region and AccountID appear in every ARN the simulator makes.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// targetPrefix is the service part of the X-Amz-Target header.
const targetPrefix = "AmazonEC2ContainerServiceV20141113."

// contentType is the AWS JSON 1.1 media type.
const contentType = "application/x-amz-json-1.1"

// maxBody caps request bodies; ECS itself rejects large ones.
const maxBody = 1 << 20

// Error names the simulator returns, as ECS spells them in "__type".
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html
const (
	ErrAccessDenied     = "AccessDeniedException"
	ErrClient           = "ClientException"
	ErrClusterNotFound  = "ClusterNotFoundException"
	ErrInvalidParameter = "InvalidParameterException"
	ErrServer           = "ServerException"
	ErrServiceNotActive = "ServiceNotActiveException"
	ErrServiceNotFound  = "ServiceNotFoundException"
	ErrThrottling       = "ThrottlingException"
	ErrUnknownOperation = "UnknownOperationException"
	ErrSerialization    = "SerializationException"
)

const (
	errRequestAbandoned   = "RequestAbandoned" // only in the call log
	defaultThrottleReason = "Rate exceeded"
)

// errorStatus is the HTTP status of each error, as aws-sdk-go-v2 models it;
// anything not listed is 400.
var errorStatus = map[string]int{
	ErrAccessDenied: http.StatusForbidden,
	ErrServer:       http.StatusInternalServerError,
}

// Server is a running ECS simulator. All its methods are safe for concurrent
// use.
type Server struct {
	cfg  config
	srv  *httptest.Server
	done chan struct{}
	once sync.Once

	mu             sync.Mutex
	seq            int64               // ids of deployments, events, tasks
	reqSeq         int64               // request ids
	clusters       map[string]*cluster // by name
	taskDefs       map[string]*taskDef // by ARN
	families       map[string][]*taskDef
	rollouts       map[key]Rollout
	defaultRollout Rollout
	faults         map[string][]string // op or "*" → queued error types
	latency        time.Duration
	calls          []Call
}

// Option configures a Server.
type Option func(*config)

type config struct {
	now            func() time.Time
	ignoreSort     bool
	bareTaskDef    bool
	defaultRollout Rollout
}

// IgnoreSort makes ListTaskDefinitions ignore "sort" and always list in
// ascending order, as moto_server does.
func IgnoreSort() Option {
	return func(c *config) { c.ignoreSort = true }
}

// BareTaskDefinitionInUpdate makes UpdateService answer with the service's
// taskDefinition as a bare "family:revision" instead of an ARN, as
// moto_server does.
func BareTaskDefinitionInUpdate() Option {
	return func(c *config) { c.bareTaskDef = true }
}

// WithClock replaces time.Now as the simulator's clock. Rollouts settle, and
// calls and events are stamped, by this clock.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithDefaultRollout sets how rollouts started by UpdateService behave for
// services without their own SetRollout.
func WithDefaultRollout(r Rollout) Option {
	return func(c *config) { c.defaultRollout = r }
}

// New starts a simulator on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:            cfg,
		done:           make(chan struct{}),
		clusters:       map[string]*cluster{},
		taskDefs:       map[string]*taskDef{},
		families:       map[string][]*taskDef{},
		rollouts:       map[key]Rollout{},
		defaultRollout: cfg.defaultRollout,
		faults:         map[string][]string{},
	}
	s.srv = httptest.NewServer(s.Handler())
	return s
}

// URL is the simulator's endpoint, e.g. http://127.0.0.1:41234; use it as
// the ECS client's BaseEndpoint or as AWS_ENDPOINT_URL_ECS.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the simulator; requests waiting on injected latency end at
// once.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	s.srv.Close()
}

// Handler is the simulator's HTTP handler, for mounting it elsewhere. It
// serves the ECS JSON protocol at "/".
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// SetLatency adds d to every request from now on. A request whose client
// gives up during the delay is abandoned without effect.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n calls of op (an operation name such as
// "DescribeServices", or "*" for any) fail with errType, e.g.
// "ThrottlingException" (HTTP 400, retried by the SDK) or "ServerException"
// (HTTP 500). Queued faults add up.
func (s *Server) FailNext(op string, n int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], errType)
	}
}

// Call is one request the simulator received.
type Call struct {
	Op   string          // operation, e.g. "UpdateService"
	Body json.RawMessage // request body as sent
	At   time.Time       // simulator time of receipt
	// Err is the error type the simulator answered with ("" for success,
	// "RequestAbandoned" when the client went away during injected latency).
	Err string
}

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount returns how many requests of op were received, whatever their
// outcome.
func (s *Server) CallCount(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

// MutatingCalls returns the requests that change state or may have (every
// operation but Describe*, List* and Get*), whatever their outcome, so a
// test can assert that nothing was even attempted.
func (s *Server) MutatingCalls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if isMutating(c.Op) {
			out = append(out, c)
		}
	}
	return out
}

func isMutating(op string) bool {
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// apiError is an error answer on the wire.
type apiError struct {
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func errorf(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func statusOf(typ string) int {
	if st, ok := errorStatus[typ]; ok {
		return st
	}
	return http.StatusBadRequest
}

// handlers maps operation names to their implementation.
var handlers = map[string]func(s *Server, body []byte) (any, *apiError){
	"DescribeServices":         (*Server).describeServices,
	"ListTaskDefinitions":      (*Server).listTaskDefinitions,
	"DescribeTaskDefinition":   (*Server).describeTaskDefinition,
	"UpdateService":            (*Server).updateService,
	"ListTasks":                (*Server).listTasks,
	"DescribeTasks":            (*Server).describeTasks,
	"DeregisterTaskDefinition": (*Server).deregisterTaskDefinition,
	"RegisterTaskDefinition":   (*Server).registerTaskDefinition,
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", s.requestID())
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, errorf(ErrUnknownOperation, "the ECS API is POST / only, got %s %s", r.Method, r.URL.Path))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, errorf(ErrSerialization, "read request body: %v", err))
		return
	}
	if len(body) > maxBody {
		writeError(w, errorf(ErrSerialization, "request body larger than %d bytes", maxBody))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || op == "" {
		writeError(w, errorf(ErrUnknownOperation, "missing or foreign X-Amz-Target %q", r.Header.Get("X-Amz-Target")))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	idx, latency := s.record(op, body)

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.finish(idx, errRequestAbandoned)
			return
		case <-s.done:
			t.Stop()
			s.finish(idx, errRequestAbandoned)
			return
		}
	}

	var (
		out  any
		aerr *apiError
	)
	if typ, ok := s.takeFault(op); ok {
		msg := "injected fault"
		if typ == ErrThrottling {
			msg = defaultThrottleReason
		}
		aerr = &apiError{Type: typ, Message: msg}
	} else if h, ok := handlers[op]; !ok {
		aerr = errorf(ErrUnknownOperation, "operation %s is not supported by the simulator", op)
	} else {
		out, aerr = h(s, body)
	}
	if aerr != nil {
		s.finish(idx, aerr.Type)
		writeError(w, aerr)
		return
	}
	s.finish(idx, "")
	writeJSON(w, http.StatusOK, out)
}

// record logs a call and returns its index and the latency to apply.
func (s *Server) record(op string, body []byte) (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Op: op, Body: append(json.RawMessage(nil), body...), At: s.cfg.now()})
	return len(s.calls) - 1, s.latency
}

func (s *Server) finish(idx int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[idx].Err = errType
}

func (s *Server) takeFault(op string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{op, "*"} {
		if q := s.faults[k]; len(q) > 0 {
			s.faults[k] = q[1:]
			return q[0], true
		}
	}
	return "", false
}

func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqSeq++
	return fmt.Sprintf("%08x-5ec5-4e1a-8d1d-%012x", s.reqSeq, s.reqSeq)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, statusOf(e.Type), errorWire{Type: e.Type, Message: e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorWire{Type: ErrServer, Message: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode reads a request body into v, as ECS does: unknown members are
// ignored, malformed JSON is a SerializationException.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(ErrSerialization, "cannot parse request body: %v", err)
	}
	return nil
}
