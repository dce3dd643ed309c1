package wait_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/wait"
)

const ms = time.Millisecond

func TestDelays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sched wait.Schedule
		want  []time.Duration
	}{
		{"grows ×1.5 to the cap", wait.Schedule{First: time.Second, Max: 2 * time.Second}, []time.Duration{time.Second, 1500 * ms, 2 * time.Second, 2 * time.Second}},
		{"capped between steps", wait.Schedule{First: 20 * ms, Max: 50 * ms}, []time.Duration{20 * ms, 30 * ms, 45 * ms, 50 * ms, 50 * ms}},
		{"immediate: at once, then First", wait.Schedule{First: time.Second, Max: 5 * time.Second, Immediate: true}, []time.Duration{0, time.Second, 1500 * ms, 2250 * ms, 3375 * ms, 5 * time.Second}},
		{"max below first is first", wait.Schedule{First: time.Second, Max: 10 * ms}, []time.Duration{time.Second, time.Second, time.Second}},
		{"max equal to first", wait.Schedule{First: time.Second, Max: time.Second, Immediate: true}, []time.Duration{0, time.Second, time.Second}},
		{"none", wait.Schedule{First: time.Second, Max: time.Second}, []time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.sched.Delays(len(tt.want))); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		first, max time.Duration
		want       wait.Schedule
	}{
		{"zero takes the defaults", 0, 0, wait.Schedule{First: time.Second, Max: 5 * time.Second, MaxFailures: 3}},
		{"negative takes the defaults", -ms, -ms, wait.Schedule{First: time.Second, Max: 5 * time.Second, MaxFailures: 3}},
		{"set values stay", 20 * ms, 50 * ms, wait.Schedule{First: 20 * ms, Max: 50 * ms, MaxFailures: 3}},
		{"each on its own", 20 * ms, 0, wait.Schedule{First: 20 * ms, Max: 5 * time.Second, MaxFailures: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := wait.Schedule{First: tt.first, Max: tt.max, MaxFailures: 3}.OrDefaults(time.Second, 5*time.Second)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("schedule (-want +got):\n%s", diff)
			}
		})
	}
}

// fast polls without delay worth the name; the timeout only stops a broken
// test from hanging.
var fast = wait.Schedule{First: ms, Max: 2 * ms, Timeout: time.Minute, MaxFailures: 3}

var (
	errFlaky = errors.New("flaky")
	errDone  = errors.New("done")
)

// script answers the polls in turn: nil is "not done", errDone is done, any
// other error a failed poll; past its end it is done.
func script(steps ...error) (wait.Check, *int) {
	calls := 0
	return func(context.Context) (bool, error) {
		calls++
		if calls > len(steps) || errors.Is(steps[calls-1], errDone) {
			return true, nil
		}
		return false, steps[calls-1]
	}, &calls
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		steps     []error
		wantCalls int
		wantErr   string // "" for success
	}{
		{"done at once", nil, 1, ""},
		{"done at the third poll", []error{nil, nil}, 3, ""},
		{"a success resets the failure budget", []error{errFlaky, errFlaky, nil, errFlaky, errFlaky}, 6, ""},
		{"done right after two failures", []error{errFlaky, errFlaky, errDone}, 3, ""},
		{"three failures in a row end the wait", []error{nil, errFlaky, errFlaky, errFlaky}, 4, "3 polls in a row failed: flaky"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check, calls := script(tt.steps...)
			err := fast.Run(t.Context(), check)
			assert.Equal(t, tt.wantCalls, *calls)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			var fe *wait.FailuresError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, 3, fe.N)
			assert.ErrorIs(t, err, errFlaky, "the last failure is wrapped")
		})
	}
}

func TestRunEnds(t *testing.T) {
	t.Parallel()

	t.Run("done with an error returns it as is", func(t *testing.T) {
		t.Parallel()
		errGone := errors.New("gone")
		err := fast.Run(t.Context(), func(context.Context) (bool, error) { return true, errGone })
		assert.Same(t, errGone, err)
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		s := fast
		s.Timeout = 20 * ms
		polls := 0
		err := s.Run(t.Context(), func(context.Context) (bool, error) { polls++; return false, nil })
		require.ErrorIs(t, err, wait.ErrTimeout)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "a timeout is not the caller's deadline")
		assert.Positive(t, polls)
	})

	t.Run("a poll failing at the timeout is the timeout", func(t *testing.T) {
		t.Parallel()
		s := fast
		s.Timeout, s.MaxFailures = 20*ms, 1
		err := s.Run(t.Context(), func(ctx context.Context) (bool, error) {
			<-ctx.Done()
			return false, ctx.Err()
		})
		require.ErrorIs(t, err, wait.ErrTimeout)
	})

	t.Run("the caller's context, unwrapped", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err := fast.Run(ctx, func(context.Context) (bool, error) { cancel(); return false, nil })
		assert.Same(t, context.Canceled, err)
	})

	t.Run("a poll failing as the caller cancels is the cancellation", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := fast
		s.MaxFailures = 1
		err := s.Run(ctx, func(ctx context.Context) (bool, error) { cancel(); return false, errFlaky })
		assert.Same(t, context.Canceled, err)
	})

	t.Run("the caller's deadline is not the timeout", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 20*ms)
		defer cancel()
		err := fast.Run(ctx, func(context.Context) (bool, error) { return false, nil })
		assert.Equal(t, context.DeadlineExceeded, err)
	})

	t.Run("no poll after the caller cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		polls := 0
		err := wait.Schedule{First: time.Hour, MaxFailures: 3}.Run(ctx, func(context.Context) (bool, error) { polls++; return true, nil })
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, polls)
	})

	t.Run("immediate polls at once", func(t *testing.T) {
		t.Parallel()
		// With an hour's first delay only an immediate poll can finish; the
		// deadline only stops a broken schedule from hanging the test.
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		err := wait.Schedule{First: time.Hour, Immediate: true, MaxFailures: 3}.Run(ctx, func(context.Context) (bool, error) { return true, nil })
		require.NoError(t, err)
	})
}
