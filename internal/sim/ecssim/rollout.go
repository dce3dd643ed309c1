package ecssim

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

const (
	defaultFailReason    = "ECS deployment circuit breaker: tasks failed to start."
	defaultStoppedReason = "Essential container in task exited"
)

// rolloutFor returns the rollout behaviour of a service; callers hold s.mu.
func (s *Server) rolloutFor(svc *service) Rollout {
	if r, ok := s.rollouts[key{svc.cluster.name, svc.name}]; ok {
		return r
	}
	return s.defaultRollout
}

// startRollout makes a new PRIMARY deployment of taskDef; the previous
// primary becomes ACTIVE. Callers hold s.mu.
func (s *Server) startRollout(svc *service, taskDef string, now time.Time) {
	for _, d := range svc.deployments {
		if d.status == "PRIMARY" {
			d.status = "ACTIVE"
			d.updatedAt = now
		}
	}
	d := &deployment{
		id:            s.newDeploymentID(),
		status:        "PRIMARY",
		taskDef:       taskDef,
		desired:       svc.desired,
		pending:       svc.desired,
		rolloutState:  "IN_PROGRESS",
		rolloutReason: "ECS deployment detected.",
		createdAt:     now,
		updatedAt:     now,
	}
	svc.deployments = append([]*deployment{d}, svc.deployments...)
	svc.rollout = &pendingRollout{deployment: d, start: now, r: s.rolloutFor(svc)}
	svc.stable, svc.stableAt = false, time.Time{}
	svc.recount()
	s.recordDeployment(svc, d, now)
}

// advance settles a service's rollout when its time has come, stamping
// what happened with the time it happened rather than the time of the
// read. Callers hold s.mu.
func (s *Server) advance(svc *service, now time.Time) {
	if svc.hist != nil && s.advanceNative(svc, now) {
		return
	}
	p := svc.rollout
	if p == nil || p.r.Never {
		return
	}
	at := p.start.Add(p.r.Settle)
	if now.Before(at) {
		return
	}
	svc.rollout = nil
	d := p.deployment
	d.updatedAt = at
	if p.r.Fail {
		s.failRollout(svc, d, p.r, at)
		s.rolledBackRolling(svc, at)
		return
	}
	d.running, d.pending = d.desired, 0
	d.rolloutState = "COMPLETED"
	d.rolloutReason = fmt.Sprintf("ECS deployment %s completed.", d.id)
	svc.deployments = []*deployment{d}
	svc.recount()
	svc.stable, svc.stableAt = true, at
	s.completedRolling(svc, at)
	s.addEvent(svc, at, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", svc.name, d.id))
	s.addEvent(svc, at, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
}

// failRollout ends a rollout as the deployment circuit breaker does: the
// deployment is FAILED, a task of its revision stopped, and the older
// deployments keep running. Callers hold s.mu.
func (s *Server) failRollout(svc *service, d *deployment, r Rollout, at time.Time) {
	reason := r.FailReason
	if reason == "" {
		reason = defaultFailReason
	}
	stopped := r.StoppedReason
	if stopped == "" {
		stopped = defaultStoppedReason
	}
	d.running, d.pending = 0, 0
	d.failed = max(d.desired, 1)
	d.rolloutState = "FAILED"
	d.rolloutReason = reason
	svc.recount()

	t := &task{
		taskDef:       d.taskDef,
		service:       svc.name,
		lastStatus:    "STOPPED",
		stoppedReason: stopped,
		stopCode:      "EssentialContainerExited",
		createdAt:     at,
		startedAt:     at,
		stoppedAt:     at,
	}
	if td := s.taskDefs[d.taskDef]; td != nil {
		for i, c := range td.containers {
			tc := TaskContainer{Name: c.Name}
			if i == 0 {
				one := int32(1)
				tc.ExitCode = &one
			}
			t.containers = append(t.containers, tc)
		}
	}
	s.addTask(svc.cluster, t)
	s.addEvent(svc, at, fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", svc.name, t.id))
	s.addEvent(svc, at, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", svc.name, d.id))
}

// advanceCluster settles every service of a cluster; callers hold s.mu.
func (s *Server) advanceCluster(c *cluster, now time.Time) {
	for _, name := range slices.Sorted(maps.Keys(c.services)) {
		s.advance(c.services[name], now)
	}
}
