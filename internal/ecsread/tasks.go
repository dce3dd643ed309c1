package ecsread

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/deplight/ecs-rollback/internal/revision"
)

const (
	// describeTasksMax is how many tasks one DescribeTasks call takes.
	describeTasksMax = 100
	// maxStoppedTasksRead bounds how many stopped tasks are read; ECS keeps
	// stopped tasks for about an hour, and a crash-looping service has many.
	maxStoppedTasksRead = 300
)

// StoppedTaskReasons explains why the service's tasks of taskDefinitionARN
// (any revision when empty) stopped: newest first, at most max (max <= 0: all
// read), each like "task 1a2b3c…: Essential container in task exited
// (container app: exit 1: OutOfMemory)".
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html,
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
// and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
func StoppedTaskReasons(ctx context.Context, api StoppedTasksAPI, cluster, service, taskDefinitionARN string, max int) ([]string, error) {
	p := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{
		Cluster:       optional(cluster),
		ServiceName:   aws.String(revision.ResourceName(service)),
		DesiredStatus: types.DesiredStatusStopped,
		MaxResults:    aws.Int32(100),
	})
	var arns []string
	for p.HasMorePages() && len(arns) < maxStoppedTasksRead {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list stopped tasks of service %s in cluster %s: %w", service, cluster, err)
		}
		arns = append(arns, out.TaskArns...)
	}

	var tasks []types.Task
	for batch := range slices.Chunk(arns, describeTasksMax) {
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: optional(cluster), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describe stopped tasks of service %s in cluster %s: %w", service, cluster, err)
		}
		for _, t := range out.Tasks {
			if taskDefinitionARN == "" || revision.SameRevision(aws.ToString(t.TaskDefinitionArn), taskDefinitionARN) {
				tasks = append(tasks, t)
			}
		}
	}
	slices.SortStableFunc(tasks, func(a, b types.Task) int {
		// Newest first; tasks without stoppedAt last.
		ta, tb := aws.ToTime(a.StoppedAt), aws.ToTime(b.StoppedAt)
		return tb.Compare(ta)
	})
	if max > 0 && len(tasks) > max {
		tasks = tasks[:max]
	}
	reasons := make([]string, len(tasks))
	for i, t := range tasks {
		reasons[i] = stoppedReason(t)
	}
	return reasons, nil
}

// stoppedReason says why one task stopped, with the containers that exited
// non-zero or have a reason.
func stoppedReason(t types.Task) string {
	reason := aws.ToString(t.StoppedReason)
	if reason == "" {
		reason = "stopped, no reason given"
	}
	var parts []string
	for _, c := range t.Containers {
		r := aws.ToString(c.Reason)
		if r == "" && (c.ExitCode == nil || *c.ExitCode == 0) {
			continue
		}
		part := "container " + aws.ToString(c.Name)
		if c.ExitCode != nil {
			part += fmt.Sprintf(": exit %d", *c.ExitCode)
		}
		if r != "" {
			part += ": " + r
		}
		parts = append(parts, part)
	}
	s := fmt.Sprintf("task %s: %s", revision.ResourceName(aws.ToString(t.TaskArn)), reason)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}
