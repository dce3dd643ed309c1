// Package awsclients builds the AWS SDK clients that ecs-rollback uses, once,
// for the action, the operator CLI and the demo alike.
package awsclients

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// CallTimeout bounds each network call of the AWS clients.
const CallTimeout = 30 * time.Second

// MaxAttempts is how many times the SDK tries a throttled or failed call.
const MaxAttempts = 6

// ErrNoRegion is returned when no AWS region is configured.
var ErrNoRegion = errors.New("no AWS region is configured")

// Clients are the AWS clients of one run, built from one configuration.
type Clients struct {
	ECS        *ecs.Client
	ECR        *ecr.Client
	CodeDeploy *codedeploy.Client
}

// Options choose the account and region; both may be empty, and then the
// standard AWS configuration chain decides.
type Options struct {
	Region  string
	Profile string
}

// New builds the ECS, ECR and CodeDeploy clients from the standard AWS
// configuration chain (environment variables, shared files and profiles,
// SSO, web identity), which also honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_ECS, _ECR and _CODEDEPLOY. Options, when set, take
// precedence. It returns an error wrapping ErrNoRegion when no region is
// configured.
// See https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
func New(ctx context.Context, o Options) (Clients, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(MaxAttempts),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(CallTimeout)),
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Clients{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return Clients{}, ErrNoRegion
	}
	cfg.RetryMode = aws.RetryModeStandard
	return Clients{
		ECS:        ecs.NewFromConfig(cfg),
		ECR:        ecr.NewFromConfig(cfg),
		CodeDeploy: codedeploy.NewFromConfig(cfg),
	}, nil
}
