package revision

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// SchemaVersion returns the value of the docker label label (for example
// schema-version) that records the database schema version a revision
// expects: from the container called container, or when container is empty
// from the first container that has the label. Surrounding white space is
// dropped; an empty value counts as no label.
func SchemaVersion(rev Revision, label, container string) (string, bool) {
	if label == "" {
		return "", false
	}
	for _, c := range rev.Containers {
		if container != "" && c.Name != container {
			continue
		}
		if v := strings.TrimSpace(c.Labels[label]); v != "" {
			return v, true
		}
		if container != "" {
			return "", false
		}
	}
	return "", false
}

// versionRE is a schema version: an optional v, dot-separated numbers, an
// optional semver pre-release (-rc.1) and build metadata (+build.5, ignored).
// See https://semver.org/#backusnaur-form-grammar-for-valid-semver-versions
var versionRE = regexp.MustCompile(`^[vV]?([0-9]+(?:\.[0-9]+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// version is a parsed schema version.
type version struct {
	core []string // decimal digit strings
	pre  []string // pre-release identifiers; empty for a release
	// plain is true for a single number with nothing around it but an
	// optional v: a counter (12) or a timestamp (20240101120000).
	plain bool
}

func parseVersion(s string) (version, error) {
	t := strings.TrimSpace(s)
	m := versionRE.FindStringSubmatch(t)
	if m == nil {
		return version{}, fmt.Errorf("schema version %q is not a number or a dotted version", s)
	}
	v := version{core: strings.Split(m[1], ".")}
	if m[2] != "" {
		v.pre = strings.Split(m[2], ".")
	}
	v.plain = len(v.core) == 1 && v.pre == nil && !strings.Contains(t, "+")
	return v, nil
}

// CompareSchema compares two schema versions and returns -1 when a is lower
// than b, 0 when they are equal and +1 when a is higher. It understands
//
//   - plain numbers, compared as numbers of any length: 12 < 13, and
//     timestamps such as 20240101120000;
//   - dotted versions, numerically per part, missing parts counting as 0,
//     with an optional leading v and semver pre-release and build parts:
//     1.9.3 < 1.10.0 = v1.10 and 2.0.0-rc.1 < 2.0.0.
//
// It returns an error when either side is neither, or when one side is a
// plain number and the other a dotted version, since such a change of format
// says nothing about order. Callers report that as a warning.
func CompareSchema(a, b string) (int, error) {
	va, errA := parseVersion(a)
	vb, errB := parseVersion(b)
	if errA != nil || errB != nil {
		return 0, fmt.Errorf("compare schema versions %q and %q: %w", a, b, cmp.Or(errA, errB))
	}
	if va.plain != vb.plain {
		return 0, fmt.Errorf("compare schema versions %q and %q: one is a plain number and the other a dotted version", a, b)
	}
	for i := 0; i < max(len(va.core), len(vb.core)); i++ {
		if c := compareDigits(part(va.core, i), part(vb.core, i)); c != 0 {
			return c, nil
		}
	}
	return comparePre(va.pre, vb.pre), nil
}

// part returns the i-th part of a version core, "0" when it has fewer parts.
func part(core []string, i int) string {
	if i < len(core) {
		return core[i]
	}
	return "0"
}

// compareDigits compares two decimal digit strings as numbers of any length.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// comparePre compares semver pre-release identifiers: a release (no
// identifiers) is higher than any pre-release; identifiers compare one by one,
// numbers numerically and below words, words in ASCII order; a shorter list
// that is a prefix of a longer one is lower.
// See https://semver.org/#spec-item-11
func comparePre(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	for i := 0; i < min(len(a), len(b)); i++ {
		na, nb := isDigits(a[i]), isDigits(b[i])
		var c int
		switch {
		case na && nb:
			c = compareDigits(a[i], b[i])
		case na:
			c = -1
		case nb:
			c = 1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
