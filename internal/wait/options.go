// Package wait waits for a rollback to take effect: one poll loop with a
// growing delay, one Options type, and the conditions of each mechanism (an
// ECS service stable on the target, production traffic on a CodeDeploy
// deployment's target).
package wait

import (
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"
)

// Options shapes every wait.
type Options struct {
	// Timeout ends the wait with the wait's timeout error; 0 waits as long as
	// ctx allows.
	Timeout time.Duration
	// FirstPoll is the delay before the first poll (an ECS service) or after
	// the first, immediate one (a CodeDeploy deployment); 0 is the wait's
	// default.
	FirstPoll time.Duration
	// MaxPoll caps the delay between polls, which grows ×1.5 from FirstPoll;
	// 0 is the wait's default.
	MaxPoll time.Duration
	// OnService, when set, sees the service after every successful poll of
	// Stable.
	OnService func(ecsread.Service)
	// OnDeployment, when set, sees the deployment after every successful
	// poll of CodeDeploy and CodeDeployRollback.
	OnDeployment func(CodeDeployment)
}
