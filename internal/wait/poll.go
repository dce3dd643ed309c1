// Package poll is the bounded poll loop the waits share: when to poll (a
// first delay growing ×1.5 after each poll up to a cap, the first poll
// optionally at once) and when to give up (a timeout, the caller's context,
// or too many failed polls in a row).
//
// The SDK's own waiters poll every 15s or more; a short, capped delay keeps
// the time between a change and noticing it small while bounding the call
// rate.
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// growth is how much the delay grows after each poll.
const growth = 1.5

// ErrTimeout is Run's error when the Schedule's Timeout passed first.
var ErrTimeout = errors.New("poll timeout")

// FailuresError is Run's error when MaxFailures polls in a row failed.
type FailuresError struct {
	N   int   // failed polls in a row
	Err error // the last failure
}

// Error says how many polls failed and the last failure.
func (e *FailuresError) Error() string {
	return fmt.Sprintf("%d polls in a row failed: %v", e.N, e.Err)
}

// Unwrap returns the last failure.
func (e *FailuresError) Unwrap() error { return e.Err }

// Schedule is when a wait polls and when it gives up.
type Schedule struct {
	// First is the delay before the first poll or, with Immediate, after it.
	First time.Duration
	// Max caps the delay, which grows ×1.5 after each poll; a Max below
	// First is First.
	Max time.Duration
	// Immediate makes the first poll at once.
	Immediate bool
	// Timeout ends the wait with ErrTimeout; 0 waits as long as ctx allows.
	Timeout time.Duration
	// MaxFailures is how many failed polls in a row end the wait; below 1
	// it is 1.
	MaxFailures int
}

// OrDefaults returns s with a First or Max that is not positive replaced by
// first or maxDelay.
func (s Schedule) OrDefaults(first, maxDelay time.Duration) Schedule {
	if s.First <= 0 {
		s.First = first
	}
	if s.Max <= 0 {
		s.Max = maxDelay
	}
	return s
}

// Next returns the delay after d: d×1.5, capped at Max (or First, when
// larger).
func (s Schedule) Next(d time.Duration) time.Duration {
	return min(time.Duration(float64(d)*growth), max(s.Max, s.First))
}

// Delays returns the delays before each of the first n polls.
func (s Schedule) Delays(n int) []time.Duration {
	next := s.delays()
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = next()
	}
	return out
}

// delays returns a function that yields the delay before each poll in
// turn.
func (s Schedule) delays() func() time.Duration {
	polls := 0
	var d time.Duration
	return func() time.Duration {
		polls++
		switch {
		case s.Immediate && polls == 1:
			return 0
		case d == 0:
			d = s.First
		default:
			d = s.Next(d)
		}
		return d
	}
}

// Check makes one poll. When done, the wait ends with err (nil for
// success); when not, a non-nil err is a failed poll, retried at the next
// one.
type Check func(ctx context.Context) (done bool, err error)

// Run calls check on the schedule, with a context that ends at the Timeout,
// until check is done. It returns nil or the error check was done with;
// ErrTimeout when the Timeout passed first; ctx's error, unwrapped, when ctx
// ended first; and a *FailuresError when MaxFailures polls in a row failed.
// A poll that fails because the wait ended counts as that end.
func (s Schedule) Run(ctx context.Context, check Check) error {
	parent := ctx
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, ErrTimeout)
		defer cancel()
	}
	ended := func() error {
		if parent.Err() == nil && errors.Is(context.Cause(ctx), ErrTimeout) {
			return ErrTimeout
		}
		return parent.Err()
	}

	next := s.delays()
	timer := time.NewTimer(next())
	defer timer.Stop()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return ended()
		case <-timer.C:
		}
		done, err := check(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ended()
		case done:
			return err
		case err != nil:
			failed++
			if failed >= s.MaxFailures {
				return &FailuresError{N: failed, Err: err}
			}
		default:
			failed = 0
		}
		timer.Reset(next())
	}
}
