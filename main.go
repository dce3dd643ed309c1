// Command ecs-rollback is a GitHub Action that puts an Amazon ECS service
// back on its last successful deployment when a deploy fails, and the same
// rollback as a command a person runs from a terminal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/deplight/ecs-rollback/internal/action"
	"github.com/deplight/ecs-rollback/internal/cli"
	"github.com/deplight/ecs-rollback/internal/demo"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) == 1 && os.Getenv("GITHUB_ACTIONS") != "" {
		// Run by GitHub Actions as the action's entrypoint.
		code = action.Run(ctx, os.LookupEnv, os.Stdout)
	} else {
		code = cli.Run(ctx, os.Args[1:], cli.OSEnv(version, demo.Run))
	}
	stop()
	os.Exit(code)
}
