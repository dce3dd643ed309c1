package ecsread

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

// StoppedTasksAPI is the client of ListTasks and DescribeTasks.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
// and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
type StoppedTasksAPI interface {
	ecs.ListTasksAPIClient
	ecs.DescribeTasksAPIClient
}

// Compile-time proof that the SDK client fits.
var (
	_ ecs.DescribeServicesAPIClient    = (*ecs.Client)(nil)
	_ ecs.ListTaskDefinitionsAPIClient = (*ecs.Client)(nil)
	_ DescribeTaskDefinitionAPI        = (*ecs.Client)(nil)
	_ StoppedTasksAPI                  = (*ecs.Client)(nil)
)
