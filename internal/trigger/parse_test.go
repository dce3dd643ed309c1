package trigger

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// eventsDir holds the event payload fixtures; see its README.
const eventsDir = "../../testdata/events"

func readEvent(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, file))
	require.NoError(t, err)
	return b
}

// testRun is the run of event-workflow_run-completed-1-success.json, as
// ParseEvent should fill it; cases change what their file changes.
func testRun(change func(*Run)) *Run {
	r := &Run{
		ID:             289782451,
		WorkflowID:     2823525,
		Attempt:        1,
		Name:           "",
		WorkflowName:   "test",
		Path:           ".github/workflows/test.yml",
		Status:         "completed",
		Conclusion:     "success",
		Event:          "repository_dispatch",
		HeadBranch:     "master",
		HeadSHA:        "3484a3fb816e0859fd6e1cea078d76385ff50625",
		HTMLURL:        "https://github.com/octo-org/octo-repo/actions/runs/289782451",
		HeadRepository: "octo-org/octo-repo",
		CreatedAt:      time.Date(2020, 10, 5, 16, 33, 24, 0, time.UTC),
		UpdatedAt:      time.Date(2020, 10, 5, 16, 33, 49, 0, time.UTC),
	}
	if change != nil {
		change(r)
	}
	return r
}

func octoRepo(run *Run) Event {
	return Event{Name: "workflow_run", Repository: "octo-org/octo-repo", DefaultBranch: "master", Run: run}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		event string
		want  Event
	}{
		{
			file:  "event-workflow_run-completed-0-queued-nullconclusion.json",
			event: "workflow_run",
			want: Event{
				Name:          "workflow_run",
				Repository:    "Codertocat/Hello-World", // top level, although the run's repository differs
				DefaultBranch: "main",
				Run: &Run{
					ID:             1589141559,
					WorkflowID:     16340987,
					Attempt:        1,
					Name:           "Manually triggered workflow",
					WorkflowName:   "Manually triggered workflow",
					Path:           ".github/workflows/syntax.yml", // workflow_run.path absent: from workflow.path
					Status:         "queued",
					Conclusion:     "",
					Event:          "workflow_dispatch",
					HeadBranch:     "main",
					HeadSHA:        "5779607b49aab1200488439f02372c57b4f75444",
					HTMLURL:        "https://github.com/octo-org/octo-repo/actions/runs/1589141559",
					HeadRepository: "octo-org/octo-repo",
					CreatedAt:      time.Date(2021, 12, 16, 19, 37, 22, 0, time.UTC),
					UpdatedAt:      time.Date(2021, 12, 16, 19, 37, 22, 0, time.UTC),
				},
			},
		},
		{file: "event-workflow_run-completed-1-success.json", event: "workflow_run", want: octoRepo(testRun(nil))},
		{file: "event-workflow_run-completed-2-success-with-pull-requests.json", event: "workflow_run", want: octoRepo(testRun(nil))},
		{
			file:  "event-workflow_run-requested-3-queued.json",
			event: "workflow_run",
			want:  octoRepo(testRun(func(r *Run) { r.Status, r.Conclusion, r.UpdatedAt = "queued", "", r.CreatedAt })),
		},
		{
			file:  "event-workflow_run-requested-4-action_required.json",
			event: "workflow_run",
			want:  octoRepo(testRun(func(r *Run) { r.Conclusion, r.UpdatedAt = "action_required", r.CreatedAt })),
		},
		{
			file:  "derived-workflow_run-failure-path-ref.json",
			event: "workflow_run",
			want: octoRepo(testRun(func(r *Run) {
				r.Conclusion, r.Name, r.WorkflowName = "failure", "Deploy", "Deploy"
				r.Path = ".github/workflows/deploy.yml" // "@refs/heads/main" cut
			})),
		},
		{
			file:  "derived-workflow_run-failure-fork.json",
			event: "workflow_run",
			want: octoRepo(testRun(func(r *Run) {
				r.Conclusion, r.HeadRepository = "failure", "evil-fork/octo-repo"
			})),
		},
		{
			file:  "event-workflow_dispatch-0.json",
			event: "workflow_dispatch",
			want:  Event{Name: "workflow_dispatch", Repository: "octo-org/octo-repo", DefaultBranch: "main"},
		},
		{
			file:  "event-workflow_dispatch-1.json",
			event: "workflow_dispatch",
			want:  Event{Name: "workflow_dispatch", Repository: "octo-org/octo-repo", DefaultBranch: "master"},
		},
		{
			// A workflow_run payload read as another event: only the repository.
			file:  "event-workflow_run-completed-1-success.json",
			event: "push",
			want:  Event{Name: "push", Repository: "octo-org/octo-repo", DefaultBranch: "master"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEvent(tt.event, readEvent(t, tt.file))
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEvent mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEventErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		event   string
		payload []byte
		wantErr string
	}{
		{"missing", "workflow_run", nil, "event file is empty"},
		{"empty", "workflow_dispatch", []byte{}, "event file is empty"},
		{"blank", "workflow_run", []byte(" \n\t"), "event file is empty"},
		{"not JSON", "workflow_run", []byte("action: completed"), "event file is not JSON: "},
		{"truncated", "workflow_run", []byte(`{"action": "completed", "workflow_run": {`), "event file is not JSON: "},
		{"null", "workflow_run", []byte("null"), "event file is not a JSON object but null"},
		{"array", "workflow_dispatch", []byte("[]"), "event file is not a JSON object but an array"},
		{"no workflow_run", "workflow_run", readEvent(t, "derived-workflow_run-missing-workflow_run.json"), "no workflow_run object"},
		// workflow_dispatch's workflow is a string, not the object of workflow_run.
		{"dispatch payload as workflow_run", "workflow_run", readEvent(t, "event-workflow_dispatch-0.json"), "read workflow_run event: "},
		{"repository of the wrong type", "workflow_dispatch", []byte(`{"repository": "octo-org/octo-repo"}`), "read repository of workflow_dispatch event: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEvent(tt.event, tt.payload)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseEvent error = %v, want one containing %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(Event{}, got); diff != "" {
				t.Errorf("ParseEvent returned an event with its error (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseEvent(f *testing.F) {
	entries, err := os.ReadDir(eventsDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		b := readEvent(f, e.Name())
		f.Add("workflow_run", b)
		f.Add("workflow_dispatch", b)
	}
	f.Add("workflow_run", []byte(`{"workflow_run": {"path": "@"}}`))
	f.Add("workflow_run", []byte(`{"workflow_run": null, "workflow": "x"}`))
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		ev, err := ParseEvent(name, payload)
		if err != nil {
			return
		}
		if ev.Name != name {
			t.Fatalf("ParseEvent(%q, …).Name = %q", name, ev.Name)
		}
		if (ev.Run != nil) != (name == EventWorkflowRun) {
			t.Fatalf("ParseEvent(%q, …).Run = %v: want a run exactly for workflow_run", name, ev.Run)
		}
		if ev.Run != nil && strings.Contains(ev.Run.Path, "@") {
			t.Fatalf("Run.Path %q keeps an @ref suffix", ev.Run.Path)
		}
		d := Decide(ev, Policy{FailureConclusions: []string{"failure", "timed_out"}, LoopGuard: "rollback"})
		if d.Message == "" || d.Proceed == (d.Reason != "") {
			t.Fatalf("Decide = %+v: want a message, and a reason exactly when not proceeding", d)
		}
	})
}
