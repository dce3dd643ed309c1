package e2e

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestE2EBrokenRunnerEnvironment runs the binary where the runner's files
// are missing or cannot be written: one clear error and exit status 1,
// never a stack trace, and no AWS call.
func TestE2EBrokenRunnerEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  func(w *world) map[string]string
		says string
	}{
		{"no GITHUB_OUTPUT", func(*world) map[string]string { return map[string]string{"GITHUB_OUTPUT": ""} }, "GITHUB_OUTPUT is not set"},
		{"no GITHUB_STEP_SUMMARY", func(*world) map[string]string { return map[string]string{"GITHUB_STEP_SUMMARY": ""} }, "GITHUB_STEP_SUMMARY is not set"},
		{"GITHUB_OUTPUT is a folder", func(w *world) map[string]string { return map[string]string{"GITHUB_OUTPUT": w.dir} }, "GITHUB_OUTPUT cannot be written"},
		{"GITHUB_STEP_SUMMARY in a missing folder", func(w *world) map[string]string {
			return map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(w.dir, "missing", "summary.md")}
		}, "GITHUB_STEP_SUMMARY cannot be written"},
		{"no event file", func(w *world) map[string]string {
			return map[string]string{"GITHUB_EVENT_PATH": filepath.Join(w.dir, "missing.json")}
		}, "read event file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.env = tt.env(w)
			res := w.run(nil)
			assert.Equal(t, 1, res.code, "exit status")
			assert.Contains(t, res.stdout, "::error")
			assert.Contains(t, res.stdout, tt.says)
			for _, out := range []string{res.stdout, res.stderr} {
				assert.NotContains(t, out, "panic")
				assert.NotContains(t, out, "goroutine ")
			}
			assert.Empty(t, w.ecs.Calls(), "no ECS call")
		})
	}
}
