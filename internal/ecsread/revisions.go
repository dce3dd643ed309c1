package ecsread

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// listPageSize is the largest page ListTaskDefinitions returns.
const listPageSize = 100

// ActiveRevisionARNs lists the ACTIVE revisions of exactly family (ECS treats
// familyPrefix as a prefix, so "web" would also list "web-worker") whose
// number is below `below` (below <= 0: no bound), newest first, at most max
// of them (max <= 0: no limit).
//
// It asks for descending order and stops paging once it has max revisions,
// but only when the answers really came back descending; some emulators
// ignore sort and list ascending, and then every page is read and sorted
// here.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html
func ActiveRevisionARNs(ctx context.Context, api ecs.ListTaskDefinitionsAPIClient, family string, below int32, max int) ([]string, error) {
	p := ecs.NewListTaskDefinitionsPaginator(api, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family),
		Status:       types.TaskDefinitionStatusActive,
		Sort:         types.SortOrderDesc,
		MaxResults:   aws.Int32(listPageSize),
	})
	type rev struct {
		arn string
		n   int32
	}
	var (
		keep       []rev
		seen       int   // revisions of family seen
		last       int32 // the previous one's number
		descending = true
	)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list ACTIVE task definitions with family prefix %s: %w", family, err)
		}
		for _, arn := range out.TaskDefinitionArns {
			fam, n, err := revision.ParseARN(arn)
			if err != nil || fam != family {
				continue
			}
			if seen > 0 && n > last {
				descending = false
			}
			seen, last = seen+1, n
			if below > 0 && n >= below {
				continue
			}
			keep = append(keep, rev{arn: arn, n: n})
		}
		// Two or more revisions in descending order show the server sorts.
		if max > 0 && len(keep) >= max && descending && seen >= 2 {
			break
		}
	}
	slices.SortStableFunc(keep, func(a, b rev) int { return cmp.Compare(b.n, a.n) })
	if max > 0 && len(keep) > max {
		keep = keep[:max]
	}
	arns := make([]string, len(keep))
	for i, r := range keep {
		arns[i] = r.arn
	}
	return arns, nil
}

// DescribeRevision describes one task-definition revision, by ARN,
// family:revision, or family (the latest ACTIVE revision).
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
func DescribeRevision(ctx context.Context, api DescribeTaskDefinitionAPI, ref string) (revision.Revision, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return revision.Revision{}, fmt.Errorf("describe task definition %s: %w", ref, err)
	}
	if out.TaskDefinition == nil {
		return revision.Revision{}, fmt.Errorf("describe task definition %s: the answer holds no task definition", ref)
	}
	return fromSDKTaskDefinition(*out.TaskDefinition), nil
}

func fromSDKTaskDefinition(td types.TaskDefinition) revision.Revision {
	rev := revision.Revision{
		ARN:          aws.ToString(td.TaskDefinitionArn),
		Family:       aws.ToString(td.Family),
		Number:       td.Revision,
		Status:       string(td.Status),
		RegisteredAt: aws.ToTime(td.RegisteredAt),
	}
	for _, c := range td.ContainerDefinitions {
		rev.Containers = append(rev.Containers, revision.Container{
			Name:   aws.ToString(c.Name),
			Image:  aws.ToString(c.Image),
			Labels: c.DockerLabels,
		})
	}
	return rev
}
