package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRun runs the action with random inputs, event name and event file,
// and peers that cannot be reached: whatever the environment, it ends with
// an exit status of 0 or 1 and never panics.
func FuzzRun(f *testing.F) {
	f.Add("workflow_run", `{"workflow_run":{"conclusion":"failure","status":"completed"}}`, "cluster=prod\nservice=web", "rollback")
	f.Add("workflow_dispatch", `{"inputs":{}}`, "confirm=ROLLBACK\nrevision=42\ncluster=c\nservice=s", "rollback")
	f.Add("push", `not json`, "wait-timeout=-1s\nmax-revisions=0", "record")
	f.Add("", "", "service=\x00", "nonsense")
	f.Fuzz(func(t *testing.T, eventName, payload, inputs, command string) {
		dir := t.TempDir()
		eventPath := filepath.Join(dir, "event.json")
		if err := os.WriteFile(eventPath, []byte(payload), 0o644); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{
			"GITHUB_ACTIONS":              "true",
			"GITHUB_EVENT_NAME":           eventName,
			"GITHUB_EVENT_PATH":           eventPath,
			"GITHUB_OUTPUT":               filepath.Join(dir, "output"),
			"GITHUB_STEP_SUMMARY":         filepath.Join(dir, "summary.md"),
			"GITHUB_WORKSPACE":            dir,
			"GITHUB_REPOSITORY":           "octo-org/octo-repo",
			"GITHUB_API_URL":              "http://127.0.0.1:1",
			"AWS_REGION":                  "us-east-1",
			"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
			"AWS_SECRET_ACCESS_KEY":       "secret",
			"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
			"AWS_EC2_METADATA_DISABLED":   "true",
			"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
			"INPUT_COMMAND":               command,
		}
		for line := range strings.Lines(inputs) {
			name, value, _ := strings.Cut(strings.TrimSpace(line), "=")
			env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = value
		}
		lookup := func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		}
		// The peers refuse connections at once; the deadline ends any retry.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var out bytes.Buffer
		if code := Run(ctx, lookup, &out); code != 0 && code != 1 {
			t.Fatalf("exit status %d", code)
		}
	})
}
