package revision

import (
	"strconv"
	"testing"
)

const (
	sha    = "3484a3fb816e0859fd6e1cea078d76385ff50625"
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	repo   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web"
)

func rev(n int, containers ...Container) Revision {
	return Revision{ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:" + strconv.Itoa(n), Family: "web", Number: int32(n), Status: "ACTIVE", Containers: containers}
}

func TestImageTag(t *testing.T) {
	t.Parallel()
	r := rev(3,
		Container{Name: "app", Image: repo + ":" + sha},
		Container{Name: "sidecar", Image: "public.ecr.aws/aws-observability/aws-otel-collector@" + digest},
		Container{Name: "bare", Image: "busybox"},
	)
	tests := []struct {
		container, want string
	}{
		{"", sha},
		{"app", sha},
		{"sidecar", "sha256:0123456789ab"},
		{"bare", ""},
		{"missing", ""},
	}
	for _, tt := range tests {
		if got := ImageTag(r, tt.container); got != tt.want {
			t.Errorf("ImageTag(rev, %q) = %q, want %q", tt.container, got, tt.want)
		}
	}
	if got := ImageTag(Revision{}, ""); got != "" {
		t.Errorf("ImageTag of a revision without containers = %q, want empty", got)
	}
}
func arn(family string, n int) string { return arnPrefix + family + ":" + strconv.Itoa(n) }

func TestSameScope(t *testing.T) {
	t.Parallel()
	prod := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:42"
	tests := []struct {
		a, b string
		want bool
	}{
		{prod, prod, true},
		{prod, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", true},
		{prod, "arn:aws:ecs:us-east-1:210987654321:task-definition/web:42", false},
		{prod, "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42", false},
		{prod, "arn:aws-cn:ecs:us-east-1:123456789012:task-definition/web:42", false},
		{prod, "web:42", true},
		{"web:42", "web:43", true},
	}
	for _, tt := range tests {
		if got := SameScope(tt.a, tt.b); got != tt.want {
			t.Errorf("SameScope(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
