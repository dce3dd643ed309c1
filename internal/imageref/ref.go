package imageref

import (
	"regexp"
	"strings"
)

// Ref is a container image reference split into its parts, as written in the
// image field of an ECS container definition.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
// and https://github.com/distribution/reference/blob/main/reference.go
type Ref struct {
	// Registry is the host (and port) of the registry, e.g.
	// 123456789012.dkr.ecr.eu-west-1.amazonaws.com or localhost:5000.
	// It is empty for Docker Hub references such as nginx or library/nginx.
	Registry string
	// Repository is the path inside the registry, as written: nginx stays
	// nginx (no implicit library/ prefix).
	Repository string
	// Tag is the tag after the last colon of the name, e.g. 1.25; empty when
	// the reference has none (no implicit "latest").
	Tag string
	// Digest is the content digest after "@", e.g. sha256:<64 hex>; empty
	// when the reference has none.
	Digest string
}

// Parse splits an image reference into registry, repository, tag and digest.
// It never fails: it is used on images read back from ECS, which ECS has
// already accepted, so it splits what it is given without judging it.
//
// The first path component is the registry when it contains a "." or a ":"
// or is "localhost" (the Docker convention), so the colon of
// localhost:5000/app:abc is a port, not a tag. A tag is the non-empty part
// after the last colon that follows the last slash; a trailing colon stays in
// the repository, so that String gives back what was parsed.
func Parse(image string) Ref {
	var r Ref
	name, digest, found := strings.Cut(image, "@")
	if found {
		r.Digest = digest
	}
	if first, rest, ok := strings.Cut(name, "/"); ok && isRegistry(first) {
		r.Registry = first
		name = rest
	}
	lastSlash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > lastSlash && i < len(name)-1 {
		r.Tag = name[i+1:]
		name = name[:i]
	}
	r.Repository = name
	return r
}

// isRegistry reports whether the first path component of a reference names a
// registry host rather than a Docker Hub namespace.
func isRegistry(component string) bool {
	return strings.ContainsAny(component, ".:") || component == "localhost"
}

// String puts the reference back together:
// [registry/]repository[:tag][@digest].
func (r Ref) String() string {
	var b strings.Builder
	if r.Registry != "" {
		b.WriteString(r.Registry)
		b.WriteByte('/')
	}
	b.WriteString(r.Repository)
	if r.Tag != "" {
		b.WriteByte(':')
		b.WriteString(r.Tag)
	}
	if r.Digest != "" {
		b.WriteByte('@')
		b.WriteString(r.Digest)
	}
	return b.String()
}

// MinHexPrefix is the shortest hex tag that also matches a longer hex tag
// beginning with it (a short commit SHA matching a full one).
const MinHexPrefix = 7

// MatchesTag reports whether the reference carries the wanted tag. It matches
// when:
//
//   - want equals the tag exactly (tags are case-sensitive);
//   - want is at least [MinHexPrefix] hex characters, the tag is longer and all
//     hex, and the tag begins with want, ignoring case (abc1234 matches
//     abc1234def…, the short and the full commit SHA);
//   - want is a digest (sha256:…) equal to the reference's digest.
//
// A reference with both a tag and a digest (repo:tag@sha256:…) matches on its
// tag and on its digest; one with only a digest matches only a digest. An
// empty want matches nothing.
func (r Ref) MatchesTag(want string) bool {
	if want == "" {
		return false
	}
	if isDigest(want) {
		return r.Digest != "" && strings.EqualFold(r.Digest, want)
	}
	if r.Tag == "" {
		return false
	}
	if r.Tag == want {
		return true
	}
	return len(want) >= MinHexPrefix && len(r.Tag) > len(want) &&
		isHex(want) && isHex(r.Tag) &&
		strings.EqualFold(r.Tag[:len(want)], want)
}

// digestRE is the OCI digest grammar: algorithm ":" encoded.
// See https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
var digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)

// isDigest reports whether s looks like a content digest (sha256:…). Tags
// cannot contain a colon, so there is no overlap with tags.
func isDigest(s string) bool {
	return digestRE.MatchString(s)
}

// isHex reports whether s is non-empty and only hex digits (either case).
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// ecrRegistryRE matches an Amazon ECR private registry host:
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn].
// See https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
var ecrRegistryRE = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ECR returns the registry ID (the AWS account), region and repository of an
// image stored in Amazon ECR, for BatchGetImage / DescribeImages. ok is false
// for any other registry, including ECR Public (public.ecr.aws).
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
func (r Ref) ECR() (registryID, region, repository string, ok bool) {
	m := ecrRegistryRE.FindStringSubmatch(strings.ToLower(r.Registry))
	if m == nil || r.Repository == "" {
		return "", "", "", false
	}
	return m[1], m[2], r.Repository, true
}

// shortDigestLen is how many hex characters of a digest Display shows.
const shortDigestLen = 12

// Display returns a short label for the image's version: the tag, else the
// digest shortened to its algorithm and first 12 characters
// (sha256:0123456789ab), else "" (no tag and no digest).
func (r Ref) Display() string {
	if r.Tag != "" {
		return r.Tag
	}
	if r.Digest == "" {
		return ""
	}
	algo, enc, ok := strings.Cut(r.Digest, ":")
	if !ok || len(enc) <= shortDigestLen {
		return r.Digest
	}
	return algo + ":" + enc[:shortDigestLen]
}
