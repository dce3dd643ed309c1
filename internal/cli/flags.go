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
	exitCodes   string // the command's own "Exit status:" block
	order       []string
}

func newFlagSet(name, synopsis, description, examples, exitCodes string) *flagSet {
	fs := &flagSet{
		FlagSet:     flag.NewFlagSet(name, flag.ContinueOnError),
		name:        name,
		synopsis:    synopsis,
		description: description,
		examples:    examples,
		exitCodes:   exitCodes,
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

// printHelp writes the command's help: synopsis, description, its flags in
// the order they were defined, examples, its exit codes.
func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", fs.synopsis, fs.description)
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
	if fs.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s", fs.examples)
	}
	fmt.Fprint(w, "\n"+fs.exitCodes)
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
		errorf(env, "%s: %s", fs.name, fs.explain(err))
	case fs.NArg() > 0:
		errorf(env, "%s: unexpected argument %q (every value is given with a flag, e.g. --service web)", fs.name, fs.Arg(0))
	default:
		return ExitOK, false
	}
	fmt.Fprintf(env.Stderr, "Run 'ecs-rollback %s --help' for usage.\n", fs.name)
	return ExitUsage, true
}

// The flag package's errors, which it gives as text only, with one dash.
const (
	flagUndefined = "flag provided but not defined: -"
	flagNoValue   = "flag needs an argument: -"
	flagBadBool   = "invalid boolean value "
)

// explain rewrites an error of the flag package in the CLI's words: flags
// with two dashes, and for an unknown one the closest flag of the command.
func (fs *flagSet) explain(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, flagUndefined); ok {
		name = strings.TrimLeft(name, "-")
		s := fmt.Sprintf("unknown flag --%s", name)
		if near := fs.closest(name); near != "" {
			s += fmt.Sprintf(": did you mean --%s?", near)
		}
		return s
	}
	if name, ok := strings.CutPrefix(msg, flagNoValue); ok {
		return fmt.Sprintf("--%s needs a value: --%s VALUE or --%s=VALUE", name, name, name)
	}
	if rest, ok := strings.CutPrefix(msg, flagBadBool); ok {
		// `"maybe" for -dry-run: parse error`
		if value, name, ok := strings.Cut(rest, " for -"); ok {
			name, _, _ = strings.Cut(name, ":")
			return fmt.Sprintf("invalid boolean value %s for --%s: give --%s alone, or --%s=true or --%s=false", value, name, name, name, name)
		}
	}
	return msg
}

// closest returns the command's flag nearest to name (see closest).
func (fs *flagSet) closest(name string) string { return closest(name, fs.order) }

// closest returns the word of words nearest to name: the one a typo of a
// letter or two away (edit distance at most 2, or a third of the name's
// length for a long one), else the only one that starts with name; "" when
// none is near.
func closest(name string, words []string) string {
	best, bestDist := "", -1
	for _, f := range words {
		d := editDistance(name, f)
		if bestDist < 0 || d < bestDist {
			best, bestDist = f, d
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) && bestDist < len(name) {
		return best
	}
	prefixed := ""
	for _, f := range words {
		if strings.HasPrefix(f, name) {
			if prefixed != "" {
				return ""
			}
			prefixed = f
		}
	}
	return prefixed
}

// editDistance is the Levenshtein distance between a and b, in bytes (flag
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// awsFlags are the flags that choose the AWS account and region.
type awsFlags struct {
	region, profile string
}

func (a *awsFlags) define(fs *flagSet) {
	fs.str(&a.region, "region", "", "AWS `region` (default: AWS_REGION, or the profile's region)")
	fs.str(&a.profile, "profile", "", "AWS shared-config `profile`, e.g. an SSO profile (default: AWS_PROFILE)")
}

// clients builds the AWS clients for the flags; no region is a usage error,
// and a missing profile says how to create it.
func (a *awsFlags) clients(ctx context.Context, env Env) (Clients, error) {
	c, err := env.NewAWS(ctx, a.region, a.profile)
	if err != nil {
		return Clients{}, a.explainAWS(env, err)
	}
	return c, nil
}
