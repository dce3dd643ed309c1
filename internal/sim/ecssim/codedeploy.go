package ecssim

import (
	"fmt"
	"slices"
)

// LoadBalancer is one load balancer of a service: the target group and the
// container and port it routes to.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html
type LoadBalancer struct {
	TargetGroupArn string
	ContainerName  string
	ContainerPort  int32
}

// SetLoadBalancers sets the loadBalancers DescribeServices reports for a
// service (none by default).
func (s *Server) SetLoadBalancers(cluster, service string, lbs ...LoadBalancer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return fmt.Errorf("set load balancers: service %s not found in cluster %s", service, cluster)
	}
	svc.lbs = slices.Clone(lbs)
	return nil
}

// SetServiceTaskDefinition puts a service on a task definition at once, as a
// CodeDeploy blue/green deployment does when it succeeds: the replacement
// task set, running every desired task, becomes the only PRIMARY one. It
// works for any deployment controller and is not an API call, so it is not
// in the call log.
func (s *Server) SetServiceTaskDefinition(cluster, service, taskDef string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return fmt.Errorf("set task definition: service %s not found in cluster %s", service, cluster)
	}
	td := s.resolveTaskDef(taskDef)
	if td == nil {
		return fmt.Errorf("set task definition of service %s: task definition %q is not registered", service, taskDef)
	}
	now := s.cfg.now()
	d := &deployment{
		id:        s.newDeploymentID(),
		status:    "PRIMARY",
		taskDef:   td.arn,
		desired:   svc.desired,
		running:   svc.desired,
		createdAt: now,
		updatedAt: now,
	}
	if svc.controller == "ECS" {
		d.rolloutState = "COMPLETED"
		d.rolloutReason = fmt.Sprintf("ECS deployment %s completed.", d.id)
	}
	svc.deployments = []*deployment{d}
	svc.rollout = nil
	svc.recount()
	svc.stable, svc.stableAt = true, now
	s.addEvent(svc, now, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
	return nil
}
