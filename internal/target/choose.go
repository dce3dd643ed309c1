package target

import (
	"fmt"

	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// Snapshot is what the rollback knows of one service when it chooses the
// target: the inputs that name a target, and what ECS answered so far.
// Choose never calls ECS: when it needs a revision that is not described yet
// it says so (Decision.Need), and the caller describes it and asks again.
type Snapshot struct {
	// Current is the revision the service runs, described.
	Current revision.Revision
	// Family is the service's task-definition family.
	Family string

	// Manual is the revision input (42, web:42 or an ARN); "" when none.
	Manual string
	// Recorded is the task-definition ARN of the deployment state
	// (task-definition-arn.txt); "" when none was recorded.
	Recorded string
	// Tag is the image tag to search for: the image-tag input or the
	// deployment state's.
	Tag string
	// ContainerName limits the tag match to one container; "" matches any.
	ContainerName string
	// FallbackPrevious allows current − 1 when no revision carries Tag.
	FallbackPrevious bool

	// Active are the family's ACTIVE revisions below Current, as listed
	// (Choose sorts them newest first itself); MaxRevisions bounds how many
	// of them are searched (0: all).
	Active       []string
	MaxRevisions int
	// Described holds the revisions described so far, by the reference
	// they were asked for.
	Described map[string]Described
	// Batch is how many revisions the tag search asks for at once; 1 when
	// 0. The caller describes them concurrently.
	Batch int
}

// Described is the answer to one DescribeTaskDefinition: the revision, or
// the error ECS gave.
type Described struct {
	Revision revision.Revision
	Err      string // non-empty when the describe failed
	// NotFound says the failure was ECS not knowing the revision
	// (ClientException), rather than access, throttling or a fault.
	NotFound bool
}

// Decision is what Choose decided: a target and how it was chosen, a
// refusal, or the revisions it needs described before it can decide.
type Decision struct {
	Target   revision.Revision
	How      How
	Warnings []string
	Refusal  *Refusal
	// Need lists the references to describe before choosing again; when it
	// is not empty, nothing else in the decision counts.
	Need []string
}

// Refusal says why no target can be chosen: the reason output and a
// message that says what to do.
type Refusal struct {
	Reason  string
	Message string
}

func refuse(why, format string, args ...any) Decision {
	return Decision{Refusal: &Refusal{Reason: why, Message: fmt.Sprintf(format, args...)}}
}

// Choose picks the target revision of one service, by the first rule that
// applies:
//  1. the revision input (Manual), which must be of the service's family;
//  2. the recorded task definition, when it is of the family and ACTIVE
//     (otherwise a warning, and the search goes on);
//  3. the current revision, when it already carries Tag;
//  4. the newest ACTIVE revision below the current one whose image carries
//     Tag, among the MaxRevisions newest;
//  5. with FallbackPrevious, revision current − 1 when it is ACTIVE.
//
// It is a pure function of the snapshot.
func Choose(s Snapshot) Decision {
	if s.Manual != "" {
		return chooseManual(s)
	}
	var warns []string
	if s.Recorded != "" {
		d, done := chooseRecorded(s, &warns)
		if done {
			return d
		}
	}
	d := chooseByTag(s)
	d.Warnings = append(warns, d.Warnings...)
	return d
}

func chooseManual(s Snapshot) Decision {
	spec, err := revision.ParseRevisionInput(s.Manual)
	if err != nil {
		return refuse(reason.CheckFailed, "revision input: %v", err)
	}
	if spec.Family != "" && spec.Family != s.Family {
		return refuse(reason.OtherFamily,
			"revision %s belongs to family %s, but the service runs family %s: refusing to switch families. Give a revision of family %s (42, %s:42 or its ARN).",
			s.Manual, spec.Family, s.Family, s.Family, s.Family)
	}
	ref := spec.ARN
	if ref == "" {
		ref = fmt.Sprintf("%s:%d", s.Family, spec.Number)
	}
	d, ok := s.Described[ref]
	switch {
	case !ok:
		return Decision{Need: []string{ref}}
	case d.Err != "":
		return refuse(reason.TargetNotActive,
			"describe revision %s: %s Check that revision %s exists (aws ecs list-task-definitions --family-prefix %s), or give image-tag instead.",
			ref, d.Err, ref, s.Family)
	}
	return Decision{Target: d.Revision, How: HowManualRevision}
}

// chooseRecorded applies the recorded task definition; done is false when
// the search by tag goes on, with a warning saying why. A recorded full ARN
// counts only when it is exactly the ARN of an ACTIVE revision of the
// service's own account and region: a staging account's revision of the
// same family and number is another task definition.
func chooseRecorded(s Snapshot, warns *[]string) (Decision, bool) {
	passOver := func(format string, args ...any) (Decision, bool) {
		*warns = append(*warns, fmt.Sprintf(format, args...)+"; searching by image tag")
		return Decision{}, false
	}
	fam, _, err := revision.ParseARN(s.Recorded)
	switch {
	case err != nil:
		return passOver("the recorded task definition %q cannot be read", s.Recorded)
	case fam != s.Family:
		return passOver("the recorded task definition belongs to family %s, not %s", fam, s.Family)
	case !revision.SameScope(s.Recorded, s.Current.ARN):
		return passOver("the recorded task definition %s belongs to another account or region than the service's %s", s.Recorded, s.Current.ARN)
	case revision.SameRevision(s.Recorded, s.Current.ARN):
		return Decision{Target: s.Current, How: HowRecordedARN}, true
	}
	d, ok := s.Described[s.Recorded]
	switch {
	case !ok:
		return Decision{Need: []string{s.Recorded}}, true
	case d.Err != "" && d.NotFound:
		return passOver("the recorded task definition %s does not exist (%s)", s.Recorded, d.Err)
	case d.Err != "":
		return refuse(reason.ECSError, "describe the recorded task definition %s: %s. Nothing was changed; check the role's ecs:DescribeTaskDefinition permission and retry.", s.Recorded, d.Err), true
	case !revision.SameScope(s.Recorded, d.Revision.ARN):
		return passOver("the recorded task definition %s is not the revision ECS describes under that name (%s)", s.Recorded, d.Revision.ARN)
	case d.Revision.Status != "ACTIVE":
		return passOver("the recorded task definition %s is not ACTIVE", s.Recorded)
	}
	return Decision{Target: d.Revision, How: HowRecordedARN}, true
}

func chooseByTag(s Snapshot) Decision {
	cur := s.Current
	if Matches(cur, s.Tag, s.ContainerName) {
		return Decision{Target: cur, How: HowImageTag}
	}
	limit := s.MaxRevisions
	if limit <= 0 {
		limit = len(s.Active)
	}
	candidates := Candidates(s.Active, cur.Number, limit)
	batch := max(s.Batch, 1)
	for i, arn := range candidates {
		d, ok := s.Described[arn]
		if !ok {
			var need []string
			for _, next := range candidates[i:] {
				if _, ok := s.Described[next]; !ok {
					need = append(need, next)
				}
				if len(need) == batch {
					break
				}
			}
			return Decision{Need: need}
		}
		if d.Err != "" {
			return refuse(reason.ECSError, "search revisions of %s for image tag %s: %s", s.Family, s.Tag, d.Err)
		}
		if Matches(d.Revision, s.Tag, s.ContainerName) {
			return Decision{Target: d.Revision, How: HowImageTag}
		}
	}

	searched := fmt.Sprintf("none of the %d newest ACTIVE revisions of %s below %d carries image tag %s", len(candidates), s.Family, cur.Number, s.Tag)
	if !s.FallbackPrevious {
		return refuse(reason.NoMatch, "%s and fallback is none. Give revision explicitly, or raise max-revisions.", searched)
	}
	prevARN, ok := Fallback(cur, s.Active)
	if !ok {
		return refuse(reason.NoMatch, "%s, and the previous revision %d is not ACTIVE. Give revision explicitly.", searched, cur.Number-1)
	}
	d, ok := s.Described[prevARN]
	switch {
	case !ok:
		return Decision{Need: []string{prevARN}}
	case d.Err != "":
		return refuse(reason.ECSError, "describe the previous revision %s: %s", prevARN, d.Err)
	}
	return Decision{
		Target:   d.Revision,
		How:      HowFallbackPrevious,
		Warnings: []string{fmt.Sprintf("%s; falling back to the previous revision %d", searched, d.Revision.Number)},
	}
}
