package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/rollback"
)

// awsProblem is what is wrong with the AWS configuration, as an error of the
// SDK shows it: the person at the terminal has something to set up.
type awsProblem int

const (
	awsOK              awsProblem = iota // not a configuration problem
	awsNoCredentials                     // the credential chain found nothing
	awsSSOExpired                        // the SSO session has expired or was never started
	awsRejected                          // AWS refused the credentials: invalid or expired
	awsNoProfile                         // the profile is in no shared config file
	awsNoRegionProblem                   // no region
)

// rejectedCodes are the error codes AWS answers a call with when it refuses
// its credentials (not its permissions).
var rejectedCodes = map[string]bool{
	"UnrecognizedClientException":         true, // ECS, ECR, CodeDeploy: the token is invalid
	"InvalidClientTokenId":                true, // STS-style query APIs
	"ExpiredTokenException":               true,
	"ExpiredToken":                        true,
	"InvalidSignatureException":           true, // the secret key does not match
	"SignatureDoesNotMatch":               true,
	"IncompleteSignature":                 true,
	"MissingAuthenticationTokenException": true,
}

// classifyAWSError says which configuration problem, if any, err shows.
// The SDK wraps the credential chain's failure in plain fmt errors
// ("get identity: get credentials: failed to refresh cached credentials,
// ..."), so beside its types the texts of its auth middleware and credential
// cache are recognised too.
func classifyAWSError(err error) awsProblem {
	if err == nil {
		return awsOK
	}
	var (
		sso       *ssocreds.InvalidTokenError
		noProfile awsconfig.SharedConfigProfileNotExistError
		noRegion  *aws.MissingRegionError
		empty     *credentials.StaticCredentialsEmptyError
		api       smithy.APIError
	)
	msg := err.Error()
	identity := strings.Contains(msg, "get identity: ") || strings.Contains(msg, "failed to refresh cached credentials")
	switch {
	case errors.As(err, &sso),
		identity && errors.As(err, &api) && api.ErrorCode() == "UnauthorizedException": // SSO GetRoleCredentials
		return awsSSOExpired
	case errors.As(err, &noProfile):
		return awsNoProfile
	case errors.Is(err, ErrNoRegion), errors.As(err, &noRegion):
		return awsNoRegionProblem
	case identity, errors.As(err, &empty):
		return awsNoCredentials
	case errors.As(err, &api) && rejectedCodes[api.ErrorCode()]:
		return awsRejected
	}
	return awsOK
}

// configureCredentials is how to give the CLI AWS credentials.
const configureCredentials = `Configure AWS credentials in one of these ways:
  SSO:                    aws configure sso --profile NAME, then aws sso login --profile NAME,
                          and pass --profile NAME or set AWS_PROFILE=NAME
  a shared profile:       aws configure --profile NAME, then --profile NAME or AWS_PROFILE=NAME
  environment variables:  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
                          (and AWS_SESSION_TOKEN for temporary credentials)`

// awsAdvice says what is wrong and how to set it up; profile is the
// profile in use (--profile, else AWS_PROFILE), "" for the default one. err
// is the SDK's error, shown only where it says something the advice cannot.
func awsAdvice(p awsProblem, profile string, err error) string {
	name := "NAME"
	of, forProfile := "", ""
	if profile != "" {
		name = report.LogSafe(profile)
		of, forProfile = " of profile "+name, " for profile "+name
	}
	switch p {
	case awsNoCredentials:
		return fmt.Sprintf("no AWS credentials were found%s.\n%s", forProfile, configureCredentials)
	case awsSSOExpired:
		return fmt.Sprintf("the AWS SSO session%s has expired or was never started: run aws sso login --profile %s, then try again", of, name)
	case awsRejected:
		var api smithy.APIError
		said := ""
		if errors.As(err, &api) {
			said = fmt.Sprintf(" (%s: %s)", report.LogSafe(api.ErrorCode()), report.LogSafe(api.ErrorMessage()))
		}
		return fmt.Sprintf("AWS refused the credentials%s%s. Temporary credentials (SSO, an assumed role, AWS_SESSION_TOKEN) may have expired: refresh them, e.g. aws sso login --profile %s; otherwise check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile's keys.",
			of, said, name)
	case awsNoProfile:
		return fmt.Sprintf("the AWS profile %s is in no shared config file (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE): create it with aws configure sso --profile %s (or aws configure --profile %s), or give another with --profile or AWS_PROFILE",
			name, name, name)
	case awsNoRegionProblem:
		return ErrNoRegion.Error()
	}
	return err.Error()
}

// profileName is the profile the clients were built for: --profile, else
// AWS_PROFILE.
func (a *awsFlags) profileName(env Env) string {
	if a.profile != "" {
		return a.profile
	}
	return env.getenv("AWS_PROFILE")
}

// explainAWS turns an AWS configuration problem in err into its advice, a
// usage error for the region; any other error is returned as it is.
func (a *awsFlags) explainAWS(env Env, err error) error {
	switch p := classifyAWSError(err); p {
	case awsOK:
		return err
	case awsNoRegionProblem:
		return usageErrorf("%s", ErrNoRegion)
	default:
		return errors.New(awsAdvice(p, a.profileName(env), err))
	}
}

// problemWatch remembers the first AWS configuration problem that a
// command's calls met, for the commands whose errors reach them only as a
// message (the runner's result).
type problemWatch struct {
	mu      sync.Mutex
	problem awsProblem
	err     error
}

func (w *problemWatch) see(err error) {
	if err == nil {
		return
	}
	p := classifyAWSError(err)
	if p == awsOK {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problem == awsOK {
		w.problem, w.err = p, err
	}
}

func (w *problemWatch) first() (awsProblem, error) {
	if w == nil {
		return awsOK, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.problem, w.err
}

// watchedECS is an ECS client whose errors pass through a problemWatch. The
// first call of every command is an ECS one, with the same credentials as
// ECR and CodeDeploy, so ECS alone is watched.
type watchedECS struct {
	rollback.ECSAPI
	watch *problemWatch
}

func (c watchedECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	out, err := c.ECSAPI.DescribeServices(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, opts ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	out, err := c.ECSAPI.ListTaskDefinitions(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	out, err := c.ECSAPI.DescribeTaskDefinition(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	out, err := c.ECSAPI.UpdateService(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	out, err := c.ECSAPI.ListTasks(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	out, err := c.ECSAPI.DescribeTasks(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}

func (c watchedECS) DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	out, err := c.ECSAPI.DeregisterTaskDefinition(ctx, in, opts...)
	c.watch.see(err)
	return out, err
}
