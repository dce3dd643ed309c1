package main

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/deplight/ecs-rollback/internal/cli"
)

// runCLI runs the commands a person types at a terminal (list, rollback,
// demo, version), with the real standard input and AWS clients.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, args, cli.Env{
		Stdin:            os.Stdin,
		Stdout:           stdout,
		Stderr:           stderr,
		Getenv:           getenv,
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: isTerminal(stderr),
		NewAWS:           newAWS,
		Version:          version,
		Demo:             func(ctx context.Context) int { return runDemo(ctx, stdout, stderr) },
	})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
