package ecsread_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestDescribeAll describes every reference once, in order, and never has
// more calls in flight than the limiter allows.
func TestDescribeAll(t *testing.T) {
	t.Parallel()
	s, client := newSim(t)
	arns := register(s, "web", 12)
	api := &countingAPI{DescribeTaskDefinitionAPI: client}
	refs := append(slices.Clone(arns), "web:99")
	got := ecsread.DescribeAll(t.Context(), api, ecsread.NewLimiter(3), refs)
	require.Len(t, got, len(refs))
	for i, o := range got[:12] {
		require.NoError(t, o.Err, o.Ref)
		assert.Equal(t, arns[i], o.Ref)
		assert.Equal(t, int32(i+1), o.Revision.Number)
	}
	assert.Error(t, got[12].Err, "web:99 does not exist")
	assert.LessOrEqual(t, api.maxSim, 3, "calls in flight")
	assert.Equal(t, 13, s.CallCount("DescribeTaskDefinition"), "one describe per reference")
}

// TestEventLog prints each event once, oldest first, and none that the
// service already had when the log started.
func TestEventLog(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return time.Date(2026, 12, 3, 3, 0, s, 0, time.UTC) }
	old := ecsread.Event{ID: "e1", CreatedAt: at(0), Message: "(service web) has reached a steady state."}
	log := ecsread.NewEventLog(ecsread.Service{Events: []ecsread.Event{old}})
	started := ecsread.Event{ID: "e2", CreatedAt: at(1), Message: "(service web) has started 1 tasks."}
	drained := ecsread.Event{ID: "e3", CreatedAt: at(2), Message: "(service web) has begun draining connections."}
	noID := ecsread.Event{CreatedAt: at(3), Message: "(service web) has stopped 1 running tasks."}

	got := log.New(ecsread.Service{Events: []ecsread.Event{drained, started, old}})
	assert.Equal(t, []ecsread.Event{started, drained}, got, "new events, oldest first")
	got = log.New(ecsread.Service{Events: []ecsread.Event{noID, drained, started, old}})
	assert.Equal(t, []ecsread.Event{noID}, got, "only what is new since the last poll")
	assert.Empty(t, log.New(ecsread.Service{Events: []ecsread.Event{noID, drained}}), "nothing new")
}
