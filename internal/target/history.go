package target

import (
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// HowECSHistory says the target is what ECS's own deployment history names:
// the revision of the newest successful service deployment that is not the
// current one.
const HowECSHistory How = "ecs-history"

// Sources is what decides between the deployment-state artifact and ECS's
// deployment history.
type Sources struct {
	// Mode is the source input: auto, artifact or ecs ("" is artifact).
	Mode string
	// Manual is true when the revision or image-tag input names the target.
	Manual bool
	// Artifact is true when a usable deployment-state artifact gave the
	// snapshot its Tag and Recorded.
	Artifact bool
	// History is the task-definition ARN ECS's history names as the last
	// good revision; "" when it names none (no history, or no successful
	// deployment of another revision).
	History string
	// NoHistory says why History is empty, for a refusal that has only ECS
	// to go on.
	NoHistory string
}

// ChooseFrom applies the source input on top of Choose:
//   - the revision or image-tag input, or source artifact: Choose alone;
//   - source ecs, or auto without a usable artifact: the revision ECS's
//     history names, which must be of the family and ACTIVE;
//   - auto with an artifact: Choose, with a warning naming the revision ECS
//     would have chosen when the two disagree.
//
// It is a pure function of its arguments.
func ChooseFrom(s Snapshot, src Sources) Decision {
	artifactOnly := src.Manual || s.Manual != "" || src.Mode == "" || src.Mode == "artifact"
	if artifactOnly || (src.Mode != "ecs" && src.Artifact) {
		d := Choose(s)
		if len(d.Need) > 0 || d.Refusal != nil || src.History == "" || artifactOnly {
			return d
		}
		if !revision.SameRevision(d.Target.ARN, src.History) {
			d.Warnings = append(d.Warnings, "the deployment-state artifact names revision "+d.Target.ARN+
				", but ECS's deployment history would have chosen "+src.History+
				" (its newest successful deployment of another revision); the artifact's target is used. Set source: ecs to follow ECS's history.")
		}
		return d
	}
	if src.History == "" {
		why := src.NoHistory
		if why == "" {
			why = "ECS's deployment history holds no successful deployment of another revision"
		}
		return refuse(reason.NoPrevious, "%s. Roll back by hand with the revision or image-tag input.", why)
	}
	fam, _, err := revision.ParseARN(src.History)
	switch {
	case err != nil:
		return refuse(reason.ECSError, "ECS's deployment history names the task definition %q, which cannot be read", src.History)
	case fam != s.Family:
		return refuse(reason.OtherFamily, "ECS's deployment history names %s, of family %s, but the service runs family %s: refusing to switch families. Give the revision input.", src.History, fam, s.Family)
	case revision.SameRevision(src.History, s.Current.ARN):
		return Decision{Target: s.Current, How: HowECSHistory}
	}
	d, ok := s.Described[src.History]
	switch {
	case !ok:
		return Decision{Need: []string{src.History}}
	case d.Err != "":
		return refuse(reason.TargetNotActive, "describe %s, the revision ECS's deployment history names: %s", src.History, d.Err)
	case d.Revision.Status != "ACTIVE":
		return refuse(reason.TargetNotActive, "%s, the revision ECS's deployment history names, is %s: it cannot be deployed again. Give the revision input.", src.History, d.Revision.Status)
	}
	return Decision{Target: d.Revision, How: HowECSHistory}
}
