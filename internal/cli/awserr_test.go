package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// failingCredentials makes the sim's ECS client get its credentials from a
// provider that fails with err, through the SDK's credential cache, as the
// default chain's providers do.
func failingCredentials(err error) func(*ecs.Options) {
	return func(o *ecs.Options) {
		o.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, err
		}))
	}
}

// noIMDSRole is what the default chain ends with on a laptop that has no
// credentials: the last provider, EC2 instance metadata, finds no role.
var noIMDSRole = errors.New(`no EC2 IMDS role found, operation error ec2imds: GetMetadata, access disabled to EC2 IMDS via client option, or "AWS_EC2_METADATA_DISABLED" environment variable`)

// sdkError is the error the real ECS client returns for one DescribeServices
// call against the simulator, set up by opts and prepare.
func sdkError(t *testing.T, prepare func(w *simWorld), opts ...func(*ecs.Options)) error {
	t.Helper()
	w := newSim(t)
	if prepare != nil {
		prepare(w)
	}
	_, err := w.sim.Client(opts...).DescribeServices(t.Context(), &ecs.DescribeServicesInput{
		Cluster: aws.String(simCluster), Services: []string{simService},
	})
	require.Error(t, err)
	return err
}

// missingProfileError is the error of the SDK's configuration loader for a
// profile that no shared file holds.
func missingProfileError(t *testing.T) error {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err := awsconfig.LoadDefaultConfig(t.Context(),
		awsconfig.WithSharedConfigProfile("nope"),
		awsconfig.WithSharedConfigFiles([]string{empty}),
		awsconfig.WithSharedCredentialsFiles([]string{empty}))
	require.Error(t, err)
	return fmt.Errorf("load AWS configuration: %w", err)
}

func TestClassifyAWSError(t *testing.T) {
	t.Parallel()
	failAs := func(code string) func(w *simWorld) {
		return func(w *simWorld) { w.sim.FailNext("DescribeServices", 10, code) }
	}
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want awsProblem
	}{
		{"nothing in the chain", func(t *testing.T) error { return sdkError(t, nil, failingCredentials(noIMDSRole)) }, awsNoCredentials},
		{"empty static keys", func(t *testing.T) error {
			return sdkError(t, nil, func(o *ecs.Options) { o.Credentials = credentials.NewStaticCredentialsProvider("", "", "") })
		}, awsNoCredentials},
		{"SSO token expired", func(t *testing.T) error {
			return sdkError(t, nil, failingCredentials(&ssocreds.InvalidTokenError{}))
		}, awsSSOExpired},
		{"SSO never logged in", func(t *testing.T) error {
			return sdkError(t, nil, failingCredentials(&ssocreds.InvalidTokenError{Err: os.ErrNotExist}))
		}, awsSSOExpired},
		{"SSO refuses the token", func(t *testing.T) error {
			return sdkError(t, nil, failingCredentials(&smithy.OperationError{
				ServiceID: "SSO", OperationName: "GetRoleCredentials",
				Err: &smithy.GenericAPIError{Code: "UnauthorizedException", Message: "Session token not found or invalid"},
			}))
		}, awsSSOExpired},
		{"keys AWS does not know", func(t *testing.T) error { return sdkError(t, failAs("UnrecognizedClientException")) }, awsRejected},
		{"temporary keys expired", func(t *testing.T) error { return sdkError(t, failAs("ExpiredTokenException")) }, awsRejected},
		{"wrong secret key", func(t *testing.T) error { return sdkError(t, failAs("InvalidSignatureException")) }, awsRejected},
		{"no such profile", missingProfileError, awsNoProfile},
		{"no region", func(*testing.T) error { return fmt.Errorf("load: %w", ErrNoRegion) }, awsNoRegionProblem},
		{"no region at call time", func(*testing.T) error { return &smithy.OperationError{Err: &aws.MissingRegionError{}} }, awsNoRegionProblem},

		// Not the configuration: the permissions, the request, the service.
		{"access denied", func(t *testing.T) error { return sdkError(t, failAs("AccessDeniedException")) }, awsOK},
		{"no such cluster", func(t *testing.T) error { return sdkError(t, failAs("ClusterNotFoundException")) }, awsOK},
		{"throttled", func(t *testing.T) error { return sdkError(t, failAs("ThrottlingException")) }, awsOK},
		{"cancelled", func(*testing.T) error { return context.Canceled }, awsOK},
		{"nil", func(*testing.T) error { return nil }, awsOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.err(t)
			assert.Equal(t, tc.want, classifyAWSError(err), "%v", err)
		})
	}
}

// run runs a command line whose AWS clients are the sim's with opts.
func (w *simWorld) runWithAWS(env map[string]string, terminal bool, stdin string, newAWSErr error, opts []func(*ecs.Options), args ...string) ran {
	w.t.Helper()
	var stdout, stderr strings.Builder
	code := Run(w.t.Context(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv:          func(k string) string { return env[k] },
		StdinIsTerminal: terminal,
		NewAWS: func(context.Context, string, string) (Clients, error) {
			if newAWSErr != nil {
				return Clients{}, newAWSErr
			}
			return Clients{ECS: w.sim.Client(opts...)}, nil
		},
		FirstPoll: 5e6, MaxPoll: 10e6,
	})
	r := ran{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if w.t.Failed() || testing.Verbose() {
		w.t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// The SDK's chain of errors is not passed on: the CLI says what is wrong and
// how to set it up, for list and for rollback, planned or confirmed.
func TestCredentialErrorsSayHowToConfigure(t *testing.T) {
	t.Parallel()
	commands := map[string][]string{
		"list":             {"list", "--cluster", "prod", "--service", "web"},
		"rollback":         {"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--confirm", "ROLLBACK"},
		"rollback dry-run": {"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--dry-run", "--output", "json"},
	}
	raw := []string{"get identity", "failed to refresh cached credentials", "operation error", "ec2imds", "Check --cluster"}
	tests := []struct {
		name    string
		env     map[string]string
		flags   []string
		creds   error  // from the credential provider
		failAs  string // the simulator's answer to DescribeServices
		newAWS  error  // from Env.NewAWS
		want    []string
		reason  string
		notWant []string
	}{
		{
			name:  "no credentials",
			creds: noIMDSRole,
			want: []string{"no AWS credentials were found.\n", "aws configure sso --profile NAME", "aws sso login --profile NAME",
				"AWS_PROFILE=NAME", "--profile NAME", "\necs-rollback:   environment variables:  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"},
			reason: "ecs-error",
		},
		{
			name:   "no credentials in the profile",
			env:    map[string]string{"AWS_PROFILE": "dev"},
			creds:  noIMDSRole,
			want:   []string{"no AWS credentials were found for profile dev.", "aws configure sso"},
			reason: "ecs-error",
		},
		{
			name:   "SSO session expired, --profile",
			flags:  []string{"--profile", "dev"},
			creds:  &ssocreds.InvalidTokenError{},
			want:   []string{"the AWS SSO session of profile dev has expired or was never started: run aws sso login --profile dev"},
			reason: "ecs-error",
		},
		{
			name:   "SSO session expired, AWS_PROFILE",
			env:    map[string]string{"AWS_PROFILE": "staging"},
			creds:  &ssocreds.InvalidTokenError{},
			want:   []string{"run aws sso login --profile staging"},
			reason: "ecs-error",
		},
		{
			name:   "keys refused",
			failAs: "UnrecognizedClientException",
			want:   []string{"AWS refused the credentials (UnrecognizedClientException: ", "aws sso login --profile NAME", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
			reason: "ecs-error",
		},
	}
	for _, tc := range tests {
		for cmd, args := range commands {
			t.Run(tc.name+"/"+cmd, func(t *testing.T) {
				t.Parallel()
				w := newSim(t)
				var opts []func(*ecs.Options)
				if tc.creds != nil {
					opts = append(opts, failingCredentials(tc.creds))
				}
				if tc.failAs != "" {
					w.sim.FailNext("DescribeServices", 10, tc.failAs)
				}
				r := w.runWithAWS(tc.env, false, "", tc.newAWS, opts, append(args, tc.flags...)...)
				assert.Equal(t, ExitFailed, r.code)
				for _, want := range tc.want {
					assert.Contains(t, r.stderr, want)
				}
				for _, not := range raw {
					assert.NotContains(t, r.stderr, not, "the SDK's chain is not passed on")
				}
				assert.NotContains(t, r.stderr, "input")
				assert.Empty(t, w.mutations())
				if cmd == "list" {
					assert.Empty(t, r.stdout)
					return
				}
				if strings.Contains(cmd, "dry-run") {
					var got struct{ Reason, Message string }
					require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
					assert.Equal(t, tc.reason, got.Reason)
					assert.Contains(t, got.Message, strings.TrimSpace(tc.want[0]), "the JSON message gives the advice too")
					return
				}
				assert.Equal(t, tc.reason, outputs(r.stdout)["reason"])
			})
		}
	}
}

// A profile that does not exist is found when the clients are built.
func TestMissingProfileSaysHowToCreateIt(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.runWithAWS(nil, false, "", missingProfileError(t), nil, "list", "--cluster", "prod", "--service", "web", "--profile", "nope")
	assert.Equal(t, ExitFailed, r.code)
	assert.Contains(t, r.stderr, "ecs-rollback: the AWS profile nope is in no shared config file")
	assert.Contains(t, r.stderr, "aws configure sso --profile nope")
	assert.NotContains(t, r.stderr, "failed to get shared config profile")
	assert.Empty(t, w.sim.Calls())
}

// The interactive rollback plans first: a credential problem is told there,
// before any prompt.
func TestCredentialErrorBeforeThePrompt(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.runWithAWS(nil, true, "ROLLBACK\n", nil, []func(*ecs.Options){failingCredentials(&ssocreds.InvalidTokenError{})},
		"rollback", "--cluster", "prod", "--service", "web", "--revision", "42")
	assert.Equal(t, ExitFailed, r.code)
	assert.Contains(t, r.stderr, "run aws sso login --profile NAME")
	assert.NotContains(t, r.stderr, "(anything else cancels)", "no prompt for a plan that could not be made")
	assert.NotContains(t, r.stderr, "the SSO session has expired or is invalid", "the SDK's words are not repeated")
}

func TestNoRegionSaysHowToSetIt(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	r := w.runWithAWS(nil, false, "", fmt.Errorf("load: %w", ErrNoRegion), nil, "list", "--cluster", "prod", "--service", "web")
	assert.Equal(t, ExitUsage, r.code)
	for _, want := range []string{"ecs-rollback: no AWS region is configured: pass --region", "AWS_REGION", "aws configure set region"} {
		assert.Contains(t, r.stderr, want)
	}
}

// onWrite is a writer that runs do once substr was written.
type onWrite struct {
	strings.Builder
	substr string
	do     func()
	done   bool
}

func (o *onWrite) Write(p []byte) (int, error) {
	n, err := o.Builder.Write(p)
	if !o.done && strings.Contains(o.String(), o.substr) {
		o.done = true
		o.do()
	}
	return n, err
}

// Credentials that expire while waiting, after UpdateService was sent: the
// runner's message, which says what was sent, is kept, and the advice
// follows it.
func TestCredentialsExpireAfterTheUpdate(t *testing.T) {
	t.Parallel()
	w := newSim(t)
	w.sim.SetRollout(simCluster, simService, ecssim.Rollout{Never: true})
	stderr := &onWrite{substr: "waiting up to", do: func() { w.sim.FailNext("*", 1000, "ExpiredTokenException") }}
	var stdout strings.Builder
	code := Run(t.Context(), []string{"rollback", "--cluster", "prod", "--service", "web", "--revision", "42", "--confirm", "ROLLBACK", "--wait-timeout", "2s"}, Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: stderr,
		NewAWS:    func(context.Context, string, string) (Clients, error) { return Clients{ECS: w.sim.Client()}, nil },
		FirstPoll: 5 * time.Millisecond, MaxPoll: 10 * time.Millisecond,
	})
	assert.Equal(t, ExitFailed, code, stderr.String())
	assert.Equal(t, []string{"UpdateService"}, w.mutations())
	assert.Equal(t, "rollout-failed", outputs(stdout.String())["reason"])
	assert.Contains(t, stderr.String(), "ecs-rollback: waiting for web to be stable: ", "the runner's message, first")
	assert.Contains(t, stderr.String(), "\necs-rollback: AWS refused the credentials (ExpiredTokenException: ", "then the advice")
}
