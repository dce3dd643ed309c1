package ecsops

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// The narrow client interfaces, one per operation the package calls; *ecs.Client
// satisfies them all. DescribeServices and ListTaskDefinitions use the SDK's
// own ecs.DescribeServicesAPIClient and ecs.ListTaskDefinitionsAPIClient.

// DescribeTaskDefinitionAPI is the client of DescribeTaskDefinition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
type DescribeTaskDefinitionAPI interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// UpdateServiceAPI is the client of UpdateService.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
type UpdateServiceAPI interface {
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// StoppedTasksAPI is the client of ListTasks and DescribeTasks.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
// and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
type StoppedTasksAPI interface {
	ecs.ListTasksAPIClient
	ecs.DescribeTasksAPIClient
}

// DeregisterAPI is the client of DeregisterTaskDefinition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html
type DeregisterAPI interface {
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
}

// Compile-time proof that the SDK client fits.
var (
	_ ecs.DescribeServicesAPIClient    = (*ecs.Client)(nil)
	_ ecs.ListTaskDefinitionsAPIClient = (*ecs.Client)(nil)
	_ DescribeTaskDefinitionAPI        = (*ecs.Client)(nil)
	_ UpdateServiceAPI                 = (*ecs.Client)(nil)
	_ StoppedTasksAPI                  = (*ecs.Client)(nil)
	_ DeregisterAPI                    = (*ecs.Client)(nil)
)
