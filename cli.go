package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `ecs-rollback puts an Amazon ECS service back on its last good version.

Inside GitHub Actions it runs as the action (see README). From a terminal:

  ecs-rollback demo       run the whole story against in-process simulators
  ecs-rollback version    print the version
`

// runCLI runs the commands a person types at a terminal.
func runCLI(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ecs-rollback: unknown command %q\n\n%s", args[0], usage)
	return 2
}
