package target

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// img is an image of the web repository with tag.
func img(tag string) revision.Container {
	return revision.Container{Name: "app", Image: repo + ":" + tag}
}

// history is revisions 40–45 of web, revision n running tags[n].
var tags = map[int]string{40: "a0a0a0a", 41: "b1b1b1b", 42: "c2c2c2c", 43: "d3d3d3d", 44: "e4e4e4e", 45: "f5f5f5f"}

// described answers for the given revisions of web, as DescribeTaskDefinition would.
func described(ns ...int) map[string]Described {
	m := map[string]Described{}
	for _, n := range ns {
		m[arn("web", n)] = Described{Revision: rev(n, img(tags[n]))}
	}
	return m
}

// snap is service web on revision 45, with ACTIVE revisions 40–44 listed
// oldest first (as an emulator that ignores sort=DESC lists them).
func snap(mod func(*Snapshot)) Snapshot {
	s := Snapshot{
		Current:      rev(45, img(tags[45])),
		Family:       "web",
		Active:       []string{arn("web", 40), arn("web", 41), arn("web", 42), arn("web", 43), arn("web", 44)},
		MaxRevisions: 20,
		Described:    map[string]Described{},
		Batch:        2,
	}
	mod(&s)
	return s
}

func TestChoose(t *testing.T) {
	t.Parallel()
	type want struct {
		target   int // revision number; 0: none
		how      How
		need     []string
		reason   string // refusal reason
		says     string // in the refusal message
		warnings []string
	}
	tests := []struct {
		name string
		snap Snapshot
		want want
	}{
		// 1. The revision input.
		{"manual number needs its describe", snap(func(s *Snapshot) { s.Manual = "42" }),
			want{need: []string{"web:42"}}},
		{"manual number", snap(func(s *Snapshot) {
			s.Manual = "42"
			s.Described["web:42"] = Described{Revision: rev(42, img(tags[42]))}
		}), want{target: 42, how: HowManualRevision}},
		{"manual ARN is described by its ARN", snap(func(s *Snapshot) { s.Manual = arn("web", 41) }),
			want{need: []string{arn("web", 41)}}},
		{"manual of another family", snap(func(s *Snapshot) { s.Manual = "api:3" }),
			want{reason: reason.OtherFamily, says: "refusing to switch families"}},
		{"manual that does not parse", snap(func(s *Snapshot) { s.Manual = "latest" }),
			want{reason: reason.CheckFailed, says: "revision input"}},
		{"manual that ECS cannot describe", snap(func(s *Snapshot) {
			s.Manual = "7"
			s.Described["web:7"] = Described{Err: "ClientException: Unable to describe task definition."}
		}), want{reason: reason.TargetNotActive, says: "Check that revision web:7 exists"}},
		{"manual wins over recorded and tag", snap(func(s *Snapshot) {
			s.Manual, s.Recorded, s.Tag = "41", arn("web", 43), tags[42]
			s.Described["web:41"] = Described{Revision: rev(41, img(tags[41]))}
		}), want{target: 41, how: HowManualRevision}},

		// 2. The recorded task definition.
		{"recorded needs one describe, not a search", snap(func(s *Snapshot) { s.Recorded, s.Tag = arn("web", 43), tags[42] }),
			want{need: []string{arn("web", 43)}}},
		{"recorded and ACTIVE wins over the tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = arn("web", 43), tags[42], described(43)
		}), want{target: 43, how: HowRecordedARN}},
		{"recorded equal to the current revision", snap(func(s *Snapshot) { s.Recorded, s.Tag = arn("web", 45), tags[42] }),
			want{target: 45, how: HowRecordedARN}},
		{"recorded but INACTIVE: search by tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = arn("web", 43), tags[42], described(43, 44, 42)
			d := s.Described[arn("web", 43)]
			d.Revision.Status = "INACTIVE"
			s.Described[arn("web", 43)] = d
		}), want{target: 42, how: HowImageTag, warnings: []string{"the recorded task definition " + arn("web", 43) + " is not ACTIVE; searching by image tag"}}},
		{"recorded of another family: search by tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = arn("api", 3), tags[44], described(44)
		}), want{target: 44, how: HowImageTag, warnings: []string{"the recorded task definition belongs to family api, not web; searching by image tag"}}},
		{"recorded unreadable: search by tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = "nonsense", tags[44], described(44)
		}), want{target: 44, how: HowImageTag, warnings: []string{`the recorded task definition "nonsense" cannot be read; searching by image tag`}}},

		{"recorded of another account: search by tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = strings.Replace(arn("web", 43), "123456789012", "999999999999", 1), tags[44], described(44)
		}), want{target: 44, how: HowImageTag, warnings: []string{"the recorded task definition arn:aws:ecs:eu-west-1:999999999999:task-definition/web:43 belongs to another account or region than the service's " + arn("web", 45) + "; searching by image tag"}}},
		{"recorded of another region equal to current by number: not already current", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = strings.Replace(arn("web", 45), "eu-west-1", "eu-central-1", 1), tags[44], described(44)
		}), want{target: 44, how: HowImageTag, warnings: []string{"the recorded task definition arn:aws:ecs:eu-central-1:123456789012:task-definition/web:45 belongs to another account or region than the service's " + arn("web", 45) + "; searching by image tag"}}},
		{"recorded that does not exist: search by tag", snap(func(s *Snapshot) {
			s.Recorded, s.Tag, s.Described = arn("web", 43), tags[44], described(44)
			s.Described[arn("web", 43)] = Described{Err: "ClientException: Unable to describe task definition.", NotFound: true}
		}), want{target: 44, how: HowImageTag, warnings: []string{"the recorded task definition " + arn("web", 43) + " does not exist (ClientException: Unable to describe task definition.); searching by image tag"}}},
		{"recorded that cannot be read: ecs-error, no search", snap(func(s *Snapshot) {
			s.Recorded, s.Tag = arn("web", 43), tags[44]
			s.Described[arn("web", 43)] = Described{Err: "AccessDeniedException: not authorized"}
		}), want{reason: reason.ECSError, says: "describe the recorded task definition"}},
		{"recorded bare family:revision", snap(func(s *Snapshot) {
			s.Recorded = "web:43"
			s.Described["web:43"] = Described{Revision: rev(43, img(tags[43]))}
		}), want{target: 43, how: HowRecordedARN}},

		// 3. The current revision carries the tag.
		{"current carries the tag", snap(func(s *Snapshot) { s.Tag = tags[45] }),
			want{target: 45, how: HowImageTag}},

		// 4. The search, newest first, in waves of Batch.
		{"search asks for the newest first", snap(func(s *Snapshot) { s.Tag = tags[41] }),
			want{need: []string{arn("web", 44), arn("web", 43)}}},
		{"search asks for the next wave", snap(func(s *Snapshot) { s.Tag, s.Described = tags[41], described(44, 43) }),
			want{need: []string{arn("web", 42), arn("web", 41)}}},
		{"search finds the newest match", snap(func(s *Snapshot) { s.Tag, s.Described = tags[42], described(44, 43, 42) }),
			want{target: 42, how: HowImageTag}},
		{"search by a 7-hex prefix of a longer tag", snap(func(s *Snapshot) {
			s.Tag = "c2c2c2c"
			s.Described = described(44, 43)
			s.Described[arn("web", 42)] = Described{Revision: rev(42, img("c2c2c2c0000000000000000000000000000000000"))}
		}), want{target: 42, how: HowImageTag}},
		{"search by digest", snap(func(s *Snapshot) {
			s.Tag = digest
			s.Described = described(44)
			s.Described[arn("web", 43)] = Described{Revision: rev(43, revision.Container{Name: "app", Image: repo + "@" + digest})}
		}), want{target: 43, how: HowImageTag}},
		{"search limited to one container", snap(func(s *Snapshot) {
			s.Tag, s.ContainerName = tags[44], "sidecar"
			s.Described = described(44, 43, 42, 41, 40)
		}), want{reason: reason.NoMatch, says: "none of the 5 newest ACTIVE revisions of web below 45 carries image tag e4e4e4e"}},
		{"search bounded by max-revisions", snap(func(s *Snapshot) {
			s.Tag, s.MaxRevisions, s.Described = tags[40], 2, described(44, 43)
		}), want{reason: reason.NoMatch, says: "none of the 2 newest"}},
		{"a describe that failed in the search", snap(func(s *Snapshot) {
			s.Tag = tags[40]
			s.Described = described(44)
			s.Described[arn("web", 43)] = Described{Err: "ThrottlingException: Rate exceeded"}
		}), want{reason: reason.ECSError, says: "Rate exceeded"}},

		// 5. The fallback.
		{"no match and fallback none", snap(func(s *Snapshot) { s.Tag, s.Described = "0000000", described(44, 43, 42, 41, 40) }),
			want{reason: reason.NoMatch, says: "fallback is none"}},
		{"no match: fallback previous", snap(func(s *Snapshot) {
			s.Tag, s.FallbackPrevious, s.Described = "0000000", true, described(44, 43, 42, 41, 40)
		}), want{target: 44, how: HowFallbackPrevious, warnings: []string{
			"none of the 5 newest ACTIVE revisions of web below 45 carries image tag 0000000; falling back to the previous revision 44"}}},
		{"fallback previous, but 44 is not ACTIVE", snap(func(s *Snapshot) {
			s.Tag, s.FallbackPrevious = "0000000", true
			s.Active = s.Active[:4]
			s.Described = described(43, 42, 41, 40)
		}), want{reason: reason.NoMatch, says: "the previous revision 44 is not ACTIVE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Choose(tt.snap)
			if diff := cmp.Diff(tt.want.need, d.Need); diff != "" {
				t.Fatalf("Need (-want +got):\n%s", diff)
			}
			if tt.want.reason != "" {
				if d.Refusal == nil {
					t.Fatalf("got target %d (%s), want refusal %s", d.Target.Number, d.How, tt.want.reason)
				}
				if d.Refusal.Reason != tt.want.reason || !strings.Contains(d.Refusal.Message, tt.want.says) {
					t.Fatalf("refusal = %s: %q; want %s containing %q", d.Refusal.Reason, d.Refusal.Message, tt.want.reason, tt.want.says)
				}
				return
			}
			if d.Refusal != nil {
				t.Fatalf("refused %s: %s", d.Refusal.Reason, d.Refusal.Message)
			}
			if tt.want.need != nil {
				return
			}
			if int(d.Target.Number) != tt.want.target || d.How != tt.want.how {
				t.Errorf("target = %d (%s), want %d (%s)", d.Target.Number, d.How, tt.want.target, tt.want.how)
			}
			if diff := cmp.Diff(tt.want.warnings, d.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChooseSettles runs Choose as the rollback does, describing what it
// asks for, and checks that it decides within a wave per Batch candidates
// and never asks for the same revision twice.
func TestChooseSettles(t *testing.T) {
	t.Parallel()
	s := snap(func(s *Snapshot) { s.Tag, s.Batch = tags[40], 2 })
	asked := map[string]bool{}
	for wave := 1; ; wave++ {
		d := Choose(s)
		if len(d.Need) == 0 {
			if d.Target.Number != 40 || wave != 4 {
				t.Fatalf("decided %d after %d waves, want 40 after 4", d.Target.Number, wave)
			}
			return
		}
		for _, ref := range d.Need {
			if asked[ref] {
				t.Fatalf("wave %d asks for %s again", wave, ref)
			}
			asked[ref] = true
			_, n, _ := revision.ParseARN(ref)
			s.Described[ref] = Described{Revision: rev(int(n), img(tags[int(n)]))}
		}
	}
}
