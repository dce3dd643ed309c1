package report

import (
	"fmt"
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// Results built by hand for the golden summaries and the table tests. Every
// time and duration is fixed.

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

const (
	repoURL = "https://github.com/octo-org/octo-repo"
	shaBad  = "abc1234f00dfeedfacecafebeef0123456789ab"
	shaGood = "def5678900aa11bb22cc33dd44ee55ff66778899"
)

// evil is what an attacker puts in every value they control.
const evil = "<script>alert(1)</script> [click](http://evil) | pipe | ::set-output name=x::y `whoami`\nnext line\r"

func newRevision(family string, n int32) *revision.Revision {
	return &revision.Revision{
		ARN:    fmt.Sprintf("arn:aws:ecs:eu-west-1:123456789012:task-definition/%s:%d", family, n),
		Family: family,
		Number: n,
		Status: "ACTIVE",
	}
}

func failedRun() *trigger.Run {
	return &trigger.Run{
		ID:             9010,
		WorkflowID:     77,
		Attempt:        1,
		Name:           "Deploy",
		WorkflowName:   "Deploy",
		Path:           ".github/workflows/deploy.yml",
		Status:         "completed",
		Conclusion:     "failure",
		Event:          "push",
		HeadBranch:     "main",
		HeadSHA:        shaBad,
		HTMLURL:        repoURL + "/actions/runs/9010",
		HeadRepository: "octo-org/octo-repo",
	}
}

func lastGood() *source.Deployment {
	return &source.Deployment{
		RunID:      9001,
		RunNumber:  123,
		RunURL:     repoURL + "/actions/runs/9001",
		HeadSHA:    shaGood,
		CreatedAt:  t0.Add(-18 * time.Hour),
		ArtifactID: 5501,
		State: deploystate.State{
			ImageTag:          "def5678",
			Environment:       "prod",
			CommitSHA:         shaGood,
			Timestamp:         "2024-04-30T16:20:00Z",
			TaskDefinitionARN: newRevision("web", 42).ARN,
		},
	}
}

func passedOver() []source.Skipped {
	return []source.Skipped{
		{RunID: 9007, RunURL: repoURL + "/actions/runs/9007", Reason: `artifact "deployment-state" has expired`},
		{RunID: 9004, RunURL: repoURL + "/actions/runs/9004", Reason: "environment.txt is dev, want prod"},
	}
}

func passingChecks() []safety.Check {
	return []safety.Check{
		{Name: "target is ACTIVE", Status: safety.Pass, Detail: "revision 42 is ACTIVE"},
		{Name: "target is older than the current revision", Status: safety.Pass, Detail: "42 < 45"},
		{Name: "same task-definition family", Status: safety.Pass, Detail: "web"},
		{Name: "schema version does not go down", Status: safety.Pass, Detail: "schema-version 17 on both"},
		{Name: "images exist in ECR", Status: safety.Pass, Detail: "1 of 1 images found"},
		{Name: "deployment controller is ECS", Status: safety.Pass, Detail: "ECS"},
	}
}

func timings() []rollback.Timing {
	return []rollback.Timing{
		{Phase: "trigger", Duration: 2 * time.Millisecond},
		{Phase: "source", Duration: 1234 * time.Millisecond},
		{Phase: "plan", Duration: 456 * time.Millisecond},
		{Phase: "apply", Duration: 210 * time.Millisecond},
		{Phase: "wait", Duration: 95*time.Second + 105*time.Millisecond},
		{Phase: "verify", Duration: 300 * time.Millisecond},
	}
}

func rolledBack() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.RolledBack,
		Message:     "Rolled back web from revision 45 (abc1234) to revision 42 (def5678).",
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Source:      lastGood(),
		SourceKind:  "artifact",
		SourceSkips: passedOver(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Services: []rollback.ServiceResult{{
			Service:      "web",
			Outcome:      rollback.RolledBack,
			From:         newRevision("web", 45),
			FromImageTag: "abc1234",
			To:           newRevision("web", 42),
			ToImageTag:   "def5678",
			How:          target.HowRecordedARN,
			Checks:       passingChecks(),
			UpdateSent:   true,
			Events: []ecsread.Event{
				{ID: "e2", CreatedAt: t0.Add(95 * time.Second), Message: "(service web) has reached a steady state."},
				{ID: "e1", CreatedAt: t0.Add(10 * time.Second), Message: "(service web) has started 2 tasks: (task 1a2b) (task 3c4d)."},
			},
		}},
		Warnings: []string{
			`passed over run 9007: artifact "deployment-state" has expired`,
			"passed over run 9004: environment.txt is dev, want prod",
		},
		Timings: timings(),
	}
}

func alreadyCurrent() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.AlreadyCurrent,
		Message:     "web already runs revision 42, the target: nothing was changed.",
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Source:      lastGood(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Services: []rollback.ServiceResult{{
			Service:      "web",
			Outcome:      rollback.AlreadyCurrent,
			From:         newRevision("web", 42),
			FromImageTag: "def5678",
			To:           newRevision("web", 42),
			ToImageTag:   "def5678",
			How:          target.HowRecordedARN,
			Checks: []safety.Check{
				{Name: "target is ACTIVE", Status: safety.Pass, Detail: "revision 42 is ACTIVE"},
				{Name: "target is older than the current revision", Status: safety.Pass, Detail: "42 = 42: already current"},
			},
		}},
		Timings: []rollback.Timing{
			{Phase: "source", Duration: 800 * time.Millisecond},
			{Phase: "plan", Duration: 350 * time.Millisecond},
		},
	}
}

func planned() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.Planned,
		Message:     "Dry run: would roll back web from 45 (abc1234) to 42 (def5678). Nothing was changed.",
		Cluster:     "staging",
		Environment: "dev",
		DryRun:      true,
		ImageTag:    "def5678",
		Services: []rollback.ServiceResult{{
			Service:      "web",
			Outcome:      rollback.Planned,
			From:         newRevision("web", 45),
			FromImageTag: "abc1234",
			To:           newRevision("web", 42),
			ToImageTag:   "def5678",
			How:          target.HowImageTag,
			Checks: append(passingChecks()[:5],
				safety.Check{Name: "deployment controller is ECS", Status: safety.Warn, Detail: "CODE_DEPLOY: would create a CodeDeploy deployment"},
				safety.Check{Name: "deregister the failed revision", Status: safety.Skip, Detail: "deregister-failed is false"},
			),
		}},
		Timings: []rollback.Timing{{Phase: "plan", Duration: 1500 * time.Millisecond}},
	}
}

func skippedLoopGuard() rollback.Result {
	run := failedRun()
	run.Name, run.WorkflowName, run.Path = "Rollback prod", "Rollback prod", ".github/workflows/rollback.yml"
	run.HTMLURL = repoURL + "/actions/runs/9020"
	run.ID = 9020
	return rollback.Result{
		Outcome:     rollback.Skipped,
		Reason:      "loop-guard",
		Message:     `workflow "Rollback prod" matches the loop guard "rollback": a rollback is never rolled back.`,
		Cluster:     "prod-cluster",
		Environment: "prod",
		Trigger:     run,
		RepoURL:     repoURL,
		Timings:     []rollback.Timing{{Phase: "trigger", Duration: time.Millisecond}},
	}
}

func failedNoPrevious() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.Failed,
		Reason:      "no-previous-deployment",
		Message:     `no previous successful deployment of workflow 77 on branch main with a usable "deployment-state" artifact. Manual intervention is needed: roll back by hand with the revision or image-tag input.`,
		Cluster:     "prod-cluster",
		Environment: "prod",
		SourceSkips: passedOver(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Warnings: []string{
			`passed over run 9007: artifact "deployment-state" has expired`,
			"passed over run 9004: environment.txt is dev, want prod",
		},
		Timings: []rollback.Timing{{Phase: "source", Duration: 2345 * time.Millisecond}},
	}
}

func failedRollout() rollback.Result {
	events := []ecsread.Event{
		{ID: "e0", CreatedAt: t0.Add(20 * time.Second), Message: "(service web) has started 2 tasks: (task aaaa) (task bbbb)."},
	}
	// Twelve more, oldest first: the summary must list the newest ten,
	// newest first, whatever the order it gets them in.
	for i := 1; i <= 12; i++ {
		events = append(events, ecsread.Event{
			ID:        fmt.Sprintf("e%d", i),
			CreatedAt: t0.Add(time.Duration(20+10*i) * time.Second),
			Message:   fmt.Sprintf("(service web) deployment ecs-svc/111 failed tasks %d: task failed ELB health checks.", i),
		})
	}
	return rollback.Result{
		Outcome:     rollback.Failed,
		Reason:      "rollout-failed",
		Message:     "the rollback of web to revision 42 failed: ECS deployment circuit breaker: tasks failed to start. UpdateService was sent; the service may be between revisions. Read the service events below and the stopped tasks' reasons.",
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Source:      lastGood(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Services: []rollback.ServiceResult{{
			Service:      "web",
			Outcome:      rollback.Failed,
			Reason:       "rollout-failed",
			Message:      "ECS deployment circuit breaker: tasks failed to start.",
			From:         newRevision("web", 45),
			FromImageTag: "abc1234",
			To:           newRevision("web", 42),
			ToImageTag:   "def5678",
			How:          target.HowRecordedARN,
			Checks:       passingChecks(),
			UpdateSent:   true,
			Events:       events,
			StoppedReasons: []string{
				"Essential container in task exited",
				"Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef)",
				"Essential container in task exited",
				"Essential container in task exited",
			},
			Superseded: "ecs-svc/1111111111111111111",
		}},
		Timings: timings(),
	}
}

func failedSchemaDowngrade() rollback.Result {
	checks := []safety.Check{
		{Name: "target is ACTIVE", Status: safety.Pass, Detail: "revision 42 is ACTIVE"},
		{Name: "target is older than the current revision", Status: safety.Pass, Detail: "42 < 45"},
		{Name: "same task-definition family", Status: safety.Pass, Detail: "web"},
		{Name: "schema version does not go down", Status: safety.Fail,
			Detail: "schema-version would go from 18 to 17; set allow-schema-downgrade: true if revision 42 works with schema 18"},
		{Name: "images exist in ECR", Status: safety.Skip, Detail: "not checked: an earlier check failed"},
		{Name: "deployment controller is ECS", Status: safety.Pass, Detail: "ECS"},
	}
	return rollback.Result{
		Outcome:     rollback.Failed,
		Reason:      "schema-downgrade",
		Message:     "refused to roll back web: revision 42 has database schema version 17, lower than 18 on revision 45. Nothing was changed.",
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Source:      lastGood(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Services: []rollback.ServiceResult{{
			Service:      "web",
			Outcome:      rollback.Failed,
			Reason:       "schema-downgrade",
			Message:      "revision 42 has database schema version 17, lower than 18 on revision 45",
			From:         newRevision("web", 45),
			FromImageTag: "abc1234",
			To:           newRevision("web", 42),
			ToImageTag:   "def5678",
			How:          target.HowImageTag,
			Checks:       checks,
		}},
		Timings: []rollback.Timing{{Phase: "source", Duration: 900 * time.Millisecond}, {Phase: "plan", Duration: 1100 * time.Millisecond}},
	}
}

func multiPartial() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.Failed,
		Reason:      "wait-timeout",
		Message:     "1 of 3 services failed (api): api was not stable on revision 10 within 10m0s. UpdateService was sent and ECS keeps rolling out; watch the service, or raise wait-timeout. Rolled back: web.",
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Source:      lastGood(),
		Trigger:     failedRun(),
		RepoURL:     repoURL,
		Services: []rollback.ServiceResult{
			{
				Service:      "web",
				Outcome:      rollback.RolledBack,
				From:         newRevision("web", 45),
				FromImageTag: "abc1234",
				To:           newRevision("web", 42),
				ToImageTag:   "def5678",
				How:          target.HowRecordedARN,
				Checks:       passingChecks()[:2],
				UpdateSent:   true,
			},
			{
				Service:      "api",
				Outcome:      rollback.Failed,
				Reason:       "wait-timeout",
				Message:      "api was not stable on revision 10 within 10m0s.",
				From:         newRevision("api", 12),
				FromImageTag: "abc1234",
				To:           newRevision("api", 10),
				ToImageTag:   "def5678",
				How:          target.HowImageTag,
				Checks: []safety.Check{
					{Name: "target is ACTIVE", Status: safety.Pass, Detail: "revision 10 is ACTIVE"},
					{Name: "target is older than the current revision", Status: safety.Pass, Detail: "10 < 12"},
				},
				UpdateSent: true,
				Events: []ecsread.Event{
					{ID: "a1", CreatedAt: t0.Add(9 * time.Minute), Message: "(service api) is unable to consistently start tasks successfully."},
				},
				StoppedReasons: []string{"CannotPullContainerError: pull image manifest has been retried 5 time(s)"},
			},
			{
				Service:      "worker",
				Outcome:      rollback.AlreadyCurrent,
				From:         newRevision("worker", 7),
				FromImageTag: "def5678",
				To:           newRevision("worker", 7),
				ToImageTag:   "def5678",
				How:          target.HowImageTag,
			},
		},
		Timings: []rollback.Timing{
			{Phase: "plan", Duration: 2 * time.Second},
			{Phase: "apply", Duration: 400 * time.Millisecond},
			{Phase: "wait", Duration: 10 * time.Minute},
		},
	}
}

func recorded() rollback.Result {
	return rollback.Result{
		Outcome:     rollback.Recorded,
		Message:     `Recorded image tag def5678 in deployment-state; upload that folder with actions/upload-artifact as "deployment-state".`,
		Cluster:     "prod-cluster",
		Environment: "prod",
		ImageTag:    "def5678",
		Services:    []rollback.ServiceResult{{Service: "web", Outcome: rollback.Recorded, From: newRevision("web", 42), FromImageTag: "def5678"}},
		StatePath:   "deployment-state",
		Timings:     []rollback.Timing{{Phase: "record", Duration: 120 * time.Millisecond}},
	}
}

// injection puts evil into every value that comes from outside.
func injection() rollback.Result {
	from, to := newRevision("web", 45), newRevision("web", 42)
	from.ARN, to.ARN = evil, evil
	return rollback.Result{
		Outcome:     rollback.Failed,
		Reason:      "rollout-failed",
		Message:     "the rollback failed: " + evil,
		Cluster:     evil,
		Environment: evil,
		ImageTag:    evil,
		Source: &source.Deployment{
			RunID:     9001,
			RunNumber: 123,
			RunURL:    "javascript:alert(1)",
			HeadSHA:   evil,
			CreatedAt: t0,
			State: deploystate.State{
				ImageTag:          evil,
				Environment:       evil,
				CommitSHA:         evil,
				Timestamp:         evil,
				TaskDefinitionARN: evil,
			},
		},
		SourceSkips: []source.Skipped{{RunID: 9007, RunURL: "https://evil.example/" + evil, Reason: evil}},
		Trigger: &trigger.Run{
			ID:         9010,
			Name:       evil,
			Conclusion: evil,
			HeadBranch: evil,
			HeadSHA:    evil,
			HTMLURL:    `https://github.com/x)[y](http://evil`,
		},
		RepoURL: repoURL,
		Services: []rollback.ServiceResult{{
			Service:        evil,
			Outcome:        rollback.Failed,
			Reason:         evil,
			Message:        evil,
			From:           from,
			FromImageTag:   evil,
			To:             to,
			ToImageTag:     evil,
			How:            target.How(evil),
			Checks:         []safety.Check{{Name: evil, Status: safety.Fail, Detail: evil}, {Name: "odd status", Status: safety.Status(evil), Detail: ""}},
			UpdateSent:     true,
			CodeDeployID:   evil,
			Deregistered:   evil,
			Events:         []ecsread.Event{{ID: "x", CreatedAt: t0, Message: evil}},
			StoppedReasons: []string{evil},
			Superseded:     evil,
		}},
		Warnings: []string{evil},
		Timings:  []rollback.Timing{{Phase: evil, Duration: 1500 * time.Millisecond}},
	}
}

// goldenCases are the results whose summaries are kept under
// testdata/summary/<name>.golden.md.
var goldenCases = []struct {
	name   string
	result func() rollback.Result
}{
	{"rolled-back", rolledBack},
	{"rolled-back-native", rolledBackNative},
	{"already-current", alreadyCurrent},
	{"planned", planned},
	{"skipped-loop-guard", skippedLoopGuard},
	{"failed-no-previous-deployment", failedNoPrevious},
	{"failed-rollout", failedRollout},
	{"failed-schema-downgrade", failedSchemaDowngrade},
	{"multi-service-partial", multiPartial},
	{"recorded", recorded},
	{"injection", injection},
}
