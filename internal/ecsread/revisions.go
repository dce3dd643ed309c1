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

// FindRevision describes the revisions arns (newest first) with at most
// concurrency calls in flight (10 when concurrency <= 0) and returns the
// newest one that match accepts. match is called from one goroutine at a
// time.
//
// It stops as soon as the answer is certain: once a revision matches and
// every newer one has been described without matching, no further describe
// is started and those in flight are cancelled. described is the number of
// DescribeTaskDefinition calls started. An error on a revision newer than the
// match (or when nothing matches) is returned; errors on older revisions are
// irrelevant to the answer and ignored.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
func FindRevision(ctx context.Context, api DescribeTaskDefinitionAPI, arns []string, concurrency int, match func(revision.Revision) bool) (rev revision.Revision, found bool, described int, err error) {
	if concurrency <= 0 {
		concurrency = DescribeConcurrency
	}
	type result struct {
		i   int
		rev revision.Revision
		err error
	}
	type state struct {
		done, matched bool
		rev           revision.Revision
		err           error
	}
	n := len(arns)
	states := make([]state, n)
	cancels := make([]context.CancelFunc, n)
	results := make(chan result)
	var (
		next     int // the next index to launch
		inFlight int
		frontier int // every index below it is done without matching
		decisive = n // the lowest index that matched or failed
	)
	defer func() {
		for _, c := range cancels {
			if c != nil {
				c()
			}
		}
		for ; inFlight > 0; inFlight-- {
			<-results
		}
	}()
	for {
		for frontier < n && states[frontier].done && !states[frontier].matched && states[frontier].err == nil {
			frontier++
		}
		if frontier == n {
			return revision.Revision{}, false, described, nil
		}
		if st := states[frontier]; st.done {
			if st.err != nil {
				return revision.Revision{}, false, described, st.err
			}
			return st.rev, true, described, nil
		}
		for inFlight < concurrency && next < decisive {
			i := next
			next++
			cctx, cancel := context.WithCancel(ctx)
			cancels[i] = cancel
			inFlight++
			described++
			go func() {
				r, err := DescribeRevision(cctx, api, arns[i])
				results <- result{i: i, rev: r, err: err}
			}()
		}
		r := <-results
		inFlight--
		cancels[r.i]()
		st := state{done: true, rev: r.rev, err: r.err}
		if r.i > decisive {
			// Older than a known answer (and perhaps cancelled): irrelevant.
			st.err = nil
		} else {
			st.matched = r.err == nil && match(r.rev)
		}
		states[r.i] = st
		if (st.matched || st.err != nil) && r.i < decisive {
			decisive = r.i
			for j := r.i + 1; j < n; j++ {
				if cancels[j] != nil && !states[j].done {
					cancels[j]()
				}
			}
		}
	}
}
