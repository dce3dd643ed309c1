package ecslimit_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/ecslimit"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// fakeClock advances only when a caller sleeps: Sleep moves the clock by d
// at once and records d.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	frozen bool // Sleep records d without moving the clock
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if !c.frozen {
		c.now = c.now.Add(d)
	}
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func TestDocumented(t *testing.T) {
	t.Parallel()
	// The reference's figures for the operations the action calls.
	assert.Equal(t, ecslimit.Bucket{Burst: 50, Rate: 20}, ecslimit.Documented[ecslimit.ClassOf("DescribeTaskDefinition")])
	assert.Equal(t, ecslimit.Bucket{Burst: 100, Rate: 20}, ecslimit.Documented[ecslimit.ClassOf("DescribeServices")])
	assert.Equal(t, ecslimit.Bucket{Burst: 50, Rate: 5}, ecslimit.Documented[ecslimit.ClassOf("UpdateService")])
	assert.Equal(t, ecslimit.Bucket{Burst: 20, Rate: 1}, ecslimit.Documented[ecslimit.ClassOf("DeregisterTaskDefinition")])
	assert.Equal(t, ecslimit.Bucket{Burst: 100, Rate: 20}, ecslimit.Documented[ecslimit.ClassOf("DescribeTasks")])
	assert.Equal(t, ecslimit.ClassOf("ListTaskDefinitions"), ecslimit.ClassOf("DescribeTaskDefinition"), "one bucket for both")
	assert.Equal(t, ecslimit.Other, ecslimit.ClassOf("PutAttributesOfSomethingNew"))
	for c := range ecslimit.Classes {
		_, ok := ecslimit.Documented[ecslimit.Classes[c]]
		assert.True(t, ok, "class of %s has a bucket", c)
	}

}

// New paces by the documented buckets: the burst of task-definition reads
// goes at once, the next call waits a twentieth of a second.
func TestNewUsesTheDocumentedBuckets(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	clock.frozen = true
	l := ecslimit.New(ecslimit.WithClock(clock))
	for range 50 {
		require.NoError(t, l.Wait(t.Context(), "DescribeTaskDefinition"))
	}
	assert.Empty(t, clock.slept())
	require.NoError(t, l.Wait(t.Context(), "ListTaskDefinitions"))
	assert.Equal(t, []time.Duration{50 * time.Millisecond}, clock.slept())
}

func TestLimiterBurstThenRate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := ecslimit.New(ecslimit.WithClock(clock), ecslimit.WithBuckets(map[ecslimit.Class]ecslimit.Bucket{
		ecslimit.TaskDefinitionRead: {Burst: 3, Rate: 2},
	}))
	ctx := t.Context()
	for range 3 {
		require.NoError(t, l.Wait(ctx, "DescribeTaskDefinition"))
	}
	assert.Empty(t, clock.slept(), "the burst goes at once")

	// The fourth waits for one token at 2 a second; the fifth, having found
	// the fourth's wait already spent, waits one more half second.
	require.NoError(t, l.Wait(ctx, "ListTaskDefinitions"))
	require.NoError(t, l.Wait(ctx, "DescribeTaskDefinition"))
	assert.Equal(t, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, clock.slept())

	// Idle time refills the bucket, up to its burst only.
	clock.advance(time.Hour)
	for range 3 {
		require.NoError(t, l.Wait(ctx, "DescribeTaskDefinition"))
	}
	assert.Len(t, clock.slept(), 2, "a full bucket again, and no more than full")
	require.NoError(t, l.Wait(ctx, "DescribeTaskDefinition"))
	assert.Len(t, clock.slept(), 3)

	calls, total := l.Waited()
	assert.Equal(t, 3, calls)
	assert.Equal(t, 1500*time.Millisecond, total)
}

func TestLimiterConcurrentCallersShareTheBucket(t *testing.T) {
	t.Parallel()
	// The clock stands still: every caller asks at the same instant, so the
	// waits are exactly the queue the bucket makes.
	clock := newFakeClock()
	clock.frozen = true
	l := ecslimit.New(ecslimit.WithClock(clock), ecslimit.WithBuckets(map[ecslimit.Class]ecslimit.Bucket{
		ecslimit.TaskDefinitionRead: {Burst: 10, Rate: 10},
	}))
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() { assert.NoError(t, l.Wait(t.Context(), "DescribeTaskDefinition")) })
	}
	wg.Wait()
	got := clock.slept()
	slices.Sort(got)
	want := make([]time.Duration, 20)
	for k := range want {
		want[k] = time.Duration(k+1) * 100 * time.Millisecond
	}
	assert.Equal(t, want, got, "all but the burst waited, each a tenth of a second after the one before")
	calls, _ := l.Waited()
	assert.Equal(t, 20, calls)
}

func TestLimiterClassesAreSeparate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := ecslimit.New(ecslimit.WithClock(clock), ecslimit.WithBuckets(map[ecslimit.Class]ecslimit.Bucket{
		ecslimit.TaskDefinitionRead: {Burst: 1, Rate: 1},
		ecslimit.ServiceRead:        {Burst: 1, Rate: 1},
		ecslimit.Other:              {Burst: 1, Rate: 1},
	}))
	ctx := t.Context()
	require.NoError(t, l.Wait(ctx, "DescribeTaskDefinition"))
	require.NoError(t, l.Wait(ctx, "DescribeServices"))
	require.NoError(t, l.Wait(ctx, "SomethingNew"))
	assert.Empty(t, clock.slept(), "each class has its own bucket")
	// ServiceModify has no bucket of its own here: it shares Other's.
	require.NoError(t, l.Wait(ctx, "UpdateService"))
	assert.Equal(t, []time.Duration{time.Second}, clock.slept())
}

func TestLimiterHonoursTheContext(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := ecslimit.New(ecslimit.WithClock(clock), ecslimit.WithBuckets(map[ecslimit.Class]ecslimit.Bucket{
		ecslimit.TaskDefinitionRead: {Burst: 1, Rate: 1},
	}))
	require.NoError(t, l.Wait(t.Context(), "DescribeTaskDefinition"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := l.Wait(ctx, "DescribeTaskDefinition")
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "ECS request budget of DescribeTaskDefinition")

	// The token the cancelled call gave back is the next caller's: it waits
	// one second, not two.
	require.NoError(t, l.Wait(t.Context(), "DescribeTaskDefinition"))
	assert.Equal(t, []time.Duration{time.Second}, clock.slept())
}

// TestMiddlewareOnARealClient installs the limiter on a real ECS client and
// checks that each attempt, not each operation, takes a token: a throttled
// call that is retried takes two.
func TestMiddlewareOnARealClient(t *testing.T) {
	t.Parallel()
	sim := ecssim.New()
	t.Cleanup(sim.Close)
	sim.AddCluster("prod")
	arn := sim.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "nginx"}}})

	clock := newFakeClock()
	l := ecslimit.New(ecslimit.WithClock(clock), ecslimit.WithBuckets(map[ecslimit.Class]ecslimit.Bucket{
		ecslimit.TaskDefinitionRead: {Burst: 2, Rate: 4},
	}))
	client := sim.Client(func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, l.Middleware()) })

	sim.FailNext("DescribeTaskDefinition", 1, ecssim.ErrThrottling)
	_, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	assert.Empty(t, clock.slept(), "two attempts, two tokens of the burst")
	_, err = client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{250 * time.Millisecond}, clock.slept(), "the third attempt waited for a token")
	assert.Equal(t, 3, sim.CallCount("DescribeTaskDefinition"))

	// A cancelled wait fails the call with the context's error, unsent.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Equal(t, 3, sim.CallCount("DescribeTaskDefinition"))
}
