package ecsread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// describeServicesMax is how many services one DescribeServices call takes.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
const describeServicesMax = 10

// NotFoundError says a service does not exist in the cluster: ECS listed it
// in failures[] (Reason "MISSING"), or it is INACTIVE (deleted).
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Failure.html
type NotFoundError struct {
	Cluster string
	Service string // as asked: a name or an ARN
	Reason  string // MISSING, INACTIVE, or the failure's reason
}

// Error says which service was not found, where, and why.
func (e *NotFoundError) Error() string {
	if e.Reason == "INACTIVE" {
		return fmt.Sprintf("service %s in cluster %s is INACTIVE (deleted)", e.Service, e.Cluster)
	}
	return fmt.Sprintf("service %s not found in cluster %s (%s)", e.Service, e.Cluster, e.Reason)
}

// DescribeServices describes services of one cluster, in batches of 10 issued
// concurrently, and returns them keyed by the name (or ARN) they were asked
// by. A service that is missing or INACTIVE is left out of the map and
// reported as a *NotFoundError; the map still holds the others. Errors come
// back in the order the services were asked, joined with errors.Join when
// there are several, so errors.As finds each *NotFoundError.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
func DescribeServices(ctx context.Context, api ecs.DescribeServicesAPIClient, cluster string, names []string) (map[string]Service, error) {
	var uniq []string
	for _, n := range names {
		if n != "" && !slices.Contains(uniq, n) {
			uniq = append(uniq, n)
		}
	}
	batches := slices.Collect(slices.Chunk(uniq, describeServicesMax))
	outs := make([]*ecs.DescribeServicesOutput, len(batches))
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for i, batch := range batches {
		wg.Go(func() {
			outs[i], errs[i] = api.DescribeServices(ctx, &ecs.DescribeServicesInput{
				Cluster:  optional(cluster),
				Services: batch,
			})
		})
	}
	wg.Wait()

	found := make(map[string]Service, len(uniq))
	var all []error
	for i, batch := range batches {
		if errs[i] != nil {
			all = append(all, fmt.Errorf("describe services %s in cluster %s: %w", strings.Join(batch, ", "), cluster, errs[i]))
			continue
		}
		for _, name := range batch {
			if svc, ok := findService(outs[i].Services, name); ok {
				s := ServiceFrom(svc)
				if s.Status == "INACTIVE" {
					all = append(all, &NotFoundError{Cluster: cluster, Service: name, Reason: "INACTIVE"})
					continue
				}
				found[name] = s
				continue
			}
			reason := "not in the DescribeServices answer"
			if f, ok := findFailure(outs[i].Failures, name); ok {
				reason = aws.ToString(f.Reason)
			}
			all = append(all, &NotFoundError{Cluster: cluster, Service: name, Reason: reason})
		}
	}
	if len(all) == 1 {
		return found, all[0]
	}
	return found, errors.Join(all...)
}

// DescribeService describes one service; a missing or INACTIVE one is a
// *NotFoundError.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
func DescribeService(ctx context.Context, api ecs.DescribeServicesAPIClient, cluster, name string) (Service, error) {
	m, err := DescribeServices(ctx, api, cluster, []string{name})
	if s, ok := m[name]; ok {
		return s, nil
	}
	if err == nil {
		err = &NotFoundError{Cluster: cluster, Service: name, Reason: "empty name"}
	}
	return Service{}, err
}

func findService(svcs []types.Service, asked string) (types.Service, bool) {
	for _, s := range svcs {
		if aws.ToString(s.ServiceArn) == asked || aws.ToString(s.ServiceName) == revision.ResourceName(asked) {
			return s, true
		}
	}
	return types.Service{}, false
}

func findFailure(fs []types.Failure, asked string) (types.Failure, bool) {
	for _, f := range fs {
		if aws.ToString(f.Arn) == asked || revision.ResourceName(aws.ToString(f.Arn)) == revision.ResourceName(asked) {
			return f, true
		}
	}
	return types.Failure{}, false
}

// optional is nil for "", so ECS applies its default.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// ServiceFrom keeps what the action needs of an ECS service.
func ServiceFrom(s types.Service) Service {
	out := Service{
		ARN:            aws.ToString(s.ServiceArn),
		Name:           aws.ToString(s.ServiceName),
		ClusterARN:     aws.ToString(s.ClusterArn),
		Status:         aws.ToString(s.Status),
		TaskDefinition: aws.ToString(s.TaskDefinition),
		Controller:     string(types.DeploymentControllerTypeEcs), // the default when unset
		DesiredCount:   s.DesiredCount,
		RunningCount:   s.RunningCount,
		PendingCount:   s.PendingCount,
		Launch:         launchFrom(s),
	}
	if s.DeploymentController != nil && s.DeploymentController.Type != "" {
		out.Controller = string(s.DeploymentController.Type)
	}
	for _, d := range s.Deployments {
		out.Deployments = append(out.Deployments, Deployment{
			ID:             aws.ToString(d.Id),
			Status:         aws.ToString(d.Status),
			TaskDefinition: aws.ToString(d.TaskDefinition),
			DesiredCount:   d.DesiredCount,
			RunningCount:   d.RunningCount,
			PendingCount:   d.PendingCount,
			FailedTasks:    d.FailedTasks,
			RolloutState:   string(d.RolloutState),
			RolloutReason:  aws.ToString(d.RolloutStateReason),
			CreatedAt:      aws.ToTime(d.CreatedAt),
			UpdatedAt:      aws.ToTime(d.UpdatedAt),
		})
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, Event{
			ID:        aws.ToString(e.Id),
			CreatedAt: aws.ToTime(e.CreatedAt),
			Message:   aws.ToString(e.Message),
		})
	}
	return out
}
