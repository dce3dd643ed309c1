package trigger

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// defaultPolicy is the contract's defaults.
var defaultPolicy = Policy{FailureConclusions: []string{"failure", "timed_out"}, LoopGuard: "rollback"}

func TestDecideFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		event  string // default workflow_run
		policy *Policy
		want   Decision
	}{
		{
			// Inconsistent real payload: action completed, status queued,
			// null conclusion, and the run's repositories differ from the
			// top-level one. Not completed wins.
			file: "event-workflow_run-completed-0-queued-nullconclusion.json",
			want: Decision{Reason: "not-completed", Message: `workflow "Manually triggered workflow" is "queued", not completed; rollbacks run only for a completed run`},
		},
		{
			file: "event-workflow_run-completed-1-success.json",
			want: Decision{Reason: "not-a-failure", Message: `workflow "test" concluded "success"; rollbacks run only for failure, timed_out`},
		},
		{
			file: "event-workflow_run-completed-2-success-with-pull-requests.json",
			want: Decision{Reason: "not-a-failure", Message: `workflow "test" concluded "success"; rollbacks run only for failure, timed_out`},
		},
		{
			file: "event-workflow_run-requested-3-queued.json",
			want: Decision{Reason: "not-completed", Message: `workflow "test" is "queued", not completed; rollbacks run only for a completed run`},
		},
		{
			file: "event-workflow_run-requested-4-action_required.json",
			want: Decision{Reason: "not-a-failure", Message: `workflow "test" concluded "action_required"; rollbacks run only for failure, timed_out`},
		},
		{
			file: "derived-workflow_run-failure.json",
			want: Decision{Proceed: true, Message: `workflow "test" concluded "failure"; rolling back`},
		},
		{
			file: "derived-workflow_run-timed_out.json",
			want: Decision{Proceed: true, Message: `workflow "test" concluded "timed_out"; rolling back`},
		},
		{
			file: "derived-workflow_run-cancelled.json",
			want: Decision{Reason: "not-a-failure", Message: `workflow "test" concluded "cancelled"; rollbacks run only for failure, timed_out`},
		},
		{
			file:   "derived-workflow_run-cancelled.json",
			policy: &Policy{FailureConclusions: []string{"FAILURE", "Cancelled"}, LoopGuard: "rollback"},
			want:   Decision{Proceed: true, Message: `workflow "test" concluded "cancelled"; rolling back`},
		},
		{
			file: "derived-workflow_run-in_progress.json",
			want: Decision{Reason: "not-completed", Message: `workflow "test" is "in_progress", not completed; rollbacks run only for a completed run`},
		},
		{
			// workflow_run.name is empty; the loop word is in workflow.name.
			file: "derived-workflow_run-failure-loop-name.json",
			want: Decision{Reason: "loop-guard", Message: `workflow "Rollback Production" looks like a rollback workflow: its workflow name contains the loop-guard word "rollback"; a rollback is never rolled back`},
		},
		{
			file:   "derived-workflow_run-failure-loop-name.json",
			policy: &Policy{FailureConclusions: []string{"failure"}, LoopGuard: "ROLLBACK"},
			want:   Decision{Reason: "loop-guard", Message: `workflow "Rollback Production" looks like a rollback workflow: its workflow name contains the loop-guard word "ROLLBACK"; a rollback is never rolled back`},
		},
		{
			file:   "derived-workflow_run-failure-loop-name.json",
			policy: &Policy{FailureConclusions: []string{"failure"}, LoopGuard: ""},
			want:   Decision{Proceed: true, Message: `workflow "Rollback Production" concluded "failure"; rolling back`},
		},
		{
			file: "derived-workflow_run-failure-loop-path-ref.json",
			want: Decision{Reason: "loop-guard", Message: `workflow "test" looks like a rollback workflow: its file name rollback.yml contains the loop-guard word "rollback"; a rollback is never rolled back`},
		},
		{
			file: "derived-workflow_run-failure-path-ref.json",
			want: Decision{Proceed: true, Message: `workflow "Deploy" concluded "failure"; rolling back`},
		},
		{
			file: "derived-workflow_run-failure-fork.json",
			want: Decision{Reason: "fork", Message: `workflow "test" ran for code from evil-fork/octo-repo, not octo-org/octo-repo; runs from forks never trigger a rollback`},
		},
		{
			file:  "event-workflow_dispatch-0.json",
			event: "workflow_dispatch",
			want:  Decision{Proceed: true, Message: "started by the workflow_dispatch event; the rollback needs a typed confirmation"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			event := tt.event
			if event == "" {
				event = "workflow_run"
			}
			ev, err := ParseEvent(event, readEvent(t, tt.file))
			require.NoError(t, err)
			p := defaultPolicy
			if tt.policy != nil {
				p = *tt.policy
			}
			if diff := cmp.Diff(tt.want, Decide(ev, p)); diff != "" {
				t.Errorf("Decide mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	failed := func(change func(*Run)) Event {
		r := &Run{
			ID: 7, Name: "Deploy", WorkflowName: "Deploy", Path: ".github/workflows/deploy.yml",
			Status: "completed", Conclusion: "failure", HeadRepository: "octo-org/octo-repo",
		}
		if change != nil {
			change(r)
		}
		return Event{Name: "workflow_run", Repository: "octo-org/octo-repo", Run: r}
	}
	tests := []struct {
		name       string
		ev         Event
		policy     Policy
		wantReason string // "" means proceed
		wantMsg    string // a phrase of the message
	}{
		{name: "failure", ev: failed(nil), policy: defaultPolicy, wantMsg: "rolling back"},
		{name: "status in capitals", ev: failed(func(r *Run) { r.Status, r.Conclusion = "COMPLETED", "FAILURE" }), policy: defaultPolicy},
		{name: "no conclusion", ev: failed(func(r *Run) { r.Conclusion = "" }), policy: defaultPolicy, wantReason: "not-a-failure", wantMsg: "completed without a conclusion"},
		{name: "empty conclusion never matches", ev: failed(func(r *Run) { r.Conclusion = "" }), policy: Policy{FailureConclusions: []string{" "}}, wantReason: "not-a-failure"},
		{name: "no failure conclusions", ev: failed(nil), policy: Policy{}, wantReason: "not-a-failure", wantMsg: "no failure-conclusions are configured"},
		{name: "startup_failure not configured", ev: failed(func(r *Run) { r.Conclusion = "startup_failure" }), policy: defaultPolicy, wantReason: "not-a-failure"},
		{name: "loop word in run name", ev: failed(func(r *Run) { r.Name = "Auto-Rollback" }), policy: defaultPolicy, wantReason: "loop-guard", wantMsg: "its run name contains"},
		{name: "loop word in workflow name only", ev: failed(func(r *Run) { r.Name, r.WorkflowName = "", "rollback prod" }), policy: defaultPolicy, wantReason: "loop-guard", wantMsg: `workflow "rollback prod"`},
		{name: "loop word in file name with ref", ev: failed(func(r *Run) { r.Path = ".github/workflows/ROLLBACK.yaml@refs/heads/main" }), policy: defaultPolicy, wantReason: "loop-guard"},
		{name: "loop word only in a directory", ev: failed(func(r *Run) { r.Path = "octo-org/rollback-tools/.github/workflows/ci.yml@main" }), policy: defaultPolicy},
		{name: "blank loop guard disables", ev: failed(func(r *Run) { r.Name = "rollback" }), policy: Policy{FailureConclusions: []string{"failure"}, LoopGuard: "  "}},
		{name: "fork", ev: failed(func(r *Run) { r.HeadRepository = "someone/octo-repo" }), policy: defaultPolicy, wantReason: "fork", wantMsg: "someone/octo-repo, not octo-org/octo-repo"},
		{name: "same repository in other case", ev: failed(func(r *Run) { r.HeadRepository = "Octo-Org/Octo-Repo" }), policy: defaultPolicy},
		{name: "head repository unknown", ev: failed(func(r *Run) { r.HeadRepository = "" }), policy: defaultPolicy},
		{
			name:       "loop guard before fork",
			ev:         failed(func(r *Run) { r.Name, r.HeadRepository = "rollback", "someone/octo-repo" }),
			policy:     defaultPolicy,
			wantReason: "loop-guard",
		},
		{
			name:       "no name anywhere: file name",
			ev:         failed(func(r *Run) { r.Name, r.WorkflowName, r.Conclusion = "", "", "success" }),
			policy:     defaultPolicy,
			wantReason: "not-a-failure",
			wantMsg:    `workflow "deploy.yml"`,
		},
		{
			name:       "no name and no path: run ID",
			ev:         failed(func(r *Run) { r.Name, r.WorkflowName, r.Path, r.Conclusion = "", "", "", "success" }),
			policy:     defaultPolicy,
			wantReason: "not-a-failure",
			wantMsg:    `workflow "run 7"`,
		},
		{name: "workflow_run without run", ev: Event{Name: "workflow_run"}, policy: defaultPolicy, wantReason: "missing-workflow-run"},
		{name: "manual", ev: Event{Name: "workflow_dispatch"}, policy: defaultPolicy, wantMsg: "typed confirmation"},
		{name: "no event name", ev: Event{}, policy: defaultPolicy, wantMsg: "(unnamed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Decide(tt.ev, tt.policy)
			if got.Proceed != (tt.wantReason == "") || got.Reason != tt.wantReason {
				t.Errorf("Decide = %+v, want reason %q (proceed %v)", got, tt.wantReason, tt.wantReason == "")
			}
			if !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("Decide message = %q, want it to contain %q", got.Message, tt.wantMsg)
			}
		})
	}
}
