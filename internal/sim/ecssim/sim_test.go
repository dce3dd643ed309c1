package ecssim_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// clock is a manual clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSim(t *testing.T, opts ...ecssim.Option) (*ecssim.Server, *ecs.Client) {
	t.Helper()
	s := ecssim.New(opts...)
	t.Cleanup(s.Close)
	return s, s.Client()
}

// register adds n revisions of family and returns their ARNs; arns[i] is
// revision i+1.
func register(s *ecssim.Server, family string, n int) []string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = s.RegisterTaskDefinition(ecssim.TaskDef{
			Family: family,
			Containers: []ecssim.Container{{
				Name: "app", Image: fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/%s:%07x", family, i+1),
				Labels: map[string]string{"schema-version": fmt.Sprint(i / 10)},
			}},
		})
	}
	return arns
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSignedRequestWithStandardClient(t *testing.T) {
	t.Parallel()
	s := ecssim.New()
	t.Cleanup(s.Close)
	// The client a user would build from aws.Config, signing with SigV4.
	client := ecs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(s.URL()),
	})
	arn := register(s, "web", 1)[0]
	out, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(out.TaskDefinition.TaskDefinitionArn))
}

func TestDescribeServices(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 2)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[1], DesiredCount: 3}))
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "bg", TaskDefinition: "web:1", DesiredCount: 1, Controller: "CODE_DEPLOY"}))
	s.AddCluster("empty")

	t.Run("found and missing", func(t *testing.T) {
		t.Parallel()
		out, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{
			Cluster:  aws.String("prod"),
			Services: []string{"web", "nope", "arn:aws:ecs:us-east-1:123456789012:service/prod/bg"},
		})
		require.NoError(t, err)
		require.Len(t, out.Services, 2)
		web := out.Services[0]
		assert.Equal(t, "web", aws.ToString(web.ServiceName))
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:service/prod/web", aws.ToString(web.ServiceArn))
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:cluster/prod", aws.ToString(web.ClusterArn))
		assert.Equal(t, arns[1], aws.ToString(web.TaskDefinition))
		assert.Equal(t, "ACTIVE", aws.ToString(web.Status))
		assert.Equal(t, types.DeploymentControllerTypeEcs, web.DeploymentController.Type)
		assert.EqualValues(t, 3, web.DesiredCount)
		assert.EqualValues(t, 3, web.RunningCount)
		require.Len(t, web.Deployments, 1)
		d := web.Deployments[0]
		assert.Equal(t, "PRIMARY", aws.ToString(d.Status))
		assert.Equal(t, types.DeploymentRolloutStateCompleted, d.RolloutState)
		assert.EqualValues(t, 3, d.RunningCount)
		require.NotNil(t, d.CreatedAt)
		require.NotEmpty(t, web.Events)
		assert.Equal(t, "(service web) has reached a steady state.", aws.ToString(web.Events[0].Message))
		assert.Equal(t, types.DeploymentControllerTypeCodeDeploy, out.Services[1].DeploymentController.Type)

		want := []types.Failure{{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/nope"), Reason: aws.String("MISSING")}}
		if diff := cmp.Diff(want, out.Failures, cmp.AllowUnexported(types.Failure{})); diff != "" {
			t.Errorf("failures (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name     string
		in       ecs.DescribeServicesInput
		wantCode string
	}{
		{"unknown cluster", ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}}, "ClusterNotFoundException"},
		{"default cluster absent", ecs.DescribeServicesInput{Services: []string{"web"}}, "ClusterNotFoundException"},
		{"11 services", ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}}, "InvalidParameterException"},
		{"empty services", ecs.DescribeServicesInput{Cluster: aws.String("empty"), Services: []string{}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client.DescribeServices(t.Context(), &tt.in)
			require.Error(t, err)
			assert.Equal(t, tt.wantCode, errorCode(err))
		})
	}

	t.Run("typed error", func(t *testing.T) {
		t.Parallel()
		_, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
		var cnf *types.ClusterNotFoundException
		assert.ErrorAs(t, err, &cnf)
	})
}

func TestListTaskDefinitions(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	web := register(s, "web", 250)
	register(s, "web-worker", 3)
	register(s, "api", 2)
	_, err := client.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:250")})
	require.NoError(t, err)

	list := func(t *testing.T, client *ecs.Client, in ecs.ListTaskDefinitionsInput) ([]string, int) {
		t.Helper()
		var arns []string
		pages := 0
		p := ecs.NewListTaskDefinitionsPaginator(client, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(t.Context())
			require.NoError(t, err)
			pages++
			arns = append(arns, out.TaskDefinitionArns...)
		}
		return arns, pages
	}
	reversed := func(in []string) []string {
		out := make([]string, len(in))
		for i, v := range in {
			out[len(in)-1-i] = v
		}
		return out
	}

	tests := []struct {
		name      string
		in        ecs.ListTaskDefinitionsInput
		want      []string
		wantPages int
	}{
		{
			name:      "ascending by default, in pages of 100",
			in:        ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web-")},
			want:      []string{tdARN("web-worker", 1), tdARN("web-worker", 2), tdARN("web-worker", 3)},
			wantPages: 1,
		},
		{
			name:      "DESC reverses family and revision, ACTIVE only",
			in:        ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web"), Sort: types.SortOrderDesc, MaxResults: aws.Int32(100)},
			want:      append([]string{tdARN("web-worker", 3), tdARN("web-worker", 2), tdARN("web-worker", 1)}, reversed(web[:249])...),
			wantPages: 3,
		},
		{
			name:      "INACTIVE",
			in:        ecs.ListTaskDefinitionsInput{Status: types.TaskDefinitionStatusInactive},
			want:      []string{web[249]},
			wantPages: 1,
		},
		{
			name:      "small pages",
			in:        ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("api"), MaxResults: aws.Int32(1)},
			want:      []string{tdARN("api", 1), tdARN("api", 2)},
			wantPages: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, pages := list(t, client, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ARNs (-want +got):\n%s", diff)
			}
			assert.Equal(t, tt.wantPages, pages)
		})
	}

	t.Run("IgnoreSort lists ascending even for DESC", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t, ecssim.IgnoreSort())
		arns := register(s, "web", 3)
		got, _ := list(t, client, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web"), Sort: types.SortOrderDesc})
		if diff := cmp.Diff(arns, got); diff != "" {
			t.Errorf("ARNs (-want +got):\n%s", diff)
		}
	})

	t.Run("maxResults out of range", func(t *testing.T) {
		t.Parallel()
		_, err := client.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(101)})
		assert.Equal(t, "InvalidParameterException", errorCode(err))
	})
}

func TestDescribeTaskDefinition(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	registered := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	first := s.RegisterTaskDefinition(ecssim.TaskDef{
		Family:       "web",
		RegisteredAt: registered,
		Containers: []ecssim.Container{
			{Name: "app", Image: "repo/web:abc1234", Labels: map[string]string{"schema-version": "7"}},
			{Name: "envoy", Image: "envoy:v1"},
		},
	})
	second := s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Containers: []ecssim.Container{{Name: "app", Image: "repo/web:def5678"}}})
	s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Status: "INACTIVE", Containers: []ecssim.Container{{Name: "app", Image: "repo/web:0000000"}}})

	tests := []struct {
		name     string
		ref      string
		wantARN  string
		wantCode string
	}{
		{"by ARN", first, first, ""},
		{"by family:revision", "web:1", first, ""},
		{"family is the latest ACTIVE", "web", second, ""},
		{"INACTIVE by revision", "web:3", tdARN("web", 3), ""},
		{"unknown revision", "web:9", "", "ClientException"},
		{"unknown family", "nope", "", "ClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tt.ref)})
			if tt.wantCode != "" {
				var ce *types.ClientException
				assert.ErrorAs(t, err, &ce)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantARN, aws.ToString(out.TaskDefinition.TaskDefinitionArn))
			assert.Nil(t, out.Tags, "tags only when asked")
		})
	}

	t.Run("members and tags", func(t *testing.T) {
		t.Parallel()
		out, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: aws.String(first),
			Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
		})
		require.NoError(t, err)
		td := out.TaskDefinition
		assert.Equal(t, "web", aws.ToString(td.Family))
		assert.EqualValues(t, 1, td.Revision)
		assert.Equal(t, types.TaskDefinitionStatusActive, td.Status)
		require.NotNil(t, td.RegisteredAt)
		assert.True(t, registered.Equal(*td.RegisteredAt), "registeredAt %v, want %v", td.RegisteredAt, registered)
		require.Len(t, td.ContainerDefinitions, 2)
		assert.Equal(t, "repo/web:abc1234", aws.ToString(td.ContainerDefinitions[0].Image))
		assert.Equal(t, map[string]string{"schema-version": "7"}, td.ContainerDefinitions[0].DockerLabels)
		assert.Equal(t, "envoy", aws.ToString(td.ContainerDefinitions[1].Name))
		assert.NotNil(t, out.Tags)
	})
}

func TestRegisterAndDeregister(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	register(s, "web", 2)

	out, err := client.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("repo/web:new"), DockerLabels: map[string]string{"schema-version": "9"},
		}},
	})
	require.NoError(t, err)
	assert.Equal(t, tdARN("web", 3), aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	st, ok := s.TaskDefinition(tdARN("web", 3))
	require.True(t, ok)
	assert.Equal(t, []ecssim.Container{{Name: "app", Image: "repo/web:new", Labels: map[string]string{"schema-version": "9"}}}, st.Containers)

	_, err = client.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []types.ContainerDefinition{}})
	assert.Equal(t, "ClientException", errorCode(err), "no containers")
	_, err = client.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("bad family"), ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("b")}}})
	assert.Equal(t, "ClientException", errorCode(err), "bad family")

	dout, err := client.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(tdARN("web", 2))})
	require.NoError(t, err)
	assert.Equal(t, types.TaskDefinitionStatusInactive, dout.TaskDefinition.Status)
	assert.NotNil(t, dout.TaskDefinition.DeregisteredAt)
	st, ok = s.TaskDefinition("web:2")
	require.True(t, ok)
	assert.Equal(t, "INACTIVE", st.Status)

	_, err = client.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web")})
	assert.Equal(t, "InvalidParameterException", errorCode(err), "family without revision")
	_, err = client.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:42")})
	assert.Equal(t, "ClientException", errorCode(err), "unknown revision")

	var ops []string
	for _, c := range s.MutatingCalls() {
		ops = append(ops, c.Op+"/"+c.Err)
	}
	want := []string{
		"RegisterTaskDefinition/", "RegisterTaskDefinition/ClientException", "RegisterTaskDefinition/ClientException",
		"DeregisterTaskDefinition/", "DeregisterTaskDefinition/InvalidParameterException", "DeregisterTaskDefinition/ClientException",
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
}

func TestUpdateService(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, opts ...ecssim.Option) (*ecssim.Server, *ecs.Client, []string) {
		t.Helper()
		s, client := newSim(t, opts...)
		arns := register(s, "web", 3)
		s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Status: "INACTIVE", Containers: []ecssim.Container{{Name: "app", Image: "x"}}})
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[2], DesiredCount: 2}))
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "bg", TaskDefinition: arns[2], DesiredCount: 2, Controller: "CODE_DEPLOY"}))
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "gone", TaskDefinition: arns[2], Status: "INACTIVE"}))
		s.SetRollout("prod", "web", ecssim.Rollout{Never: true})
		return s, client, arns
	}

	t.Run("new primary, old active", func(t *testing.T) {
		t.Parallel()
		s, client, arns := setup(t)
		out, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:1"),
		})
		require.NoError(t, err)
		svc := out.Service
		assert.Equal(t, arns[0], aws.ToString(svc.TaskDefinition))
		require.Len(t, svc.Deployments, 2)
		assert.Equal(t, "PRIMARY", aws.ToString(svc.Deployments[0].Status))
		assert.Equal(t, arns[0], aws.ToString(svc.Deployments[0].TaskDefinition))
		assert.Equal(t, types.DeploymentRolloutStateInProgress, svc.Deployments[0].RolloutState)
		assert.Equal(t, "ACTIVE", aws.ToString(svc.Deployments[1].Status))
		assert.Equal(t, arns[2], aws.ToString(svc.Deployments[1].TaskDefinition))

		st, ok := s.Service("prod", "web")
		require.True(t, ok)
		assert.Equal(t, arns[0], st.TaskDefinition)
		_, stable := s.StableAt("prod", "web")
		assert.False(t, stable)
		calls := s.MutatingCalls()
		require.Len(t, calls, 1)
		assert.JSONEq(t, `{"cluster":"prod","service":"web","taskDefinition":"web:1"}`, string(calls[0].Body))
	})

	t.Run("same task definition is no new deployment", func(t *testing.T) {
		t.Parallel()
		_, client, arns := setup(t)
		out, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arns[2]),
		})
		require.NoError(t, err)
		assert.Len(t, out.Service.Deployments, 1)
	})

	t.Run("bare task definition quirk", func(t *testing.T) {
		t.Parallel()
		s, client, arns := setup(t, ecssim.BareTaskDefinitionInUpdate())
		out, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arns[1]),
		})
		require.NoError(t, err)
		assert.Equal(t, "web:2", aws.ToString(out.Service.TaskDefinition))
		d, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
		require.NoError(t, err)
		assert.Equal(t, arns[1], aws.ToString(d.Services[0].TaskDefinition), "only UpdateService answers are bare")
		st, _ := s.Service("prod", "web")
		assert.Equal(t, arns[1], st.TaskDefinition)
	})

	errs := []struct {
		name    string
		in      ecs.UpdateServiceInput
		wantErr any
	}{
		{"unknown service", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("nope"), TaskDefinition: aws.String("web:1")}, new(*types.ServiceNotFoundException)},
		{"unknown cluster", ecs.UpdateServiceInput{Cluster: aws.String("nope"), Service: aws.String("web"), TaskDefinition: aws.String("web:1")}, new(*types.ClusterNotFoundException)},
		{"inactive service", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("gone"), TaskDefinition: aws.String("web:1")}, new(*types.ServiceNotActiveException)},
		{"inactive task definition", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:4")}, new(*types.ClientException)},
		{"unknown task definition", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:40")}, new(*types.ClientException)},
		{"CODE_DEPLOY controller", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("bg"), TaskDefinition: aws.String("web:1")}, new(*types.InvalidParameterException)},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, client, arns := setup(t)
			_, err := client.UpdateService(t.Context(), &tt.in)
			require.Error(t, err)
			assert.ErrorAs(t, err, tt.wantErr)
			st, _ := s.Service("prod", "web")
			assert.Equal(t, arns[2], st.TaskDefinition, "nothing changed")
			assert.Len(t, st.Deployments, 1)
		})
	}
}

func TestRollouts(t *testing.T) {
	t.Parallel()
	update := func(t *testing.T, r ecssim.Rollout) (*ecssim.Server, *ecs.Client, *clock, []string, time.Time) {
		t.Helper()
		clk := newClock()
		s, client := newSim(t, ecssim.WithClock(clk.Now))
		arns := register(s, "web", 2)
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[1], DesiredCount: 3}))
		s.SetRollout("prod", "web", r)
		start := clk.Now()
		_, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arns[0])})
		require.NoError(t, err)
		return s, client, clk, arns, start
	}
	describe := func(t *testing.T, client *ecs.Client) types.Service {
		t.Helper()
		out, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
		require.NoError(t, err)
		require.Len(t, out.Services, 1)
		return out.Services[0]
	}

	t.Run("settles after Settle", func(t *testing.T) {
		t.Parallel()
		s, client, clk, arns, start := update(t, ecssim.Rollout{Settle: 30 * time.Second})

		clk.Advance(29 * time.Second)
		svc := describe(t, client)
		require.Len(t, svc.Deployments, 2)
		assert.Equal(t, types.DeploymentRolloutStateInProgress, svc.Deployments[0].RolloutState)
		assert.EqualValues(t, 0, svc.Deployments[0].RunningCount)
		assert.EqualValues(t, 3, svc.Deployments[1].RunningCount, "the old deployment keeps running")
		_, stable := s.StableAt("prod", "web")
		assert.False(t, stable)

		clk.Advance(time.Hour) // observed long after it settled
		svc = describe(t, client)
		require.Len(t, svc.Deployments, 1)
		d := svc.Deployments[0]
		assert.Equal(t, arns[0], aws.ToString(d.TaskDefinition))
		assert.Equal(t, types.DeploymentRolloutStateCompleted, d.RolloutState)
		assert.EqualValues(t, 3, d.RunningCount)
		assert.EqualValues(t, 3, svc.RunningCount)
		assert.Equal(t, "(service web) has reached a steady state.", aws.ToString(svc.Events[0].Message))
		assert.True(t, start.Add(30*time.Second).Equal(aws.ToTime(svc.Events[0].CreatedAt)), "event stamped when it happened")
		at, stable := s.StableAt("prod", "web")
		assert.True(t, stable)
		assert.Equal(t, start.Add(30*time.Second), at)
	})

	t.Run("zero Settle is stable at the next read", func(t *testing.T) {
		t.Parallel()
		s, client, _, _, start := update(t, ecssim.Rollout{})
		svc := describe(t, client)
		assert.Len(t, svc.Deployments, 1)
		at, stable := s.StableAt("prod", "web")
		assert.True(t, stable)
		assert.Equal(t, start, at)
	})

	t.Run("never settles", func(t *testing.T) {
		t.Parallel()
		s, client, clk, _, _ := update(t, ecssim.Rollout{Never: true})
		clk.Advance(24 * time.Hour)
		svc := describe(t, client)
		require.Len(t, svc.Deployments, 2)
		assert.Equal(t, types.DeploymentRolloutStateInProgress, svc.Deployments[0].RolloutState)
		assert.Less(t, svc.Deployments[0].RunningCount, svc.Deployments[0].DesiredCount)
		_, stable := s.StableAt("prod", "web")
		assert.False(t, stable)
	})

	t.Run("fails after Settle", func(t *testing.T) {
		t.Parallel()
		_, client, clk, arns, start := update(t, ecssim.Rollout{Settle: 10 * time.Second, Fail: true})
		lt, err := client.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusStopped})
		require.NoError(t, err)
		assert.Empty(t, lt.TaskArns, "nothing stopped before the rollout fails")

		clk.Advance(10 * time.Second)
		svc := describe(t, client)
		require.Len(t, svc.Deployments, 2)
		d := svc.Deployments[0]
		assert.Equal(t, types.DeploymentRolloutStateFailed, d.RolloutState)
		assert.Equal(t, "ECS deployment circuit breaker: tasks failed to start.", aws.ToString(d.RolloutStateReason))
		assert.Positive(t, d.FailedTasks)
		assert.Contains(t, aws.ToString(svc.Events[0].Message), "deployment failed")

		lt, err = client.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusStopped})
		require.NoError(t, err)
		require.Len(t, lt.TaskArns, 1)
		dt, err := client.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: lt.TaskArns})
		require.NoError(t, err)
		require.Len(t, dt.Tasks, 1)
		task := dt.Tasks[0]
		assert.Equal(t, arns[0], aws.ToString(task.TaskDefinitionArn))
		assert.Equal(t, "Essential container in task exited", aws.ToString(task.StoppedReason))
		assert.True(t, start.Add(10*time.Second).Equal(aws.ToTime(task.StoppedAt)))
		require.Len(t, task.Containers, 1)
		assert.EqualValues(t, 1, aws.ToInt32(task.Containers[0].ExitCode))
	})

	t.Run("default rollout applies without SetRollout", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		s, client := newSim(t, ecssim.WithClock(clk.Now), ecssim.WithDefaultRollout(ecssim.Rollout{Never: true}))
		arns := register(s, "web", 2)
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[1], DesiredCount: 1}))
		_, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arns[0])})
		require.NoError(t, err)
		clk.Advance(time.Hour)
		st, _ := s.Service("prod", "web")
		assert.Len(t, st.Deployments, 2)
	})
}

func TestTasks(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, client := newSim(t, ecssim.WithClock(clk.Now))
	arns := register(s, "web", 2)
	other := register(s, "api", 1)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[1], DesiredCount: 1}))
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "api", TaskDefinition: other[0], DesiredCount: 1}))
	oom := int32(137)
	t1, err := s.AddTask(ecssim.TaskSpec{Cluster: "prod", Service: "web", TaskDefinition: arns[1], StoppedReason: "Essential container in task exited",
		Containers: []ecssim.TaskContainer{{Name: "app", Reason: "OutOfMemoryError", ExitCode: &oom}}})
	require.NoError(t, err)
	t2, err := s.AddStoppedTask("prod", "web", arns[0], "Task failed ELB health checks")
	require.NoError(t, err)
	t3, err := s.AddStoppedTask("prod", "api", other[0], "Scaling activity initiated by deployment")
	require.NoError(t, err)
	t4, err := s.AddTask(ecssim.TaskSpec{Cluster: "prod", Service: "web", TaskDefinition: arns[1], LastStatus: "RUNNING"})
	require.NoError(t, err)

	lists := []struct {
		name string
		in   ecs.ListTasksInput
		want []string
	}{
		{"stopped of a service", ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusStopped}, []string{t1, t2}},
		{"running is the default", ecs.ListTasksInput{Cluster: aws.String("prod")}, []string{t4}},
		{"by family", ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("api"), DesiredStatus: types.DesiredStatusStopped}, []string{t3}},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := client.ListTasks(t.Context(), &tt.in)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, out.TaskArns); diff != "" {
				t.Errorf("task ARNs (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		_, err := client.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("nope")})
		var snf *types.ServiceNotFoundException
		assert.ErrorAs(t, err, &snf)
	})

	t.Run("describe", func(t *testing.T) {
		t.Parallel()
		out, err := client.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{t1, "0000"}})
		require.NoError(t, err)
		require.Len(t, out.Tasks, 1)
		task := out.Tasks[0]
		assert.Equal(t, arns[1], aws.ToString(task.TaskDefinitionArn))
		assert.Equal(t, "STOPPED", aws.ToString(task.LastStatus))
		assert.Equal(t, "STOPPED", aws.ToString(task.DesiredStatus))
		assert.Equal(t, "service:web", aws.ToString(task.Group))
		assert.Equal(t, "Essential container in task exited", aws.ToString(task.StoppedReason))
		assert.True(t, clk.Now().Equal(aws.ToTime(task.StoppedAt)))
		require.Len(t, task.Containers, 1)
		assert.Equal(t, "app", aws.ToString(task.Containers[0].Name))
		assert.Equal(t, "OutOfMemoryError", aws.ToString(task.Containers[0].Reason))
		assert.EqualValues(t, 137, aws.ToInt32(task.Containers[0].ExitCode))
		require.Len(t, out.Failures, 1)
		assert.Equal(t, "MISSING", aws.ToString(out.Failures[0].Reason))
	})
}

func TestFaults(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*ecssim.Server, *ecs.Client) {
		t.Helper()
		s, client := newSim(t)
		arns := register(s, "web", 1)
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[0], DesiredCount: 1}))
		return s, client
	}
	in := &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}}

	tests := []struct {
		name      string
		n         int
		errType   string
		wantCode  string // "" = the SDK's retries got through
		wantCalls int
	}{
		{"throttling retried by the SDK", 2, "ThrottlingException", "", 3},
		{"throttling beyond the SDK's 3 attempts", 3, "ThrottlingException", "ThrottlingException", 3},
		{"server error retried", 1, "ServerException", "", 2},
		{"access denied is final", 1, "AccessDeniedException", "AccessDeniedException", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, client := setup(t)
			s.FailNext("DescribeServices", tt.n, tt.errType)
			_, err := client.DescribeServices(t.Context(), in)
			if tt.wantCode == "" {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tt.wantCode, errorCode(err))
			}
			assert.Equal(t, tt.wantCalls, s.CallCount("DescribeServices"))
		})
	}

	t.Run("faults are per operation", func(t *testing.T) {
		t.Parallel()
		s, client := setup(t)
		s.FailNext("UpdateService", 1, "AccessDeniedException")
		_, err := client.DescribeServices(t.Context(), in)
		require.NoError(t, err)
		_, err = client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:1")})
		var ad *types.AccessDeniedException
		assert.ErrorAs(t, err, &ad)
		calls := s.MutatingCalls()
		require.Len(t, calls, 1)
		assert.Equal(t, "AccessDeniedException", calls[0].Err)
	})

	t.Run("unknown operation", func(t *testing.T) {
		t.Parallel()
		s, client := setup(t)
		_, err := client.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String("x")})
		assert.Equal(t, "UnknownOperationException", errorCode(err))
		calls := s.MutatingCalls()
		require.Len(t, calls, 1)
		assert.Equal(t, "CreateCluster", calls[0].Op)
	})
}

func TestLatency(t *testing.T) {
	t.Parallel()

	t.Run("delays but answers", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		register(s, "web", 1)
		s.SetLatency(20 * time.Millisecond)
		_, err := client.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1")})
		assert.NoError(t, err)
	})

	t.Run("the client's cancellation wins", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		register(s, "web", 1)
		s.SetLatency(time.Hour)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1")},
				func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
			errc <- err
		}()
		// Cancel once the request is in the simulator.
		for s.CallCount("DescribeTaskDefinition") == 0 {
			select {
			case <-ctx.Done():
				t.Fatal("test context ended before the request arrived")
			case <-time.After(time.Millisecond):
			}
		}
		cancel()
		assert.ErrorIs(t, <-errc, context.Canceled)
		// The simulator gives up on the request too, without waiting out the
		// hour (if it did not, this loop would run into the test timeout).
		for s.Calls()[0].Err != "RequestAbandoned" {
			select {
			case <-t.Context().Done():
				t.Fatal("test context ended before the simulator abandoned the request")
			case <-time.After(time.Millisecond):
			}
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 5)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[4], DesiredCount: 2}))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := client.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String(arns[i%5])})
				assert.NoError(t, err)
				return
			}
			_, err := client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
			assert.NoError(t, err)
			s.Calls()
		})
	}
	wg.Wait()
	assert.Len(t, s.Calls(), 20)
}
