package ecsread

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// DescribeConcurrency bounds the DescribeTaskDefinition calls in flight for
// one run, whatever the number of services. ECS reads of task definitions
// share a per-account bucket (a burst of about 50, then about 20 a second):
// 16 describes the default 20 candidates in two round trips and stays well
// inside the burst; the SDK's retryer absorbs throttling beyond it.
const DescribeConcurrency = 16

// RevisionCache describes task definitions ahead of need. While the GitHub
// chain is still finding the target image tag, the candidates are already
// being described, newest first; the tag search then reads their answers
// instead of waiting one more round trip per wave. It is an
// DescribeTaskDefinitionAPI, so the search code stays the same.
type RevisionCache struct {
	api DescribeTaskDefinitionAPI
	ctx context.Context // the prefetch's own: cancelled when the plan is done

	mu    sync.Mutex
	calls map[string]*describeCall
}

type describeCall struct {
	done chan struct{}
	out  *ecs.DescribeTaskDefinitionOutput
	err  error
}

// Prefetch starts describing arns (newest first), within lim, until stop is
// called.
func Prefetch(ctx context.Context, api DescribeTaskDefinitionAPI, arns []string, lim *Limiter) (c *RevisionCache, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	c = &RevisionCache{api: api, ctx: ctx, calls: make(map[string]*describeCall, len(arns))}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, arn := range arns {
			if lim.acquire(ctx) != nil {
				return
			}
			call, started := c.start(arn)
			if !started {
				lim.release()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-call.done
				lim.release()
			}()
		}
	}()
	return c, func() {
		cancel()
		wg.Wait()
	}
}

// start begins describing arn unless a call for it exists already.
func (c *RevisionCache) start(arn string) (*describeCall, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if call, ok := c.calls[arn]; ok {
		return call, false
	}
	call := &describeCall{done: make(chan struct{})}
	c.calls[arn] = call
	go func() {
		defer close(call.done)
		call.out, call.err = c.api.DescribeTaskDefinition(c.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	}()
	return call, true
}

// DescribeTaskDefinition answers from the prefetched call for the same task
// definition, starting it if the prefetch has not reached it yet. A call cut
// short by the end of the prefetch is made again under the caller's context.
func (c *RevisionCache) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	arn := aws.ToString(in.TaskDefinition)
	if len(in.Include) > 0 || len(opts) > 0 {
		return c.api.DescribeTaskDefinition(ctx, in, opts...)
	}
	c.mu.Lock()
	call, ok := c.calls[arn]
	c.mu.Unlock()
	if !ok {
		if c.ctx.Err() != nil { // the prefetch is over: a plain call
			return c.api.DescribeTaskDefinition(ctx, in, opts...)
		}
		// Not reached by the prefetch yet: start it here, so the prefetch
		// does not describe it a second time.
		call, _ = c.start(arn)
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if call.err != nil && c.ctx.Err() != nil && ctx.Err() == nil {
		return c.api.DescribeTaskDefinition(ctx, in, opts...)
	}
	return call.out, call.err
}

// LikelyCandidates guesses the references of the max revisions below
// current, newest first, in the form of the service's own reference (an ARN,
// or the bare family:revision some emulators use): revisions are numbered
// one by one, so unless some were deregistered these are the candidates.
func LikelyCandidates(currentRef string, current int32, max int) []string {
	i := strings.LastIndexByte(currentRef, ':')
	if i < 0 {
		return nil
	}
	prefix := currentRef[:i+1]
	out := make([]string, 0, max)
	for n := current - 1; n >= 1 && len(out) < max; n-- {
		out = append(out, fmt.Sprintf("%s%d", prefix, n))
	}
	return out
}
