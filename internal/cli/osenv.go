package cli

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/deplight/ecs-rollback/internal/awsclients"
)

// OSEnv is the Env of a real process: the standard streams, the process's
// environment, terminal detection and the AWS clients of awsclients.
// version is printed by the version command; demo, when set, runs the demo
// command.
func OSEnv(version string, demo func(ctx context.Context, stdout, stderr io.Writer) int) Env {
	env := Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		NewAWS:           newAWS,
		Version:          version,
	}
	if demo != nil {
		env.Demo = func(ctx context.Context) int { return demo(ctx, os.Stdout, os.Stderr) }
	}
	return env
}

// newAWS builds the AWS clients for the --region and --profile flags.
func newAWS(ctx context.Context, region, profile string) (Clients, error) {
	c, err := awsclients.New(ctx, awsclients.Options{Region: region, Profile: profile})
	if errors.Is(err, awsclients.ErrNoRegion) {
		return Clients{}, ErrNoRegion
	}
	if err != nil {
		return Clients{}, err
	}
	return Clients{ECS: c.ECS, ECR: c.ECR, CodeDeploy: c.CodeDeploy}, nil
}
