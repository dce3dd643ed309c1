package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxBody caps request bodies; AWS services reject large ones too.
const maxBody = 1 << 20

// throttleMessage is what AWS says with a ThrottlingException.
const throttleMessage = "Rate exceeded"

// Op answers one operation from its request body: the value to marshal as
// the answer, or an error answer.
type Op func(body []byte) (any, *Error)

// Service describes the AWS service a Server simulates.
type Service struct {
	// Name names the service in error messages, e.g. "ECS".
	Name string
	// TargetPrefix is the service part of the X-Amz-Target header, e.g.
	// "AmazonEC2ContainerServiceV20141113.".
	TargetPrefix string
	// Ops are the operations served, by name.
	Ops map[string]Op
	// Status is the HTTP status of the error types not answered with 400.
	Status map[string]int
	// ServerError is the error type of an answer that cannot be encoded
	// (HTTP 500).
	ServerError string
	// Now stamps the calls; default time.Now.
	Now func() time.Time
	// Around, when set, runs every answer, injected faults and unknown
	// operations included: for example under the simulator's lock, after it
	// settled its state to the clock.
	Around func(answer func() (any, *Error)) (any, *Error)
}

// Call is one request a simulator received.
type Call struct {
	Op     string          // operation, e.g. "UpdateService"
	Region string          // the region the request was signed for
	Body   json.RawMessage // request body as sent
	At     time.Time       // simulator time of receipt
	// Err is the error type the simulator answered with ("" for success,
	// ErrRequestAbandoned when the client went away during injected
	// latency).
	Err string
	// Status and Response are the answer's HTTP status and body (0 and
	// nil for an abandoned request), for checks of the simulator's answers
	// against the service's model.
	Status   int
	Response json.RawMessage
}

// Server serves a Service on a loopback port. Its methods are safe for
// concurrent use.
type Server struct {
	svc  Service
	srv  *httptest.Server
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	reqSeq  int64               // request ids
	latency time.Duration       // added to every request
	faults  map[string][]string // op or "*" → queued error types
	calls   []Call
}

// New starts serving svc on a loopback port. Close the Server when done.
func New(svc Service) *Server {
	if svc.Now == nil {
		svc.Now = time.Now
	}
	s := &Server{svc: svc, done: make(chan struct{}), faults: map[string][]string{}}
	s.srv = httptest.NewServer(s.Handler())
	return s
}

// URL is the endpoint, e.g. http://127.0.0.1:41234, for a client's
// BaseEndpoint or an AWS_ENDPOINT_URL_* variable.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server; requests waiting on injected latency end at once.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	s.srv.Close()
}

// Handler is the HTTP handler, for mounting the service elsewhere. It
// serves the protocol at "/".
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// SetLatency adds d to every request from now on. A request whose client
// gives up during the delay is abandoned without effect.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n calls of op ("*": any) fail with errType.
// Queued faults add up.
func (s *Server) FailNext(op string, n int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], errType)
	}
}

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
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

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", s.requestID())
	op, body, aerr := s.read(r)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	idx, latency := s.record(op, signedRegion(r), body)
	if !s.wait(r.Context(), latency) {
		s.finish(idx, ErrRequestAbandoned, 0, nil)
		return
	}
	var out any
	if s.svc.Around != nil {
		out, aerr = s.svc.Around(func() (any, *Error) { return s.answer(op, body) })
	} else {
		out, aerr = s.answer(op, body)
	}
	if aerr != nil {
		status, b := s.writeError(w, aerr)
		s.finish(idx, aerr.Type, status, b)
		return
	}
	status, b := s.writeJSON(w, http.StatusOK, out)
	s.finish(idx, "", status, b)
}

// read checks the request's method, path and target, and returns its
// operation and body ("{}" when empty).
func (s *Server) read(r *http.Request) (string, []byte, *Error) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return "", nil, Errorf(ErrUnknownOperation, "the %s API is POST / only, got %s %s", s.svc.Name, r.Method, r.URL.Path)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return "", nil, Errorf(ErrSerialization, "read request body: %v", err)
	}
	if len(body) > maxBody {
		return "", nil, Errorf(ErrSerialization, "request body larger than %d bytes", maxBody)
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), s.svc.TargetPrefix)
	if !ok || op == "" {
		return "", nil, Errorf(ErrUnknownOperation, "missing or foreign X-Amz-Target %q", r.Header.Get("X-Amz-Target"))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	return op, body, nil
}

// answer runs op, unless a fault is due or the simulator does not serve it.
func (s *Server) answer(op string, body []byte) (any, *Error) {
	if typ, ok := s.takeFault(op); ok {
		msg := "injected fault"
		if typ == ErrThrottling {
			msg = throttleMessage
		}
		return nil, &Error{Type: typ, Message: msg}
	}
	h, ok := s.svc.Ops[op]
	if !ok {
		return nil, Errorf(ErrUnknownOperation, "operation %s is not supported by the simulator", op)
	}
	return h(body)
}

// wait sleeps d; it is false when the client or the server went away first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// record logs a call and returns its index and the latency to apply.
func (s *Server) record(op, region string, body []byte) (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Op: op, Region: region, Body: append(json.RawMessage(nil), body...), At: s.svc.Now()})
	return len(s.calls) - 1, s.latency
}

func (s *Server) finish(idx int, errType string, status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[idx].Err, s.calls[idx].Status, s.calls[idx].Response = errType, status, body
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

// credentialRE finds the region in a SigV4 Authorization header.
var credentialRE = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/[a-z0-9-]+/aws4_request`)

// signedRegion is the region r was signed for, "" when unsigned.
func signedRegion(r *http.Request) string {
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// writeError answers e and returns the status and body written.
func (s *Server) writeError(w http.ResponseWriter, e *Error) (int, []byte) {
	status, ok := s.svc.Status[e.Type]
	if !ok {
		status = http.StatusBadRequest
	}
	return s.writeJSON(w, status, e)
}

// writeJSON answers v and returns the status and body written.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(Errorf(s.svc.ServerError, "encode response: %v", err))
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status, b
}
