// Package cli is ecs-rollback as a command a person runs from a terminal:
// list a service's recent revisions, and roll it back with the same plan,
// checks, apply, wait and verify as the action, after a typed confirmation.
//
// It parses flags, asks for the confirmation and renders what happened;
// OSEnv builds the Env of a real process; tests build their own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecrcheck"

	"github.com/deplight/ecs-rollback/internal/rollback"
)

// Exit codes of every command.
const (
	ExitOK          = 0   // rolled-back, already-current, planned; a listing was printed
	ExitFailed      = 1   // the rollback failed or was refused; ECS could not be read
	ExitUsage       = 2   // a flag or argument is wrong or missing
	ExitInterrupted = 130 // SIGINT or SIGTERM (128 + SIGINT, as shells report it)
)

// exitCodesHelp documents the exit codes of all the commands, in the
// top-level help; each command's help shows its own.
const exitCodesHelp = `Exit status:
  0    success: rolled-back, already-current or planned (--dry-run); list printed
  1    the rollback failed or was refused (result=failed), or ECS could not be read
  2    usage error: a flag is missing or wrong, no AWS region, or no terminal and no --confirm
  130  interrupted (Ctrl-C or SIGTERM)
`

// The exit codes of each command, in its --help.
const (
	listExitCodes = `Exit status:
  0    the listing was printed
  1    ECS could not be read (the service, the AWS credentials, the network)
  2    usage error: a flag is missing or wrong, or no AWS region
  130  interrupted (Ctrl-C or SIGTERM)
`
	rollbackExitCodes = `Exit status:
  0    success: rolled-back, already-current or planned (--dry-run)
  1    the rollback failed or was refused (result=failed)
  2    usage error: a flag is missing or wrong, no AWS region, or no terminal and no --confirm
  130  interrupted (Ctrl-C or SIGTERM)
`
	versionExitCodes = `Exit status:
  0    the version was printed
  2    usage error: an unknown flag or an argument
`
	demoExitCodes = `Exit status:
  0    the story ran to its end: the service was rolled back
  1    the story did not end with a rollback (or was interrupted)
  2    usage error: an unknown flag or an argument
`
)

// Clients are the AWS clients of a command, built from one configuration.
type Clients struct {
	// ECS is the client of every ECS call; *ecs.Client satisfies it.
	ECS rollback.ECSAPI
	// ECR checks that the target's images still exist; nil skips the check,
	// saying so. *ecr.Client satisfies it.
	ECR ecrcheck.API
	// CodeDeploy rolls back CODE_DEPLOY services; nil refuses them.
	// *codedeploy.Client satisfies it.
	CodeDeploy apply.CodeDeployAPI
}

// Env is everything the commands take from outside: the streams, the
// environment and the clients. main fills it with the real ones; tests with
// pipes and simulator clients.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer // results: the outputs, the listing
	Stderr io.Writer // progress, the plan, the prompt, errors

	// Getenv reads an environment variable (NO_COLOR, TERM).
	Getenv func(key string) string
	// StdinIsTerminal reports whether Stdin is a terminal a person types at;
	// only then does rollback ask for the confirmation phrase.
	StdinIsTerminal bool
	// StderrIsTerminal reports whether Stderr is a terminal; only then is
	// colour used, and never when NO_COLOR is set.
	StderrIsTerminal bool

	// NewAWS builds the AWS clients for the --region and --profile flags
	// (either may be empty: the standard AWS configuration chain decides).
	// It returns an error wrapping ErrNoRegion when no region is configured.
	NewAWS func(ctx context.Context, region, profile string) (Clients, error)

	// Version is printed by the version command.
	Version string
	// Demo runs the demo command; nil leaves the command out.
	Demo func(ctx context.Context) int

	// Now is the clock of the progress lines; time.Now when nil.
	Now func() time.Time
	// FirstPoll and MaxPoll shape the wait for stability (zero: the runner's
	// defaults); tests shorten them.
	FirstPoll, MaxPoll time.Duration
}

func (e Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// usage is the top-level help.
const usage = `ecs-rollback puts an Amazon ECS service back on an earlier task-definition
revision, with the same checks as the GitHub Action.

Usage:
  ecs-rollback <command> [flags]

Commands:
  list        list the recent ACTIVE revisions of a service's family
  rollback    roll a service back to a revision or an image tag
  demo        run the whole story against in-process simulators
  version     print the version

Run 'ecs-rollback <command> --help' for a command's flags.

AWS credentials and region come from the standard chain (AWS_PROFILE, SSO,
environment variables, shared files); --region and --profile override it.
AWS_ENDPOINT_URL_ECS is honoured.

` + exitCodesHelp

// Run runs one command line (without the program name) and returns the exit
// status.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	if cmd == "--version" && len(rest) == 0 {
		cmd = "version"
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			if _, ok := commands[rest[0]]; ok {
				return Run(ctx, []string{rest[0], "--help"}, env)
			}
		}
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	c, ok := commands[cmd]
	if !ok || (cmd == "demo" && env.Demo == nil) {
		msg := fmt.Sprintf("unknown command %q", cmd)
		names := []string{"list", "rollback", "version"}
		if env.Demo != nil {
			names = append(names, "demo")
		}
		if near := closest(strings.TrimLeft(cmd, "-"), names); near != "" && near != cmd {
			msg += fmt.Sprintf(": did you mean %s?", near)
		}
		errorf(env, "%s", msg)
		fmt.Fprint(env.Stderr, "\n"+usage)
		return ExitUsage
	}
	return c(ctx, rest, env)
}

// commands maps a command name to its implementation.
var commands = map[string]func(ctx context.Context, args []string, env Env) int{
	"list":     runList,
	"rollback": runRollback,
	"demo":     runDemo,
	"version":  runVersion,
}

// errorf prints an error on stderr, each line prefixed with the program name.
func errorf(env Env, format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	for _, line := range strings.Split(msg, "\n") {
		fmt.Fprintf(env.Stderr, "ecs-rollback: %s\n", line)
	}
}

// usageError is a wrong or missing flag or argument: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// fail reports err on stderr and returns its exit status: 2 for a usage
// error (with a hint to --help), 130 when ctx was cancelled, else 1.
func fail(ctx context.Context, env Env, cmd string, err error) int {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		errorf(env, "%s", ue.msg)
		fmt.Fprintf(env.Stderr, "Run 'ecs-rollback %s --help' for usage.\n", cmd)
		return ExitUsage
	case ctx.Err() != nil:
		errorf(env, "interrupted: %v", err)
		return ExitInterrupted
	default:
		errorf(env, "%v", err)
		return ExitFailed
	}
}

func runVersion(_ context.Context, args []string, env Env) int {
	fs := newFlagSet("version", "ecs-rollback version",
		"Print the version: the release the binary was built as, else the module\nversion and commit Go recorded in it (go install, go build).", "", versionExitCodes)
	if code, done := parse(fs, args, env); done {
		return code
	}
	info, _ := debug.ReadBuildInfo() // nil when the binary holds none
	fmt.Fprintf(env.Stdout, "ecs-rollback %s\n", versionText(env.Version, info))
	return ExitOK
}

func runDemo(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("demo", "ecs-rollback demo",
		"Tell the whole story against in-process simulators of ECS and GitHub, with\nthe real AWS and GitHub clients and no cloud account: a deploy fails, the\naction finds the last good deployment and rolls the service back.", "", demoExitCodes)
	if code, done := parse(fs, args, env); done {
		return code
	}
	return env.Demo(ctx)
}
