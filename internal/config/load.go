package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/imageref"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// defaults are the contract's defaults, the same as action.yml declares: an
// input that reads empty takes its default here (see Load for loop-guard).
var defaults = map[string]string{
	"command":                "rollback",
	"protected-environments": "prod,production",
	"artifact-name":          "deployment-state",
	"max-revisions":          "20",
	"fallback":               "previous",
	"failure-conclusions":    "failure,timed_out",
	"loop-guard":             "rollback",
	"schema-label":           "schema-version",
	"allow-schema-downgrade": "false",
	"dry-run":                "false",
	"wait":                   "true",
	"wait-timeout":           "10m",
	"state-path":             "deployment-state",
	"deregister-failed":      "false",
	"source":                 "auto",
	"pin-digests":            "false",
}

// Defaults returns the default of every input that has one, keyed by input
// name, for example "wait-timeout": "10m". action.yml must declare the same.
func Defaults() map[string]string {
	return maps.Clone(defaults)
}

// Limits of the inputs.
const (
	MaxRevisionsLimit = 100           // one ListTaskDefinitions page
	MaxWaitTimeout    = 6 * time.Hour // the longest a GitHub-hosted job runs
)

// conclusions is the workflow_run conclusion enum.
// See https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run
var conclusions = []string{
	"action_required", "cancelled", "failure", "neutral", "skipped",
	"stale", "success", "timed_out", "startup_failure",
}

var (
	// ecsNameRE is an ECS cluster, service or container name.
	// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
	ecsNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// clusterARNRE is an ECS cluster ARN.
	clusterARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/([A-Za-z0-9_-]{1,255})$`)
	// serviceARNRE is an ECS service ARN, in the long format
	// (service/<cluster>/<service>) or the old short one (service/<service>).
	// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
	serviceARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/(?:([A-Za-z0-9_-]{1,255})/)?[A-Za-z0-9_-]{1,255}$`)
	// workflowFileRE is a workflow file name, as the REST API takes it.
	workflowFileRE = regexp.MustCompile(`^[^/\\]+\.ya?ml$`)
)

// Option changes how Load reads the inputs.
type Option func(*loader)

// WithLookup lets Load tell an input set to "" from an unset one, which
// getInput cannot: lookup(name) reports the input's value and whether it is
// present at all. Build it with [EnvLookup]. Only loop-guard needs it.
func WithLookup(lookup func(name string) (string, bool)) Option {
	return func(l *loader) { l.lookup = lookup }
}

// EnvLookup turns an environment lookup such as os.LookupEnv into the input
// lookup WithLookup takes, naming the variable as go-githubactions does:
// INPUT_ and the name upper-cased with spaces as underscores
// (loop-guard → INPUT_LOOP-GUARD). The value is trimmed.
func EnvLookup(lookupEnv func(key string) (string, bool)) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := lookupEnv("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
		return strings.TrimSpace(v), ok
	}
}

type loader struct {
	getInput func(string) string
	lookup   func(string) (string, bool)
	errs     []error
}

// get returns the input, or its default when it reads empty. loop-guard is
// the one input whose empty value means something (the guard is off); that is
// only honoured when a lookup says the input is present but empty. In a
// Docker action the runner sets every input action.yml declares, defaults
// included, so INPUT_LOOP-GUARD is present and empty only when the workflow
// set loop-guard: "". Without a lookup (or outside Actions, where nothing is
// set) an empty loop-guard keeps the default: the guard stays on.
func (l *loader) get(name string) string {
	v := l.getInput(name)
	if v != "" {
		return v
	}
	if name == "loop-guard" && l.lookup != nil {
		if _, present := l.lookup(name); present {
			return ""
		}
	}
	return defaults[name]
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, &InputError{Input: name, Problem: fmt.Sprintf(format, args...)})
}

func (l *loader) wrap(name string, err error) {
	l.errs = append(l.errs, &InputError{Input: name, Problem: err.Error(), Err: err})
}

// pair reports a problem of two inputs that go together.
func (l *loader) pair(name, other, problem string) {
	l.errs = append(l.errs, &InputError{Input: name, Pair: other, Problem: problem})
}

// Load reads every input through getInput, which is go-githubactions'
// (*Action).GetInput (a name such as "wait-timeout"; the value trimmed, ""
// when unset), applies the contract's defaults to the inputs that read empty
// (see [Defaults]), and validates them all. It returns every problem at once,
// joined with errors.Join, each an [*InputError] naming its input; the Config
// is zero then.
//
// An empty loop-guard disables the guard only when [WithLookup] shows the
// input is present; see [WithLookup].
func Load(getInput func(name string) string, opts ...Option) (Config, error) {
	l := &loader{getInput: getInput}
	for _, o := range opts {
		if o != nil {
			o(l)
		}
	}
	c := Config{
		Command:                   l.get("command"),
		Cluster:                   l.get("cluster"),
		Services:                  dedupe(splitList(l.get("service"))),
		Environment:               l.get("environment"),
		ProtectedEnvironments:     splitList(l.get("protected-environments")),
		Revision:                  l.get("revision"),
		ImageTag:                  l.get("image-tag"),
		Confirm:                   l.get("confirm"),
		DeployWorkflow:            l.get("deploy-workflow"),
		Branch:                    l.get("branch"),
		ArtifactName:              l.get("artifact-name"),
		ContainerName:             l.get("container-name"),
		Fallback:                  Fallback(l.get("fallback")),
		LoopGuard:                 l.get("loop-guard"),
		SchemaLabel:               l.get("schema-label"),
		GitHubToken:               l.get("github-token"),
		CodeDeployApplication:     l.get("codedeploy-application"),
		CodeDeployDeploymentGroup: l.get("codedeploy-deployment-group"),
		StatePath:                 l.get("state-path"),
		Source:                    Source(strings.ToLower(l.get("source"))),
	}
	c.PinDigests = l.boolean("pin-digests")
	c.AllowSchemaDowngrade = l.boolean("allow-schema-downgrade")
	c.DryRun = l.boolean("dry-run")
	c.Wait = l.boolean("wait")
	c.DeregisterFailed = l.boolean("deregister-failed")
	c.MaxRevisions = l.maxRevisions("max-revisions")
	c.WaitTimeout = l.waitTimeout("wait-timeout")
	c.FailureConclusions = l.conclusions("failure-conclusions")

	l.command(&c)
	l.target(&c)
	l.names(c)
	l.environments(c)
	if c.Fallback != FallbackPrevious && c.Fallback != FallbackNone {
		l.fail("fallback", "%q is not previous or none", c.Fallback)
	}
	if c.Source != SourceAuto && c.Source != SourceArtifact && c.Source != SourceECS {
		l.fail("source", "%q is not auto, artifact or ecs", c.Source)
	}
	if err := validStatePath(c.StatePath); err != nil {
		l.wrap("state-path", err)
	}
	if (c.CodeDeployApplication == "") != (c.CodeDeployDeploymentGroup == "") {
		l.pair("codedeploy-application", "codedeploy-deployment-group", "give both or neither")
	}
	l.codeDeployName("codedeploy-application", c.CodeDeployApplication)
	l.codeDeployName("codedeploy-deployment-group", c.CodeDeployDeploymentGroup)
	if err := errors.Join(l.errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// command checks the command and the inputs it requires.
func (l *loader) command(c *Config) {
	switch c.Command {
	case CommandRollback:
		if c.Cluster == "" {
			l.fail("cluster", "required for command rollback")
		}
		if len(c.Services) == 0 {
			l.fail("service", "required for command rollback")
		}
	case CommandRecord:
		if c.ImageTag == "" {
			l.fail("image-tag", "required for command record")
		}
		if (c.Cluster == "") != (len(c.Services) == 0) {
			l.pair("cluster", "service", "for command record give both or neither")
		}
	default:
		l.fail("command", "%q is not rollback or record", c.Command)
	}
}

// target checks the inputs that name the target.
func (l *loader) target(c *Config) {
	if c.ImageTag != "" {
		if err := imageref.ValidTag(c.ImageTag); err != nil {
			l.wrap("image-tag", err)
		}
	}
	if c.Revision != "" {
		if _, err := revision.ParseRevisionInput(c.Revision); err != nil {
			l.wrap("revision", err)
		}
	}
	if c.DeployWorkflow != "" && !isDigits(c.DeployWorkflow) && !workflowFileRE.MatchString(c.DeployWorkflow) {
		l.fail("deploy-workflow", "%q is neither a workflow file name (deploy.yml) nor a numeric workflow ID", c.DeployWorkflow)
	}
}

// names checks the ECS and GitHub names.
func (l *loader) names(c Config) {
	clusterName := ""
	if c.Cluster != "" {
		if m := clusterARNRE.FindStringSubmatch(c.Cluster); m != nil {
			clusterName = m[1]
		} else if ecsNameRE.MatchString(c.Cluster) {
			clusterName = c.Cluster
		} else {
			l.fail("cluster", "%q is not an ECS cluster name (letters, digits, - and _, at most 255) or cluster ARN", c.Cluster)
		}
	}
	for _, s := range c.Services {
		if m := serviceARNRE.FindStringSubmatch(s); m != nil {
			if m[1] != "" && clusterName != "" && m[1] != clusterName {
				l.errs = append(l.errs, &InputError{
					Input:   "service",
					Problem: fmt.Sprintf("service ARN %q is in cluster %q", s, m[1]),
					Versus:  "cluster", VersusValue: c.Cluster,
				})
			}
			continue
		}
		if !ecsNameRE.MatchString(s) {
			l.fail("service", "%q is not an ECS service name (letters, digits, - and _, at most 255) or service ARN", s)
		}
	}
	if c.ContainerName != "" && !ecsNameRE.MatchString(c.ContainerName) {
		l.fail("container-name", "%q is not an ECS container name (letters, digits, - and _, at most 255)", c.ContainerName)
	}
	// See https://github.com/actions/toolkit/blob/main/packages/artifact/src/internal/upload/path-and-artifact-name-validation.ts
	if strings.ContainsAny(c.ArtifactName, "\":<>|*?\r\n\\/") {
		l.fail("artifact-name", "%q holds a character artifact names cannot: \" : < > | * ? \\ / or a line break", c.ArtifactName)
	}
}

// codeDeployNameMax is the longest CodeDeploy application or deployment
// group name.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html
const codeDeployNameMax = 100

// codeDeployName checks a CodeDeploy application or deployment group name:
// at most 100 characters, printable, on one line. Empty is fine here; the
// pair is checked together.
func (l *loader) codeDeployName(name, v string) {
	if v == "" {
		return
	}
	if utf8.RuneCountInString(v) > codeDeployNameMax {
		l.fail(name, "%q is longer than %d characters", v, codeDeployNameMax)
		return
	}
	if strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0 {
		l.fail(name, "%q holds a space, a line break or a character that cannot be printed", v)
	}
}

// environments checks environment and protected-environments.
func (l *loader) environments(c Config) {
	if c.Environment != "" && !deploystate.ValidEnvironment(c.Environment) {
		l.fail("environment", "%q is not an environment name (letters, digits, . _ -, starting with a letter or digit, at most 64)", c.Environment)
	}
	for _, e := range c.ProtectedEnvironments {
		if !deploystate.ValidEnvironment(e) {
			l.fail("protected-environments", "%q is not an environment name (letters, digits, . _ -, starting with a letter or digit, at most 64)", e)
		}
	}
}

// boolean parses a strict boolean: true/false, yes/no, 1/0, any case.
func (l *loader) boolean(name string) bool {
	v := l.get(name)
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		return true
	case "false", "no", "0":
		return false
	}
	l.fail(name, "%q is not true or false", v)
	return false
}

func (l *loader) maxRevisions(name string) int {
	v := l.get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxRevisionsLimit {
		l.fail(name, "%q is not a whole number from 1 to %d", v, MaxRevisionsLimit)
		return 0
	}
	return n
}

func (l *loader) waitTimeout(name string) time.Duration {
	v := l.get(name)
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		l.fail(name, "%q is not a Go duration such as 10m or 1h30m", v)
	case d <= 0:
		l.fail(name, "%q is not positive", v)
	case d > MaxWaitTimeout:
		l.fail(name, "%q is longer than %s, the longest a job runs", v, MaxWaitTimeout)
	default:
		return d
	}
	return 0
}

// conclusions parses failure-conclusions: lower-cased, each in the
// workflow_run conclusion enum, duplicates dropped.
func (l *loader) conclusions(name string) []string {
	list := splitList(l.get(name))
	if len(list) == 0 {
		l.fail(name, "no conclusion given")
		return nil
	}
	var out []string
	for _, v := range list {
		lv := strings.ToLower(v)
		if !slices.Contains(conclusions, lv) {
			l.fail(name, "%q is not a workflow run conclusion (%s)", v, strings.Join(conclusions, ", "))
			continue
		}
		out = append(out, lv)
	}
	return dedupe(out)
}

// validStatePath accepts a path relative to the workspace that does not
// climb out of it.
func validStatePath(p string) error {
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return fmt.Errorf("%q is not relative to the workspace", p)
	}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return fmt.Errorf("%q leaves the workspace through ..", p)
		}
	}
	return nil
}

// splitList splits an input list on commas and line breaks, trims each
// entry and drops empty ones.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// dedupe drops repeated entries, keeping the first of each.
func dedupe(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
