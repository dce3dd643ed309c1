package revision

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// RevisionSpec is the revision input of the action, parsed. Exactly one of the
// forms is set: Number alone ("42", a revision of the service's own family),
// Family and Number ("web:42"), or ARN with Family and Number filled from it.
type RevisionSpec struct {
	Family string // empty for a bare number
	Number int32  // always > 0
	ARN    string // set only when the input was a full task-definition ARN
}

// String gives the spec back in the form it was given.
func (s RevisionSpec) String() string {
	switch {
	case s.ARN != "":
		return s.ARN
	case s.Family != "":
		return s.Family + ":" + strconv.FormatInt(int64(s.Number), 10)
	default:
		return strconv.FormatInt(int64(s.Number), 10)
	}
}

// familyRE is the ECS task-definition family grammar: up to 255 letters,
// digits, hyphens and underscores.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
var familyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// taskDefinitionARNRE is a task-definition ARN:
// arn:<partition>:ecs:<region>:<account>:task-definition/<family>:<revision>.
// See https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html#amazonelasticcontainerservice-resources-for-iam-policies
var taskDefinitionARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/([A-Za-z0-9_-]{1,255}):([0-9]+)$`)

// ParseRevisionInput parses the revision input: a revision number of the
// service's family ("42"), a family and revision ("web:42"), or a full
// task-definition ARN
// (arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42).
// It refuses revision 0, signs, spaces, numbers beyond int32, family names ECS
// would not accept, and ARNs of anything but a task definition.
func ParseRevisionInput(s string) (RevisionSpec, error) {
	if strings.HasPrefix(s, "arn:") {
		m := taskDefinitionARNRE.FindStringSubmatch(s)
		if m == nil {
			return RevisionSpec{}, fmt.Errorf("revision %q is not a task-definition ARN (want arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>)", s)
		}
		n, err := parseRevisionNumber(m[2])
		if err != nil {
			return RevisionSpec{}, fmt.Errorf("revision %q: %w", s, err)
		}
		return RevisionSpec{Family: m[1], Number: n, ARN: s}, nil
	}
	family, num, hasFamily := strings.Cut(s, ":")
	if !hasFamily {
		num, family = s, ""
	} else if !familyRE.MatchString(family) {
		return RevisionSpec{}, fmt.Errorf("revision %q: family %q is not a task-definition family (letters, digits, - and _, at most 255)", s, family)
	}
	n, err := parseRevisionNumber(num)
	if err != nil {
		return RevisionSpec{}, fmt.Errorf("revision %q: %w (want 42, family:42 or a task-definition ARN)", s, err)
	}
	return RevisionSpec{Family: family, Number: n}, nil
}

// parseRevisionNumber parses a revision number: decimal digits only, 1 to the
// int32 maximum.
func parseRevisionNumber(s string) (int32, error) {
	if s == "" {
		return 0, fmt.Errorf("revision number is missing")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("revision number %q is not a positive whole number", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("revision number %q is out of range", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("revision number must be 1 or more")
	}
	return int32(n), nil
}
