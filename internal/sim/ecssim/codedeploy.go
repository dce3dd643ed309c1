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

// Launch is how a service runs its tasks, as DescribeServices reports it:
// platformVersion, networkConfiguration.awsvpcConfiguration and
// capacityProviderStrategy (a service with one reports no launchType).
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
type Launch struct {
	PlatformVersion   string
	Subnets           []string // none: no networkConfiguration
	SecurityGroups    []string
	AssignPublicIP    string // ENABLED or DISABLED (default)
	CapacityProviders []CapacityProvider
}

// CapacityProvider is one item of a capacity-provider strategy.
type CapacityProvider struct {
	Name         string
	Base, Weight int32
}

// SetLaunch sets the launch settings DescribeServices reports for a service
// (by default: launch type FARGATE and nothing else).
func (s *Server) SetLaunch(cluster, service string, l Launch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, svc := s.lookup(cluster, service)
	if svc == nil {
		return fmt.Errorf("set launch: service %s not found in cluster %s", service, cluster)
	}
	svc.launch = &l
	return nil
}

// launchWire fills in a service's launch settings; callers hold s.mu.
func (svc *service) launchWire(w *serviceWire) {
	l := svc.launch
	if l == nil {
		return
	}
	w.PlatformVersion = l.PlatformVersion
	if len(l.Subnets) > 0 {
		assign := l.AssignPublicIP
		if assign == "" {
			assign = "DISABLED"
		}
		w.NetworkConfiguration = &networkConfigurationWire{AwsvpcConfiguration: awsvpcWire{
			Subnets: l.Subnets, SecurityGroups: l.SecurityGroups, AssignPublicIP: assign,
		}}
	}
	for _, c := range l.CapacityProviders {
		w.CapacityProviderStrategy = append(w.CapacityProviderStrategy, capacityProviderWire{CapacityProvider: c.Name, Base: c.Base, Weight: c.Weight})
	}
	if len(l.CapacityProviders) > 0 {
		w.LaunchType = ""
	}
}

// launchFields are the members of a service's launch settings.
type launchFields struct {
	PlatformVersion          string                    `json:"platformVersion,omitempty"`
	NetworkConfiguration     *networkConfigurationWire `json:"networkConfiguration,omitempty"`
	CapacityProviderStrategy []capacityProviderWire    `json:"capacityProviderStrategy,omitempty"`
}

type networkConfigurationWire struct {
	AwsvpcConfiguration awsvpcWire `json:"awsvpcConfiguration"`
}

type awsvpcWire struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	AssignPublicIP string   `json:"assignPublicIp"`
}

type capacityProviderWire struct {
	CapacityProvider string `json:"capacityProvider"`
	Base             int32  `json:"base"`
	Weight           int32  `json:"weight"`
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
