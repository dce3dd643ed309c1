// Package awsclients builds the AWS SDK clients that ecs-rollback uses, once,
// for the action, the operator CLI and the demo alike.
package awsclients

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/ecslimit"
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
	// ECSBudget paces every call of ECS, whoever makes it: one request
	// budget for the whole run. Its Waited says how much it held calls back.
	ECSBudget *ecslimit.Limiter
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
//
// Every client retries with NewRetryer. Every call of the ECS client, by
// every service of the run, first waits for a token of one shared
// ecslimit.Limiter sized to ECS's request buckets, so that a run with many
// services stays under ECS's throttling instead of fighting it.
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
	cfg.Retryer = NewRetryer
	budget := ecslimit.New()
	return Clients{
		ECS:        ecs.NewFromConfig(cfg, WithECSBudget(budget)),
		ECR:        ecr.NewFromConfig(cfg),
		CodeDeploy: codedeploy.NewFromConfig(cfg),
		ECSBudget:  budget,
	}, nil
}

// NewRetryer is the retryer of every client: the SDK's standard retryer
// (exponential backoff with jitter, retrying throttling, 5xx and transient
// network errors) for MaxAttempts attempts, without its client-side retry
// quota. That quota (500 tokens, 5 taken by each throttled retry) is shared
// by every call of a client; a burst of throttles empties it, and from then
// on calls fail at once with "retry quota exceeded" instead of waiting. The
// ECS calls are paced by their request budget instead, and MaxAttempts
// still bounds each call.
// See https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.RateLimiter = ratelimit.None
	})
}

// WithECSBudget installs budget on an ECS client: every attempt of every
// call waits for a token of its operation's bucket.
func WithECSBudget(budget *ecslimit.Limiter) func(*ecs.Options) {
	return func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, budget.Middleware()) }
}
