package target

import (
	"strconv"
	"testing"

	"github.com/deplight/ecs-rollback/internal/revision"

	"github.com/google/go-cmp/cmp"
)

const (
	sha     = "3484a3fb816e0859fd6e1cea078d76385ff50625"
	otherSH = "5779607b49aab1200488439f02372c57b4f75444"
	digest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	repo    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
)

const arnPrefix = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"

func arn(family string, n int) string { return arnPrefix + family + ":" + strconv.Itoa(n) }

func rev(n int, containers ...revision.Container) revision.Revision {
	return revision.Revision{ARN: arn("web", n), Family: "web", Number: int32(n), Status: "ACTIVE", Containers: containers}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	r := rev(3,
		revision.Container{Name: "app", Image: repo + ":" + sha},
		revision.Container{Name: "sidecar", Image: "nginx:1.25@" + digest},
	)
	tests := []struct {
		name           string
		tag, container string
		want           bool
	}{
		{"full sha, any container", sha, "", true},
		{"short sha, any container", sha[:7], "", true},
		{"short sha, named container", sha[:7], "app", true},
		{"tag of another container only", sha[:7], "sidecar", false},
		{"sidecar tag", "1.25", "", true},
		{"sidecar digest", digest, "sidecar", true},
		{"missing container", sha, "worker", false},
		{"other sha", otherSH[:7], "", false},
		{"empty tag", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Matches(r, tt.tag, tt.container); got != tt.want {
				t.Errorf("Matches(rev, %q, %q) = %v, want %v", tt.tag, tt.container, got, tt.want)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		arns    []string
		current int32
		limit   int
		want    []string
	}{
		{
			name:    "newest first, below current",
			arns:    []string{arn("web", 1), arn("web", 2), arn("web", 5), arn("web", 3), arn("web", 6), arn("web", 4)},
			current: 5,
			limit:   20,
			want:    []string{arn("web", 4), arn("web", 3), arn("web", 2), arn("web", 1)},
		},
		{
			name:    "numeric, not lexical, order",
			arns:    []string{arn("web", 9), arn("web", 10), arn("web", 100), arn("web", 11)},
			current: 101,
			limit:   3,
			want:    []string{arn("web", 100), arn("web", 11), arn("web", 10)},
		},
		{
			name:    "at most limit",
			arns:    []string{arn("web", 1), arn("web", 2), arn("web", 3)},
			current: 4,
			limit:   1,
			want:    []string{arn("web", 3)},
		},
		{
			name:    "gaps from deregistered revisions",
			arns:    []string{arn("web", 2), arn("web", 7), arn("web", 8)},
			current: 8,
			limit:   20,
			want:    []string{arn("web", 7), arn("web", 2)},
		},
		{
			name:    "unparsable and duplicates ignored",
			arns:    []string{"junk", "", arn("web", 2), arn("web", 2), arnPrefix + "web:x"},
			current: 3,
			limit:   20,
			want:    []string{arn("web", 2)},
		},
		{name: "nothing below", arns: []string{arn("web", 3), arn("web", 4)}, current: 3, limit: 20, want: []string{}},
		{name: "limit zero", arns: []string{arn("web", 1)}, current: 3, limit: 0, want: nil},
		{name: "no arns", current: 3, limit: 20, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]string(nil), tt.arns...)
			got := Candidates(in, tt.current, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Candidates mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.arns, in); diff != "" {
				t.Errorf("Candidates changed its input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		current revision.Revision
		active  []string
		want    string
		wantOK  bool
	}{
		{"previous is active", rev(42), []string{arn("web", 40), arn("web", 41), arn("web", 42)}, arn("web", 41), true},
		{"previous is inactive: no skipping further", rev(42), []string{arn("web", 40), arn("web", 42)}, "", false},
		{"first revision", rev(1), []string{arn("web", 1)}, "", false},
		{"same number in another family", rev(42), []string{arn("api", 41), arn("web", 42)}, "", false},
		{"family and number from the ARN", revision.Revision{ARN: arn("web", 42)}, []string{arn("web", 41)}, arn("web", 41), true},
		{"unknown current", revision.Revision{}, []string{arn("web", 41)}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Fallback(tt.current, tt.active)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Fallback(%s, …) = %q, %v; want %q, %v", tt.current.ARN, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCarries(t *testing.T) {
	t.Parallel()
	short := rev(3, revision.Container{Name: "app", Image: repo + ":" + sha[:7]})
	full := rev(4, revision.Container{Name: "app", Image: repo + ":" + sha})
	tests := []struct {
		name string
		rev  revision.Revision
		tag  string
		want bool
	}{
		{"the same tag", short, sha[:7], true},
		{"a short recorded tag of a full image tag", full, sha[:7], true},
		{"a full recorded tag of a short image tag", short, sha, true},
		{"another commit", short, otherSH, false},
		{"a prefix shorter than 7", rev(5, revision.Container{Name: "app", Image: repo + ":" + sha[:5]}), sha, false},
		{"not hex", rev(6, revision.Container{Name: "app", Image: repo + ":v1"}), "v1.2", false},
	}
	for _, tt := range tests {
		if got := Carries(tt.rev, tt.tag, ""); got != tt.want {
			t.Errorf("%s: Carries = %v, want %v", tt.name, got, tt.want)
		}
	}
}
