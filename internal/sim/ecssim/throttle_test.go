package ecssim_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

func TestThrottlingBuckets(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, _ := newSim(t, ecssim.WithClock(clk.Now), ecssim.WithThrottling([]ecssim.Bucket{
		{Name: "task definition read", Operations: []string{"DescribeTaskDefinition", "ListTaskDefinitions"}, Burst: 3, Rate: 2},
	}))
	arns := register(s, "web", 1)
	// One attempt a call: the test sees each answer the SDK gets.
	client := s.Client(func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	describe := func() error {
		_, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arns[0])})
		return err
	}

	// The burst: three calls of the bucket's operations, in the same instant.
	require.NoError(t, describe())
	_, err := client.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{})
	require.NoError(t, err)
	require.NoError(t, describe())

	// The fourth is refused as ECS refuses it.
	err = describe()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "ThrottlingException", apiErr.ErrorCode())
	assert.Equal(t, "Rate exceeded", apiErr.ErrorMessage())
	var respErr *awshttp.ResponseError
	require.True(t, errors.As(err, &respErr))
	assert.Equal(t, http.StatusBadRequest, respErr.HTTPStatusCode())
	assert.True(t, s.Client().Options().Retryer.IsErrorRetryable(err), "the SDK retries it")

	// Other operations are not metered.
	for range 10 {
		_, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("default"), Services: []string{"x"}})
		var ae smithy.APIError
		if errors.As(err, &ae) {
			assert.NotEqual(t, "ThrottlingException", ae.ErrorCode())
		}
	}

	// Half a second gives back one token at 2 a second; an hour, no more
	// than the burst.
	clk.Advance(500 * time.Millisecond)
	require.NoError(t, describe())
	require.Error(t, describe())
	clk.Advance(time.Hour)
	for range 3 {
		require.NoError(t, describe())
	}
	require.Error(t, describe())

	// An injected fault is answered first and takes no token.
	clk.Advance(time.Second)
	s.FailNext("DescribeTaskDefinition", 1, ecssim.ErrServer)
	require.Error(t, describe())
	require.NoError(t, describe())
	require.NoError(t, describe())

	assert.Equal(t, map[string]int{"task definition read": 3}, s.Throttled())
	throttledCalls := 0
	for _, c := range s.Calls() {
		if c.Err == ecssim.ErrThrottling {
			throttledCalls++
		}
	}
	assert.Equal(t, 3, throttledCalls, "the call log says which calls were refused")
}

func TestThrottlingRefusesBeforeAnyEffect(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, _ := newSim(t, ecssim.WithClock(clk.Now), ecssim.WithThrottling([]ecssim.Bucket{
		{Name: "service modify", Operations: []string{"UpdateService"}, Burst: 1, Rate: 1},
	}))
	s.AddCluster("prod")
	arns := register(s, "web", 3)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[2], DesiredCount: 1}))
	client := s.Client(func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	update := func(arn string) error {
		_, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arn)})
		return err
	}
	require.NoError(t, update(arns[1]))
	require.Error(t, update(arns[0]))
	st, ok := s.Service("prod", "web")
	require.True(t, ok)
	assert.Equal(t, arns[1], st.TaskDefinition, "the refused update changed nothing")
}

func TestNoThrottlingByDefault(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 1)
	for range 200 {
		_, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arns[0])})
		require.NoError(t, err)
	}
	assert.Empty(t, s.Throttled())
}

func TestDocumentedBuckets(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, b := range ecssim.DocumentedBuckets() {
		assert.Positive(t, b.Burst, b.Name)
		assert.Positive(t, b.Rate, b.Name)
		for _, op := range b.Operations {
			assert.False(t, seen[op], "%s is in one bucket only", op)
			seen[op] = true
		}
	}
	for _, op := range []string{"DescribeServices", "ListTaskDefinitions", "DescribeTaskDefinition", "UpdateService", "ListTasks", "DescribeTasks", "DeregisterTaskDefinition", "RegisterTaskDefinition"} {
		assert.True(t, seen[op], "%s, which the simulator serves, is metered", op)
	}
}
