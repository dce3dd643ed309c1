// Package demo tells the whole story of a rollback against in-process
// simulators of ECS and GitHub, with the real AWS and GitHub clients and no
// cloud account.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/deplight/ecs-rollback/internal/awsclients"
	"github.com/deplight/ecs-rollback/internal/ecslimit"
	"github.com/deplight/ecs-rollback/internal/source"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-github/v66/github"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// demoLog prints progress for a person at a terminal.
type demoLog struct {
	w     io.Writer
	start time.Time
}

func (l demoLog) Infof(format string, args ...any) {
	fmt.Fprintf(l.w, "  [%5.2fs] %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}
func (l demoLog) Debugf(string, ...any) {}
func (l demoLog) Group(title string)    { fmt.Fprintf(l.w, "▸ %s\n", title) }
func (l demoLog) EndGroup()             {}

// Run tells the whole story against in-process simulators of ECS and
// GitHub, with the real AWS and GitHub clients and no cloud account: a deploy
// of web fails, the action finds the last good deployment's artifact, rolls
// the service back and waits until it is stable. It writes no file.
func Run(ctx context.Context, stdout, stderr io.Writer) int {
	const (
		owner, repo = "acme", "shop"
		tok         = "ghs_demo"
		wfID        = 7001
		wfPath      = ".github/workflows/deploy.yml"
		image       = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
	)
	ecsSim := ecssim.New()
	defer ecsSim.Close()
	ghSim := ghsim.New(owner, repo)
	defer ghSim.Close()
	ghSim.SetToken(tok)
	ghSim.SetDefaultBranch("main")

	// ECS: six revisions of web; the deploy of 45 (f5f5f5f) failed.
	ecsSim.AddCluster("prod")
	tags := []string{"a0a0a0a", "b1b1b1b", "c2c2c2c", "d3d3d3d", "e4e4e4e", "f5f5f5f"}
	var arns []string
	for _, tag := range tags {
		arn := ecsSim.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{
			Name: "app", Image: image + ":" + tag, Labels: map[string]string{"schema-version": "12"},
		}}})
		arns = append(arns, arn)
	}
	ecsSim.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[5], DesiredCount: 3})
	ecsSim.SetRollout("prod", "web", ecssim.Rollout{Settle: 1500 * time.Millisecond})

	// GitHub: two good deploys with their deployment-state artifacts, then the failed one.
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i, tag := range []string{"b1b1b1b", "c2c2c2c"} {
		id := int64(9001 + i)
		at := day.Add(time.Duration(i) * 24 * time.Hour)
		ghSim.AddRun(ghsim.Run{ID: id, RunNumber: id - 9000, WorkflowID: wfID, WorkflowPath: wfPath, Name: "Deploy Service",
			HeadBranch: "main", HeadSHA: tag + strings.Repeat("0", 33), Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at})
		zip, err := deploystate.Zip(deploystate.State{ImageTag: tag, Environment: "prod", CommitSHA: tag + strings.Repeat("0", 33), Timestamp: at.Format(time.RFC3339)})
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
		ghSim.AddArtifact(id, "deployment-state", zip, false)
	}
	failed := github.WorkflowRunEvent{
		Action:   github.String("completed"),
		Workflow: &github.Workflow{ID: github.Int64(wfID), Name: github.String("Deploy Service"), Path: github.String(wfPath)},
		WorkflowRun: &github.WorkflowRun{
			ID: github.Int64(9003), Name: github.String("Deploy Service"), WorkflowID: github.Int64(wfID), Path: github.String(wfPath),
			Status: github.String("completed"), Conclusion: github.String("failure"), HeadBranch: github.String("main"),
			HeadSHA:        github.String("f5f5f5f" + strings.Repeat("0", 33)),
			HTMLURL:        github.String("https://github.com/acme/shop/actions/runs/9003"),
			HeadRepository: &github.Repository{FullName: github.String(owner + "/" + repo)},
		},
		Repo: &github.Repository{FullName: github.String(owner + "/" + repo), DefaultBranch: github.String("main")},
	}
	ghSim.AddRun(ghsim.Run{ID: 9003, RunNumber: 3, WorkflowID: wfID, WorkflowPath: wfPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: "f5f5f5f" + strings.Repeat("0", 33), Event: "push", Status: "completed", Conclusion: "failure",
		CreatedAt: day.Add(5 * 24 * time.Hour)})
	payload, err := json.Marshal(failed)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	event, err := trigger.ParseEvent("workflow_run", payload)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}

	// The real clients, pointed at the simulators, with the request budget
	// and retryer of the action's own.
	api := ecs.New(ecs.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDDEMO", "demo", ""),
		BaseEndpoint: aws.String(ecsSim.URL()),
		Retryer:      awsclients.NewRetryer(),
	}, awsclients.WithECSBudget(ecslimit.New()))
	finder, err := source.NewFinder(ghSim.APIURL(), tok, owner, repo, nil)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}

	cfg, err := config.Load(func(name string) string {
		return map[string]string{"cluster": "prod", "service": "web", "environment": "prod"}[name]
	})
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "ecs-rollback demo: the deploy of web (revision 6, image f5f5f5f) failed in prod.")
	fmt.Fprintln(stdout, "Simulated ECS at", ecsSim.URL(), "and GitHub at", ghSim.APIURL())
	runner := &rollback.Runner{
		ECS:    api,
		Source: finder,
		Log:    demoLog{w: stdout, start: time.Now()},
	}
	res := runner.Run(ctx, rollback.Request{Config: cfg, Event: event, RepoURL: "https://github.com/acme/shop"})

	fmt.Fprintln(stdout, "\nOutputs:")
	for _, o := range report.Outputs(res) {
		fmt.Fprintf(stdout, "  %s=%s\n", o.Name, o.Value)
	}
	fmt.Fprintln(stdout, "\nJob summary:")
	fmt.Fprintln(stdout, report.Summary(res))
	if res.Outcome == rollback.Failed {
		return 1
	}
	return 0
}
