package awsclients_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/awsclients"
	"github.com/deplight/ecs-rollback/internal/ecslimit"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

var throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}

// The SDK's default standard retryer refuses retries once its quota is
// spent; ours never does, and still stops at MaxAttempts.
func TestRetryerHasNoRetryQuota(t *testing.T) {
	t.Parallel()
	stock := retry.NewStandard()
	refused := 0
	for range 200 {
		if _, err := stock.GetRetryToken(t.Context(), throttled); err != nil {
			refused++
		}
	}
	require.Positive(t, refused, "the stock retryer's quota runs out: the storm this guards against")

	ours := awsclients.NewRetryer()
	for i := range 1000 {
		_, err := ours.GetRetryToken(t.Context(), throttled)
		require.NoError(t, err, "retry %d", i)
	}
	assert.Equal(t, awsclients.MaxAttempts, ours.MaxAttempts())
	assert.True(t, ours.IsErrorRetryable(throttled))
}

// New installs one budget on the ECS client, in every call's stack right
// after the retryer and before signing.
func TestNewPacesECSCalls(t *testing.T) {
	sim := ecssim.New()
	t.Cleanup(sim.Close)
	sim.AddCluster("prod")
	arn := sim.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "nginx"}}})
	require.NoError(t, sim.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arn, DesiredCount: 1}))

	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL_ECS", sim.URL())
	c, err := awsclients.New(t.Context(), awsclients.Options{Region: "us-east-1"})
	require.NoError(t, err)
	require.NotNil(t, c.ECSBudget)
	assert.Equal(t, awsclients.MaxAttempts, c.ECS.Options().Retryer.MaxAttempts())

	var finalize []string
	probe := func(o *ecs.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			finalize = st.Finalize.List()
			return nil
		})
	}
	_, err = c.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}}, probe)
	require.NoError(t, err)
	budget, retry, signing := slices.Index(finalize, ecslimit.MiddlewareID), slices.Index(finalize, "Retry"), slices.Index(finalize, "Signing")
	require.NotEqual(t, -1, budget, "the budget is in the stack: %v", finalize)
	assert.Equal(t, retry+1, budget, "right after the retryer: every attempt waits")
	assert.Less(t, budget, signing, "before signing: the signature is made after the wait")

}

func TestNewWithoutRegion(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	_, err := awsclients.New(t.Context(), awsclients.Options{})
	assert.True(t, errors.Is(err, awsclients.ErrNoRegion), "%v", err)
}
