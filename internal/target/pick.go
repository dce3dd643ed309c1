package target

import (
	"cmp"
	"slices"
	"strings"

	"github.com/deplight/ecs-rollback/internal/revision"

	"github.com/deplight/ecs-rollback/internal/imageref"
)

// Matches reports whether the revision runs an image carrying tag: in any of
// its containers when container is empty, else only in the container of that
// name (false when the revision has no such container). Tags match as
// [imageref.Ref.MatchesTag] says: exactly, by a hex prefix of 7 or more, or by
// digest.
func Matches(rev revision.Revision, tag, container string) bool {
	for _, c := range rev.Containers {
		if container != "" && c.Name != container {
			continue
		}
		if imageref.Parse(c.Image).MatchesTag(tag) {
			return true
		}
	}
	return false
}

// Candidates returns the revisions to search for the target image tag: from
// arns, the ACTIVE task-definition ARNs of the service's family (as
// ListTaskDefinitions returns them for familyPrefix and status ACTIVE), those
// whose revision number is strictly below current, newest first, at most limit
// of them. It sorts by itself, whatever order arns come in, drops duplicates
// and entries that are not task-definition ARNs, and returns nil when limit is
// less than 1.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html
func Candidates(arns []string, current int32, limit int) []string {
	if limit < 1 {
		return nil
	}
	type entry struct {
		arn    string
		number int32
	}
	var below []entry
	seen := make(map[string]bool, len(arns))
	for _, arn := range arns {
		_, n, err := revision.ParseARN(arn)
		if err != nil || n >= current || seen[arn] {
			continue
		}
		seen[arn] = true
		below = append(below, entry{arn, n})
	}
	slices.SortFunc(below, func(a, b entry) int {
		if c := cmp.Compare(b.number, a.number); c != 0 {
			return c
		}
		return strings.Compare(a.arn, b.arn)
	})
	if len(below) > limit {
		below = below[:limit]
	}
	out := make([]string, 0, len(below))
	for _, e := range below {
		out = append(out, e.arn)
	}
	return out
}

// Fallback is the "previous" fallback, used when no revision carries the
// target image tag: the revision numbered current − 1 of the current
// revision's family, when it is among activeARNs. When current − 1 is INACTIVE
// (not in activeARNs) or does not exist, Fallback returns false: it does not
// skip further back, because a revision two or more steps back was never
// checked to be a good deployment.
func Fallback(current revision.Revision, activeARNs []string) (string, bool) {
	family, number := current.Family, current.Number
	if family == "" || number == 0 {
		f, n, err := revision.ParseARN(current.ARN)
		if err != nil {
			return "", false
		}
		family, number = f, n
	}
	if number <= 1 {
		return "", false
	}
	for _, arn := range activeARNs {
		f, n, err := revision.ParseARN(arn)
		if err == nil && f == family && n == number-1 {
			return arn, true
		}
	}
	return "", false
}

// Carries reports whether the revision's images carry tag as a deploy
// records it: Matches, or the image's tag is a hex prefix (of 7 or more) of
// tag, as when the image is tagged with a short commit SHA and the deploy
// recorded the full one.
func Carries(rev revision.Revision, tag, container string) bool {
	if Matches(rev, tag, container) {
		return true
	}
	for _, c := range rev.Containers {
		if container != "" && c.Name != container {
			continue
		}
		// The image's tag is the prefix that the recorded tag extends.
		if short := imageref.Parse(c.Image).Tag; short != "" && (imageref.Ref{Tag: tag}).MatchesTag(short) {
			return true
		}
	}
	return false
}
