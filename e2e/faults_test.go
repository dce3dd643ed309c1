package e2e

// Faults of the services the action talks to (throttling, server errors,
// rate limits, expired links, missing permissions), the diagnostics shown
// when a rollout fails, and rollbacks that meet another deployment.

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// failedCalls counts the ECS calls of op the simulator answered with errType.
func failedCalls(s *ecssim.Server, op, errType string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Op == op && c.Err == errType {
			n++
		}
	}
	return n
}

// assertRolledBack checks a run that met faults and got through them.
func assertRolledBack(t *testing.T, w *world, res result) {
	t.Helper()
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "4002", res.outputs["source-run-id"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "Rolled back web from revision 45")
	assert.NotContains(t, res.stdout, "::error")
}

// assertNothingChanged checks a run that failed before any change.
func assertNothingChanged(t *testing.T, w *world, res result, reason string) {
	t.Helper()
	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, reason, res.outputs["reason"])
	assert.Empty(t, w.mutations(), "nothing mutating on a refusal")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "UpdateService was not sent")
	assert.Equal(t, 1, strings.Count(res.stdout, "\n::error"), "exactly one error annotation")
}

func TestE2EFaultsECSRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		op      string
		errType string
		n       int
		// mutations is the ECS call log's mutating part.
		mutations []string
	}{
		{name: "throttled DescribeServices", op: "DescribeServices", errType: ecssim.ErrThrottling, n: 2, mutations: []string{"UpdateService"}},
		{name: "throttled ListTaskDefinitions", op: "ListTaskDefinitions", errType: ecssim.ErrThrottling, n: 2, mutations: []string{"UpdateService"}},
		{name: "5xx on DescribeTaskDefinition", op: "DescribeTaskDefinition", errType: ecssim.ErrServer, n: 2, mutations: []string{"UpdateService"}},
		{
			name: "5xx on UpdateService", op: "UpdateService", errType: ecssim.ErrServer, n: 2,
			// An answered error changed nothing; the retry is the same request.
			mutations: []string{"UpdateService", "UpdateService", "UpdateService"},
		},
		{name: "throttled UpdateService", op: "UpdateService", errType: ecssim.ErrThrottling, n: 1, mutations: []string{"UpdateService", "UpdateService"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.ecs.FailNext(tc.op, tc.n, tc.errType)

			res := w.run(nil)

			assertRolledBack(t, w, res)
			assert.Equal(t, tc.n, failedCalls(w.ecs, tc.op, tc.errType), "every injected fault was met")
			assert.Equal(t, tc.mutations, w.mutations())
		})
	}
}

func TestE2EFaultsECSBoundedAttempts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// More throttles than the retryer allows attempts: it gives up after 6.
	w.ecs.FailNext("DescribeServices", 10, ecssim.ErrThrottling)

	res := w.run(nil)

	assertNothingChanged(t, w, res, "ecs-error")
	assert.Equal(t, 6, w.ecs.CallCount("DescribeServices"), "6 attempts, then the run fails")
	assert.Contains(t, res.summary, ecssim.ErrThrottling)
}

func TestE2EFaultsECSNotRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.FailNext("DescribeServices", 1, ecssim.ErrAccessDenied)

	res := w.run(nil)

	assertNothingChanged(t, w, res, "ecs-error")
	assert.Equal(t, 1, w.ecs.CallCount("DescribeServices"), "a refusal is not retried")
	assert.Contains(t, res.summary, ecssim.ErrAccessDenied)
}

func TestE2EFaultsGitHubRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(w *world)
		// host and suffix name the request that met the fault; calls is how
		// many of them the run made.
		host, suffix string
		calls        int
	}{
		{
			name:  "503 with Retry-After",
			setup: func(w *world) { w.gh.FailNext("/runs", 1, 503, map[string]string{"Retry-After": "1"}) },
			host:  "api", suffix: "/runs", calls: 2,
		},
		{
			name:  "502 twice, with backoff",
			setup: func(w *world) { w.gh.FailNext("/runs", 2, 502, nil) },
			host:  "api", suffix: "/runs", calls: 3,
		},
		{
			name: "403 secondary rate limit with Retry-After",
			setup: func(w *world) {
				w.gh.FailNext("/actions/artifacts", 1, 403, map[string]string{"Retry-After": "1"})
			},
			host: "api", suffix: "/actions/artifacts", calls: 2,
		},
		{
			name:  "429 with Retry-After",
			setup: func(w *world) { w.gh.FailNext("/runs", 1, 429, map[string]string{"Retry-After": "1"}) },
			host:  "api", suffix: "/runs", calls: 2,
		},
		{
			name: "primary rate limit until X-RateLimit-Reset",
			setup: func(w *world) {
				w.gh.FailNext("/runs", 1, 403, map[string]string{
					"X-RateLimit-Remaining": "0",
					"X-RateLimit-Reset":     fmt.Sprint(time.Now().Add(2 * time.Second).Unix()),
				})
			},
			host: "api", suffix: "/runs", calls: 2,
		},
		{
			name:  "expired download link fetched again once",
			setup: func(w *world) { w.gh.ExpireDownloadLinks(1) },
			host:  "api", suffix: "/zip", calls: 2,
		},
		{
			name:  "503 from the download host",
			setup: func(w *world) { w.gh.FailNext("/_apis/", 1, 503, map[string]string{"Retry-After": "1"}) },
			host:  "blob", suffix: "", calls: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.setup(w)

			res := w.run(nil)

			assertRolledBack(t, w, res)
			assert.Equal(t, []string{"UpdateService"}, w.mutations())
			assert.Equal(t, tc.calls, countCalls(w, tc.host, tc.suffix), "requests to %s ending %q", tc.host, tc.suffix)
		})
	}
}

// countCalls counts the GitHub simulator's requests to host ("api" or
// "blob") whose path ends with suffix.
// countCalls counts the requests to host whose path ends with suffix,
// leaving out the one listing of the newest runs whatever their status (the
// check for deploys in progress), which is not part of the search.
func countCalls(w *world, host, suffix string) int {
	n := 0
	for _, c := range w.gh.Calls() {
		if c.Host == host && strings.HasSuffix(c.Path, suffix) && !(strings.HasSuffix(c.Path, "/runs") && !strings.Contains(c.Query, "status=")) {
			n++
		}
	}
	return n
}

func TestE2EFaultsGitHubGivesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(w *world)
		// want is what the error says.
		want []string
		// calls bounds the requests to /runs.
		calls int
	}{
		{
			name:  "5xx persists: bounded attempts",
			setup: func(w *world) { w.gh.FailNext("/runs", 100, 502, nil) },
			want:  []string{"502"},
			calls: 4,
		},
		{
			name: "rate limit resets beyond the cap",
			setup: func(w *world) {
				w.gh.FailNext("/runs", 100, 403, map[string]string{
					"X-RateLimit-Remaining": "0",
					"X-RateLimit-Reset":     fmt.Sprint(time.Now().Add(time.Hour).Unix()),
				})
			},
			want:  []string{"rate limit"},
			calls: 1,
		},
		{
			name:  "token without actions: read (403)",
			setup: func(w *world) { w.gh.SetRepoAccess(403) },
			want:  []string{"actions: read", "403"},
			calls: 1,
		},
		{
			name:  "token without actions: read (404)",
			setup: func(w *world) { w.gh.SetRepoAccess(404) },
			want:  []string{"actions: read", "404"},
			calls: 1,
		},
		{
			name:  "download link expired twice",
			setup: func(w *world) { w.gh.ExpireDownloadLinks(2) },
			want:  []string{"download artifact", "403"},
			calls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.setup(w)

			res := w.run(nil)

			assertNothingChanged(t, w, res, "source-error")
			assert.Equal(t, tc.calls, countCalls(w, "api", "/runs"), "bounded requests")
			var errLine string
			for line := range strings.Lines(res.stdout) {
				if strings.HasPrefix(line, "::error") {
					errLine = line
				}
			}
			for _, want := range tc.want {
				assert.Contains(t, errLine, want, "the error says what happened")
				assert.Contains(t, res.summary, want, "the summary says what happened")
			}
		})
	}
}

func TestE2EDiagnosticsOnFailure(t *testing.T) {
	t.Parallel()
	const (
		event       = "(service web) was unable to place a task because no container instance met all of its requirements: <insufficient memory>."
		pullReason  = "CannotPullContainerError: pull image manifest has been retried 5 time(s): ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:c2c2c2c: not found"
		healthCheck = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef)"
		otherReason = "Scaling activity initiated by (deployment ecs-svc/0000000000000000001)"
	)
	t.Run("rollout failed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		require.NoError(t, w.ecs.AddEvent(cluster, "web", event))
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Fail: true, StoppedReason: pullReason})

		res := w.run(nil)

		require.Equal(t, 1, res.code)
		assert.Equal(t, "rollout-failed", res.outputs["reason"])
		assert.Equal(t, []string{"UpdateService"}, w.mutations())
		assert.Contains(t, res.summary, "Recent service events")
		assert.Contains(t, res.summary, report.Escape(event))
		assert.Contains(t, res.summary, "deployment failed: tasks failed to start.")
		assert.Contains(t, res.summary, "Stopped tasks")
		assert.Contains(t, res.summary, report.Escape(pullReason))
		assert.Contains(t, res.summary, "UpdateService was sent for web (to revision 42)")
	})
	t.Run("wait timed out", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		require.NoError(t, w.ecs.AddEvent(cluster, "web", event))
		// A task of the target stopped, and one of another revision: only
		// the target's reasons are shown.
		_, err := w.ecs.AddStoppedTask(cluster, "web", w.revs[42], healthCheck)
		require.NoError(t, err)
		_, err = w.ecs.AddStoppedTask(cluster, "web", w.revs[44], otherReason)
		require.NoError(t, err)
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Never: true})

		res := w.run(map[string]string{"wait-timeout": "2s"})

		require.Equal(t, 1, res.code)
		assert.Equal(t, "wait-timeout", res.outputs["reason"])
		assert.Equal(t, []string{"UpdateService"}, w.mutations())
		assert.Contains(t, res.summary, report.Escape(event))
		assert.Contains(t, res.summary, report.Escape(healthCheck))
		assert.NotContains(t, res.summary, report.Escape(otherReason), "only the target revision's stopped tasks")
	})
}

// simClock is the ECS simulator's clock, moved on by a test so that a
// rollout settles when the test says, not after a real delay.
type simClock struct{ offset atomic.Int64 }

func (c *simClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *simClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// updateService starts a deployment the way another run of the action (or
// a deploy) would, through the real SDK client.
func updateService(t *testing.T, w *world, rev int32) {
	t.Helper()
	_, err := w.ecs.Client().UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(cluster), Service: aws.String("web"), TaskDefinition: aws.String(w.revs[rev]),
	})
	require.NoError(t, err)
}

// whenever runs do once cond holds, polling until ctx ends.
func whenever(ctx context.Context, cond func() bool, do func()) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	do()
}

func TestE2EConcurrentDeployments(t *testing.T) {
	t.Parallel()
	t.Run("a deployment to another revision is superseded", func(t *testing.T) {
		t.Parallel()
		// The failed deploy of revision 45 is still rolling out from 44.
		w := newWorld(t, func(s *worldSetup) { s.current = 44 })
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Never: true})
		updateService(t, w, 45)
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{})
		before := len(w.mutations())

		res := w.run(nil)

		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "rolled-back", res.outputs["result"])
		assert.Equal(t, w.revs[45], res.outputs["from-task-definition"])
		assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
		assert.Equal(t, []string{"UpdateService"}, w.mutations()[before:], "the rollback went ahead")
		assert.Contains(t, res.summary, "Superseded deployment")
		assert.Contains(t, res.summary, w.revs[45])
	})
	t.Run("a rollback to the same target is joined", func(t *testing.T) {
		t.Parallel()
		clock := &simClock{}
		w := newWorld(t, withECSOptions(ecssim.WithClock(clock.now)))
		// Another run already sent the service back to 42; it settles
		// when the test moves the clock on.
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Settle: time.Hour})
		updateService(t, w, 42)
		before := len(w.mutations())
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()

		res := w.runContext(ctx, map[string]string{"wait-timeout": "5m"}, func(*exec.Cmd) {
			// The plan's DescribeServices, then the first poll of the
			// wait: the run has decided to join; let the rollout finish.
			go whenever(ctx, func() bool { return w.ecs.CallCount("DescribeServices") >= 2 }, func() { clock.advance(time.Hour) })
		})

		require.NoError(t, ctx.Err(), "the run ended by itself")
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, "rolled-back", res.outputs["result"])
		assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
		assert.Empty(t, w.mutations()[before:], "no second UpdateService")
		assert.Equal(t, 1, w.ecs.CallCount("UpdateService"))
		assert.Contains(t, res.summary, "UpdateService sent:** no")
	})
}
