package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
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
		NewAWS:           newCLIAWS,
		Version:          version,
		Demo:             func(ctx context.Context) int { return runDemo(ctx, stdout, stderr) },
	})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newCLIAWS builds the AWS clients of a person's laptop from the standard
// configuration chain (AWS_PROFILE and SSO profiles, environment variables,
// shared files; AWS_ENDPOINT_URL_ECS, _ECR and _CODEDEPLOY too), with region
// and profile, when given, taking precedence.
func newCLIAWS(ctx context.Context, region, profile string) (cli.Clients, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(6),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(callTimeout)),
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cli.Clients{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return cli.Clients{}, cli.ErrNoRegion
	}
	cfg.RetryMode = aws.RetryModeStandard
	return cli.Clients{
		ECS:        ecs.NewFromConfig(cfg),
		ECR:        ecr.NewFromConfig(cfg),
		CodeDeploy: codedeploy.NewFromConfig(cfg),
	}, nil
}
