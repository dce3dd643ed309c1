// Package action is ecs-rollback as a GitHub Action: it reads the inputs
// and the event the runner provides, builds the clients, runs the rollback
// (or the record command), and writes the outputs, the annotations and the
// job summary.
package action

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/deplight/ecs-rollback/internal/awsclients"
	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/record"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// Run runs the action with the runner's environment (lookupEnv) and
// returns the exit status: 1 when the result is failed, else 0. Progress and
// workflow commands go to stdout.
func Run(ctx context.Context, lookupEnv func(string) (string, bool), stdout io.Writer) int {
	getenv := func(key string) string {
		v, _ := lookupEnv(key)
		return v
	}
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
	if err := checkFiles(getenv); err != nil {
		// Nowhere to write the outputs: say so once, with no stack trace.
		fmt.Fprintf(stdout, "::error title=ecs-rollback::%s\n", report.LogSafe(err.Error()))
		return 1
	}
	maskSecrets(a)
	res := run(ctx, a, lookupEnv)
	return finish(a, res)
}

// checkFiles makes sure the runner's output and summary files can be
// written before anything else is done.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#environment-files
func checkFiles(getenv func(string) string) error {
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		path := getenv(name)
		if path == "" {
			return fmt.Errorf("%s is not set: the action must run as a step of a GitHub Actions job, which provides it", name)
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("%s cannot be written: %v", name, err)
		}
		f.Close()
	}
	return nil
}

// run is the action: inputs → runner → result.
func run(ctx context.Context, a *githubactions.Action, lookupEnv func(string) (string, bool)) rollback.Result {
	getenv := a.Getenv
	log := safeLog{a}
	// The runner passes every input, defaults included, so an input that is
	// present but empty was emptied on purpose (loop-guard: "" disables).
	cfg, err := config.Load(a.GetInput, config.WithLookup(config.EnvLookup(lookupEnv)))
	if err != nil {
		return rollback.Result{
			Outcome: rollback.Failed, Reason: reason.InvalidInput,
			Message: "invalid inputs, nothing was done: " + strings.ReplaceAll(err.Error(), "\n", "; "),
		}
	}

	if cfg.Command == config.CommandRecord {
		req := record.Request{Config: cfg, Workspace: getenv("GITHUB_WORKSPACE"), CommitSHA: getenv("GITHUB_SHA")}
		if cfg.Cluster == "" || len(cfg.Services) == 0 {
			return record.Run(ctx, nil, req, time.Now())
		}
		clients, err := newAWS(ctx)
		if err != nil {
			return failed(reason.AWSConfig, err)
		}
		return record.Run(ctx, clients.ECS, req, time.Now())
	}

	event, err := readEvent(getenv("GITHUB_EVENT_NAME"), getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return rollback.Result{
			Outcome: rollback.Failed, Reason: reason.InvalidEvent,
			Message: fmt.Sprintf("%v. The action must run in a GitHub Actions job, which provides GITHUB_EVENT_PATH.", err),
		}
	}
	clients, err := newAWS(ctx)
	if err != nil {
		return failed(reason.AWSConfig, err)
	}
	runner := &rollback.Runner{ECS: clients.ECS, CodeDeploy: clients.CodeDeploy, ECR: clients.ECR, Log: log}
	repo := getenv("GITHUB_REPOSITORY")
	if owner, name, ok := strings.Cut(repo, "/"); ok {
		finder, err := source.NewFinder(getenv("GITHUB_API_URL"), cfg.GitHubToken, owner, name, log.Debugf)
		if err != nil {
			return failed(reason.InvalidInput, err)
		}
		runner.Source = finder
	}
	server := cmp.Or(getenv("GITHUB_SERVER_URL"), "https://github.com")
	return runner.Run(ctx, rollback.Request{Config: cfg, Event: event, RepoURL: server + "/" + repo})
}

// newAWS builds the AWS clients of the action, from the job's environment
// alone (aws-actions/configure-aws-credentials sets it up).
func newAWS(ctx context.Context) (awsclients.Clients, error) {
	clients, err := awsclients.New(ctx, awsclients.Options{})
	if errors.Is(err, awsclients.ErrNoRegion) {
		return clients, errors.New("no AWS region is configured: set AWS_REGION, e.g. with aws-actions/configure-aws-credentials")
	}
	return clients, err
}

// maskSecrets asks the runner to hide the GitHub token and the AWS
// credentials of the job wherever they could appear in the log, before
// anything else is printed, whatever the inputs and whether debug logging
// is on. The token is masked as given, before the inputs are validated.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#masking-a-value-in-a-log
func maskSecrets(a *githubactions.Action) {
	for _, secret := range []string{
		a.GetInput("github-token"),
		a.Getenv("AWS_SECRET_ACCESS_KEY"),
		a.Getenv("AWS_SESSION_TOKEN"),
	} {
		for line := range strings.Lines(secret) {
			if line = strings.TrimSpace(line); line != "" {
				a.AddMask(line)
			}
		}
	}
}

// safeLog is the rollback's log: every line passes through report.LogSafe,
// so a value from outside (a branch, a tag, a name) can never start a line,
// or a workflow command, of its own, in a debug line either.
type safeLog struct{ *githubactions.Action }

// Infof prints a line made safe.
func (l safeLog) Infof(format string, args ...any) {
	l.Action.Infof("%s", report.LogSafe(fmt.Sprintf(format, args...)))
}

// Debugf prints a debug line made safe.
func (l safeLog) Debugf(format string, args ...any) {
	l.Action.Debugf("%s", report.LogSafe(fmt.Sprintf(format, args...)))
}

// Group opens a log group whose title is made safe.
func (l safeLog) Group(title string) {
	l.Action.Group(report.LogSafe(title))
}

func failed(why string, err error) rollback.Result {
	return rollback.Result{Outcome: rollback.Failed, Reason: why, Message: err.Error()}
}

// finish writes outputs, annotations and the job summary, and returns the
// exit status. A write that fails (the runner's files vanished under the
// run) is reported as one error line, never a stack trace.
func finish(a *githubactions.Action, res rollback.Result) (code int) {
	defer func() {
		if p := recover(); p != nil {
			a.Errorf("%s", report.LogSafe(fmt.Sprintf("write the outputs and the job summary: %v", p)))
			code = 1
		}
	}()
	for _, o := range report.Outputs(res) {
		a.SetOutput(o.Name, o.Value)
	}
	for _, an := range report.Annotations(res) {
		a2 := a
		if an.Title != "" {
			a2 = a.WithFieldsMap(map[string]string{"title": an.Title})
		}
		switch an.Level {
		case report.LevelError:
			a2.Errorf("%s", an.Message)
		case report.LevelWarning:
			a2.Warningf("%s", an.Message)
		default:
			a2.Noticef("%s", an.Message)
		}
	}
	a.AddStepSummary(report.Summary(res))
	if res.Outcome == rollback.Failed {
		return 1
	}
	return 0
}

// readEvent reads and parses the event payload at path.
func readEvent(name, path string) (trigger.Event, error) {
	if path == "" {
		return trigger.Event{}, errors.New("GITHUB_EVENT_PATH is not set")
	}
	f, err := os.Open(path)
	if err != nil {
		return trigger.Event{}, fmt.Errorf("read event file: %w", err)
	}
	defer f.Close()
	payload, err := io.ReadAll(io.LimitReader(f, 25<<20))
	if err != nil {
		return trigger.Event{}, fmt.Errorf("read event file: %w", err)
	}
	return trigger.ParseEvent(name, payload)
}
