package ecsread

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Launch is how a service runs its tasks: its load balancers, Fargate
// platform version, awsvpc network configuration and capacity-provider
// strategy. A CodeDeploy deployment creates a task set with only what its
// AppSpec names, so a rollback through CodeDeploy repeats these.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
type Launch struct {
	LoadBalancers     []LoadBalancer
	PlatformVersion   string // e.g. 1.4.0 or LATEST; "" for EC2
	Network           *AwsVPC
	CapacityProviders []CapacityProvider
}

// LoadBalancer is one load balancer of a service: the target group and the
// container and port it routes to.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html
type LoadBalancer struct {
	TargetGroupARN string
	ContainerName  string
	ContainerPort  int32
}

// AwsVPC is a service's awsvpc network configuration.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html
type AwsVPC struct {
	Subnets        []string
	SecurityGroups []string
	AssignPublicIP string // ENABLED or DISABLED
}

// CapacityProvider is one item of a capacity-provider strategy.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
type CapacityProvider struct {
	Name   string
	Base   int32
	Weight int32
}

// launchFrom reads a service's launch settings. For a service with task
// sets (CODE_DEPLOY, EXTERNAL) the PRIMARY task set, which serves
// production traffic, fills in what the service itself does not say.
func launchFrom(s types.Service) Launch {
	l := Launch{
		LoadBalancers:     loadBalancers(s.LoadBalancers),
		PlatformVersion:   aws.ToString(s.PlatformVersion),
		Network:           awsVPC(s.NetworkConfiguration),
		CapacityProviders: capacityProviders(s.CapacityProviderStrategy),
	}
	for _, ts := range s.TaskSets {
		if aws.ToString(ts.Status) != "PRIMARY" {
			continue
		}
		if len(l.LoadBalancers) == 0 {
			l.LoadBalancers = loadBalancers(ts.LoadBalancers)
		}
		if l.PlatformVersion == "" {
			l.PlatformVersion = aws.ToString(ts.PlatformVersion)
		}
		if l.Network == nil {
			l.Network = awsVPC(ts.NetworkConfiguration)
		}
		if len(l.CapacityProviders) == 0 {
			l.CapacityProviders = capacityProviders(ts.CapacityProviderStrategy)
		}
	}
	return l
}

func loadBalancers(in []types.LoadBalancer) []LoadBalancer {
	var out []LoadBalancer
	for _, lb := range in {
		out = append(out, LoadBalancer{
			TargetGroupARN: aws.ToString(lb.TargetGroupArn),
			ContainerName:  aws.ToString(lb.ContainerName),
			ContainerPort:  aws.ToInt32(lb.ContainerPort),
		})
	}
	return out
}

func awsVPC(n *types.NetworkConfiguration) *AwsVPC {
	if n == nil || n.AwsvpcConfiguration == nil {
		return nil
	}
	c := n.AwsvpcConfiguration
	return &AwsVPC{Subnets: c.Subnets, SecurityGroups: c.SecurityGroups, AssignPublicIP: string(c.AssignPublicIp)}
}

func capacityProviders(in []types.CapacityProviderStrategyItem) []CapacityProvider {
	var out []CapacityProvider
	for _, c := range in {
		out = append(out, CapacityProvider{Name: aws.ToString(c.CapacityProvider), Base: c.Base, Weight: c.Weight})
	}
	return out
}
