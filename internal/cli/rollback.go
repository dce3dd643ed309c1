package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// EventName is the trigger event of a rollback started from the CLI: like
// any event but workflow_run, it is a person, whose typed phrase the runner
// checks.
const EventName = "cli"

// ErrNoRegion is returned (wrapped) by Env.NewAWS when no AWS region is
// configured; the command reports it as a usage error.
var ErrNoRegion = errors.New("no AWS region is configured: pass --region (e.g. --region us-east-1), set AWS_REGION, or give the profile a region (aws configure set region us-east-1 --profile NAME)")

const rollbackDescription = `Roll a service back to an earlier revision of its task-definition family,
given by --revision or by --image-tag, with the same plan, safety checks,
UpdateService, wait and verification as the GitHub Action.

On a terminal it first shows the plan (from → to, image tags, checks) without
changing anything, then asks you to type the confirmation phrase: ROLLBACK,
or ROLLBACK-PROD when --environment is one of --protected-environments.
Without a terminal (a script, a pipe) it needs --confirm PHRASE instead.

--image-tag searches the newest --max-revisions ACTIVE revisions below the
current one; when none carries the tag, nothing is changed (no fallback).

Progress goes to stderr; the result goes to stdout as the action's outputs,
one key=value per line (result, reason, from-task-definition,
to-task-definition, to-revision, image-tag, ...), or one JSON object with
--output json.`

const rollbackExamples = `  # See what would happen; nothing is changed and no phrase is needed.
  ecs-rollback rollback --cluster prod --service web --revision 42 --dry-run

  # On a terminal: shows the plan, then asks for ROLLBACK-PROD.
  ecs-rollback rollback --cluster prod --service web --image-tag c2c2c2c --environment prod

  # From a script: the phrase on the command line.
  ecs-rollback rollback --cluster prod --service web --revision 42 --confirm ROLLBACK --output json
`

type rollbackOptions struct {
	aws                  awsFlags
	cluster              string
	service              string
	revision             string
	imageTag             string
	environment          string
	protected            string
	containerName        string
	maxRevisions         string
	schemaLabel          string
	waitTimeout          string
	confirm              string
	output               string
	codeDeployApp        string
	codeDeployGroup      string
	dryRun               bool
	noWait               bool
	allowSchemaDowngrade bool
	deregisterFailed     bool
}

func (o *rollbackOptions) define(fs *flagSet) {
	fs.str(&o.cluster, "cluster", "", "ECS `cluster` name or ARN (required)")
	fs.str(&o.service, "service", "", "ECS `service` name or ARN (required); several, comma-separated, are planned together and rolled back concurrently")
	fs.str(&o.revision, "revision", "", "target `revision`: 42, family:42 or a task-definition ARN")
	fs.str(&o.imageTag, "image-tag", "", "target image `tag` (a commit SHA, 7+ hex characters also match a longer one)")
	fs.str(&o.environment, "environment", "", "`environment` name, e.g. dev or prod; a protected one needs ROLLBACK-PROD")
	fs.str(&o.protected, "protected-environments", "prod,production", "comma-separated `list` of environments whose phrase is ROLLBACK-PROD")
	fs.str(&o.containerName, "container-name", "", "`container` whose image is matched and shown (default: any container)")
	fs.str(&o.maxRevisions, "max-revisions", "20", "search the `N` newest ACTIVE revisions for --image-tag, 1 to 100")
	fs.str(&o.schemaLabel, "schema-label", "schema-version", "docker `label` holding the database schema version")
	fs.boolean(&o.allowSchemaDowngrade, "allow-schema-downgrade", "allow a target whose schema label is lower than the current one")
	fs.str(&o.codeDeployApp, "codedeploy-application", "", "for a CODE_DEPLOY service: its CodeDeploy `application`")
	fs.str(&o.codeDeployGroup, "codedeploy-deployment-group", "", "for a CODE_DEPLOY service: its deployment `group`")
	fs.boolean(&o.deregisterFailed, "deregister-failed", "after a verified rollback, deregister the revision the service was on")
	fs.boolean(&o.dryRun, "dry-run", "plan and check only: change nothing, need no phrase")
	fs.boolean(&o.noWait, "no-wait", "do not wait for the service to be stable on the target")
	fs.str(&o.waitTimeout, "wait-timeout", "10m", "how long to wait for stability, a Go `duration`")
	fs.str(&o.confirm, "confirm", "", "the confirmation `phrase` (ROLLBACK or ROLLBACK-PROD); required without a terminal")
	fs.str(&o.output, "output", "text", "result `format` on stdout: text (key=value lines) or json")
	o.aws.define(fs)
}

// inputs maps the flags to the action's inputs, so config.Load validates
// them exactly as it validates the action's. fallback is none: a person who
// names an image tag gets that tag or nothing.
func (o *rollbackOptions) inputs() map[string]string {
	return map[string]string{
		"command":                     config.CommandRollback,
		"cluster":                     o.cluster,
		"service":                     o.service,
		"environment":                 o.environment,
		"protected-environments":      o.protected,
		"revision":                    o.revision,
		"image-tag":                   o.imageTag,
		"container-name":              o.containerName,
		"max-revisions":               o.maxRevisions,
		"fallback":                    string(config.FallbackNone),
		"schema-label":                o.schemaLabel,
		"allow-schema-downgrade":      strconv.FormatBool(o.allowSchemaDowngrade),
		"dry-run":                     strconv.FormatBool(o.dryRun),
		"wait":                        strconv.FormatBool(!o.noWait),
		"wait-timeout":                o.waitTimeout,
		"confirm":                     o.confirm,
		"codedeploy-application":      o.codeDeployApp,
		"codedeploy-deployment-group": o.codeDeployGroup,
		"deregister-failed":           strconv.FormatBool(o.deregisterFailed),
	}
}

// load checks the flags and builds the Config, every problem at once.
func (o *rollbackOptions) load(fs *flagSet) (config.Config, error) {
	var problems []string
	switch {
	case o.revision == "" && o.imageTag == "":
		problems = append(problems, "give the target with --revision or --image-tag")
	case o.revision != "" && o.imageTag != "":
		problems = append(problems, "give --revision or --image-tag, not both")
	}
	if o.output != "text" && o.output != "json" {
		problems = append(problems, fmt.Sprintf("--output %q is not text or json", o.output))
	}
	in := o.inputs()
	cfg, err := config.Load(func(name string) string { return strings.TrimSpace(in[name]) })
	if err != nil {
		problems = append(problems, flagErrors(fs, err)...)
	}
	if len(problems) > 0 {
		return config.Config{}, usageErrorf("%s", strings.Join(problems, "\n"))
	}
	return cfg, nil
}

// flagErrors lists the errors of config.Load, one per line, naming the flag
// of each input instead of the input.
func flagErrors(fs *flagSet, err error) []string {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	name := func(input string) string {
		if fs.Lookup(input) != nil {
			return "--" + input
		}
		return input // set by the command itself, not by a flag
	}
	var lines []string
	for _, e := range errs {
		var ie *config.InputError
		if errors.As(e, &ie) {
			lines = append(lines, ie.Render(name))
		} else {
			lines = append(lines, e.Error())
		}
	}
	return lines
}

func runRollback(ctx context.Context, args []string, env Env) int {
	var o rollbackOptions
	fs := newFlagSet("rollback",
		"ecs-rollback rollback --cluster CLUSTER --service SERVICE (--revision N | --image-tag TAG) [flags]",
		rollbackDescription, rollbackExamples, rollbackExitCodes)
	o.define(fs)
	if code, done := parse(fs, args, env); done {
		return code
	}
	cfg, err := o.load(fs)
	if err != nil {
		return fail(ctx, env, "rollback", err)
	}

	expected := trigger.ExpectedPhrase(cfg.Environment, cfg.ProtectedEnvironments)
	interactive := false
	switch {
	case cfg.DryRun:
		cfg.Confirm = expected // a plan changes nothing: no phrase needed
	case o.confirm != "":
		// The runner checks it, before any AWS call.
	case env.StdinIsTerminal:
		interactive = true
	default:
		return fail(ctx, env, "rollback", usageErrorf(
			"standard input is not a terminal, so nobody can type the confirmation: pass --confirm %s (or --dry-run to only plan)", expected))
	}

	aws, err := o.aws.clients(ctx, env)
	if err != nil {
		return fail(ctx, env, "rollback", err)
	}
	st := newStyle(env)
	watch := &problemWatch{}
	api := watchedECS{ECSAPI: aws.ECS, watch: watch}
	c := &rollbackCmd{
		env:     env,
		style:   st,
		api:     api,
		output:  o.output,
		watch:   watch,
		profile: o.aws.profileName(env),
		runner: &rollback.Runner{
			ECS:        api,
			ECR:        aws.ECR,
			CodeDeploy: aws.CodeDeploy,
			Log:        newProgress(env.Stderr, env.now, st),
			FirstPoll:  env.FirstPoll,
			MaxPoll:    env.MaxPoll,
			Flags:      true,
		},
	}
	if interactive {
		return c.interactive(ctx, cfg, expected)
	}
	res := c.run(ctx, cfg, false)
	c.describe(res, true)
	return c.finish(res)
}

// rollbackCmd is one rollback command line being carried out.
type rollbackCmd struct {
	env    Env
	style  style
	api    rollback.ECSAPI
	runner *rollback.Runner
	output string
	// watch sees every ECS error of the run, and profile is the AWS profile
	// in use: an AWS configuration problem is told with how to fix it.
	watch   *problemWatch
	profile string
}

// run runs the runner, then tells in the CLI's words why a run failed where
// the runner's words are the action's: typed says the phrase was typed at
// the prompt rather than given with --confirm.
func (c *rollbackCmd) run(ctx context.Context, cfg config.Config, typed bool) rollback.Result {
	res := c.runner.Run(ctx, rollback.Request{Config: cfg, Event: trigger.Event{Name: EventName}})
	if res.Outcome != rollback.Failed {
		return res
	}
	res.Services = slices.Clone(res.Services)
	switch p, err := c.watch.first(); {
	case p != awsOK && slices.ContainsFunc(res.Services, func(s rollback.ServiceResult) bool { return s.UpdateSent }):
		// Credentials that expired after the change was sent: what was
		// sent matters most; the advice follows it.
		res.Message += "\n" + awsAdvice(p, c.profile, err)
	case p != awsOK:
		// No credentials, an expired SSO session: how to set them up,
		// instead of the SDK's chain of errors.
		res.Message = awsAdvice(p, c.profile, err)
		for i := range res.Services {
			if res.Services[i].Reason == res.Reason {
				res.Services[i].Message = ""
			}
		}
	case res.Reason == reason.Confirmation:
		res.Message = phraseMessage(cfg, typed)
	case res.Reason == reason.ServiceNotFound:
		var missing []string
		for i, s := range res.Services {
			if s.Reason == reason.ServiceNotFound {
				missing = append(missing, s.Service)
				res.Services[i].Message = fmt.Sprintf("service %s was not found in cluster %s", s.Service, cfg.Cluster)
			}
		}
		if len(missing) == 0 { // none was found: the run stopped before the services
			missing = cfg.Services
			for i, s := range res.Services {
				res.Services[i].Message = fmt.Sprintf("service %s was not found in cluster %s", s.Service, cfg.Cluster)
			}
		}
		what := "service " + strings.Join(missing, ", ")
		if len(missing) > 1 {
			what = "services " + strings.Join(missing, ", ")
		}
		res.Message = fmt.Sprintf("%s not found in cluster %s. Check --cluster, --service and the AWS region (--region, AWS_REGION). Nothing was changed.",
			what, cfg.Cluster)
	}
	return res
}

// phraseMessage says why the phrase was refused, speaking of the prompt
// (typed) or of --confirm, never of the value given: it could be anything.
// Nothing was changed: the runner checks the phrase before any change.
func phraseMessage(cfg config.Config, typed bool) string {
	var ce *trigger.ConfirmationError
	if !errors.As(trigger.CheckConfirm(cfg.Confirm, cfg.Environment, cfg.ProtectedEnvironments), &ce) {
		return ""
	}
	what := "this rollback"
	if ce.Environment != "" {
		what = fmt.Sprintf("a rollback of environment %q", ce.Environment)
	}
	switch {
	case typed && !ce.Given:
		return fmt.Sprintf("nothing was typed: %s needs exactly %q. Nothing was changed.", what, ce.Expected)
	case typed:
		return fmt.Sprintf("the phrase typed does not match: %s needs exactly %q (what was typed is not shown). Nothing was changed.", what, ce.Expected)
	default:
		return fmt.Sprintf("--confirm does not match: %s needs exactly %q, e.g. --confirm %s (the value given is not shown). Nothing was changed.", what, ce.Expected, ce.Expected)
	}
}

// interactive plans without changing anything, shows the plan, asks for the
// phrase, and rolls back to exactly the planned revision once it is typed.
func (c *rollbackCmd) interactive(ctx context.Context, cfg config.Config, expected string) int {
	planCfg := cfg
	planCfg.DryRun, planCfg.Confirm = true, expected
	plan := c.run(ctx, planCfg, false)
	c.describe(plan, true)
	if plan.Outcome != rollback.Planned {
		// Already on the target, refused, or interrupted: that is the answer.
		return c.finish(plan)
	}

	what := "this rollback"
	if cfg.Environment != "" {
		what = fmt.Sprintf("this rollback of environment %s", report.LogSafe(cfg.Environment))
	}
	fmt.Fprintf(c.env.Stderr, "To carry out %s, type %s (anything else cancels): ", what, c.style.bold(expected))
	typed, err := readLine(ctx, c.env.Stdin)
	fmt.Fprintln(c.env.Stderr)
	if ctx.Err() != nil {
		errorf(c.env, "interrupted at the confirmation: nothing was changed")
		return ExitInterrupted
	}
	if err != nil && !errors.Is(err, io.EOF) {
		errorf(c.env, "read the confirmation: %v; nothing was changed", err)
		return ExitFailed
	}

	cfg.Confirm = typed
	if trigger.CheckConfirm(typed, cfg.Environment, cfg.ProtectedEnvironments) == nil {
		if res, changed := c.unchanged(ctx, cfg, plan); changed {
			c.describe(res, false)
			return c.finish(res)
		}
		pin(&cfg, plan)
	}
	// A wrong phrase is refused by the runner itself, before any change.
	res := c.run(ctx, cfg, true)
	c.describe(res, false)
	return c.finish(res)
}

// pin makes the rollback go to exactly the revision the person confirmed,
// even if a revision carrying the same tag were registered meanwhile.
func pin(cfg *config.Config, plan rollback.Result) {
	if len(plan.Services) != 1 || plan.Services[0].To == nil || plan.Services[0].To.ARN == "" {
		return
	}
	spec, err := revision.ParseRevisionInput(plan.Services[0].To.ARN)
	if err != nil {
		return // an emulator's bare family:revision: the runner resolves it again
	}
	cfg.Revision = spec.ARN
}

// unchanged checks that every service still runs the revision the plan
// started from. When one moved (a deploy, another rollback) while the person
// read the plan, nothing is changed and the result says so.
func (c *rollbackCmd) unchanged(ctx context.Context, cfg config.Config, plan rollback.Result) (rollback.Result, bool) {
	ctx, cancel := context.WithTimeout(ctx, rollback.DefaultPlanTimeout)
	defer cancel()
	services, err := ecsread.DescribeServices(ctx, c.api, cfg.Cluster, cfg.Services)
	var moved []string
	for _, s := range plan.Services {
		svc, ok := services[s.Service]
		if s.From != nil && ok && revision.SameRevision(svc.TaskDefinition, s.From.ARN) {
			continue
		}
		switch {
		case ok:
			moved = append(moved, fmt.Sprintf("%s now runs %s", s.Service, revisionLabel(svc.TaskDefinition)))
		case err != nil:
			moved = append(moved, fmt.Sprintf("%s could not be read again: %v", s.Service, err))
		default:
			moved = append(moved, s.Service+" could not be read again")
		}
	}
	if len(moved) == 0 {
		return rollback.Result{}, false
	}
	res := plan
	res.DryRun = false
	res.Outcome, res.Reason = rollback.Failed, reason.PlanChanged
	res.Message = fmt.Sprintf("the service changed since the plan was shown (%s): nothing was changed. Run the command again to see the new plan.",
		strings.Join(moved, "; "))
	if err != nil && ctx.Err() != nil {
		res.Reason, res.Message = reason.Cancelled, "interrupted before the rollback: nothing was changed"
	}
	res.Services = append([]rollback.ServiceResult(nil), plan.Services...)
	for i := range res.Services {
		res.Services[i].Outcome, res.Services[i].Reason = rollback.Failed, res.Reason
	}
	return res, true
}

// readLine reads one line from r, or returns when ctx is done (Ctrl-C).
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-ch:
		if errors.Is(a.err, io.EOF) && a.line != "" {
			a.err = nil
		}
		return strings.TrimSpace(a.line), a.err
	}
}

// describe prints on stderr what the run found and did: with checks, per
// service the revisions and the safety checks, and the warnings; for a
// failed rollout the service events and the stopped tasks' reasons.
func (c *rollbackCmd) describe(res rollback.Result, checks bool) {
	w, st := c.env.Stderr, c.style
	if checks && len(res.Services) > 0 {
		title := "Plan"
		if res.Cluster != "" {
			title += " in cluster " + report.LogSafe(res.Cluster)
		}
		if res.Environment != "" {
			title += ", environment " + report.LogSafe(res.Environment)
		}
		fmt.Fprintf(w, "\n%s\n", st.bold(title+":"))
		for _, s := range res.Services {
			name := st.bold(report.LogSafe(s.Service))
			if s.From == nil && s.To == nil {
				fmt.Fprintf(w, "  %s: %s %s\n", name, st.checkMark(safety.Fail), report.LogSafe(cmp.Or(s.Message, s.Reason, "not planned")))
				continue
			}
			fmt.Fprintf(w, "  %s: %s → %s\n", name, revisionText(s.From, s.FromImageTag), revisionText(s.To, s.ToImageTag))
			if s.How != "" {
				fmt.Fprintf(w, "    target chosen by %s\n", howText(s.How))
			}
			for _, ch := range s.Checks {
				fmt.Fprintf(w, "    %s %s: %s\n", st.checkMark(ch.Status), report.LogSafe(ch.Name), report.LogSafe(ch.Detail))
			}
		}
	}
	if checks { // after a confirmed plan, its warnings were shown with it
		for _, warn := range res.Warnings {
			fmt.Fprintf(w, "%s %s\n", st.yellow("warning:"), report.LogSafe(warn))
		}
	}
	for _, s := range res.Services {
		if len(s.Events) == 0 && len(s.StoppedReasons) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", st.bold("Service "+report.LogSafe(s.Service)+", recent events:"))
		for _, e := range s.Events {
			fmt.Fprintf(w, "  %s  %s\n", e.CreatedAt.UTC().Format(time.RFC3339), report.LogSafe(e.Message))
		}
		for _, r := range s.StoppedReasons {
			fmt.Fprintf(w, "  stopped task: %s\n", report.LogSafe(r))
		}
	}
	fmt.Fprintln(w)
}

// finish prints the message and the outputs and returns the exit status.
func (c *rollbackCmd) finish(res rollback.Result) int {
	code := exitCode(res)
	msg := report.LogSafe(res.Message)
	switch {
	case code != ExitOK:
		// Line by line: advice (how to set up credentials) has several.
		for line := range strings.SplitSeq(res.Message, "\n") {
			errorf(c.env, "%s", c.style.red(report.LogSafe(line)))
		}
	case msg != "":
		fmt.Fprintf(c.env.Stderr, "%s %s\n", c.style.green("✓"), msg)
	}
	var err error
	if c.output == "json" {
		err = writeResultJSON(c.env.Stdout, res)
	} else {
		err = writeResultText(c.env.Stdout, res)
	}
	if err != nil {
		errorf(c.env, "write the result: %v", err)
		if code == ExitOK {
			code = ExitFailed
		}
	}
	return code
}

// exitCode maps a result to the exit status: 130 when cancelled, 1 when
// failed, 0 otherwise.
func exitCode(res rollback.Result) int {
	switch {
	case res.Outcome == rollback.Failed && res.Reason == reason.Cancelled:
		return ExitInterrupted
	case res.Outcome == rollback.Failed:
		return ExitFailed
	}
	return ExitOK
}

func revisionText(rev *revision.Revision, tag string) string {
	if rev == nil {
		return "?"
	}
	s := "revision " + strconv.Itoa(int(rev.Number))
	if tag != "" {
		s += " (" + report.LogSafe(tag) + ")"
	}
	return s
}

func howText(h target.How) string {
	switch h {
	case target.HowManualRevision:
		return "--revision"
	case target.HowImageTag:
		return "image tag"
	case target.HowRecordedARN:
		return "the recorded task definition"
	case target.HowFallbackPrevious:
		return "fallback to the previous revision"
	case target.HowECSHistory:
		return "ECS's deployment history"
	}
	return report.LogSafe(string(h))
}

// checkMark shows a check's status.
func (s style) checkMark(st safety.Status) string {
	switch st {
	case safety.Pass:
		return s.green("✓")
	case safety.Fail:
		return s.red("✗")
	case safety.Warn:
		return s.yellow("!")
	default:
		return s.dim("-")
	}
}
