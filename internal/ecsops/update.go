package ecsops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// UpdateService points a service at a task-definition revision, which starts
// a new deployment, and returns the service as ECS answered. Some emulators
// answer with a bare family:revision; when it names the revision asked for,
// it is replaced by the ARN that was sent.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
func UpdateService(ctx context.Context, api UpdateServiceAPI, cluster, service, taskDefinitionARN string) (Service, error) {
	out, err := api.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        optional(cluster),
		Service:        aws.String(service),
		TaskDefinition: aws.String(taskDefinitionARN),
	})
	if err != nil {
		return Service{}, fmt.Errorf("update service %s in cluster %s to %s: %w", service, cluster, taskDefinitionARN, err)
	}
	if out.Service == nil {
		return Service{}, fmt.Errorf("update service %s in cluster %s to %s: the answer holds no service", service, cluster, taskDefinitionARN)
	}
	s := fromSDKService(*out.Service)
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
