package ecsread

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingDescriber answers DescribeTaskDefinition for any ARN and counts
// the calls per ARN; block, when set, holds every call until it is closed.
type countingDescriber struct {
	mu       sync.Mutex
	calls    map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	block    chan struct{}
	entered  chan string // when set, told of each call as it starts
}

func (d *countingDescriber) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	arn := aws.ToString(in.TaskDefinition)
	d.mu.Lock()
	d.calls[arn]++
	d.mu.Unlock()
	if d.entered != nil {
		d.entered <- arn
	}
	n := d.inFlight.Add(1)
	defer d.inFlight.Add(-1)
	for {
		m := d.maxSeen.Load()
		if n <= m || d.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if d.block != nil {
		select {
		case <-d.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn)}}, nil
}

func (d *countingDescriber) count(arn string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[arn]
}

func arnsOf(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/web:%d", n-i)
	}
	return out
}

func TestPrefetchAnswersFromItsOwnCalls(t *testing.T) {
	t.Parallel()
	api := &countingDescriber{calls: map[string]int{}}
	arns := arnsOf(30)
	cache, stop := Prefetch(t.Context(), api, arns, NewLimiter(4))
	defer stop()
	for _, arn := range arns {
		out, err := cache.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		require.NoError(t, err)
		assert.Equal(t, arn, aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	}
	for _, arn := range arns {
		assert.Equal(t, 1, api.count(arn), "each revision is described once: %s", arn)
	}
	assert.LessOrEqual(t, api.maxSeen.Load(), int32(4), "never more calls in flight than the bound")
}

func TestPrefetchStoppedCallsAreMadeAgain(t *testing.T) {
	t.Parallel()
	api := &countingDescriber{calls: map[string]int{}, block: make(chan struct{}), entered: make(chan string, 10)}
	arns := arnsOf(3)
	cache, stop := Prefetch(context.Background(), api, arns, NewLimiter(2))
	<-api.entered
	<-api.entered
	stop() // cancels the two calls in flight before they answer
	close(api.block)
	out, err := cache.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arns[0])})
	require.NoError(t, err)
	assert.Equal(t, arns[0], aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	assert.Equal(t, 2, api.count(arns[0]), "the cut-short call is made again for the caller")
	_, err = cache.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arns[2])})
	require.NoError(t, err)
	assert.Equal(t, 1, api.count(arns[2]), "a revision the prefetch never reached is described on demand")
}

func TestLikelyCandidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref     string
		current int32
		max     int
		want    []string
	}{
		{"arn:aws:ecs:us-east-1:123456789012:task-definition/web:45", 45, 3, []string{
			"arn:aws:ecs:us-east-1:123456789012:task-definition/web:44",
			"arn:aws:ecs:us-east-1:123456789012:task-definition/web:43",
			"arn:aws:ecs:us-east-1:123456789012:task-definition/web:42",
		}},
		{"web:3", 3, 20, []string{"web:2", "web:1"}},
		{"web:1", 1, 20, []string{}},
		{"no-revision", 0, 5, nil},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, LikelyCandidates(tc.ref, tc.current, tc.max), tc.ref)
	}
}
