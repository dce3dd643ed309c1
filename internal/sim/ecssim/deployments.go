package ecssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ECS keeps its own record of a service's deployments: service revisions
// (what a deployment put in place, with the image digests resolved at
// deploy time) and service deployments (one per UpdateService, with a
// status and, for BLUE_GREEN, LINEAR and CANARY, a lifecycle stage). This
// file models them, the four deployment strategies and their bake time,
// StopServiceDeployment and ContinueServiceDeployment, and the circuit
// breaker's revert.
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html

// Deployment strategies.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
const (
	StrategyRolling   = "ROLLING"
	StrategyBlueGreen = "BLUE_GREEN"
	StrategyLinear    = "LINEAR"
	StrategyCanary    = "CANARY"
)

// Service deployment statuses.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
const (
	SDPending            = "PENDING"
	SDInProgress         = "IN_PROGRESS"
	SDSuccessful         = "SUCCESSFUL"
	SDStopped            = "STOPPED"
	SDRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	SDRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	SDRollbackFailed     = "ROLLBACK_FAILED"
)

// Errors of the deployment operations.
const (
	ErrConflict                    = "ConflictException"
	ErrServiceDeploymentNotFound   = "ServiceDeploymentNotFoundException"
	ErrUnsupportedFeature          = "UnsupportedFeatureException"
	circuitBreakerRollbackReason   = "Service deployment rolled back because the circuit breaker threshold was exceeded."
	userRollbackReason             = "Service deployment rolled back because of a user request (StopServiceDeployment)."
	hookRollbackReason             = "Service deployment rolled back at a lifecycle hook (ContinueServiceDeployment)."
	alarmRollbackReasonFormat      = "Service deployment rolled back because the CloudWatch alarm %s is in ALARM state."
	supersededReason               = "Service deployment superseded by a newer service deployment."
	defaultServiceDeploymentReason = "ECS deployment in progress."
)

// DeploymentConfig is the part of a service's deploymentConfiguration the
// simulator models.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
type DeploymentConfig struct {
	// Strategy is ROLLING (default), BLUE_GREEN, LINEAR or CANARY.
	Strategy string
	// BakeTime is bakeTimeInMinutes: how long, once production traffic is
	// on the new revision, the old one keeps running before CLEAN_UP.
	BakeTime time.Duration
	// StepPercent and StepBake are LINEAR's linearConfiguration.
	StepPercent float64
	StepBake    time.Duration
	// CanaryPercent and CanaryBake are CANARY's canaryConfiguration.
	CanaryPercent float64
	CanaryBake    time.Duration
	// CircuitBreakerRollback is deploymentCircuitBreaker {enable, rollback}:
	// a failing rollout is rolled back to the previous service revision
	// (ROLLBACK_SUCCESSFUL) instead of left failed.
	CircuitBreakerRollback bool
	// Alarm, with AlarmAfter, is a CloudWatch alarm of deploymentConfiguration
	// alarms (rollback on) that goes into ALARM AlarmAfter after a
	// deployment starts, rolling it back if it is still in progress.
	Alarm      string
	AlarmAfter time.Duration
	// RollbackTime is how long rolling a ROLLING deployment back takes
	// (its old tasks must start again); default: the rollout's Settle.
	RollbackTime time.Duration
	// PauseAt is the lifecycle stage of a PAUSE hook: a BLUE_GREEN, LINEAR
	// or CANARY deployment waits there for ContinueServiceDeployment.
	PauseAt string
}

func (c DeploymentConfig) strategy() string {
	if c.Strategy == "" {
		return StrategyRolling
	}
	return c.Strategy
}

// ServiceDeploymentState is a snapshot of one service deployment.
type ServiceDeploymentState struct {
	ARN            string
	Status         string
	StatusReason   string
	LifecycleStage string
	Source         string // task definition of the source service revision; "" for the first
	Target         string // task definition of the target service revision
	Rollback       string // task definition rolled back to; "" when none
}

type serviceRevision struct {
	arn       string
	taskDef   string
	images    []containerImage
	createdAt time.Time
}

type containerImage struct{ name, image, digest string }

type serviceDeployment struct {
	arn          string
	status       string
	statusReason string
	source       *serviceRevision // nil for the service's first deployment
	target       *serviceRevision
	cfg          DeploymentConfig
	rollout      Rollout
	classic      *deployment // the entry of the service's deployments
	createdAt    time.Time
	finishedAt   time.Time
	stoppedAt    time.Time
	updatedAt    time.Time
	// elapsed runs from start; paused time does not count.
	start     time.Time
	pausedAt  time.Time // zero when not paused
	paused    time.Duration
	hookID    string
	hookState string // AWAITING_ACTION, SUCCEEDED, FAILED
	// a rollback: when it started, why, and how long it takes.
	rollbackAt     time.Time
	rollbackReason string
	rollbackTakes  time.Duration
	cbTriggered    bool
	alarmTriggered bool
}

// history is a service's service revisions and deployments, oldest first.
type history struct {
	cfg       DeploymentConfig
	revisions []*serviceRevision
	deps      []*serviceDeployment
	// traffic is the task definition production traffic goes to, and since
	// when.
	trafficTo string
	trafficAt time.Time
}

func serviceRevisionARN(c, svc string, n int64) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%d", Region, AccountID, c, svc, 4000000000000000000+n)
}

func serviceDeploymentARN(c, svc string, n int64) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%s", Region, AccountID, c, svc, shortID(n))
}

func shortID(n int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "sd-%d", n))
	return hex.EncodeToString(sum[:11])
}

// resolveDigest is the digest a tag resolves to at deploy time: the image's
// own digest when it names one, else the digest of the configured resolver
// or, by default, the one ecrsim gives an image pushed by that reference
// (so that, untouched, the two simulators agree).
func (s *Server) resolveDigest(image string) string {
	if _, d, ok := strings.Cut(image, "@"); ok {
		return d
	}
	if s.cfg.digests != nil {
		if d, ok := s.cfg.digests(image); ok {
			return d
		}
	}
	// ecrsim digests a push of <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>
	// as sha256 of "<account>/<repo>:<tag>".
	key := image
	if host, rest, ok := strings.Cut(image, "/"); ok {
		if acct, _, ok := strings.Cut(host, ".dkr.ecr."); ok && len(acct) == 12 {
			key = acct + "/" + rest
		}
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// WithDigests sets how image tags resolve to digests when a deployment
// starts; an image it does not know resolves as an ecrsim push of the same
// reference would.
func WithDigests(resolve func(image string) (digest string, ok bool)) Option {
	return func(c *config) { c.digests = resolve }
}

// newRevision records a service revision of taskDef; callers hold s.mu.
func (s *Server) newRevision(svc *service, taskDef string, at time.Time) *serviceRevision {
	rev := &serviceRevision{arn: serviceRevisionARN(svc.cluster.name, svc.name, s.nextSeq()), taskDef: taskDef, createdAt: at}
	if td := s.taskDefs[taskDef]; td != nil {
		for _, c := range td.containers {
			rev.images = append(rev.images, containerImage{name: c.Name, image: c.Image, digest: s.resolveDigest(c.Image)})
		}
	}
	svc.hist.revisions = append(svc.hist.revisions, rev)
	return rev
}

// initHistory gives a new ECS-controller service its first, SUCCESSFUL,
// service deployment; callers hold s.mu.
func (s *Server) initHistory(svc *service, now time.Time) {
	svc.hist = &history{}
	if svc.controller != "ECS" || len(svc.deployments) == 0 {
		return
	}
	d := svc.deployments[0]
	rev := s.newRevision(svc, d.taskDef, now)
	svc.hist.deps = append(svc.hist.deps, &serviceDeployment{
		arn: serviceDeploymentARN(svc.cluster.name, svc.name, s.nextSeq()), status: SDSuccessful,
		statusReason: "Service deployment completed.",
		target:       rev, classic: d, createdAt: now, start: now, finishedAt: now, updatedAt: now,
	})
	svc.hist.trafficTo, svc.hist.trafficAt = d.taskDef, now
}

// recordDeployment records the service deployment of a rollout that
// startRollout began, superseding one in flight; callers hold s.mu.
func (s *Server) recordDeployment(svc *service, d *deployment, now time.Time) {
	h := svc.hist
	if h == nil || svc.controller != "ECS" {
		return
	}
	var source *serviceRevision
	for i := len(h.deps) - 1; i >= 0; i-- {
		prev := h.deps[i]
		if inFlight(prev.status) {
			prev.status, prev.statusReason = SDStopped, supersededReason
			prev.stoppedAt, prev.finishedAt, prev.updatedAt = now, now, now
		}
	}
	for _, prev := range slices.Backward(h.deps) {
		if prev.status == SDSuccessful || prev.status == SDRollbackSuccessful {
			source = prev.current()
			break
		}
	}
	if source == nil && len(h.deps) > 0 {
		source = h.deps[len(h.deps)-1].current()
	}
	sd := &serviceDeployment{
		arn: serviceDeploymentARN(svc.cluster.name, svc.name, s.nextSeq()), status: SDInProgress,
		statusReason: defaultServiceDeploymentReason,
		source:       source, target: s.newRevision(svc, d.taskDef, now), cfg: h.cfg, rollout: s.rolloutFor(svc),
		classic: d, createdAt: now, start: now, updatedAt: now,
	}
	if sd.cfg.PauseAt != "" {
		sd.hookID = shortID(s.nextSeq())
	}
	h.deps = append(h.deps, sd)
}

// current is the service revision a finished deployment left running.
func (sd *serviceDeployment) current() *serviceRevision {
	if sd.status == SDRollbackSuccessful && sd.source != nil {
		return sd.source
	}
	return sd.target
}

func inFlight(status string) bool {
	return status == SDPending || status == SDInProgress || status == SDRollbackInProgress || status == "ROLLBACK_REQUESTED" || status == "STOP_REQUESTED"
}

// active returns the service's deployment in flight, if any.
func (h *history) active() *serviceDeployment {
	if h == nil || len(h.deps) == 0 {
		return nil
	}
	sd := h.deps[len(h.deps)-1]
	if inFlight(sd.status) {
		return sd
	}
	return nil
}

// SetDeploymentConfig sets a service's deploymentConfiguration for its
// next deployments.
func (s *Server) SetDeploymentConfig(cluster, service string, c DeploymentConfig) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil || svc.hist == nil {
		return fmt.Errorf("set deployment configuration: service %s not found in cluster %s", service, cluster)
	}
	switch c.strategy() {
	case StrategyRolling, StrategyBlueGreen, StrategyLinear, StrategyCanary:
	default:
		return fmt.Errorf("set deployment configuration: strategy %q is not ROLLING, BLUE_GREEN, LINEAR or CANARY", c.Strategy)
	}
	svc.hist.cfg = c
	return nil
}

// Deploy starts a deployment of taskDef as UpdateService would, begun ago
// before now (so a test can start in the middle of a rollout or its bake),
// with the service's rollout and deployment configuration. It returns the
// service deployment's ARN.
func (s *Server) Deploy(cluster, service, taskDef string, ago time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return "", fmt.Errorf("deploy: service %s not found in cluster %s", service, cluster)
	}
	td := s.resolveTaskDef(taskDef)
	if td == nil {
		return "", fmt.Errorf("deploy: task definition %q is not registered", taskDef)
	}
	at := s.cfg.now().Add(-ago)
	if h := svc.hist; h != nil {
		// Keep the record in time order: what came before this deploy is
		// moved back before it.
		for i, sd := range slices.Backward(h.deps) {
			if sd.createdAt.Before(at) {
				break
			}
			shift := sd.createdAt.Sub(at) + time.Duration(i+1)*time.Second
			for _, t := range []*time.Time{&sd.createdAt, &sd.start, &sd.finishedAt, &sd.stoppedAt, &sd.updatedAt, &sd.target.createdAt} {
				if !t.IsZero() {
					*t = t.Add(-shift)
				}
			}
		}
	}
	s.advance(svc, at)
	s.startRollout(svc, td.arn, at)
	s.advance(svc, s.cfg.now())
	if h := svc.hist; h != nil && len(h.deps) > 0 {
		return h.deps[len(h.deps)-1].arn, nil
	}
	return "", nil
}

// ServiceDeployments returns a snapshot of a service's deployments, oldest
// first, settled to the simulator's clock.
func (s *Server) ServiceDeployments(cluster, service string) []ServiceDeploymentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil || svc.hist == nil {
		return nil
	}
	s.advance(svc, s.cfg.now())
	var out []ServiceDeploymentState
	for _, sd := range svc.hist.deps {
		st := ServiceDeploymentState{ARN: sd.arn, Status: sd.status, StatusReason: sd.statusReason,
			LifecycleStage: sd.stage(s.cfg.now()), Target: sd.target.taskDef}
		if sd.source != nil {
			st.Source = sd.source.taskDef
		}
		if !sd.rollbackAt.IsZero() && sd.source != nil {
			st.Rollback = sd.source.taskDef
		}
		out = append(out, st)
	}
	return out
}

// Traffic returns the task definition production traffic goes to and the
// simulator time it moved there, settled to the simulator's clock. For a
// ROLLING deployment traffic moves when the rollout completes.
func (s *Server) Traffic(cluster, service string) (string, time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil || svc.hist == nil {
		return "", time.Time{}, false
	}
	s.advance(svc, s.cfg.now())
	return svc.hist.trafficTo, svc.hist.trafficAt, true
}

// The timeline of a BLUE_GREEN, LINEAR or CANARY deployment, measured from
// its start with paused time left out: green scales up for rollout.Settle;
// then test traffic, then production traffic shifts (at once for
// BLUE_GREEN, in steps for LINEAR and CANARY); BAKE_TIME follows; CLEAN_UP
// ends it, SUCCESSFUL. A PAUSE hook stops the clock at its stage.

// shiftedAfter is how long after the start production traffic is all on
// the target.
func (sd *serviceDeployment) shiftedAfter() time.Duration {
	up := sd.rollout.Settle
	switch sd.cfg.strategy() {
	case StrategyLinear:
		step := sd.cfg.StepPercent
		if step <= 0 || step > 100 {
			step = 10
		}
		n := int(math.Ceil(100/step)) - 1
		return up + time.Duration(n)*sd.cfg.StepBake
	case StrategyCanary:
		return up + sd.cfg.CanaryBake
	}
	return up
}

// elapsed is how long the deployment has run at now, pauses left out.
func (sd *serviceDeployment) elapsed(now time.Time) time.Duration {
	end := now
	if !sd.pausedAt.IsZero() {
		end = sd.pausedAt
	}
	return end.Sub(sd.start) - sd.paused
}

// stage is the lifecycle stage at now; "" for ROLLING deployments.
func (sd *serviceDeployment) stage(now time.Time) string {
	if sd.cfg.strategy() == StrategyRolling {
		return ""
	}
	if !sd.pausedAt.IsZero() {
		return sd.cfg.PauseAt
	}
	if !inFlight(sd.status) && sd.status != SDRollbackInProgress {
		if sd.status == SDSuccessful {
			return "CLEAN_UP"
		}
		return ""
	}
	if !sd.rollbackAt.IsZero() {
		return "PRODUCTION_TRAFFIC_SHIFT"
	}
	e := sd.elapsed(now)
	switch {
	case e < sd.rollout.Settle:
		return "SCALE_UP"
	case e < sd.shiftedAfter():
		return "PRODUCTION_TRAFFIC_SHIFT"
	case e < sd.shiftedAfter()+sd.cfg.BakeTime:
		return "BAKE_TIME"
	}
	return "CLEAN_UP"
}

// pauseAfter is when, from the start, a PAUSE hook at cfg.PauseAt stops
// the deployment.
func (sd *serviceDeployment) pauseAfter() time.Duration {
	switch sd.cfg.PauseAt {
	case "PRE_SCALE_UP", "RECONCILE_SERVICE":
		return 0
	case "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT":
		return sd.rollout.Settle
	}
	return sd.shiftedAfter() // PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT
}

// advanceNative settles the service deployment in flight, and reports
// whether it handled the service (classic advance must not): BLUE_GREEN,
// LINEAR and CANARY deployments, and any rollback under way. Callers hold
// s.mu.
func (s *Server) advanceNative(svc *service, now time.Time) bool {
	sd := svc.hist.active()
	if sd == nil {
		return false
	}
	if !sd.rollbackAt.IsZero() {
		if at := sd.rollbackAt.Add(sd.rollbackTakes); !now.Before(at) {
			s.finishRollback(svc, sd, at)
		}
		return true
	}
	if sd.cfg.Alarm != "" && sd.pausedAt.IsZero() {
		if at := sd.start.Add(sd.paused + sd.cfg.AlarmAfter); !now.Before(at) && (sd.cfg.strategy() != StrategyRolling || svc.rollout != nil) {
			sd.alarmTriggered = true
			s.startRollback(svc, sd, at, fmt.Sprintf(alarmRollbackReasonFormat, sd.cfg.Alarm))
			return s.advanceNative(svc, now)
		}
	}
	if sd.cfg.strategy() == StrategyRolling {
		return false
	}
	if !sd.pausedAt.IsZero() {
		return true
	}
	if sd.cfg.PauseAt != "" && sd.hookState == "" {
		if at := sd.start.Add(sd.paused + sd.pauseAfter()); !now.Before(at) {
			sd.pausedAt, sd.hookState, sd.updatedAt = at, "AWAITING_ACTION", at
			if sd.pauseAfter() >= sd.shiftedAfter() {
				s.shiftTraffic(svc, sd.target.taskDef, at)
			}
			return true
		}
	}
	start := sd.start.Add(sd.paused)
	up := start.Add(sd.rollout.Settle)
	if now.Before(up) {
		return true
	}
	if sd.rollout.Fail {
		// Green's tasks fail to start: the circuit breaker trips at the end
		// of scale-up; blue still takes all the traffic.
		s.failGreen(svc, sd, up)
		return true
	}
	d := sd.classic
	d.running, d.pending = d.desired, 0
	svc.recount()
	shifted := start.Add(sd.shiftedAfter())
	if now.Before(shifted) {
		return true
	}
	s.shiftTraffic(svc, sd.target.taskDef, shifted)
	done := shifted.Add(sd.cfg.BakeTime)
	if now.Before(done) {
		return true
	}
	// CLEAN_UP: blue's tasks stop; the deployment is SUCCESSFUL.
	svc.rollout = nil
	sd.status, sd.statusReason = SDSuccessful, "Service deployment completed."
	sd.finishedAt, sd.updatedAt = done, done
	d.rolloutState = "COMPLETED"
	d.rolloutReason = fmt.Sprintf("ECS deployment %s completed.", d.id)
	d.updatedAt = done
	svc.deployments = []*deployment{d}
	svc.recount()
	svc.stable, svc.stableAt = true, done
	s.addEvent(svc, done, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", svc.name, d.id))
	s.addEvent(svc, done, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
	return true
}

func (s *Server) shiftTraffic(svc *service, taskDef string, at time.Time) {
	if svc.hist.trafficTo != taskDef {
		svc.hist.trafficTo, svc.hist.trafficAt = taskDef, at
		s.addEvent(svc, at, fmt.Sprintf("(service %s) shifted production traffic to %s.", svc.name, bareTaskDef(taskDef)))
	}
}

// failGreen ends a BLUE_GREEN, LINEAR or CANARY deployment whose new tasks
// failed; callers hold s.mu.
func (s *Server) failGreen(svc *service, sd *serviceDeployment, at time.Time) {
	svc.rollout = nil
	s.failRollout(svc, sd.classic, sd.rollout, at)
	s.nativeFailed(svc, sd, at)
}

// nativeFailed is what the circuit breaker does to the service deployment
// of a failed rollout: with rollback, revert to the source revision; else
// stop it. Callers hold s.mu.
func (s *Server) nativeFailed(svc *service, sd *serviceDeployment, at time.Time) {
	sd.cbTriggered = true
	if sd.cfg.CircuitBreakerRollback && sd.source != nil {
		s.startRollback(svc, sd, at, circuitBreakerRollbackReason)
		s.finishRollback(svc, sd, at)
		return
	}
	sd.status, sd.statusReason = SDStopped, "Service deployment stopped because the circuit breaker threshold was exceeded."
	sd.stoppedAt, sd.finishedAt, sd.updatedAt = at, at, at
}

// rolledBackRolling is classic advance's hook for a ROLLING rollout that
// failed; callers hold s.mu.
func (s *Server) rolledBackRolling(svc *service, at time.Time) {
	if sd := svc.hist.active(); sd != nil && sd.rollbackAt.IsZero() {
		s.nativeFailed(svc, sd, at)
	}
}

// completedRolling is classic advance's hook for a ROLLING rollout that
// completed; callers hold s.mu.
func (s *Server) completedRolling(svc *service, at time.Time) {
	sd := svc.hist.active()
	if sd == nil || !sd.rollbackAt.IsZero() {
		return
	}
	sd.status, sd.statusReason = SDSuccessful, "Service deployment completed."
	sd.finishedAt, sd.updatedAt = at, at
	s.shiftTraffic(svc, sd.target.taskDef, at)
}

// startRollback begins rolling sd back to its source revision: at once
// where the source's tasks still run (BLUE_GREEN, LINEAR and CANARY keep
// them until CLEAN_UP), else in the time a rollout takes. Callers hold s.mu.
func (s *Server) startRollback(svc *service, sd *serviceDeployment, at time.Time, why string) {
	sd.status, sd.rollbackReason, sd.rollbackAt, sd.updatedAt = SDRollbackInProgress, why, at, at
	sd.statusReason = why
	if !sd.pausedAt.IsZero() {
		sd.paused += at.Sub(sd.pausedAt)
		sd.pausedAt = time.Time{}
		sd.hookState = "SUCCEEDED"
	}
	sd.rollbackTakes = 0
	if sd.cfg.strategy() == StrategyRolling && !sd.cbTriggered {
		sd.rollbackTakes = sd.rollout.Settle
		if sd.cfg.RollbackTime > 0 {
			sd.rollbackTakes = sd.cfg.RollbackTime
		}
	}
	svc.rollout = nil
	if sd.classic.rolloutState == "IN_PROGRESS" {
		sd.classic.rolloutState, sd.classic.rolloutReason = "FAILED", why
		sd.classic.updatedAt = at
	}
	s.addEvent(svc, at, fmt.Sprintf("(service %s) (service-deployment %s) rollback started: %s", svc.name, sd.arn[strings.LastIndex(sd.arn, "/")+1:], why))
}

// finishRollback puts the service back on sd's source revision. Callers
// hold s.mu.
func (s *Server) finishRollback(svc *service, sd *serviceDeployment, at time.Time) {
	sd.status = SDRollbackSuccessful
	sd.finishedAt, sd.updatedAt = at, at
	src := sd.source.taskDef
	var back *deployment
	for _, d := range svc.deployments {
		if d != sd.classic && d.taskDef == src {
			back = d
			break
		}
	}
	if back == nil {
		back = &deployment{id: s.newDeploymentID(), taskDef: src, createdAt: at}
	}
	back.status, back.desired, back.running, back.pending = "PRIMARY", svc.desired, svc.desired, 0
	back.rolloutState = "COMPLETED"
	back.rolloutReason = fmt.Sprintf("ECS deployment %s completed.", back.id)
	back.updatedAt = at
	svc.deployments = []*deployment{back}
	svc.recount()
	svc.stable, svc.stableAt = true, at
	s.shiftTraffic(svc, src, at)
	s.addEvent(svc, at, fmt.Sprintf("(service %s) (service-deployment %s) rolled back to %s.", svc.name, sd.arn[strings.LastIndex(sd.arn, "/")+1:], bareTaskDef(src)))
	s.addEvent(svc, at, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
}

// findDeployment finds a service deployment by ARN; callers hold s.mu.
func (s *Server) findDeployment(arn string) (*service, *serviceDeployment) {
	for _, c := range s.clusters {
		for _, svc := range c.services {
			if svc.hist == nil {
				continue
			}
			for _, sd := range svc.hist.deps {
				if sd.arn == arn {
					return svc, sd
				}
			}
		}
	}
	return nil, nil
}

// findRevision finds a service revision by ARN; callers hold s.mu.
func (s *Server) findRevision(arn string) (*service, *serviceRevision) {
	for _, c := range s.clusters {
		for _, svc := range c.services {
			if svc.hist == nil {
				continue
			}
			for _, r := range svc.hist.revisions {
				if r.arn == arn {
					return svc, r
				}
			}
		}
	}
	return nil, nil
}
