package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"

	"github.com/deplight/ecs-rollback/internal/rollback"
)

func TestAnnotations(t *testing.T) {
	t.Parallel()
	passedOverWarnings := []Annotation{
		{LevelWarning, "ECS rollback warning", `passed over run 9007: artifact "deployment-state" has expired`},
		{LevelWarning, "ECS rollback warning", "passed over run 9004: environment.txt is dev, want prod"},
	}
	tests := []struct {
		name   string
		result rollback.Result
		want   []Annotation
	}{
		{
			name:   "rolled back: warnings, then one notice",
			result: rolledBack(),
			want: append(passedOverWarnings,
				Annotation{LevelNotice, "ECS service rolled back", "Rolled back web from revision 45 (abc1234) to 42 (def5678)"}),
		},
		{
			name:   "already current",
			result: alreadyCurrent(),
			want:   []Annotation{{LevelNotice, "ECS service already current", "web is already on revision 42: nothing changed"}},
		},
		{
			name:   "dry run",
			result: planned(),
			want:   []Annotation{{LevelNotice, "ECS rollback planned (dry run)", "Dry run: would roll back web from 45 (abc1234) to 42 (def5678)"}},
		},
		{
			name: "skipped",
			result: rollback.Result{
				Outcome: rollback.Skipped, Reason: "not-a-failure",
				Message: `workflow "Deploy" concluded "success", which does not trigger a rollback.`,
			},
			want: []Annotation{{LevelNotice, "ECS rollback skipped", `Skipped: workflow "Deploy" concluded "success", which does not trigger a rollback.`}},
		},
		{
			name:   "skipped without a message",
			result: rollback.Result{Outcome: rollback.Skipped, Reason: "fork"},
			want:   []Annotation{{LevelNotice, "ECS rollback skipped", "Skipped: the rollback was skipped (fork)"}},
		},
		{
			name:   "recorded",
			result: recorded(),
			want:   []Annotation{{LevelNotice, "Deployment state recorded", "Recorded deployment state for image tag def5678 (environment prod) in deployment-state"}},
		},
		{
			name:   "failed: warnings, then one error",
			result: failedNoPrevious(),
			want: append(passedOverWarnings, Annotation{LevelError, "ECS rollback failed",
				`no previous successful deployment of workflow 77 on branch main with a usable "deployment-state" artifact. Manual intervention is needed: roll back by hand with the revision or image-tag input.`}),
		},
		{
			name:   "refused check: the message and the check's detail",
			result: failedSchemaDowngrade(),
			want: []Annotation{{LevelError, "ECS rollback failed",
				"refused to roll back web: revision 42 has database schema version 17, lower than 18 on revision 45. Nothing was changed. " +
					`check "schema version does not go down" failed: schema-version would go from 18 to 17; set allow-schema-downgrade: true if revision 42 works with schema 18.`}},
		},
		{
			name:   "several services: one error, no repeated message",
			result: multiPartial(),
			want: []Annotation{{LevelError, "ECS rollback failed",
				"1 of 3 services failed (api): api was not stable on revision 10 within 10m0s. UpdateService was sent and ECS keeps rolling out; watch the service, or raise wait-timeout. Rolled back: web."}},
		},
		{
			name: "several services: each failure named",
			result: rollback.Result{
				Outcome: rollback.Failed, Reason: "schema-downgrade", Message: "2 services were refused while planning.",
				Services: []rollback.ServiceResult{
					{Service: "web", Outcome: rollback.Failed, Reason: "schema-downgrade", Checks: failedSchemaDowngrade().Services[0].Checks},
					{Service: "api", Outcome: rollback.Failed, Reason: "target-not-active", Message: "revision 10 is INACTIVE"},
					{Service: "worker", Outcome: rollback.Failed, Reason: "other-service-failed", Message: "not changed: another service was refused while planning"},
				},
			},
			want: []Annotation{{LevelError, "ECS rollback failed",
				"2 services were refused while planning. " +
					`web: check "schema version does not go down" failed: schema-version would go from 18 to 17; set allow-schema-downgrade: true if revision 42 works with schema 18. ` +
					"api: revision 10 is INACTIVE. worker: not changed: another service was refused while planning."}},
		},
		{
			name:   "failed without a message: the reason and what to do",
			result: rollback.Result{Outcome: rollback.Failed, Reason: "confirmation-mismatch"},
			want: []Annotation{{LevelError, "ECS rollback failed",
				"The rollback failed (confirmation-mismatch). Nothing was changed. Re-run the workflow with `confirm` set to `ROLLBACK`, or `ROLLBACK-PROD` for a protected environment."}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Annotations(tc.result)); diff != "" {
				t.Errorf("Annotations() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnnotationsInjection checks that outside values cannot break out of an
// annotation into a workflow command, and that a failure still makes exactly
// one error.
func TestAnnotationsInjection(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.result()
			got := Annotations(r)
			errs := 0
			for _, a := range got {
				if a.Level == LevelError {
					errs++
				}
				assert.Contains(t, []string{LevelNotice, LevelWarning, LevelError}, a.Level)
				for _, s := range []string{a.Title, a.Message} {
					assert.NotContains(t, s, "\n")
					assert.NotContains(t, s, "\r")
					assert.NotContains(t, s, "::")
				}
			}
			if r.Outcome == rollback.Failed {
				assert.Equal(t, 1, errs, "a failure makes exactly one error annotation")
			} else {
				assert.Zero(t, errs)
			}
			assert.Len(t, got, len(r.Warnings)+1)
		})
	}
}
