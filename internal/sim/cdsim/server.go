// Package cdsim is an AWS CodeDeploy simulator for ECS blue/green deployment
// groups. It speaks the AWS JSON 1.1 protocol over loopback HTTP, for tests
// and the demo.
//
// Point a real aws-sdk-go-v2 CodeDeploy client at URL (BaseEndpoint, or
// AWS_ENDPOINT_URL_CODEDEPLOY for a subprocess). It answers
// GetDeploymentGroup, ListDeployments, GetDeployment, StopDeployment,
// CreateDeployment, ContinueDeployment, ListDeploymentTargets and
// GetDeploymentTarget. Deployments go on lazily by the simulator's clock, as
// ECS blue/green deployments do: the lifecycle events of their ECS target
// (BeforeInstall … AfterAllowTraffic) progress until production traffic is on
// the replacement task set; then the deployment stays InProgress through the
// group's termination wait before it succeeds. A group with manual reroute
// holds its deployments Ready, before traffic moves, until ContinueDeployment.
// A deployment may fail with an error code instead; one stopped with
// auto-rollback gets a rollback deployment back to the task definition the
// service ran before. When traffic moves to a deployment's task definition,
// the simulator tells OnTrafficShifted, so that an ECS simulator can put the
// service on it; when a deployment succeeds, OnSucceeded. Every call is
// logged.
//
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/Welcome.html
// and https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
package cdsim

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// targetPrefix is the service part of the X-Amz-Target header.
const targetPrefix = "CodeDeploy_20141006."

// Error names, as CodeDeploy spells them in "__type".
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html#API_CreateDeployment_Errors
const (
	ErrApplicationDoesNotExist     = "ApplicationDoesNotExistException"
	ErrApplicationNameRequired     = "ApplicationNameRequiredException"
	ErrDeploymentAlreadyCompleted  = "DeploymentAlreadyCompletedException"
	ErrDeploymentDoesNotExist      = "DeploymentDoesNotExistException"
	ErrDeploymentGroupDoesNotExist = "DeploymentGroupDoesNotExistException"
	ErrDeploymentGroupNameRequired = "DeploymentGroupNameRequiredException"
	ErrDeploymentIDRequired        = "DeploymentIdRequiredException"
	ErrDeploymentNotStarted        = "DeploymentNotStartedException"
	ErrDeploymentNotReady          = "DeploymentIsNotInReadyStateException"
	ErrTargetIDRequired            = "DeploymentTargetIdRequiredException"
	ErrTargetDoesNotExist          = "DeploymentTargetDoesNotExistException"
	ErrInvalidTargetFilterName     = "InvalidTargetFilterNameException"
	ErrInvalidWaitType             = "InvalidDeploymentWaitTypeException"
	ErrInvalidDeploymentStatus     = "InvalidDeploymentStatusException"
	ErrDeploymentLimitExceeded     = "DeploymentLimitExceededException"
	ErrInvalidRevision             = "InvalidRevisionException"
	ErrRevisionRequired            = "RevisionRequiredException"
	ErrInvalidNextToken            = "InvalidNextTokenException"
	ErrThrottling                  = "ThrottlingException"
	ErrUnknownOperation            = "UnknownOperationException"
	ErrSerialization               = "SerializationException"
	ErrServer                      = "InternalFailure"
)

// Deployment statuses.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
const (
	StatusCreated    = "Created"
	StatusQueued     = "Queued"
	StatusInProgress = "InProgress"
	StatusReady      = "Ready"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusStopped    = "Stopped"
)

// Behavior says how a deployment goes on. The zero value puts traffic on the
// target at the next read (and succeeds then, when the group has no
// termination wait).
type Behavior struct {
	// Settle is how long, on the simulator's clock, the deployment takes to
	// put production traffic on its target (AfterAllowTraffic succeeded), or
	// to fail, with Fail. Its lifecycle events share the time evenly. Time
	// spent Ready, waiting for a manual reroute, does not count.
	Settle time.Duration
	// Never keeps the deployment InProgress until it is stopped.
	Never bool
	// Fail makes the deployment end Failed after Settle.
	Fail bool
	// ErrorCode and ErrorMessage are the failed deployment's
	// errorInformation; defaults ECS_UPDATE_ERROR and a message about tasks
	// failing to start.
	ErrorCode, ErrorMessage string
}

// GroupSpec is an ECS blue/green deployment group to add with
// Server.AddDeploymentGroup.
type GroupSpec struct {
	Application    string // created when missing
	Name           string
	Cluster        string // ecsServices[0].clusterName
	Service        string // ecsServices[0].serviceName
	TaskDefinition string // the task definition the service runs now
	TargetGroups   []string
	ProdListener   string // prodTrafficRoute listener ARN
	// TerminationWait is how long the original task set is kept after
	// traffic moved (terminationWaitTimeInMinutes; up to 2880 minutes): the
	// deployment stays InProgress meanwhile. 0 ends it at once.
	TerminationWait time.Duration
	// ManualReroute makes deployments wait Ready, with the replacement task
	// set running and traffic not moved, until ContinueDeployment
	// (deploymentReadyOption.actionOnTimeout STOP_DEPLOYMENT).
	ManualReroute bool
}

// DeploymentSpec is a deployment to add with Server.AddDeployment, as if a
// deploy workflow had created it.
type DeploymentSpec struct {
	Application, Group string
	TaskDefinition     string // the revision it deploys
	// Original is what the service ran before, the target of a rollback;
	// default: the group's task definition.
	Original string
	// Status is InProgress by default; Ready waits for a reroute, as in a
	// group with manual reroute.
	Status string
	// Behavior says how it goes on; the zero value never ends by itself.
	Behavior *Behavior
}

// DeploymentState is a snapshot of a deployment, for assertions.
type DeploymentState struct {
	ID             string
	Application    string
	Group          string
	Cluster        string // of the group's ECS service
	Service        string // the group's ECS service
	Status         string
	Creator        string // user, or codeDeployRollback for the rollback CodeDeploy starts (DeploymentCreator)
	TaskDefinition string
	Original       string
	ContainerName  string
	ContainerPort  int32
	AppSpec        string // the AppSpec content, as sent
	ErrorCode      string
	ErrorMessage   string
	// TrafficShifted says production traffic is on the deployment's task
	// definition: the AllowTraffic lifecycle event succeeded.
	TrafficShifted bool
	// Continued lists the wait types of the ContinueDeployment calls taken
	// (READY_WAIT, TERMINATION_WAIT).
	Continued    []string
	RollbackID   string // the rollback deployment a stop created
	RollbackOf   string // the deployment whose stop created this one
	Stopped      bool   // StopDeployment was called for it
	AutoRollback bool   // … with autoRollbackEnabled
}

// Call is one request the simulator received: its operation, body and
// time of receipt, and the error type answered ("" for success).
type Call = awsjson.Call

// Server is a running CodeDeploy simulator. Its methods are safe for
// concurrent use.
type Server struct {
	api *awsjson.Server
	now func() time.Time

	mu          sync.Mutex
	seq         int
	apps        map[string]bool
	groups      map[string]*group // app + "/" + name
	deployments []*deployment     // oldest first
	behavior    Behavior          // of CreateDeployment's deployments
	rollback    Behavior          // of rollback deployments
	stopDelay   time.Duration
	pageSize    int
	onSucceeded func(DeploymentState)
	onTraffic   func(DeploymentState)
	// pendingNotify holds what a handler saw happen, for notify.
	pendingNotify []event
}

// event is something to tell a callback about: a deployment that put
// traffic on its target, or that succeeded.
type event struct {
	traffic bool // else succeeded
	state   DeploymentState
}

type group struct {
	GroupSpec
	id string
}

type deployment struct {
	DeploymentState
	behavior  Behavior
	created   time.Time
	completed time.Time
	stoppedAt time.Time
	// The blue/green settings of the group, when it was created.
	terminationWait time.Duration
	manualReroute   bool
	// head is progress made before created (a deployment added Ready).
	head time.Duration
	// continued is when ContinueDeployment ended the ready wait; terminated
	// says ContinueDeployment ended the termination wait.
	continued  time.Time
	terminated bool
	// events is the lifecycle as it stood when the deployment ended.
	events []lifecycleEvent
}

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now as the simulator's clock.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithPageSize sets how many ids a ListDeployments page holds (default 100).
func WithPageSize(n int) Option {
	return func(s *Server) { s.pageSize = n }
}

// New starts a simulator on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		apps:     map[string]bool{},
		groups:   map[string]*group{},
		pageSize: 100,
	}
	for _, o := range opts {
		o(s)
	}
	s.api = awsjson.New(awsjson.Service{
		Name:         "CodeDeploy",
		TargetPrefix: targetPrefix,
		// Each operation runs under s.mu, after the deployments were
		// settled to the clock (see settled).
		Ops: map[string]awsjson.Op{
			"GetDeploymentGroup":    s.getDeploymentGroup,
			"ListDeployments":       s.listDeployments,
			"GetDeployment":         s.getDeployment,
			"StopDeployment":        s.stopDeployment,
			"CreateDeployment":      s.createDeployment,
			"ContinueDeployment":    s.continueDeployment,
			"ListDeploymentTargets": s.listDeploymentTargets,
			"GetDeploymentTarget":   s.getDeploymentTarget,
		},
		Status:      map[string]int{ErrServer: http.StatusInternalServerError},
		ServerError: ErrServer,
		Now:         s.now,
		Around:      s.settled,
	})
	return s
}

// URL is the simulator's endpoint; use it as the CodeDeploy client's
// BaseEndpoint or as AWS_ENDPOINT_URL_CODEDEPLOY.
func (s *Server) URL() string { return s.api.URL() }

// Close stops the simulator.
func (s *Server) Close() { s.api.Close() }

// OnSucceeded sets the function told about every deployment that succeeds,
// rollbacks included, outside the simulator's lock: typically
// ecssim.Server.SetServiceTaskDefinition for the group's service.
func (s *Server) OnSucceeded(f func(DeploymentState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSucceeded = f
}

// OnTrafficShifted sets the function told, outside the simulator's lock,
// about every deployment that puts production traffic on its task
// definition (its AllowTraffic lifecycle event succeeded), rollbacks
// included: typically ecssim.Server.SetServiceTaskDefinition, since the
// replacement task set is PRIMARY from then on.
func (s *Server) OnTrafficShifted(f func(DeploymentState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onTraffic = f
}

// SetBehavior sets how deployments created by CreateDeployment from now on
// behave.
func (s *Server) SetBehavior(b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behavior = b
}

// SetRollbackBehavior sets how rollback deployments created by a stop behave.
func (s *Server) SetRollbackBehavior(b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollback = b
}

// SetStopDelay sets how long a stopped deployment stays InProgress before it
// is Stopped and its rollback deployment exists.
func (s *Server) SetStopDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopDelay = d
}

// AddDeploymentGroup adds an ECS blue/green deployment group, and its
// application when missing.
func (s *Server) AddDeploymentGroup(g GroupSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[g.Application] = true
	s.seq++
	s.groups[g.Application+"/"+g.Name] = &group{GroupSpec: g, id: fmt.Sprintf("%08x-0dc0-4dc0-8dc0-%012x", s.seq, s.seq)}
}

// AddDeployment adds a deployment, as a deploy workflow would have created
// it, and returns its id.
func (s *Server) AddDeployment(spec DeploymentSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[spec.Application+"/"+spec.Group]
	if g == nil {
		return "", fmt.Errorf("add deployment: no deployment group %s of application %s", spec.Group, spec.Application)
	}
	b := Behavior{Never: true}
	if spec.Behavior != nil {
		b = *spec.Behavior
	}
	d := s.newDeployment(g, spec.TaskDefinition, b, "user")
	if spec.Original != "" {
		d.Original = spec.Original
	}
	if spec.Status != "" {
		d.Status = spec.Status
	}
	switch {
	case d.Status == StatusReady:
		// Waiting for a reroute already: the install is done.
		d.manualReroute = true
		d.head = readyAfter(d.behavior)
	case terminal(d.Status):
		d.completed = d.created
		d.events = d.lifecycle(d.created)
		if d.Status == StatusSucceeded {
			d.TrafficShifted = true
		}
	}
	return d.ID, nil
}

// Deployment returns a snapshot of a deployment, settled to the clock.
func (s *Server) Deployment(id string) (DeploymentState, bool) {
	s.mu.Lock()
	done := s.advance()
	var (
		st DeploymentState
		ok bool
	)
	if d := s.find(id); d != nil {
		st, ok = d.DeploymentState, true
	}
	s.mu.Unlock()
	s.notify(done)
	return st, ok
}

// Deployments returns snapshots of every deployment, oldest first.
func (s *Server) Deployments() []DeploymentState {
	s.mu.Lock()
	done := s.advance()
	out := make([]DeploymentState, len(s.deployments))
	for i, d := range s.deployments {
		out[i] = d.DeploymentState
	}
	s.mu.Unlock()
	s.notify(done)
	return out
}

// FailNext makes the next n calls of op ("*": any) fail with errType.
func (s *Server) FailNext(op string, n int, errType string) { s.api.FailNext(op, n, errType) }

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call { return s.api.Calls() }

// CallCount returns how many requests of op were received.
func (s *Server) CallCount(op string) int { return s.api.CallCount(op) }

// Ops returns the operation of every request, oldest first.
func (s *Server) Ops() []string {
	calls := s.api.Calls()
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Op
	}
	return out
}

// newDeployment adds a deployment; callers hold s.mu.
func (s *Server) newDeployment(g *group, taskDef string, b Behavior, creator string) *deployment {
	s.seq++
	now := s.now()
	d := &deployment{
		DeploymentState: DeploymentState{
			ID:             deploymentID(s.seq),
			Application:    g.Application,
			Group:          g.Name,
			Cluster:        g.Cluster,
			Service:        g.Service,
			Status:         StatusInProgress,
			Creator:        creator,
			TaskDefinition: taskDef,
			Original:       g.TaskDefinition,
		},
		behavior:        b,
		created:         now,
		terminationWait: g.TerminationWait,
		manualReroute:   g.ManualReroute,
	}
	s.deployments = append(s.deployments, d)
	return d
}

// deploymentID makes an id like CodeDeploy's: d- and nine characters.
func deploymentID(n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := []byte("d-")
	v := n*7919 + 1_000_003
	for range 9 {
		b = append(b, digits[v%36])
		v = v/36 + n*31
	}
	return string(b)
}

func terminal(status string) bool {
	return status == StatusSucceeded || status == StatusFailed || status == StatusStopped
}

func (s *Server) find(id string) *deployment {
	for _, d := range s.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// advance settles every deployment to the clock and returns what the
// callbacks are to be told; callers hold s.mu and pass the result to notify
// after unlocking.
func (s *Server) advance() []event {
	now := s.now()
	var happened []event
	// Rollbacks created here are settled in the same pass.
	for i := 0; i < len(s.deployments); i++ {
		d := s.deployments[i]
		if terminal(d.Status) {
			continue
		}
		if d.Stopped {
			if now.Before(d.stoppedAt.Add(s.stopDelay)) {
				continue
			}
			d.events = skipRest(d.lifecycle(d.stoppedAt))
			d.Status, d.completed = StatusStopped, now
			d.ErrorCode, d.ErrorMessage = "", ""
			if d.AutoRollback {
				g := s.groups[d.Application+"/"+d.Group]
				rb := s.newDeployment(g, d.Original, s.rollback, "codeDeployRollback")
				rb.Original = d.TaskDefinition
				rb.RollbackOf = d.ID
				// A rollback reroutes traffic to the original task set,
				// which still runs: no manual reroute.
				rb.manualReroute = false
				d.RollbackID = rb.ID
			}
			continue
		}
		b := d.behavior
		switch {
		case b.Fail && d.progress(now) >= b.Settle:
			d.completed = now
			d.Status = StatusFailed
			d.ErrorCode = orDefault(b.ErrorCode, "ECS_UPDATE_ERROR")
			d.ErrorMessage = orDefault(b.ErrorMessage, "The ECS service cannot be updated: the replacement task set did not reach a steady state; its tasks failed to start.")
			d.events = d.lifecycle(now)
			continue
		case b.Never || b.Fail:
			continue
		case d.waitingReady(now):
			d.Status = StatusReady
			continue
		}
		d.Status = StatusInProgress
		p := d.progress(now)
		if !d.TrafficShifted && p >= trafficAfter(b) {
			d.TrafficShifted = true
			if g := s.groups[d.Application+"/"+d.Group]; g != nil {
				g.TaskDefinition = d.TaskDefinition
			}
			happened = append(happened, event{traffic: true, state: d.DeploymentState})
		}
		// The termination wait starts when AfterAllowTraffic has succeeded.
		if p < b.Settle {
			continue
		}
		hooksDone := now.Add(b.Settle - p)
		if !d.terminated && now.Before(hooksDone.Add(d.terminationWait)) {
			continue
		}
		d.completed = now
		d.Status = StatusSucceeded
		d.events = d.lifecycle(now)
		happened = append(happened, event{state: d.DeploymentState})
	}
	return happened
}

// notify tells OnTrafficShifted and OnSucceeded; callers do not hold s.mu.
func (s *Server) notify(happened []event) {
	s.mu.Lock()
	onSucceeded, onTraffic := s.onSucceeded, s.onTraffic
	s.mu.Unlock()
	for _, e := range happened {
		switch {
		case e.traffic && onTraffic != nil:
			onTraffic(e.state)
		case !e.traffic && onSucceeded != nil:
			onSucceeded(e.state)
		}
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// settled runs answer, one of the operations, under s.mu after settling the
// deployments to the clock, then tells OnSucceeded about the deployments
// that succeeded meanwhile.
func (s *Server) settled(answer func() (any, *awsjson.Error)) (any, *awsjson.Error) {
	s.mu.Lock()
	done := s.advance()
	out, aerr := answer()
	done = append(done, s.pendingNotify...)
	s.pendingNotify = nil
	s.mu.Unlock()
	s.notify(done)
	return out, aerr
}
