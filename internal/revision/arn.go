package revision

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseARN splits a task-definition reference into its family and revision
// number. It accepts a full ARN
// (arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42) and the bare
// "family:42" that some ECS emulators return.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
func ParseARN(ref string) (family string, revision int32, err error) {
	s := ref
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) != 6 {
			return "", 0, fmt.Errorf("parse task definition ARN %q: not an ARN", ref)
		}
		res, ok := strings.CutPrefix(parts[5], "task-definition/")
		if !ok {
			return "", 0, fmt.Errorf("parse task definition ARN %q: not a task definition", ref)
		}
		s = res
	}
	fam, rev, ok := strings.Cut(s, ":")
	if !ok || fam == "" {
		return "", 0, fmt.Errorf("parse task definition %q: want family:revision", ref)
	}
	n, err := strconv.ParseInt(rev, 10, 32)
	if err != nil || n <= 0 {
		return "", 0, fmt.Errorf("parse task definition %q: revision %q is not a positive number", ref, rev)
	}
	return fam, int32(n), nil
}

// SameRevision reports whether two task-definition references (ARNs or bare
// family:revision) name the same family and revision.
func SameRevision(a, b string) bool {
	fa, ra, errA := ParseARN(a)
	fb, rb, errB := ParseARN(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return fa == fb && ra == rb
}

// ResourceName is the name at the end of an ECS ARN: a cluster's, a
// service's (in the long service/<cluster>/<service> format and the old
// short one alike) or a task's ID. Anything that is not an ARN is returned as
// it is, since it is a name already.
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
func ResourceName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+1:]
	}
	return ref
}

// SameScope reports whether two task-definition references can name the
// same task definition as far as their partition, region and account go:
// true unless both are full ARNs whose partition, region or account
// differ. A bare family:revision has no scope and matches any.
func SameScope(a, b string) bool {
	pa, okA := scope(a)
	pb, okB := scope(b)
	return !okA || !okB || pa == pb
}

// scope is the "arn:partition:ecs:region:account" part of a full ARN.
func scope(ref string) (string, bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return "", false
	}
	parts := strings.SplitN(ref, ":", 6)
	if len(parts) != 6 {
		return "", false
	}
	return strings.Join(parts[:5], ":"), true
}
