package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// flagSet is a flag.FlagSet that remembers the order its flags were defined
// in, for the help, and prints the help the same way for every command.
type flagSet struct {
	*flag.FlagSet
	name        string
	synopsis    string // e.g. "ecs-rollback list --cluster C --service S [flags]"
	description string
	examples    string
	order       []string
}

func newFlagSet(name, synopsis, description, examples string) *flagSet {
	fs := &flagSet{
		FlagSet:     flag.NewFlagSet(name, flag.ContinueOnError),
		name:        name,
		synopsis:    synopsis,
		description: description,
		examples:    examples,
	}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func (fs *flagSet) str(p *string, name, value, usage string) {
	fs.StringVar(p, name, value, usage)
	fs.order = append(fs.order, name)
}

func (fs *flagSet) boolean(p *bool, name, usage string) {
	fs.BoolVar(p, name, false, usage)
	fs.order = append(fs.order, name)
}

// printHelp writes the command's help: synopsis, description, flags in the
// order they were defined, examples, exit codes.
func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", fs.synopsis, fs.description)
	if len(fs.order) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, name := range fs.order {
			f := fs.Lookup(name)
			arg, usage := flag.UnquoteUsage(f)
			left := "--" + name
			if arg != "" {
				left += " " + strings.ToUpper(arg)
			}
			if f.DefValue != "" && f.DefValue != "false" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", left, usage)
		}
		fmt.Fprint(tw, "  -h, --help\tshow this help\n")
		tw.Flush()
	}
	if fs.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s", fs.examples)
	}
	fmt.Fprint(w, "\n"+exitCodesHelp)
}

// parse parses args. done is true when the command must stop there: after
// printing the help (code 0), or after a usage error (code 2, the message
// and a hint on stderr). Positional arguments are a usage error: every
// command takes flags only.
func parse(fs *flagSet, args []string, env Env) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.printHelp(env.Stdout)
		return ExitOK, true
	case err != nil:
		errorf(env, "%s: %v", fs.name, err)
	case fs.NArg() > 0:
		errorf(env, "%s: unexpected argument %q (every value is given with a flag, e.g. --service web)", fs.name, fs.Arg(0))
	default:
		return ExitOK, false
	}
	fmt.Fprintf(env.Stderr, "Run 'ecs-rollback %s --help' for usage.\n", fs.name)
	return ExitUsage, true
}

// awsFlags are the flags that choose the AWS account and region.
type awsFlags struct {
	region, profile string
}

func (a *awsFlags) define(fs *flagSet) {
	fs.str(&a.region, "region", "", "AWS `region` (default: AWS_REGION, or the profile's region)")
	fs.str(&a.profile, "profile", "", "AWS shared-config `profile`, e.g. an SSO profile (default: AWS_PROFILE)")
}

// clients builds the AWS clients for the flags; no region is a usage error.
func (a *awsFlags) clients(ctx context.Context, env Env) (Clients, error) {
	c, err := env.NewAWS(ctx, a.region, a.profile)
	if errors.Is(err, ErrNoRegion) {
		return Clients{}, usageErrorf("%v", err)
	}
	return c, err
}
