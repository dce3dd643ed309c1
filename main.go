// Command ecs-rollback is a GitHub Action that puts an Amazon ECS service
// back on its last successful deployment when a deploy fails.
package main

import (
	"github.com/deplight/ecs-rollback/internal/reason"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/deplight/ecs-rollback/internal/awsclients"
	"github.com/deplight/ecs-rollback/internal/cli"
	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/ghhttp"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain dispatches on the first argument: the action itself when run by
// GitHub Actions, or one of the commands a person runs.
func realMain(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	getenv := func(key string) string {
		v, _ := lookupEnv(key)
		return v
	}
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case cmd == "" && getenv("GITHUB_ACTIONS") != "":
		return runAction(ctx, githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)), lookupEnv)
	case cmd == "--version" && len(args) == 1:
		args = []string{"version"}
	}
	return runCLI(ctx, args, getenv, stdout, stderr)
}

// callTimeout bounds each network call.
const callTimeout = 30 * time.Second

// runAction runs the action: inputs → run → outputs, annotations, summary.
func runAction(ctx context.Context, action *githubactions.Action, lookupEnv func(string) (string, bool)) int {
	getenv := action.Getenv
	maskSecrets(action)
	// The runner passes every input, defaults included, so an input that is
	// present but empty was emptied on purpose (loop-guard: "" disables).
	cfg, err := config.Load(action.GetInput, config.WithLookup(config.EnvLookup(lookupEnv)))
	if err != nil {
		return finish(action, rollback.Result{
			Outcome: rollback.Failed, Reason: reason.InvalidInput,
			Message: "invalid inputs, nothing was done: " + strings.ReplaceAll(err.Error(), "\n", "; "),
		})
	}

	if cfg.Command == config.CommandRecord {
		runner := &rollback.Runner{Log: safeLog{action}}
		if cfg.Cluster != "" && len(cfg.Services) > 0 {
			clients, err := newActionAWS(ctx)
			if err != nil {
				return finish(action, failedResult(reason.AWSConfig, err))
			}
			runner.ECS = clients.ECS
		}
		return finish(action, runner.Record(ctx, rollback.RecordRequest{
			Config:    cfg,
			Workspace: getenv("GITHUB_WORKSPACE"),
			CommitSHA: getenv("GITHUB_SHA"),
		}))
	}

	event, err := readEvent(getenv("GITHUB_EVENT_NAME"), getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return finish(action, rollback.Result{
			Outcome: rollback.Failed, Reason: reason.InvalidEvent,
			Message: fmt.Sprintf("%v. The action must run in a GitHub Actions job, which provides GITHUB_EVENT_PATH.", err),
		})
	}
	clients, err := newActionAWS(ctx)
	if err != nil {
		return finish(action, failedResult(reason.AWSConfig, err))
	}
	runner := &rollback.Runner{
		ECS: clients.ECS, CodeDeploy: clients.CodeDeploy, ECR: clients.ECR,
		Log: safeLog{action},
	}
	repo := getenv("GITHUB_REPOSITORY")
	if owner, name, ok := strings.Cut(repo, "/"); ok {
		finder, err := newFinder(getenv("GITHUB_API_URL"), cfg.GitHubToken, owner, name, safeLog{action}.Debugf)
		if err != nil {
			return finish(action, failedResult(reason.InvalidInput, err))
		}
		runner.Source = finder
	}
	server := getenv("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	res := runner.Run(ctx, rollback.Request{Config: cfg, Event: event, RepoURL: server + "/" + repo})
	return finish(action, res)
}

// maskSecrets asks the runner to hide the GitHub token and the AWS
// credentials of the job wherever they could appear in the log, before
// anything else is printed, whatever the inputs and whether debug logging
// is on. The token is masked as given, before the inputs are validated.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#masking-a-value-in-a-log
func maskSecrets(action *githubactions.Action) {
	for _, secret := range []string{
		action.GetInput("github-token"),
		action.Getenv("AWS_SECRET_ACCESS_KEY"),
		action.Getenv("AWS_SESSION_TOKEN"),
	} {
		for line := range strings.Lines(secret) {
			if line = strings.TrimSpace(line); line != "" {
				action.AddMask(line)
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

func failedResult(reason string, err error) rollback.Result {
	return rollback.Result{Outcome: rollback.Failed, Reason: reason, Message: err.Error()}
}

// finish writes outputs, annotations and the job summary, and returns the
// exit status.
func finish(action *githubactions.Action, res rollback.Result) int {
	for _, o := range report.Outputs(res) {
		action.SetOutput(o.Name, o.Value)
	}
	for _, a := range report.Annotations(res) {
		a2 := action
		if a.Title != "" {
			a2 = action.WithFieldsMap(map[string]string{"title": a.Title})
		}
		switch a.Level {
		case report.LevelError:
			a2.Errorf("%s", a.Message)
		case report.LevelWarning:
			a2.Warningf("%s", a.Message)
		default:
			a2.Noticef("%s", a.Message)
		}
	}
	action.AddStepSummary(report.Summary(res))
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

// newActionAWS builds the AWS clients of the action, from the job's
// environment alone (aws-actions/configure-aws-credentials sets it up).
func newActionAWS(ctx context.Context) (cli.Clients, error) {
	clients, err := newAWS(ctx, "", "")
	if errors.Is(err, cli.ErrNoRegion) {
		return cli.Clients{}, errors.New("no AWS region is configured: set AWS_REGION, e.g. with aws-actions/configure-aws-credentials")
	}
	return clients, err
}

// newAWS builds the AWS clients for the operator CLI and the action.
func newAWS(ctx context.Context, region, profile string) (cli.Clients, error) {
	c, err := awsclients.New(ctx, awsclients.Options{Region: region, Profile: profile})
	if errors.Is(err, awsclients.ErrNoRegion) {
		return cli.Clients{}, cli.ErrNoRegion
	}
	if err != nil {
		return cli.Clients{}, err
	}
	return cli.Clients{ECS: c.ECS, ECR: c.ECR, CodeDeploy: c.CodeDeploy}, nil
}

// newFinder builds the finder of owner/repo's last successful deployment:
// the GitHub client for apiURL (GITHUB_API_URL; GitHub Enterprise Server
// works too) with token, and the client of the artifact downloads, a plain
// one that never carries the token, since GitHub redirects them to another
// host. Both retry 5xx and rate limits. logf, when set, receives the debug
// lines of the search and one for each retry.
func newFinder(apiURL, token, owner, repo string, logf func(format string, args ...any)) (*source.Finder, error) {
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	base, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL", apiURL)
	}
	retries := ghhttp.Options{Logf: logf}
	gh := github.NewClient(&http.Client{Timeout: callTimeout, Transport: ghhttp.NewTransport(http.DefaultTransport, retries)})
	if token != "" {
		gh = gh.WithAuthToken(token)
	}
	gh.BaseURL = base
	return &source.Finder{
		GitHub:   gh,
		Download: &http.Client{Timeout: 2 * callTimeout, Transport: ghhttp.NewTransport(nil, retries)},
		Owner:    owner,
		Repo:     repo,
		Logf:     logf,
	}, nil
}
