package wait

import (
	"testing"
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
)

func TestNextDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		first, max time.Duration
		want       []time.Duration
	}{
		{"defaults", ecsFirstPoll, ecsMaxPoll, []time.Duration{time.Second, 1500 * time.Millisecond, 2 * time.Second, 2 * time.Second}},
		{"test settings", 20 * time.Millisecond, 50 * time.Millisecond, []time.Duration{20 * time.Millisecond, 30 * time.Millisecond, 45 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}},
		{"first above max", time.Second, time.Second, []time.Duration{time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := []time.Duration{tt.first}
			for len(got) < len(tt.want) {
				got = append(got, schedule(Options{FirstPoll: tt.first, MaxPoll: tt.max}).Next(got[len(got)-1]))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultPollRate(t *testing.T) {
	t.Parallel()
	// Over any long wait, the default schedule makes at most one call a
	// second on average, and never waits more than MaxPoll between calls.
	d, elapsed, calls := ecsFirstPoll, time.Duration(0), 0
	for elapsed < 10*time.Minute {
		elapsed += d
		calls++
		assert.LessOrEqual(t, d, ecsMaxPoll)
		d = schedule(Options{}).Next(d)
	}
	assert.LessOrEqual(t, float64(calls)/elapsed.Seconds(), 1.0)
}

func TestTargetDeployment(t *testing.T) {
	t.Parallel()
	const tgt = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		deps   []ecsread.Deployment
		wantID string
	}{
		{"primary is the target", []ecsread.Deployment{{ID: "new", Status: "PRIMARY", TaskDefinition: tgt}, {ID: "old", Status: "ACTIVE", TaskDefinition: "web:9"}}, "new"},
		{"bare family:revision", []ecsread.Deployment{{ID: "new", Status: "PRIMARY", TaskDefinition: "web:7"}}, "new"},
		{
			"circuit breaker rolled back: the failed target is no longer primary",
			[]ecsread.Deployment{{ID: "back", Status: "PRIMARY", TaskDefinition: "web:9", CreatedAt: t0.Add(2)}, {ID: "ours", Status: "ACTIVE", TaskDefinition: tgt, RolloutState: "FAILED", CreatedAt: t0.Add(1)}},
			"ours",
		},
		{
			"primary wins over an older failed attempt at the target",
			[]ecsread.Deployment{{ID: "retry", Status: "PRIMARY", TaskDefinition: tgt, CreatedAt: t0.Add(2)}, {ID: "first", Status: "ACTIVE", TaskDefinition: tgt, RolloutState: "FAILED", CreatedAt: t0.Add(1)}},
			"retry",
		},
		{
			"newest non-primary of the target",
			[]ecsread.Deployment{{ID: "x", Status: "PRIMARY", TaskDefinition: "web:9"}, {ID: "a", Status: "ACTIVE", TaskDefinition: tgt, CreatedAt: t0.Add(1)}, {ID: "b", Status: "ACTIVE", TaskDefinition: tgt, CreatedAt: t0.Add(3)}},
			"b",
		},
		{"none", []ecsread.Deployment{{ID: "x", Status: "PRIMARY", TaskDefinition: "web:9"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok := targetDeployment(ecsread.Service{Deployments: tt.deps}, tgt)
			assert.Equal(t, tt.wantID != "", ok)
			assert.Equal(t, tt.wantID, d.ID)
		})
	}
}
