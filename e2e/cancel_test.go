package e2e

// Cancellation: a cancelled job sends SIGINT or SIGTERM. The action stops
// waiting at once, writes outputs and a summary that tell the true state
// (was UpdateService sent, and to what?) and exits non-zero.

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// signalWhen sends sig to the binary once cond holds.
func signalWhen(ctx context.Context, cmd *exec.Cmd, sig os.Signal, cond func() bool) {
	whenever(ctx, cond, func() { _ = cmd.Process.Signal(sig) })
}

// runCancelled runs the binary with a wait-timeout far beyond the test's own
// deadline, and sends sig once cond holds: a binary that ignored the
// signal would be killed at the deadline and fail the test.
func runCancelled(t *testing.T, w *world, sig os.Signal, cond func() bool) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	res := w.runContext(ctx, map[string]string{"wait-timeout": "5m"}, func(cmd *exec.Cmd) {
		go signalWhen(ctx, cmd, sig, cond)
	})
	require.NoError(t, ctx.Err(), "the binary must exit on %v, long before the wait-timeout", sig)
	return res
}

func TestE2ECancelWhileWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Never: true})

	res := runCancelled(t, w, syscall.SIGTERM, func() bool { return w.ecs.CallCount("UpdateService") > 0 })

	assert.NotEqual(t, 0, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "cancelled", res.outputs["reason"])
	assert.Equal(t, w.revs[42], res.outputs["to-task-definition"])
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Contains(t, res.summary, "UpdateService was sent for web (to revision 42)", "the summary says what was sent, and to what")
	assert.Contains(t, res.summary, w.revs[42])
	assert.Contains(t, res.summary, "cancelled")
	assert.Equal(t, 1, countLines(res.stdout, "::error"), "exactly one error annotation")
}

func TestE2ECancelWhilePlanning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// GitHub answers slowly: the run is still looking for the last
	// successful deployment when it is cancelled.
	w.gh.SetLatency(time.Hour)

	res := runCancelled(t, w, syscall.SIGINT, func() bool { return w.gh.CallCount("") > 0 })

	assert.NotEqual(t, 0, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "cancelled", res.outputs["reason"])
	assert.Zero(t, w.ecs.CallCount("UpdateService"))
	assert.Empty(t, w.mutations())
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "nothing was changed")
	assert.Contains(t, res.summary, "UpdateService was not sent")
	assert.Equal(t, 1, countLines(res.stdout, "::error"), "exactly one error annotation")
}

// countLines counts the lines of s that start with prefix.
func countLines(s, prefix string) int {
	n := 0
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}
