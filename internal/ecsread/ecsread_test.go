package ecsread_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/ecsread"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// newSim starts a simulator and a real SDK client pointed at it.
func newSim(t *testing.T, opts ...ecssim.Option) (*ecssim.Server, *ecs.Client) {
	t.Helper()
	s := ecssim.New(opts...)
	t.Cleanup(s.Close)
	return s, s.Client()
}

// register adds n revisions of family, image tag = the revision number as 7
// hex digits, and returns their ARNs: arns[i] is revision i+1.
func register(s *ecssim.Server, family string, n int) []string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = s.RegisterTaskDefinition(ecssim.TaskDef{
			Family: family,
			Containers: []ecssim.Container{
				{Name: "app", Image: fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/%s:%07x", family, i+1), Labels: map[string]string{"schema-version": "1"}},
				{Name: "log", Image: "fluent-bit:2"},
			},
		})
	}
	return arns
}

func tdARN(family string, rev int) string {
	return fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", family, rev)
}

// newestFirst returns arns[from-1], arns[from-2], … down to arns[to-1]:
// revisions from..to, newest first.
func newestFirst(family string, from, to int) []string {
	var out []string
	for r := from; r >= to; r-- {
		out = append(out, tdARN(family, r))
	}
	return out
}

// barrierAPI holds every DescribeServices call until n calls are in flight
// together, proving they were issued concurrently. A sequential caller
// would block here until the test binary's -timeout fails it.
type barrierAPI struct {
	ecs.DescribeServicesAPIClient
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func (b *barrierAPI) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.DescribeServicesAPIClient.DescribeServices(ctx, in, optFns...)
}

func TestDescribeServices(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 1)
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("svc-%02d", i)
		names = append(names, name)
		require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: name, TaskDefinition: arns[0], DesiredCount: 2}))
	}
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "deleted", TaskDefinition: arns[0], Status: "INACTIVE"}))

	t.Run("12 services in 2 concurrent calls", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		arns := register(s, "web", 1)
		for _, name := range names {
			require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: name, TaskDefinition: arns[0], DesiredCount: 2}))
		}
		api := &barrierAPI{DescribeServicesAPIClient: client, n: 2, all: make(chan struct{})}
		got, err := ecsread.DescribeServices(t.Context(), api, "prod", names)
		require.NoError(t, err)
		assert.Len(t, got, 12)
		for _, name := range names {
			assert.Equal(t, name, got[name].Name)
			assert.Equal(t, arns[0], got[name].TaskDefinition)
		}
		assert.Equal(t, 2, s.CallCount("DescribeServices"))
	})

	t.Run("missing and inactive are NotFoundErrors, the rest still found", func(t *testing.T) {
		t.Parallel()
		asked := []string{"svc-00", "nope", "deleted", "arn:aws:ecs:us-east-1:123456789012:service/prod/svc-01"}
		got, err := ecsread.DescribeServices(t.Context(), client, "prod", asked)
		require.Error(t, err)
		assert.ElementsMatch(t, []string{"svc-00", "arn:aws:ecs:us-east-1:123456789012:service/prod/svc-01"}, keys(got))
		assert.Equal(t, "svc-01", got["arn:aws:ecs:us-east-1:123456789012:service/prod/svc-01"].Name)

		var nfs []*ecsread.NotFoundError
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var nf *ecsread.NotFoundError
			require.ErrorAs(t, e, &nf)
			nfs = append(nfs, nf)
		}
		want := []*ecsread.NotFoundError{
			{Cluster: "prod", Service: "nope", Reason: "MISSING"},
			{Cluster: "prod", Service: "deleted", Reason: "INACTIVE"},
		}
		if diff := cmp.Diff(want, nfs); diff != "" {
			t.Errorf("not found (-want +got):\n%s", diff)
		}
		var nf *ecsread.NotFoundError
		assert.ErrorAs(t, err, &nf, "errors.As finds the first")
	})

	t.Run("one service", func(t *testing.T) {
		t.Parallel()
		svc, err := ecsread.DescribeService(t.Context(), client, "prod", "svc-03")
		require.NoError(t, err)
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:service/prod/svc-03", svc.ARN)
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:cluster/prod", svc.ClusterARN)
		assert.Equal(t, "ACTIVE", svc.Status)
		assert.Equal(t, "ECS", svc.Controller)
		assert.EqualValues(t, 2, svc.DesiredCount)
		assert.EqualValues(t, 2, svc.RunningCount)
		p, ok := svc.Primary()
		require.True(t, ok)
		assert.Equal(t, arns[0], p.TaskDefinition)
		assert.Equal(t, "COMPLETED", p.RolloutState)
		assert.False(t, p.CreatedAt.IsZero())
		require.NotEmpty(t, svc.Events)
		assert.Equal(t, "(service svc-03) has reached a steady state.", svc.Events[0].Message)
	})

	t.Run("one missing service", func(t *testing.T) {
		t.Parallel()
		_, err := ecsread.DescribeService(t.Context(), client, "prod", "nope")
		var nf *ecsread.NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, ecsread.NotFoundError{Cluster: "prod", Service: "nope", Reason: "MISSING"}, *nf)
		assert.Equal(t, "service nope not found in cluster prod (MISSING)", err.Error())
	})

	t.Run("unknown cluster is the API's error, wrapped", func(t *testing.T) {
		t.Parallel()
		_, err := ecsread.DescribeService(t.Context(), client, "nope", "svc-00")
		var cnf *types.ClusterNotFoundException
		require.ErrorAs(t, err, &cnf)
		assert.True(t, strings.HasPrefix(err.Error(), "describe services svc-00 in cluster nope: "), err.Error())
	})
}

func keys(m map[string]ecsread.Service) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestActiveRevisionARNs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []ecssim.Option
		setup      func(s *ecssim.Server)
		family     string
		below      int32
		max        int
		want       []string
		wantLists  int
		wantPrefix string
	}{
		{
			name:      "DESC honoured: stops after the first page",
			setup:     func(s *ecssim.Server) { register(s, "web", 250) },
			family:    "web",
			below:     240,
			max:       20,
			want:      newestFirst("web", 239, 220),
			wantLists: 1,
		},
		{
			name:      "sort ignored: pages through all, still newest first",
			opts:      []ecssim.Option{ecssim.IgnoreSort()},
			setup:     func(s *ecssim.Server) { register(s, "web", 250) },
			family:    "web",
			below:     240,
			max:       20,
			want:      newestFirst("web", 239, 220),
			wantLists: 3,
		},
		{
			name: "family is exact: web-worker is not web",
			setup: func(s *ecssim.Server) {
				register(s, "web", 5)
				register(s, "web-worker", 150) // listed before web in DESC
			},
			family:    "web",
			below:     5,
			max:       20,
			want:      newestFirst("web", 4, 1),
			wantLists: 2,
		},
		{
			name: "INACTIVE revisions are skipped",
			setup: func(s *ecssim.Server) {
				register(s, "web", 6)
				s.RegisterTaskDefinition(ecssim.TaskDef{Family: "web", Status: "INACTIVE", Containers: []ecssim.Container{{Name: "app", Image: "x"}}})
			},
			family:    "web",
			want:      newestFirst("web", 6, 1),
			wantLists: 1,
		},
		{
			name:      "no bound, no limit",
			setup:     func(s *ecssim.Server) { register(s, "web", 120) },
			family:    "web",
			want:      newestFirst("web", 120, 1),
			wantLists: 2,
		},
		{
			name:      "nothing below",
			setup:     func(s *ecssim.Server) { register(s, "web", 3) },
			family:    "web",
			below:     1,
			max:       20,
			want:      []string{},
			wantLists: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, client := newSim(t, tt.opts...)
			tt.setup(s)
			got, err := ecsread.ActiveRevisionARNs(t.Context(), client, tt.family, tt.below, tt.max)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ARNs (-want +got):\n%s", diff)
			}
			assert.Equal(t, tt.wantLists, s.CallCount("ListTaskDefinitions"))
		})
	}

	t.Run("asks for ACTIVE, DESC, 100 a page", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		register(s, "web", 1)
		_, err := ecsread.ActiveRevisionARNs(t.Context(), client, "web", 0, 5)
		require.NoError(t, err)
		calls := s.Calls()
		require.Len(t, calls, 1)
		assert.JSONEq(t, `{"familyPrefix":"web","status":"ACTIVE","sort":"DESC","maxResults":100}`, string(calls[0].Body))
	})

	t.Run("API error", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		s.FailNext("ListTaskDefinitions", 1, "AccessDeniedException")
		_, err := ecsread.ActiveRevisionARNs(t.Context(), client, "web", 0, 5)
		var ad *types.AccessDeniedException
		assert.ErrorAs(t, err, &ad)
	})
}

func TestDescribeRevision(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 2)
	st, ok := s.TaskDefinition(arns[1])
	require.True(t, ok)

	tests := []struct {
		name string
		ref  string
	}{
		{"ARN", arns[1]},
		{"family:revision", "web:2"},
		{"family", "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ecsread.DescribeRevision(t.Context(), client, tt.ref)
			require.NoError(t, err)
			want := revision.Revision{
				ARN: arns[1], Family: "web", Number: 2, Status: "ACTIVE", RegisteredAt: st.RegisteredAt.Truncate(1e6),
				Containers: []revision.Container{
					{Name: "app", Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:0000002", Labels: map[string]string{"schema-version": "1"}},
					{Name: "log", Image: "fluent-bit:2"},
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("revision (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		_, err := ecsread.DescribeRevision(t.Context(), client, "web:9")
		var ce *types.ClientException
		require.ErrorAs(t, err, &ce)
		assert.True(t, strings.HasPrefix(err.Error(), "describe task definition web:9: "), err.Error())
	})
}

// countingAPI records how many DescribeTaskDefinition calls overlap.
type countingAPI struct {
	ecsread.DescribeTaskDefinitionAPI
	mu               sync.Mutex
	inFlight, maxSim int
}

func (c *countingAPI) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	c.mu.Lock()
	c.inFlight++
	c.maxSim = max(c.maxSim, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	return c.DescribeTaskDefinitionAPI.DescribeTaskDefinition(ctx, in, optFns...)
}

func TestFindRevision(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	register(s, "web", 100)
	candidates := newestFirst("web", 100, 1) // candidates[i] is revision 100-i
	tagged := func(revs ...int32) func(revision.Revision) bool {
		return func(r revision.Revision) bool {
			for _, n := range revs {
				if r.Number == n {
					return true
				}
			}
			return false
		}
	}

	tests := []struct {
		name          string
		arns          []string
		concurrency   int
		match         func(revision.Revision) bool
		wantRev       int32 // 0: none found
		wantDescribed int   // -1: only "fewer than all"
	}{
		{"newest matches, sequential", candidates, 1, tagged(100), 100, 1},
		{"fourth matches, sequential", candidates, 1, tagged(97, 90), 97, 4},
		{"newest matches, concurrent: early stop", candidates, 5, tagged(100), 100, -1},
		{"oldest of 100 matches", candidates, 5, tagged(1), 1, 100},
		{"newest of several wins", candidates, 10, tagged(98, 95, 60), 98, -1},
		{"none matches", candidates, 0, tagged(), 0, 100},
		{"error older than the match is ignored", []string{tdARN("web", 9), tdARN("web", 8), tdARN("web", 404), tdARN("web", 6)}, 4, tagged(8), 8, 4},
		{"empty list", nil, 3, tagged(1), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, found, described, err := ecsread.FindRevision(t.Context(), client, tt.arns, tt.concurrency, tt.match)
			require.NoError(t, err)
			assert.Equal(t, tt.wantRev != 0, found)
			assert.Equal(t, tt.wantRev, got.Number)
			if tt.wantRev != 0 {
				assert.Equal(t, tdARN("web", int(tt.wantRev)), got.ARN)
			}
			if tt.wantDescribed >= 0 {
				assert.Equal(t, tt.wantDescribed, described)
			} else {
				assert.Less(t, described, len(tt.arns))
			}
		})
	}

	t.Run("early stop is visible in the simulator", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		register(s, "web", 100)
		_, found, described, err := ecsread.FindRevision(t.Context(), client, newestFirst("web", 100, 1), 5, tagged(100))
		require.NoError(t, err)
		require.True(t, found)
		assert.Less(t, s.CallCount("DescribeTaskDefinition"), 100)
		assert.LessOrEqual(t, s.CallCount("DescribeTaskDefinition"), described)
	})

	t.Run("concurrency is bounded", func(t *testing.T) {
		t.Parallel()
		api := &countingAPI{DescribeTaskDefinitionAPI: client}
		_, found, described, err := ecsread.FindRevision(t.Context(), api, candidates, 3, tagged())
		require.NoError(t, err)
		assert.False(t, found)
		assert.Equal(t, 100, described)
		assert.LessOrEqual(t, api.maxSim, 3)
	})

	t.Run("error newer than the match is returned", func(t *testing.T) {
		t.Parallel()
		arns := []string{tdARN("web", 9), tdARN("web", 404), tdARN("web", 8), tdARN("web", 7)}
		for _, conc := range []int{1, 4} {
			_, found, _, err := ecsread.FindRevision(t.Context(), client, arns, conc, tagged(8))
			var ce *types.ClientException
			require.ErrorAs(t, err, &ce, "concurrency %d", conc)
			assert.Contains(t, err.Error(), "web:404")
			assert.False(t, found)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, found, _, err := ecsread.FindRevision(ctx, client, candidates, 5, tagged(1))
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, found)
	})
}

func TestUpdateService(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []ecssim.Option
	}{
		{"ARN answer", nil},
		{"bare family:revision answer", []ecssim.Option{ecssim.BareTaskDefinitionInUpdate()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, client := newSim(t, tt.opts...)
			arns := register(s, "web", 3)
			require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[2], DesiredCount: 2}))
			s.SetRollout("prod", "web", ecssim.Rollout{Never: true})

			svc, err := apply.UpdateService(t.Context(), client, "prod", "web", arns[0])
			require.NoError(t, err)
			assert.Equal(t, arns[0], svc.TaskDefinition)
			p, ok := svc.Primary()
			require.True(t, ok)
			assert.Equal(t, arns[0], p.TaskDefinition)
			assert.Equal(t, "IN_PROGRESS", p.RolloutState)
			require.Len(t, svc.Deployments, 2)
			assert.Equal(t, arns[2], svc.Deployments[1].TaskDefinition)

			calls := s.MutatingCalls()
			require.Len(t, calls, 1)
			assert.JSONEq(t, fmt.Sprintf(`{"cluster":"prod","service":"web","taskDefinition":%q}`, arns[0]), string(calls[0].Body))
		})
	}

	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		s, client := newSim(t)
		arns := register(s, "web", 1)
		s.AddCluster("prod")
		_, err := apply.UpdateService(t.Context(), client, "prod", "nope", arns[0])
		var snf *types.ServiceNotFoundException
		require.ErrorAs(t, err, &snf)
		assert.True(t, strings.HasPrefix(err.Error(), "update service nope in cluster prod to "+arns[0]+": "), err.Error())
	})
}

func TestDeregister(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 2)
	require.NoError(t, apply.Deregister(t.Context(), client, arns[0]))
	st, ok := s.TaskDefinition(arns[0])
	require.True(t, ok)
	assert.Equal(t, "INACTIVE", st.Status)
	st, _ = s.TaskDefinition(arns[1])
	assert.Equal(t, "ACTIVE", st.Status)

	err := apply.Deregister(t.Context(), client, tdARN("web", 9))
	var ce *types.ClientException
	require.ErrorAs(t, err, &ce)
	assert.True(t, strings.HasPrefix(err.Error(), "deregister task definition "+tdARN("web", 9)+": "), err.Error())
}

func TestStoppedTaskReasons(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 2)
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "web", TaskDefinition: arns[1], DesiredCount: 1}))
	require.NoError(t, s.AddService(ecssim.ServiceSpec{Cluster: "prod", Name: "api", TaskDefinition: arns[1], DesiredCount: 1}))
	st, _ := s.TaskDefinition(arns[1])
	at := st.RegisteredAt
	exit := func(n int32) *int32 { return &n }

	add := func(spec ecssim.TaskSpec) string {
		spec.Cluster = "prod"
		if spec.Service == "" {
			spec.Service = "web"
		}
		arn, err := s.AddTask(spec)
		require.NoError(t, err)
		return arn[strings.LastIndex(arn, "/")+1:]
	}
	oldest := add(ecssim.TaskSpec{TaskDefinition: arns[1], StoppedReason: "Task failed ELB health checks", StoppedAt: at.Add(1e9),
		Containers: []ecssim.TaskContainer{{Name: "app", ExitCode: exit(143)}, {Name: "log", ExitCode: exit(0)}}})
	newest := add(ecssim.TaskSpec{TaskDefinition: arns[1], StoppedReason: "Essential container in task exited", StoppedAt: at.Add(3e9),
		Containers: []ecssim.TaskContainer{{Name: "app", Reason: "OutOfMemory", ExitCode: exit(1)}, {Name: "log", Reason: "sidecar stopped"}}})
	middle := add(ecssim.TaskSpec{TaskDefinition: arns[1], StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)", StoppedAt: at.Add(2e9),
		Containers: []ecssim.TaskContainer{{Name: "app"}}})
	otherRev := add(ecssim.TaskSpec{TaskDefinition: arns[0], StoppedReason: "other revision", StoppedAt: at.Add(4e9)})
	add(ecssim.TaskSpec{Service: "api", TaskDefinition: arns[1], StoppedReason: "other service", StoppedAt: at.Add(5e9)})
	add(ecssim.TaskSpec{TaskDefinition: arns[1], LastStatus: "RUNNING"})

	tests := []struct {
		name string
		td   string
		max  int
		want []string
	}{
		{
			name: "newest first, this revision only",
			td:   arns[1],
			max:  5,
			want: []string{
				"task " + newest + ": Essential container in task exited (container app: exit 1: OutOfMemory; container log: sidecar stopped)",
				"task " + middle + ": CannotPullContainerError: pull image manifest has been retried 5 time(s)",
				"task " + oldest + ": Task failed ELB health checks (container app: exit 143)",
			},
		},
		{
			name: "at most max",
			td:   "web:2",
			max:  1,
			want: []string{"task " + newest + ": Essential container in task exited (container app: exit 1: OutOfMemory; container log: sidecar stopped)"},
		},
		{
			name: "any revision",
			max:  2,
			want: []string{
				"task " + otherRev + ": other revision",
				"task " + newest + ": Essential container in task exited (container app: exit 1: OutOfMemory; container log: sidecar stopped)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ecsread.StoppedTaskReasons(t.Context(), client, "prod", "web", tt.td, tt.max)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		_, err := ecsread.StoppedTaskReasons(t.Context(), client, "prod", "nope", arns[1], 5)
		var snf *types.ServiceNotFoundException
		assert.ErrorAs(t, err, &snf)
	})
}
