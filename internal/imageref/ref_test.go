package imageref

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digest = "sha256:" + hex64
	ecr    = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image string
		want  Ref
	}{
		{"nginx", Ref{Repository: "nginx"}},
		{"nginx:1.25", Ref{Repository: "nginx", Tag: "1.25"}},
		{"library/nginx:1.25", Ref{Repository: "library/nginx", Tag: "1.25"}},
		{"repo:tag@" + digest, Ref{Repository: "repo", Tag: "tag", Digest: digest}},
		{"repo@" + digest, Ref{Repository: "repo", Digest: digest}},
		{"localhost:5000/app:abc", Ref{Registry: "localhost:5000", Repository: "app", Tag: "abc"}},
		{"localhost:5000/app", Ref{Registry: "localhost:5000", Repository: "app"}},
		{"localhost/app", Ref{Registry: "localhost", Repository: "app"}},
		// Without a slash, localhost:5000 is the repository localhost, tag 5000 (as in Docker).
		{"localhost:5000", Ref{Repository: "localhost", Tag: "5000"}},
		{ecr + "/app:abc1234", Ref{Registry: ecr, Repository: "app", Tag: "abc1234"}},
		{ecr + "/team/app:abc1234@" + digest, Ref{Registry: ecr, Repository: "team/app", Tag: "abc1234", Digest: digest}},
		{"ghcr.io/octo-org/app:v1.2.3", Ref{Registry: "ghcr.io", Repository: "octo-org/app", Tag: "v1.2.3"}},
		{"registry.example.com:8443/a/b/c:x", Ref{Registry: "registry.example.com:8443", Repository: "a/b/c", Tag: "x"}},
		{"public.ecr.aws/nginx/nginx:stable", Ref{Registry: "public.ecr.aws", Repository: "nginx/nginx", Tag: "stable"}},
		{"", Ref{}},
		{"app:", Ref{Repository: "app:"}},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Parse(tt.image)); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.image, diff)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for _, image := range []string{
		"nginx", "nginx:1.25", "repo:tag@" + digest, "repo@" + digest,
		"localhost:5000/app:abc", ecr + "/team/app:abc1234",
	} {
		if got := Parse(image).String(); got != image {
			t.Errorf("Parse(%q).String() = %q, want the input back", image, got)
		}
	}
}

func TestMatchesTag(t *testing.T) {
	t.Parallel()
	const sha = "3484a3fb816e0859fd6e1cea078d76385ff50625"
	tests := []struct {
		name  string
		image string
		want  string
		match bool
	}{
		{"exact", "app:v1.2.3", "v1.2.3", true},
		{"exact is case-sensitive", "app:Release", "release", false},
		{"other tag", "app:v1.2.3", "v1.2.4", false},
		{"short sha matches full sha", ecr + "/app:" + sha, sha[:7], true},
		{"short sha any case", "app:" + strings.ToUpper(sha), sha[:10], true},
		{"full sha matches itself", "app:" + sha, sha, true},
		{"six hex chars are too short for a prefix", "app:" + sha, sha[:6], false},
		{"full sha does not match short tag", "app:" + sha[:7], sha, false},
		{"prefix needs a hex tag", "app:3484a3fb-main", "3484a3fb", false},
		{"prefix needs a hex want", "app:deadbeefcafe", "deadbeefz", false},
		{"non-hex prefix of a tag", "app:release-2024-01", "release", false},
		{"tag with digest matches on tag", "app:abc1234@" + digest, "abc1234", true},
		{"tag with digest matches on digest", "app:abc1234@" + digest, digest, true},
		{"digest only matches digest", "app@" + digest, digest, true},
		{"digest hex in upper case", "app@" + digest, "sha256:" + strings.ToUpper(hex64), true},
		{"digest only does not match a tag", "app@" + digest, hex64[:7], false},
		{"other digest", "app@" + digest, "sha256:" + strings.Repeat("f", 64), false},
		{"digest want on tag-only ref", "app:abc1234", digest, false},
		{"no tag", "app", "latest", false},
		{"empty want", "app:abc", "", false},
		{"empty want on untagged ref", "app", "", false},
		{"port is not a tag", "localhost:5000/app", "5000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Parse(tt.image).MatchesTag(tt.want); got != tt.match {
				t.Errorf("Parse(%q).MatchesTag(%q) = %v, want %v", tt.image, tt.want, got, tt.match)
			}
		})
	}
}

func TestECR(t *testing.T) {
	t.Parallel()
	type result struct {
		RegistryID, Region, Repository string
		OK                             bool
	}
	tests := []struct {
		image string
		want  result
	}{
		{ecr + "/app:abc1234", result{"123456789012", "eu-west-1", "app", true}},
		{ecr + "/team/app@" + digest, result{"123456789012", "eu-west-1", "team/app", true}},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1", result{"123456789012", "cn-north-1", "app", true}},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1", result{"123456789012", "us-gov-west-1", "app", true}},
		{"123456789012.DKR.ECR.eu-west-1.amazonaws.com/app:1", result{"123456789012", "eu-west-1", "app", true}},
		{"public.ecr.aws/nginx/nginx:stable", result{}},
		{"nginx:1.25", result{}},
		{"localhost:5000/app:abc", result{}},
		{"12345.dkr.ecr.eu-west-1.amazonaws.com/app:1", result{}},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/app:1", result{}},
		{ecr + "/", result{}},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			t.Parallel()
			var got result
			got.RegistryID, got.Region, got.Repository, got.OK = Parse(tt.image).ECR()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ECR() of %q mismatch (-want +got):\n%s", tt.image, diff)
			}
		})
	}
}

func TestDisplay(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"app:abc1234":             "abc1234",
		"app:abc1234@" + digest:   "abc1234",
		"app@" + digest:           "sha256:0123456789ab",
		"app@sha256:abc":          "sha256:abc",
		"app":                     "",
		"localhost:5000/app:v1.0": "v1.0",
	}
	for image, want := range tests {
		if got := Parse(image).Display(); got != want {
			t.Errorf("Parse(%q).Display() = %q, want %q", image, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.25", "repo:tag@" + digest, "repo@" + digest, "localhost:5000/app:abc",
		ecr + "/app:abc1234", "a@b@c", "a:b:c", "/a", "a.b/", ":", "@", "",
	} {
		f.Add(s, "abc1234")
	}
	f.Fuzz(func(t *testing.T, image, tag string) {
		r := Parse(image)
		_ = r.Display()
		_, _, _, _ = r.ECR()
		if again := Parse(r.String()); again != r {
			t.Fatalf("Parse(Parse(%q).String()) = %#v, want %#v", image, again, r)
		}
		// A plain repository reference (one that round-trips and has
		// neither tag nor digest) keeps its registry and repository when a
		// valid tag is appended, and gains exactly that tag.
		if r.Tag != "" || r.Digest != "" || r.String() != image || ValidTag(tag) != nil {
			return
		}
		want := Ref{Registry: r.Registry, Repository: r.Repository, Tag: tag}
		got := Parse(image + ":" + tag)
		if got != want {
			t.Fatalf("Parse(%q) = %#v, want %#v", image+":"+tag, got, want)
		}
		if got.String() != image+":"+tag {
			t.Fatalf("Parse(%q).String() = %q, want the input back", image+":"+tag, got.String())
		}
		if !got.MatchesTag(tag) {
			t.Fatalf("Parse(%q).MatchesTag(%q) = false, want true", image+":"+tag, tag)
		}
	})
}

func FuzzMatchesTag(f *testing.F) {
	f.Add("app:3484a3fb816e0859fd6e1cea078d76385ff50625", "3484a3f")
	f.Add("app@"+digest, digest)
	f.Add("app:abc@"+digest, "abc")
	f.Add("app", "")
	f.Fuzz(func(t *testing.T, image, want string) {
		r := Parse(image)
		got := r.MatchesTag(want)
		if want == "" && got {
			t.Fatalf("Parse(%q).MatchesTag(\"\") = true, want false", image)
		}
		if got && r.Tag == "" && r.Digest == "" {
			t.Fatalf("Parse(%q) has no tag and no digest but matches %q", image, want)
		}
		if r.Tag != "" && !r.MatchesTag(r.Tag) {
			t.Fatalf("Parse(%q) does not match its own tag %q", image, r.Tag)
		}
	})
}
