package target

import (
	"strings"
	"testing"

	"github.com/deplight/ecs-rollback/internal/reason"
)

func TestChooseFrom(t *testing.T) {
	t.Parallel()
	// The artifact (tag c2c2c2c) names 42; ECS's history names 43.
	withTag := func(s *Snapshot) { s.Tag = tags[42]; s.Described = described(42, 43, 44) }
	tests := []struct {
		name    string
		snap    Snapshot
		src     Sources
		target  int
		how     How
		need    string
		reason  string
		warning string // in the one warning expected
	}{
		{name: "artifact only: ECS is not asked", snap: snap(withTag), src: Sources{Mode: "artifact", Artifact: true, History: arn("web", 43)}, target: 42, how: HowImageTag},
		{name: "empty mode is artifact", snap: snap(withTag), src: Sources{Artifact: true, History: arn("web", 43)}, target: 42, how: HowImageTag},
		{name: "auto, both agree: no warning", snap: snap(withTag), src: Sources{Mode: "auto", Artifact: true, History: arn("web", 42)}, target: 42, how: HowImageTag},
		{name: "auto, they disagree: the artifact wins, with a warning", snap: snap(withTag), src: Sources{Mode: "auto", Artifact: true, History: arn("web", 43)}, target: 42, how: HowImageTag, warning: arn("web", 43)},
		{name: "auto without artifact: ECS", snap: snap(func(s *Snapshot) { s.Described = described(43) }), src: Sources{Mode: "auto", History: arn("web", 43)}, target: 43, how: HowECSHistory},
		{name: "ecs: ECS even with an artifact", snap: snap(withTag), src: Sources{Mode: "ecs", Artifact: true, History: arn("web", 43)}, target: 43, how: HowECSHistory},
		{name: "ecs: the revision is described first", snap: snap(func(*Snapshot) {}), src: Sources{Mode: "ecs", History: arn("web", 43)}, need: arn("web", 43)},
		{name: "ecs: ECS rolled back onto the current revision", snap: snap(func(*Snapshot) {}), src: Sources{Mode: "ecs", History: arn("web", 45)}, target: 45, how: HowECSHistory},
		{name: "ecs: nothing in the history", snap: snap(func(*Snapshot) {}), src: Sources{Mode: "ecs", NoHistory: "ECS keeps no deployment history for this service"}, reason: reason.NoPrevious},
		{name: "ecs: another family", snap: snap(func(*Snapshot) {}), src: Sources{Mode: "ecs", History: arn("api", 3)}, reason: reason.OtherFamily},
		{name: "ecs: not ACTIVE any more", snap: snap(func(s *Snapshot) {
			d := described(43)
			r := d[arn("web", 43)]
			r.Revision.Status = "INACTIVE"
			d[arn("web", 43)] = r
			s.Described = d
		}), src: Sources{Mode: "ecs", History: arn("web", 43)}, reason: reason.TargetNotActive},
		{name: "the revision input wins over ECS", snap: snap(func(s *Snapshot) {
			s.Manual = "41"
			s.Described = map[string]Described{"web:41": {Revision: rev(41, img(tags[41]))}}
		}), src: Sources{Mode: "ecs", History: arn("web", 43)}, target: 41, how: HowManualRevision},
		{name: "the image-tag input wins over ECS", snap: snap(withTag), src: Sources{Mode: "ecs", Manual: true, History: arn("web", 43)}, target: 42, how: HowImageTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := ChooseFrom(tt.snap, tt.src)
			if tt.need != "" {
				if len(d.Need) != 1 || d.Need[0] != tt.need {
					t.Fatalf("Need = %v, want [%s]", d.Need, tt.need)
				}
				return
			}
			if len(d.Need) > 0 {
				t.Fatalf("Need = %v, want a decision", d.Need)
			}
			if tt.reason != "" {
				if d.Refusal == nil || d.Refusal.Reason != tt.reason {
					t.Fatalf("refusal = %+v, want reason %s", d.Refusal, tt.reason)
				}
				return
			}
			if d.Refusal != nil {
				t.Fatalf("refused: %+v", d.Refusal)
			}
			if int(d.Target.Number) != tt.target || d.How != tt.how {
				t.Errorf("target %d by %s, want %d by %s", d.Target.Number, d.How, tt.target, tt.how)
			}
			switch {
			case tt.warning == "" && len(d.Warnings) > 0:
				t.Errorf("warnings %q, want none", d.Warnings)
			case tt.warning != "" && (len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], tt.warning)):
				t.Errorf("warnings %q, want one naming %s", d.Warnings, tt.warning)
			}
		})
	}
}
