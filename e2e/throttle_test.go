package e2e

// ECS meters every account with token buckets per class of operation. A run
// that rolls back many services at once describes services × max-revisions
// task definitions in its first second, past the task-definition bucket's
// burst. The run paces its ECS calls by one request budget, and no storm of
// throttles may exhaust the SDK's retry quota.

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/awsclients"
	"github.com/deplight/ecs-rollback/internal/ecslimit"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// The storm's shape: throttleServices services, each with
// throttleRevisions revisions below its current one, rolled back with
// max-revisions throttleRevisions.
const (
	throttleServices  = 10
	throttleRevisions = 20
)

// addThrottleServices adds throttleServices services svc0…, each of its own
// family, on revision throttleRevisions+1 (tag f5f5f5f); only revision 2
// carries c2c2c2c, the last successful tag, so that the search goes through
// the whole window. Their target images are in ECR. It returns the target
// of each service.
func (w *world) addThrottleServices() map[string]string {
	w.t.Helper()
	targets := map[string]string{}
	for i := range throttleServices {
		name := fmt.Sprintf("svc%d", i)
		repo := "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + name
		for n := 1; n <= throttleRevisions+1; n++ {
			tag := fmt.Sprintf("%07x", 0x1000000+n)
			switch n {
			case 2:
				tag = "c2c2c2c"
			case throttleRevisions + 1:
				tag = "f5f5f5f"
			}
			arn := w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: name, Containers: []ecssim.Container{{Name: "app", Image: repo + ":" + tag}}})
			switch n {
			case 2:
				targets[name] = arn
				_, err := w.ecr.PutImageRef(repo + ":" + tag)
				require.NoError(w.t, err)
			case throttleRevisions + 1:
				require.NoError(w.t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: name, TaskDefinition: arn, DesiredCount: 2}))
			}
		}
	}
	return targets
}

func TestE2EThrottledManyServicesRolledBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, withECSOptions(ecssim.WithThrottling(ecssim.DocumentedBuckets())))
	targets := w.addThrottleServices()
	names := make([]string, 0, len(targets))
	for i := range throttleServices {
		names = append(names, fmt.Sprintf("svc%d", i))
	}

	res := w.run(map[string]string{"service": strings.Join(names, ","), "max-revisions": fmt.Sprint(throttleRevisions)})

	t.Logf("ECS throttled %v of %d calls, with the run's request budget", w.ecs.Throttled(), len(w.ecs.Calls()))
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.NotContains(t, res.stdout+res.stderr, "retry quota exceeded")
	services := servicesOutput(t, res)
	require.Len(t, services, throttleServices)
	for _, name := range names {
		assert.Equal(t, "rolled-back", services[name]["result"], name)
		st, ok := w.ecs.Service(cluster, name)
		require.True(t, ok)
		assert.Equal(t, targets[name], st.TaskDefinition, "%s is on its last good revision", name)
	}
}

// TestThrottleStormBudget replays the planning's ECS calls of
// TestE2EThrottledManyServicesRolledBack (per service: DescribeServices,
// ListTaskDefinitions and max-revisions DescribeTaskDefinition, 16 at a
// time, every service at once) against the throttling simulator, once with
// the SDK's stock retryer and no budget, as the action had, and once with
// the clients' retryer and the request budget. It reports the throttles
// and failures of each; the budget must leave no call failed.
func TestThrottleStormBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   func(*ecs.Options)
		failOK bool
	}{
		{
			name: "stock retryer, no budget",
			opts: func(o *ecs.Options) {
				o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = awsclients.MaxAttempts })
			},
			failOK: true,
		},
		{
			name: "budget and no retry quota",
			opts: func(o *ecs.Options) {
				o.Retryer = awsclients.NewRetryer()
				awsclients.WithECSBudget(ecslimit.New())(o)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := ecssim.New(ecssim.WithThrottling(ecssim.DocumentedBuckets()))
			t.Cleanup(sim.Close)
			sim.AddCluster(cluster)
			arns := map[string][]string{}
			for i := range throttleServices {
				name := fmt.Sprintf("svc%d", i)
				for n := 1; n <= throttleRevisions+1; n++ {
					arns[name] = append(arns[name], sim.RegisterTaskDefinition(ecssim.TaskDef{Family: name, Containers: []ecssim.Container{{Name: "app", Image: "nginx"}}}))
				}
				require.NoError(t, sim.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: name, TaskDefinition: arns[name][throttleRevisions], DesiredCount: 1}))
			}
			client := sim.Client(tc.opts)

			var failed, quota atomic.Int32
			note := func(err error) {
				if err != nil {
					failed.Add(1)
					if strings.Contains(err.Error(), "retry quota exceeded") {
						quota.Add(1)
					}
				}
			}
			var wg sync.WaitGroup
			for name, revs := range arns {
				wg.Go(func() {
					_, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
					note(err)
					_, err = client.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(name)})
					note(err)
					sem := make(chan struct{}, 16)
					var inner sync.WaitGroup
					for _, arn := range revs[:throttleRevisions] {
						sem <- struct{}{}
						inner.Go(func() {
							defer func() { <-sem }()
							_, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
							note(err)
						})
					}
					inner.Wait()
				})
			}
			wg.Wait()

			throttled := 0
			for _, n := range sim.Throttled() {
				throttled += n
			}
			t.Logf("%s: %d calls sent, %d throttled %v, %d failed (%d with retry quota exceeded)",
				tc.name, len(sim.Calls()), throttled, sim.Throttled(), failed.Load(), quota.Load())
			if tc.failOK {
				assert.Positive(t, throttled, "the storm does exceed ECS's buckets")
				return
			}
			assert.Zero(t, failed.Load(), "no call failed")
		})
	}
}
