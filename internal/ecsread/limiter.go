package ecsread

import (
	"context"
	"sync"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// Limiter bounds the DescribeTaskDefinition calls in flight for a whole
// run: the prefetch and the target search of every service share one, so
// that several services do not multiply the burst ECS sees.
type Limiter struct{ slots chan struct{} }

// NewLimiter allows n calls in flight; DescribeConcurrency when n <= 0.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = DescribeConcurrency
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// acquire takes a slot, or fails when ctx ends first.
func (l *Limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Limiter) release() { <-l.slots }

// Outcome is the answer to one describe: the revision, or the error.
type Outcome struct {
	Ref      string
	Revision revision.Revision
	Err      error
}

// DescribeAll describes refs concurrently, within lim, and returns one
// Outcome per ref, in the order of refs.
func DescribeAll(ctx context.Context, api DescribeTaskDefinitionAPI, lim *Limiter, refs []string) []Outcome {
	out := make([]Outcome, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		out[i].Ref = ref
		if err := lim.acquire(ctx); err != nil {
			out[i].Err = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer lim.release()
			out[i].Revision, out[i].Err = DescribeRevision(ctx, api, ref)
		}()
	}
	wg.Wait()
	return out
}
