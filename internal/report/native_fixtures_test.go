package report

import (
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/target"
)

// rolledBackNative: the target came from ECS's deployment history, and ECS
// rolled the deployment in its bake back itself.
func rolledBackNative() rollback.Result {
	r := rolledBack()
	r.Source, r.SourceSkips, r.SourceKind = nil, nil, "ecs"
	r.Warnings = nil
	s := &r.Services[0]
	s.How = target.HowECSHistory
	s.Mechanism = "StopServiceDeployment"
	s.Message = "rolled back by ECS itself: deployment 1f2e3d (BLUE_GREEN, BAKE_TIME) is still IN_PROGRESS from revision 42: StopServiceDeployment with ROLLBACK restores its whole previous service revision, a traffic switch back to tasks still running"
	r.Message += " Note: " + s.Message + "."
	return r
}
