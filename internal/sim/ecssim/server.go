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
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// Region and AccountID appear in every ARN the simulator makes.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// targetPrefix is the service part of the X-Amz-Target header.
const targetPrefix = "AmazonEC2ContainerServiceV20141113."

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
	// ErrConflict, ErrServiceDeploymentNotFound and ErrUnsupportedFeature
	// are in deployments.go.
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
	cfg config
	api *awsjson.Server

	mu             sync.Mutex
	seq            int64               // ids of deployments, events, tasks
	clusters       map[string]*cluster // by name
	taskDefs       map[string]*taskDef // by ARN
	families       map[string][]*taskDef
	rollouts       map[key]Rollout
	defaultRollout Rollout
}

// Option configures a Server.
type Option func(*config)

type config struct {
	now            func() time.Time
	ignoreSort     bool
	bareTaskDef    bool
	defaultRollout Rollout
	throttle       *throttle // WithThrottling; nil: no metering
	digests        func(image string) (string, bool)
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
		clusters:       map[string]*cluster{},
		taskDefs:       map[string]*taskDef{},
		families:       map[string][]*taskDef{},
		rollouts:       map[key]Rollout{},
		defaultRollout: cfg.defaultRollout,
	}
	s.api = awsjson.New(awsjson.Service{
		Name:         "ECS",
		TargetPrefix: targetPrefix,
		Ops: s.throttled(map[string]awsjson.Op{
			"DescribeServices":         s.describeServices,
			"ListTaskDefinitions":      s.listTaskDefinitions,
			"DescribeTaskDefinition":   s.describeTaskDefinition,
			"UpdateService":            s.updateService,
			"ListTasks":                s.listTasks,
			"DescribeTasks":            s.describeTasks,
			"DeregisterTaskDefinition": s.deregisterTaskDefinition,
			"RegisterTaskDefinition":   s.registerTaskDefinition,
			// Service history and native rollback (deployments.go).
			"ListServiceDeployments":     s.listServiceDeployments,
			"DescribeServiceDeployments": s.describeServiceDeployments,
			"DescribeServiceRevisions":   s.describeServiceRevisions,
			"StopServiceDeployment":      s.stopServiceDeployment,
			"ContinueServiceDeployment":  s.continueServiceDeployment,
		}),
		Status:      errorStatus,
		ServerError: ErrServer,
		Now:         cfg.now,
	})
	return s
}

// URL is the simulator's endpoint, e.g. http://127.0.0.1:41234; use it as
// the ECS client's BaseEndpoint or as AWS_ENDPOINT_URL_ECS.
func (s *Server) URL() string { return s.api.URL() }

// Close stops the simulator; requests waiting on injected latency end at
// once.
func (s *Server) Close() { s.api.Close() }

// Handler is the simulator's HTTP handler, for mounting it elsewhere. It
// serves the ECS JSON protocol at "/".
func (s *Server) Handler() http.Handler { return s.api.Handler() }

// SetLatency adds d to every request from now on. A request whose client
// gives up during the delay is abandoned without effect.
func (s *Server) SetLatency(d time.Duration) { s.api.SetLatency(d) }

// FailNext makes the next n calls of op (an operation name such as
// "DescribeServices", or "*" for any) fail with errType, e.g.
// "ThrottlingException" (HTTP 400, retried by the SDK) or "ServerException"
// (HTTP 500). Queued faults add up.
func (s *Server) FailNext(op string, n int, errType string) { s.api.FailNext(op, n, errType) }

// Call is one request the simulator received: its operation, e.g.
// "UpdateService", its body, and the simulator time of receipt. Its Err is
// the error type answered ("" for success, "RequestAbandoned" when the
// client went away during injected latency).
type Call = awsjson.Call

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call { return s.api.Calls() }

// CallCount returns how many requests of op were received, whatever their
// outcome.
func (s *Server) CallCount(op string) int { return s.api.CallCount(op) }

// MutatingCalls returns the requests that change state or may have (every
// operation but Describe*, List* and Get*), whatever their outcome, so a
// test can assert that nothing was even attempted.
func (s *Server) MutatingCalls() []Call {
	var out []Call
	for _, c := range s.api.Calls() {
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
