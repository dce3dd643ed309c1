// Package imageref parses container image references and matches them
// against image tags, as pure functions.
package imageref

import (
	"fmt"
	"regexp"
)

// tagRE is the OCI distribution tag grammar.
// See https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// ValidTag returns an error when tag is not a valid OCI image tag.
func ValidTag(tag string) error {
	if !tagRE.MatchString(tag) {
		return fmt.Errorf("image tag %q is not a valid tag: want [A-Za-z0-9_][A-Za-z0-9._-]{0,127}", tag)
	}
	return nil
}
