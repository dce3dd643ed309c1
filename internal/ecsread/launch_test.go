package ecsread_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/deplight/ecs-rollback/internal/ecsread"
)

func TestLaunch(t *testing.T) {
	t.Parallel()
	vpc := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
		Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: types.AssignPublicIpDisabled,
	}}
	lb := []types.LoadBalancer{{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}
	tests := []struct {
		name string
		in   types.Service
		want ecsread.Launch
	}{
		{name: "nothing", want: ecsread.Launch{}},
		{
			name: "the service says it all",
			in: types.Service{
				LoadBalancers: lb, PlatformVersion: aws.String("1.4.0"), NetworkConfiguration: vpc,
				CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Base: 1, Weight: 2}},
				TaskSets:                 []types.TaskSet{{Status: aws.String("PRIMARY"), PlatformVersion: aws.String("1.3.0")}},
			},
			want: ecsread.Launch{
				LoadBalancers:     []ecsread.LoadBalancer{{TargetGroupARN: "arn:tg/blue", ContainerName: "app", ContainerPort: 8080}},
				PlatformVersion:   "1.4.0",
				Network:           &ecsread.AwsVPC{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIP: "DISABLED"},
				CapacityProviders: []ecsread.CapacityProvider{{Name: "FARGATE_SPOT", Base: 1, Weight: 2}},
			},
		},
		{
			name: "the PRIMARY task set fills in",
			in: types.Service{TaskSets: []types.TaskSet{
				{Status: aws.String("ACTIVE"), PlatformVersion: aws.String("1.3.0")},
				{Status: aws.String("PRIMARY"), PlatformVersion: aws.String("1.4.0"), NetworkConfiguration: vpc, LoadBalancers: lb},
			}},
			want: ecsread.Launch{
				LoadBalancers:   []ecsread.LoadBalancer{{TargetGroupARN: "arn:tg/blue", ContainerName: "app", ContainerPort: 8080}},
				PlatformVersion: "1.4.0",
				Network:         &ecsread.AwsVPC{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, AssignPublicIP: "DISABLED"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, ecsread.ServiceFrom(tt.in).Launch); diff != "" {
				t.Errorf("Launch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
