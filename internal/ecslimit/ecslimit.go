// Package ecslimit paces the Amazon ECS calls of one run so that they stay
// inside the request buckets ECS meters every account with, however many
// services the run handles at once.
//
// ECS throttles per account and Region with one token bucket per class of
// operation: each request takes a token, a bucket holds at most its burst,
// and it refills at its sustained rate. A run that rolls back many services
// describes many task-definition revisions in its first second; past the
// burst, ECS answers ThrottlingException. The SDK retries those, but every
// throttled retry spends from its client-side retry quota, and once that is
// empty calls fail at once with "retry quota exceeded". A Limiter keeps the
// same buckets on the client side, so the calls wait for their token
// instead of being refused.
//
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
package ecslimit

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Bucket is one token bucket: at most Burst requests at once, refilled at
// Rate requests a second.
type Bucket struct {
	Burst int
	Rate  float64
}

// Class is a class of ECS operations that share one bucket.
type Class string

// The classes of the operations ecs-rollback calls, as the ECS API reference
// names them.
const (
	ServiceRead           Class = "service read"
	ServiceModify         Class = "service modify"
	TaskDefinitionRead    Class = "task definition read"
	TaskDefinitionModify  Class = "task definition modify"
	ClusterResourceRead   Class = "cluster resource read"
	ServiceDeploymentRead Class = "service deployment"
	// Other is every operation not listed in Classes; it gets the smallest
	// bucket of the reference, so that an unknown operation is paced too.
	Other Class = "other"
)

// Documented is ECS's request buckets for each class, the same in every
// Region ("Request throttling for the Amazon ECS API", Amazon ECS API
// Reference):
//
//	class                    operations                                    burst  refill/s
//	service read             DescribeServices, ListServices                  100      20
//	service modify           CreateService, DeleteService, UpdateService      50       5
//	task definition read     DescribeTaskDefinition, ListTaskDefinitions,     50      20
//	                         ListTaskDefinitionFamilies
//	task definition modify   RegisterTaskDefinition, DeregisterTaskDefinition 20       1
//	cluster resource read    DescribeTasks, ListTasks, …                     100      20
//	service deployment       DescribeServiceDeployments, …Deployments         50      20
//
// Other takes the smallest of the reference (cluster service resource read,
// ListServicesByNamespace: 10, refilled at 1 a second).
//
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
var Documented = map[Class]Bucket{
	ServiceRead:           {Burst: 100, Rate: 20},
	ServiceModify:         {Burst: 50, Rate: 5},
	TaskDefinitionRead:    {Burst: 50, Rate: 20},
	TaskDefinitionModify:  {Burst: 20, Rate: 1},
	ClusterResourceRead:   {Burst: 100, Rate: 20},
	ServiceDeploymentRead: {Burst: 50, Rate: 20},
	Other:                 {Burst: 10, Rate: 1},
}

// Classes is the class of each ECS operation, by its API name.
var Classes = map[string]Class{
	"DescribeServices":           ServiceRead,
	"ListServices":               ServiceRead,
	"CreateService":              ServiceModify,
	"DeleteService":              ServiceModify,
	"UpdateService":              ServiceModify,
	"DescribeTaskDefinition":     TaskDefinitionRead,
	"ListTaskDefinitions":        TaskDefinitionRead,
	"ListTaskDefinitionFamilies": TaskDefinitionRead,
	"RegisterTaskDefinition":     TaskDefinitionModify,
	"DeregisterTaskDefinition":   TaskDefinitionModify,
	"DescribeContainerInstances": ClusterResourceRead,
	"DescribeTasks":              ClusterResourceRead,
	"ListAttributes":             ClusterResourceRead,
	"ListContainerInstances":     ClusterResourceRead,
	"ListTasks":                  ClusterResourceRead,
	"DescribeServiceDeployments": ServiceDeploymentRead,
	"ListServiceDeployments":     ServiceDeploymentRead,
}

// ClassOf is the class of an ECS operation; Other when it is not listed.
func ClassOf(operation string) Class {
	if c, ok := Classes[operation]; ok {
		return c
	}
	return Other
}

// Clock is the time a Limiter keeps: Now, and Sleep, which waits d or until
// ctx is done and then returns ctx's error.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Limiter holds one token bucket per class and makes each call wait for a
// token of its class. Buckets start full, as ECS's do for an account that
// was idle. It is safe for concurrent use;
// share one across every ECS call of a run.
type Limiter struct {
	clock   Clock
	buckets map[Class]Bucket

	mu     sync.Mutex
	state  map[Class]*state
	waited int           // calls that had to wait
	total  time.Duration // time they waited, added up
}

type state struct {
	tokens float64
	at     time.Time
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock replaces the real clock, for tests.
func WithClock(c Clock) Option { return func(l *Limiter) { l.clock = c } }

// WithBuckets replaces the Documented buckets. A class missing from buckets uses
// the bucket of Other; a call of a class with neither is not paced.
func WithBuckets(buckets map[Class]Bucket) Option {
	return func(l *Limiter) { l.buckets = buckets }
}

// New returns a Limiter with the Documented buckets, whole. They are the
// account's, and other callers (the console, other pipelines) may draw from
// them at the same time; ECS then throttles a call now and then, and the
// retryer retries it after a backoff, through the limiter again, so the run
// as a whole never asks faster than the buckets refill. Taking less than the
// whole bucket would slow every large run to guard against a throttle that
// the retry absorbs.
func New(opts ...Option) *Limiter {
	l := &Limiter{clock: realClock{}, buckets: maps.Clone(Documented), state: map[Class]*state{}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Wait takes a token for operation, waiting until its bucket has one. It
// returns ctx's error, without taking the token, when ctx ends first.
func (l *Limiter) Wait(ctx context.Context, operation string) error {
	d, c := l.reserve(ClassOf(operation))
	if d <= 0 {
		return nil
	}
	if err := l.clock.Sleep(ctx, d); err != nil {
		l.cancel(c)
		return fmt.Errorf("wait %s for the ECS request budget of %s: %w", d.Round(time.Millisecond), operation, err)
	}
	return nil
}

// Waited reports how many calls waited for a token, and for how long in all.
func (l *Limiter) Waited() (calls int, total time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waited, l.total
}

// reserve takes a token of class c, which may leave its bucket in debt,
// and returns how long to wait until that token is due, with the class
// whose bucket it came from.
func (l *Limiter) reserve(c Class) (time.Duration, Class) {
	b, ok := l.buckets[c]
	if !ok {
		if b, ok = l.buckets[Other]; !ok {
			return 0, ""
		}
		c = Other
	}
	if b.Burst < 1 || b.Rate <= 0 {
		return 0, ""
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state[c]
	if s == nil {
		s = &state{tokens: float64(b.Burst), at: now}
		l.state[c] = s
	}
	if elapsed := now.Sub(s.at); elapsed > 0 {
		s.tokens = math.Min(float64(b.Burst), s.tokens+elapsed.Seconds()*b.Rate)
		s.at = now
	}
	s.tokens--
	if s.tokens >= 0 {
		return 0, c
	}
	d := time.Duration(math.Ceil(-s.tokens / b.Rate * float64(time.Second)))
	l.waited++
	l.total += d
	return d, c
}

// cancel gives back the token of a call that gave up waiting.
func (l *Limiter) cancel(c Class) {
	if c == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.state[c]; s != nil {
		s.tokens = math.Min(s.tokens+1, float64(l.buckets[c].Burst))
	}
}

// MiddlewareID names the limiter's step in an SDK middleware stack.
const MiddlewareID = "ECSRequestBudget"

// Middleware installs the limiter on an aws-sdk-go-v2 ECS client, for
// ecs.Options.APIOptions. It sits in the Finalize step right after the
// retryer, so that every attempt, retries included, waits for its token,
// and before signing, so that the signature is made after the wait.
// See https://aws.github.io/aws-sdk-go-v2/docs/middleware/
func (l *Limiter) Middleware() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		step := middleware.FinalizeMiddlewareFunc(MiddlewareID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := l.Wait(ctx, awsmiddleware.GetOperationName(ctx)); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			return next.HandleFinalize(ctx, in)
		})
		if _, ok := stack.Finalize.Get("Retry"); ok {
			return stack.Finalize.Insert(step, "Retry", middleware.After)
		}
		return stack.Finalize.Add(step, middleware.Before)
	}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
