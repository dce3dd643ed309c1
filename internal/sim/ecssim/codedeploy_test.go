package ecssim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

func TestCodeDeployHelpers(t *testing.T) {
	t.Parallel()
	s, api := newSim(t)
	arns := register(s, "web", 3)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "bg", TaskDefinition: arns[2], DesiredCount: 2, Controller: "CODE_DEPLOY"}))
	require.NoError(t, s.SetLoadBalancers("prod", "bg", ecssim.LoadBalancer{TargetGroupArn: "arn:tg", ContainerName: "app", ContainerPort: 8080}))
	require.NoError(t, s.SetServiceTaskDefinition("prod", "bg", arns[0]))
	require.Error(t, s.SetServiceTaskDefinition("prod", "bg", "web:9"))
	require.Error(t, s.SetLoadBalancers("prod", "nope"))

	out, err := api.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"bg"}})
	require.NoError(t, err)
	require.Len(t, out.Services, 1)
	svc := out.Services[0]
	assert.Equal(t, arns[0], aws.ToString(svc.TaskDefinition))
	require.Len(t, svc.LoadBalancers, 1)
	assert.Equal(t, "app", aws.ToString(svc.LoadBalancers[0].ContainerName))
	assert.Equal(t, int32(8080), aws.ToInt32(svc.LoadBalancers[0].ContainerPort))
	require.Len(t, svc.Deployments, 1)
	assert.Equal(t, int32(2), svc.Deployments[0].RunningCount)
	assert.Empty(t, s.MutatingCalls())
}

func TestSetLaunch(t *testing.T) {
	t.Parallel()
	s, api := newSim(t)
	arns := register(s, "web", 1)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "bg", TaskDefinition: arns[0], DesiredCount: 1, Controller: "CODE_DEPLOY"}))
	require.NoError(t, s.SetLaunch("prod", "bg", ecssim.Launch{
		PlatformVersion: "1.4.0", Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"},
		CapacityProviders: []ecssim.CapacityProvider{{Name: "FARGATE", Base: 1, Weight: 1}},
	}))
	require.Error(t, s.SetLaunch("prod", "nope", ecssim.Launch{}))
	out, err := api.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"bg"}})
	require.NoError(t, err)
	svc := out.Services[0]
	assert.Equal(t, "1.4.0", aws.ToString(svc.PlatformVersion))
	require.NotNil(t, svc.NetworkConfiguration)
	assert.Equal(t, []string{"subnet-1"}, svc.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	assert.Equal(t, "DISABLED", string(svc.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp))
	require.Len(t, svc.CapacityProviderStrategy, 1)
	assert.Equal(t, int32(1), svc.CapacityProviderStrategy[0].Base)
	assert.Empty(t, svc.LaunchType, "a capacity-provider strategy replaces the launch type")
}
