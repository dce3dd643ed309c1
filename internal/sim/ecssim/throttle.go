package ecssim

import (
	"math"
	"sync"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// Bucket is one of ECS's per-account request buckets: the operations that
// draw from it, how many tokens it holds at most (the burst) and how many it
// gets back a second (the sustained rate).
type Bucket struct {
	Name       string
	Operations []string
	Burst      int
	Rate       float64
}

// DocumentedBuckets are ECS's request buckets for the operations the
// simulator serves, with the figures of the ECS API reference, the same in
// every Region: service read 100 (20/s), service modify 50 (5/s), task
// definition read 50 (20/s), task definition modify 20 (1/s), cluster
// resource read 100 (20/s).
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
func DocumentedBuckets() []Bucket {
	return []Bucket{
		{Name: "service read", Operations: []string{"DescribeServices", "ListServices"}, Burst: 100, Rate: 20},
		{Name: "service modify", Operations: []string{"CreateService", "DeleteService", "UpdateService"}, Burst: 50, Rate: 5},
		{Name: "task definition read", Operations: []string{"DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"}, Burst: 50, Rate: 20},
		{Name: "task definition modify", Operations: []string{"DeregisterTaskDefinition", "RegisterTaskDefinition"}, Burst: 20, Rate: 1},
		{Name: "cluster resource read", Operations: []string{"DescribeContainerInstances", "DescribeTasks", "ListAttributes", "ListContainerInstances", "ListTasks"}, Burst: 100, Rate: 20},
	}
}

// WithThrottling makes the simulator meter requests as ECS meters an
// account: each request of an operation takes a token from its bucket, a
// bucket starts full, refills continuously at its rate by the simulator's
// clock (WithClock) and never holds more than its burst; a request that finds
// no token fails, before it has any effect, with ThrottlingException
// ("Rate exceeded", HTTP 400), which the SDKs retry with backoff. Operations
// in no bucket are not metered. Faults queued with FailNext are answered
// first and take no token. Use DocumentedBuckets for ECS's own figures.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
func WithThrottling(buckets []Bucket) Option {
	return func(c *config) { c.throttle = newThrottle(buckets) }
}

// Throttled returns how many requests the buckets of WithThrottling refused,
// by bucket name; injected faults are not counted.
func (s *Server) Throttled() map[string]int {
	t := s.cfg.throttle
	out := map[string]int{}
	if t == nil {
		return out
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.buckets {
		if b.refused > 0 {
			out[b.Name] = b.refused
		}
	}
	return out
}

// throttle is the state of WithThrottling's buckets.
type throttle struct {
	mu      sync.Mutex
	buckets []*bucketState
	byOp    map[string]*bucketState
}

type bucketState struct {
	Bucket
	tokens  float64
	at      time.Time // when tokens was last brought up to date; zero: full
	refused int
}

func newThrottle(buckets []Bucket) *throttle {
	t := &throttle{byOp: map[string]*bucketState{}}
	for _, b := range buckets {
		st := &bucketState{Bucket: b, tokens: float64(b.Burst)}
		t.buckets = append(t.buckets, st)
		for _, op := range b.Operations {
			t.byOp[op] = st
		}
	}
	return t
}

// take takes a token for op at now; false when its bucket is empty.
func (t *throttle) take(op string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.byOp[op]
	if b == nil {
		return true
	}
	if !b.at.IsZero() {
		if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
			b.tokens = math.Min(float64(b.Burst), b.tokens+elapsed*b.Rate)
		}
	}
	if b.at.IsZero() || now.After(b.at) {
		b.at = now
	}
	if b.tokens < 1 {
		b.refused++
		return false
	}
	b.tokens--
	return true
}

// throttled wraps every operation with the buckets of WithThrottling, if
// any.
func (s *Server) throttled(ops map[string]awsjson.Op) map[string]awsjson.Op {
	t := s.cfg.throttle
	if t == nil {
		return ops
	}
	out := make(map[string]awsjson.Op, len(ops))
	for name, op := range ops {
		out[name] = func(body []byte) (any, *awsjson.Error) {
			if !t.take(name, s.cfg.now()) {
				return nil, &awsjson.Error{Type: ErrThrottling, Message: "Rate exceeded"}
			}
			return op(body)
		}
	}
	return out
}
