package ecssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Container is one container definition of a task definition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
type Container struct {
	Name   string
	Image  string
	Labels map[string]string // dockerLabels
}

// TaskDef is a task-definition revision to register with
// Server.RegisterTaskDefinition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
type TaskDef struct {
	Family       string
	Containers   []Container
	Status       string    // ACTIVE (default) or INACTIVE
	RegisteredAt time.Time // default: the simulator's clock
}

// ServiceSpec is a service to create with Server.AddService. The service
// starts stable: one PRIMARY deployment, rollout COMPLETED, running =
// desired.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
type ServiceSpec struct {
	Cluster        string // created when missing
	Name           string
	TaskDefinition string // ARN, family:revision, or family (latest ACTIVE)
	DesiredCount   int32  // taken literally: 0 is a service scaled to zero
	Controller     string // ECS (default), CODE_DEPLOY or EXTERNAL
	Status         string // ACTIVE (default), DRAINING or INACTIVE
}

// Rollout says how a deployment started by UpdateService behaves. The zero
// value settles at once.
type Rollout struct {
	// Settle is how long, on the simulator's clock, the rollout takes to
	// finish (or to fail, with Fail). 0 finishes at the next read.
	Settle time.Duration
	// Never keeps the rollout IN_PROGRESS with running < desired for ever.
	Never bool
	// Fail makes the rollout end FAILED after Settle, with a service event
	// and a stopped task of the new revision.
	Fail bool
	// FailReason is the deployment's rolloutStateReason on failure; default
	// "ECS deployment circuit breaker: tasks failed to start.".
	FailReason string
	// StoppedReason is the failed task's stoppedReason; default "Essential
	// container in task exited".
	StoppedReason string
}

// TaskSpec is a task to add with Server.AddTask.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
type TaskSpec struct {
	Cluster        string
	Service        string // the task's group is service:<Service>
	TaskDefinition string // ARN or family:revision
	LastStatus     string // STOPPED (default) or RUNNING
	StoppedReason  string
	StoppedAt      time.Time // default: the simulator's clock (STOPPED only)
	// Containers default to the task definition's, with no exit code.
	Containers []TaskContainer
}

// TaskContainer is a container of a task, as DescribeTasks reports it.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html
type TaskContainer struct {
	Name     string
	Reason   string
	ExitCode *int32
}

// ServiceState is a snapshot of a simulated service, for assertions.
type ServiceState struct {
	Cluster        string
	Name           string
	ARN            string
	Status         string
	TaskDefinition string // always an ARN
	Controller     string
	DesiredCount   int32
	RunningCount   int32
	PendingCount   int32
	Deployments    []DeploymentState // PRIMARY first
	Events         []EventState      // newest first
}

// DeploymentState is a snapshot of one deployment of a service.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
type DeploymentState struct {
	ID                 string
	Status             string // PRIMARY, ACTIVE
	TaskDefinition     string
	DesiredCount       int32
	RunningCount       int32
	PendingCount       int32
	FailedTasks        int32
	RolloutState       string // IN_PROGRESS, COMPLETED, FAILED
	RolloutStateReason string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// EventState is one service event.
type EventState struct {
	ID        string
	CreatedAt time.Time
	Message   string
}

// TaskDefState is a snapshot of a task-definition revision.
type TaskDefState struct {
	ARN            string
	Family         string
	Revision       int32
	Status         string
	RegisteredAt   time.Time
	DeregisteredAt time.Time
	Containers     []Container
}

type key struct{ cluster, service string }

type cluster struct {
	name     string
	arn      string
	services map[string]*service
	tasks    []*task // oldest first
}

type taskDef struct {
	arn            string
	family         string
	revision       int32
	status         string
	registeredAt   time.Time
	deregisteredAt time.Time
	containers     []Container
}

type service struct {
	name        string
	arn         string
	cluster     *cluster
	status      string
	desired     int32
	running     int32
	pending     int32
	controller  string
	createdAt   time.Time
	deployments []*deployment // PRIMARY first
	events      []EventState  // newest first
	rollout     *pendingRollout
	lbs         []LoadBalancer // set with SetLoadBalancers
	launch      *Launch        // set with SetLaunch
	stable      bool           // stable on the revision of the last UpdateService
	stableAt    time.Time
	hist        *history // service revisions and deployments (deployments.go)
}

type deployment struct {
	id            string
	status        string
	taskDef       string
	desired       int32
	running       int32
	pending       int32
	failed        int32
	rolloutState  string
	rolloutReason string
	createdAt     time.Time
	updatedAt     time.Time
}

type pendingRollout struct {
	deployment *deployment
	start      time.Time
	r          Rollout
}

type task struct {
	arn           string
	id            string
	taskDef       string
	service       string
	lastStatus    string
	stoppedReason string
	stopCode      string
	createdAt     time.Time
	startedAt     time.Time
	stoppedAt     time.Time
	containers    []TaskContainer
}

var familyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func clusterARN(name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, AccountID, name)
}

func serviceARN(clusterName, name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, AccountID, clusterName, name)
}

func taskDefARN(family string, rev int32) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", Region, AccountID, family, rev)
}

func taskARN(clusterName, id string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", Region, AccountID, clusterName, id)
}

// clusterName accepts a cluster name or ARN; empty is "default", as in ECS.
func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	if strings.HasPrefix(ref, "arn:") {
		if _, name, ok := strings.Cut(ref, ":cluster/"); ok {
			return name
		}
	}
	return ref
}

// serviceName accepts a service name or ARN, old (service/name) or new
// (service/cluster/name) format.
func serviceName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		if i := strings.LastIndex(ref, "/"); i >= 0 {
			return ref[i+1:]
		}
	}
	return ref
}

// bareTaskDef turns an ARN into family:revision.
func bareTaskDef(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":task-definition/"); ok {
		return rest
	}
	return arn
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (s *Server) newDeploymentID() string {
	return fmt.Sprintf("ecs-svc/%019d", 1234567890000000000+s.nextSeq())
}

func (s *Server) newEventID() string {
	n := s.nextSeq()
	return fmt.Sprintf("%08x-e7e7-4e7e-9e7e-%012x", n, n)
}

func (s *Server) newTaskID() string {
	sum := sha256.Sum256([]byte("task-" + strconv.FormatInt(s.nextSeq(), 10)))
	return hex.EncodeToString(sum[:16])
}

// resolveTaskDef finds a revision by ARN, family:revision, or family
// (latest ACTIVE). Callers hold s.mu.
func (s *Server) resolveTaskDef(ref string) *taskDef {
	if ref == "" {
		return nil
	}
	if strings.HasPrefix(ref, "arn:") {
		if td, ok := s.taskDefs[ref]; ok {
			return td
		}
		rest := bareTaskDef(ref)
		if rest == ref {
			return nil
		}
		ref = rest
	}
	fam, revStr, hasRev := strings.Cut(ref, ":")
	revs := s.families[fam]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].status == "ACTIVE" {
				return revs[i]
			}
		}
		return nil
	}
	n, err := strconv.ParseInt(revStr, 10, 32)
	if err != nil || n < 1 || int(n) > len(revs) {
		return nil
	}
	return revs[n-1]
}

// register adds a revision. Callers hold s.mu.
func (s *Server) register(family string, containers []Container, status string, at time.Time) *taskDef {
	rev := int32(len(s.families[family]) + 1)
	td := &taskDef{
		arn:          taskDefARN(family, rev),
		family:       family,
		revision:     rev,
		status:       status,
		registeredAt: at,
		containers:   cloneContainers(containers),
	}
	if status != "ACTIVE" {
		td.deregisteredAt = at
	}
	s.taskDefs[td.arn] = td
	s.families[family] = append(s.families[family], td)
	return td
}

func cloneContainers(cs []Container) []Container {
	out := make([]Container, len(cs))
	for i, c := range cs {
		out[i] = Container{Name: c.Name, Image: c.Image, Labels: maps.Clone(c.Labels)}
	}
	return out
}

// addCluster creates a cluster when missing. Callers hold s.mu.
func (s *Server) addCluster(name string) *cluster {
	name = clusterName(name)
	c, ok := s.clusters[name]
	if !ok {
		c = &cluster{name: name, arn: clusterARN(name), services: map[string]*service{}}
		s.clusters[name] = c
	}
	return c
}

// lookup finds a service; callers hold s.mu.
func (s *Server) lookup(clusterRef, name string) (*cluster, *service) {
	c := s.clusters[clusterName(clusterRef)]
	if c == nil {
		return nil, nil
	}
	return c, c.services[serviceName(name)]
}

// AddCluster creates a cluster; an existing one is left alone.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html
func (s *Server) AddCluster(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCluster(name)
}

// RegisterTaskDefinition registers the next revision of td.Family and
// returns its ARN, arn:aws:ecs:us-east-1:123456789012:task-definition/<family>:<rev>.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
func (s *Server) RegisterTaskDefinition(td TaskDef) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := td.Status
	if status == "" {
		status = "ACTIVE"
	}
	at := td.RegisteredAt
	if at.IsZero() {
		at = s.cfg.now()
	}
	return s.register(td.Family, td.Containers, status, at).arn
}

// AddService creates a service, stable on its task definition. The cluster is
// created when missing; the task definition must be registered.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
func (s *Server) AddService(spec ServiceSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.Name == "" {
		return fmt.Errorf("add service: empty name")
	}
	td := s.resolveTaskDef(spec.TaskDefinition)
	if td == nil {
		return fmt.Errorf("add service %s: task definition %q is not registered", spec.Name, spec.TaskDefinition)
	}
	c := s.addCluster(spec.Cluster)
	if _, dup := c.services[spec.Name]; dup {
		return fmt.Errorf("add service %s: already exists in cluster %s", spec.Name, c.name)
	}
	controller := spec.Controller
	if controller == "" {
		controller = "ECS"
	}
	status := spec.Status
	if status == "" {
		status = "ACTIVE"
	}
	now := s.cfg.now()
	svc := &service{
		name:       spec.Name,
		arn:        serviceARN(c.name, spec.Name),
		cluster:    c,
		status:     status,
		desired:    spec.DesiredCount,
		running:    spec.DesiredCount,
		controller: controller,
		createdAt:  now,
	}
	if controller == "ECS" {
		id := s.newDeploymentID()
		svc.deployments = []*deployment{{
			id:            id,
			status:        "PRIMARY",
			taskDef:       td.arn,
			desired:       spec.DesiredCount,
			running:       spec.DesiredCount,
			rolloutState:  "COMPLETED",
			rolloutReason: fmt.Sprintf("ECS deployment %s completed.", id),
			createdAt:     now,
			updatedAt:     now,
		}}
	} else {
		// ECS reports the task set of a CODE_DEPLOY or EXTERNAL service as a
		// PRIMARY deployment without a rollout state.
		svc.deployments = []*deployment{{
			id:        s.newDeploymentID(),
			status:    "PRIMARY",
			taskDef:   td.arn,
			desired:   spec.DesiredCount,
			running:   spec.DesiredCount,
			createdAt: now,
			updatedAt: now,
		}}
	}
	s.initHistory(svc, now)
	s.addEvent(svc, now, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
	c.services[spec.Name] = svc
	return nil
}

// addEvent prepends an event; callers hold s.mu.
func (s *Server) addEvent(svc *service, at time.Time, msg string) {
	ev := EventState{ID: s.newEventID(), CreatedAt: at, Message: msg}
	svc.events = append([]EventState{ev}, svc.events...)
}

// AddEvent adds a service event, as ECS would, stamped now.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceEvent.html
func (s *Server) AddEvent(cluster, service, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return fmt.Errorf("add event: service %s not found in cluster %s", service, cluster)
	}
	s.addEvent(svc, s.cfg.now(), msg)
	return nil
}

// AddStoppedTask adds a STOPPED task of the service running taskDefARN,
// stopped now for reason, and returns its ARN. Its containers are the task
// definition's, with no exit code; use AddTask for more detail.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
func (s *Server) AddStoppedTask(cluster, service, taskDefARN, reason string) (string, error) {
	return s.AddTask(TaskSpec{Cluster: cluster, Service: service, TaskDefinition: taskDefARN, StoppedReason: reason})
}

// AddTask adds a task and returns its ARN.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
func (s *Server) AddTask(spec TaskSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, svc := s.lookup(spec.Cluster, spec.Service)
	if svc == nil {
		return "", fmt.Errorf("add task: service %s not found in cluster %s", spec.Service, spec.Cluster)
	}
	td := s.resolveTaskDef(spec.TaskDefinition)
	if td == nil {
		return "", fmt.Errorf("add task: task definition %q is not registered", spec.TaskDefinition)
	}
	status := spec.LastStatus
	if status == "" {
		status = "STOPPED"
	}
	now := s.cfg.now()
	t := &task{
		taskDef:       td.arn,
		service:       svc.name,
		lastStatus:    status,
		stoppedReason: spec.StoppedReason,
		createdAt:     now,
		startedAt:     now,
		containers:    slices.Clone(spec.Containers),
	}
	if status == "STOPPED" {
		t.stoppedAt = spec.StoppedAt
		if t.stoppedAt.IsZero() {
			t.stoppedAt = now
		}
		if t.createdAt.After(t.stoppedAt) {
			t.createdAt, t.startedAt = t.stoppedAt, t.stoppedAt
		}
		t.stopCode = "EssentialContainerExited"
	}
	if t.containers == nil {
		for _, cd := range td.containers {
			t.containers = append(t.containers, TaskContainer{Name: cd.Name})
		}
	}
	s.addTask(c, t)
	return t.arn, nil
}

// addTask gives t an id and stores it; callers hold s.mu.
func (s *Server) addTask(c *cluster, t *task) {
	t.id = s.newTaskID()
	t.arn = taskARN(c.name, t.id)
	c.tasks = append(c.tasks, t)
}

// SetRollout sets how rollouts of one service behave from its next
// UpdateService on. The service need not exist yet.
func (s *Server) SetRollout(cluster, service string, r Rollout) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollouts[key{clusterName(cluster), service}] = r
}

// SetDefaultRollout sets how rollouts behave for services without their own
// SetRollout.
func (s *Server) SetDefaultRollout(r Rollout) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultRollout = r
}

// Service returns a snapshot of a service, settled to the simulator's clock.
func (s *Server) Service(cluster, name string) (ServiceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, name)
	if svc == nil {
		return ServiceState{}, false
	}
	s.advance(svc, s.cfg.now())
	st := ServiceState{
		Cluster:      svc.cluster.name,
		Name:         svc.name,
		ARN:          svc.arn,
		Status:       svc.status,
		Controller:   svc.controller,
		DesiredCount: svc.desired,
		RunningCount: svc.running,
		PendingCount: svc.pending,
		Events:       slices.Clone(svc.events),
	}
	if p := svc.primary(); p != nil {
		st.TaskDefinition = p.taskDef
	}
	for _, d := range svc.deployments {
		st.Deployments = append(st.Deployments, DeploymentState{
			ID: d.id, Status: d.status, TaskDefinition: d.taskDef,
			DesiredCount: d.desired, RunningCount: d.running, PendingCount: d.pending, FailedTasks: d.failed,
			RolloutState: d.rolloutState, RolloutStateReason: d.rolloutReason,
			CreatedAt: d.createdAt, UpdatedAt: d.updatedAt,
		})
	}
	return st, true
}

// StableAt returns the simulator time at which the service became stable on
// the revision of its last UpdateService, and false while it is not (or was
// never updated). The time is when the rollout settled, not when it was
// first observed, so a benchmark can measure how soon a client noticed.
func (s *Server) StableAt(cluster, service string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return time.Time{}, false
	}
	s.advance(svc, s.cfg.now())
	return svc.stableAt, svc.stable
}

// TaskDefinition returns a snapshot of a revision, by ARN, family:revision,
// or family (the latest ACTIVE revision).
func (s *Server) TaskDefinition(ref string) (TaskDefState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.resolveTaskDef(ref)
	if td == nil {
		return TaskDefState{}, false
	}
	return TaskDefState{
		ARN: td.arn, Family: td.family, Revision: td.revision, Status: td.status,
		RegisteredAt: td.registeredAt, DeregisteredAt: td.deregisteredAt,
		Containers: cloneContainers(td.containers),
	}, true
}

func (svc *service) primary() *deployment {
	for _, d := range svc.deployments {
		if d.status == "PRIMARY" {
			return d
		}
	}
	return nil
}

// recount sets the service's counts from its deployments.
func (svc *service) recount() {
	svc.running, svc.pending = 0, 0
	for _, d := range svc.deployments {
		svc.running += d.running
		svc.pending += d.pending
	}
}

// sortedFamilies lists family names in ascending order; callers hold s.mu.
func (s *Server) sortedFamilies() []string {
	names := make([]string, 0, len(s.families))
	for f := range s.families {
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}
