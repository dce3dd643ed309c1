package rollback

import (
	"testing"

	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/stretchr/testify/assert"
)

func TestStrategyFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		controller string
		ok         bool
		name       string
		plans      bool // has a planning step of its own
	}{
		{controller: "", ok: true, name: "ECS (native rollback or UpdateService)", plans: true},
		{controller: "ECS", ok: true, name: "ECS (native rollback or UpdateService)", plans: true},
		{controller: "CODE_DEPLOY", ok: true, name: "CodeDeploy blue/green", plans: true},
		{controller: "code_deploy", ok: true, name: "CodeDeploy blue/green", plans: true},
		{controller: "EXTERNAL", ok: false},
		{controller: "SOMETHING_NEW", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.controller, func(t *testing.T) {
			t.Parallel()
			s, ok := strategyFor(tt.controller)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.name, s.name)
			assert.Equal(t, tt.ok, s.apply != nil)
			assert.Equal(t, tt.plans, s.plan != nil)
		})
	}
}

func TestOverall(t *testing.T) {
	t.Parallel()
	svc := func(name string, o Outcome, reason, msg string) ServiceResult {
		return ServiceResult{Service: name, Outcome: o, Reason: reason, Message: msg}
	}
	tests := []struct {
		name     string
		services []ServiceResult
		outcome  Outcome
		reason   string
		msg      string
	}{
		{
			name:     "all rolled back",
			services: []ServiceResult{svc("api", RolledBack, "", ""), svc("worker", RolledBack, "", "")},
			outcome:  RolledBack,
			msg:      "Rolled back 2 services: api, worker.",
		},
		{
			name: "one failed, one rolled back",
			services: []ServiceResult{
				svc("api", RolledBack, "", ""),
				svc("worker", Failed, reason.RolloutFailed, "the rollback of worker failed."),
			},
			outcome: Failed,
			reason:  reason.RolloutFailed,
			msg:     "1 of 2 services failed (worker): the rollback of worker failed. Rolled back: api.",
		},
		{
			name:     "all failed",
			services: []ServiceResult{svc("api", Failed, reason.WaitTimeout, "slow."), svc("worker", Failed, reason.RolloutFailed, "broken.")},
			outcome:  Failed,
			reason:   reason.WaitTimeout,
			msg:      "2 of 2 services failed (api, worker): slow.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, reason, msg := overall(tt.services, false)
			assert.Equal(t, tt.outcome, o)
			assert.Equal(t, tt.reason, reason)
			assert.Equal(t, tt.msg, msg)
		})
	}
}
