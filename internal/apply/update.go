package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// UpdateService points a service at a task-definition revision, which starts
// a new deployment, and returns the service as ECS answered. Some emulators
// answer with a bare family:revision; when it names the revision asked for,
// it is replaced by the ARN that was sent.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
func UpdateService(ctx context.Context, api UpdateServiceAPI, cluster, service, taskDefinitionARN string) (ecsread.Service, error) {
	out, err := api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        optionalString(cluster),
		Service:        aws.String(service),
		TaskDefinition: aws.String(taskDefinitionARN),
	})
	if err != nil {
		return ecsread.Service{}, fmt.Errorf("update service %s in cluster %s to %s: %w", service, cluster, taskDefinitionARN, err)
	}
	if out.Service == nil {
		return ecsread.Service{}, fmt.Errorf("update service %s in cluster %s to %s: the answer holds no service", service, cluster, taskDefinitionARN)
	}
	s := ecsread.ServiceFrom(*out.Service)
	s.TaskDefinition = fullARN(s.TaskDefinition, taskDefinitionARN)
	for i := range s.Deployments {
		s.Deployments[i].TaskDefinition = fullARN(s.Deployments[i].TaskDefinition, taskDefinitionARN)
	}
	return s, nil
}

// fullARN returns asked when got is the same revision written bare.
func fullARN(got, asked string) string {
	if got != "" && !strings.HasPrefix(got, "arn:") && strings.HasPrefix(asked, "arn:") && revision.SameRevision(got, asked) {
		return asked
	}
	return got
}

// UpdateServiceAPI is the client of UpdateService.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
type UpdateServiceAPI interface {
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// DeregisterAPI is the client of DeregisterTaskDefinition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html
type DeregisterAPI interface {
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
}

// Deregister marks a task-definition revision INACTIVE.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html
func Deregister(ctx context.Context, api DeregisterAPI, arn string) error {
	if _, err := api.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
		return fmt.Errorf("deregister task definition %s: %w", arn, err)
	}
	return nil
}
