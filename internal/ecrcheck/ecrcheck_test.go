package ecrcheck_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/ecrcheck"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
)

const (
	host   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	euHost = "210987654321.dkr.ecr.eu-west-1.amazonaws.com"
	public = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
)

// newSim starts an ECR simulator holding web:c2c2c2c, web:d3d3d3d and
// worker:c2c2c2c in us-east-1, and api:v1 in another account in eu-west-1.
func newSim(t *testing.T) *ecrsim.Server {
	t.Helper()
	s := ecrsim.New()
	t.Cleanup(s.Close)
	for _, ref := range []string{host + "/web:c2c2c2c", host + "/web:d3d3d3d", host + "/worker:c2c2c2c", euHost + "/api:v1"} {
		_, err := s.PutImageRef(ref)
		require.NoError(t, err)
	}
	return s
}

func TestLook(t *testing.T) {
	t.Parallel()
	digest := func(s *ecrsim.Server, ref string) string {
		d, err := s.PutImageRef(ref)
		require.NoError(t, err)
		return d
	}
	tests := []struct {
		name    string
		images  func(s *ecrsim.Server) []string
		prepare func(s *ecrsim.Server)
		want    func(images []string) ecrcheck.Findings
		calls   int
	}{
		{
			name: "present, one call per repository, non-ECR skipped",
			images: func(*ecrsim.Server) []string {
				return []string{host + "/web:c2c2c2c", host + "/web:d3d3d3d", public, host + "/worker:c2c2c2c"}
			},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Present: []string{im[0], im[1], im[3]}, NotECR: []string{public}}
			},
			calls: 2,
		},
		{
			name: "by digest, and the same image twice asked once",
			images: func(s *ecrsim.Server) []string {
				d := digest(s, host+"/web:c2c2c2c")
				return []string{host + "/web@" + d, host + "/web@" + d}
			},
			want:  func(im []string) ecrcheck.Findings { return ecrcheck.Findings{Present: []string{im[0]}} },
			calls: 1,
		},
		{
			name:    "one of two missing: asked again one by one",
			images:  func(*ecrsim.Server) []string { return []string{host + "/web:c2c2c2c", host + "/web:0ld0ld0"} },
			prepare: func(*ecrsim.Server) {},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Present: []string{im[0]}, Missing: []ecrcheck.Missing{{Image: im[1], Registry: "123456789012", Repository: "web"}}}
			},
			calls: 3,
		},
		{
			name:    "expired by a lifecycle policy",
			images:  func(*ecrsim.Server) []string { return []string{host + "/web:c2c2c2c"} },
			prepare: func(s *ecrsim.Server) { s.DeleteImageRef(host + "/web:c2c2c2c") },
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Missing: []ecrcheck.Missing{{Image: im[0], Registry: "123456789012", Repository: "web"}}}
			},
			calls: 1,
		},
		{
			name:   "repository gone",
			images: func(*ecrsim.Server) []string { return []string{host + "/gone:c2c2c2c"} },
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Missing: []ecrcheck.Missing{{Image: im[0], Registry: "123456789012", Repository: "gone", NoRepository: true}}}
			},
			calls: 1,
		},
		{
			name:    "access denied",
			images:  func(*ecrsim.Server) []string { return []string{host + "/web:c2c2c2c", host + "/worker:c2c2c2c"} },
			prepare: func(s *ecrsim.Server) { s.DenyAccess("worker") },
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Present: []string{im[0]}, Denied: []string{im[1]}}
			},
			calls: 2,
		},
		{
			name:   "other registry and region",
			images: func(*ecrsim.Server) []string { return []string{euHost + "/api:v1"} },
			want:   func(im []string) ecrcheck.Findings { return ecrcheck.Findings{Present: []string{im[0]}} },
			calls:  1,
		},
		{
			name:   "dual-stack host",
			images: func(*ecrsim.Server) []string { return []string{"123456789012.dkr-ecr.us-east-1.on.aws/web:c2c2c2c"} },
			want:   func(im []string) ecrcheck.Findings { return ecrcheck.Findings{Present: []string{im[0]}} },
			calls:  1,
		},
		{
			name: "pull-through cache: repository not created yet",
			images: func(*ecrsim.Server) []string {
				return []string{host + "/docker-hub/library/nginx:1.27", host + "/web:c2c2c2c"}
			},
			prepare: func(s *ecrsim.Server) { s.PutPullThroughCacheRule("", "docker-hub", "registry-1.docker.io") },
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Present: []string{im[1]}, Uncached: []ecrcheck.Uncached{{
					Image: im[0], Registry: "123456789012", Repository: "docker-hub/library/nginx", Prefix: "docker-hub", Upstream: "registry-1.docker.io",
				}}}
			},
			calls: 2,
		},
		{
			name:   "pull-through cache: the longest prefix serves",
			images: func(*ecrsim.Server) []string { return []string{host + "/cache/quay/org/app:v2"} },
			prepare: func(s *ecrsim.Server) {
				s.PutPullThroughCacheRule("", "cache", "registry-1.docker.io")
				s.PutPullThroughCacheRule("", "cache/quay", "quay.io")
			},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Uncached: []ecrcheck.Uncached{{
					Image: im[0], Registry: "123456789012", Repository: "cache/quay/org/app", Prefix: "cache/quay", Upstream: "quay.io",
				}}}
			},
			calls: 1,
		},
		{
			name:   "pull-through cache: a ROOT rule serves every repository",
			images: func(*ecrsim.Server) []string { return []string{host + "/web:0ld0ld0"} },
			prepare: func(s *ecrsim.Server) {
				s.PutPullThroughCacheRule("", "ROOT", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
			},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Uncached: []ecrcheck.Uncached{{
					Image: im[0], Registry: "123456789012", Repository: "web", Prefix: "ROOT", Upstream: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
				}}}
			},
			calls: 1,
		},
		{
			name:   "pull-through cache: another prefix's rule does not serve the repository",
			images: func(*ecrsim.Server) []string { return []string{host + "/web:0ld0ld0", host + "/docker-hubby/x:1"} },
			prepare: func(s *ecrsim.Server) {
				s.PutPullThroughCacheRule("", "docker-hub", "registry-1.docker.io")
				s.PutPullThroughCacheRule("210987654321", "ROOT", "quay.io") // another registry's
			},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{Missing: []ecrcheck.Missing{
					{Image: im[0], Registry: "123456789012", Repository: "web"},
					{Image: im[1], Registry: "123456789012", Repository: "docker-hubby/x", NoRepository: true},
				}}
			},
			calls: 2,
		},
		{
			name:   "pull-through cache rules denied",
			images: func(*ecrsim.Server) []string { return []string{host + "/docker-hub/library/nginx:1.27"} },
			prepare: func(s *ecrsim.Server) {
				s.PutPullThroughCacheRule("", "docker-hub", "registry-1.docker.io")
				s.DenyOperation("DescribePullThroughCacheRules")
			},
			want: func(im []string) ecrcheck.Findings {
				return ecrcheck.Findings{
					Missing:           []ecrcheck.Missing{{Image: im[0], Registry: "123456789012", Repository: "docker-hub/library/nginx", NoRepository: true}},
					CacheRulesUnknown: "access denied; grant ecr:DescribePullThroughCacheRules to tell images a pull-through cache would fetch",
				}
			},
			calls: 1,
		},
		{
			name:   "nothing in ECR",
			images: func(*ecrsim.Server) []string { return []string{public, "nginx:1.27"} },
			want:   func(im []string) ecrcheck.Findings { return ecrcheck.Findings{NotECR: im} },
			calls:  0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t)
			images := tt.images(s)
			if tt.prepare != nil {
				tt.prepare(s)
			}
			got := ecrcheck.Look(t.Context(), s.Client(), images)
			want := tt.want(images)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Look mismatch (-want +got):\n%s", diff)
			}
			assert.Equal(t, tt.calls, s.CallCount("DescribeImages"))
			rules := 0
			if len(want.Missing)+len(want.Uncached) > 0 {
				rules = 1 // once for the registry, only when something is missing
			}
			assert.Equal(t, rules, s.CallCount("DescribePullThroughCacheRules"))
		})
	}
}

// An archived image is described, not gone: the check names it archived
// and says how to restore it; one being restored warns.
func TestLookArchived(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC)
	s := ecrsim.New(ecrsim.WithClock(func() time.Time { return at }))
	t.Cleanup(s.Close)
	old, cur := host+"/web:0ld0ld0", host+"/web:c2c2c2c"
	digest, err := s.PutImageRef(old)
	require.NoError(t, err)
	_, err = s.PutImageRef(cur)
	require.NoError(t, err)
	require.True(t, s.SetImageStatus(old, ecrsim.StatusArchived))

	got := ecrcheck.Look(t.Context(), s.Client(), []string{old, cur})
	want := ecrcheck.Findings{
		Present:  []string{cur},
		Archived: []ecrcheck.Archived{{Image: old, Registry: "123456789012", Region: "us-east-1", Repository: "web", Digest: digest, ArchivedAt: at}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Look mismatch (-want +got):\n%s", diff)
	}
	assert.Zero(t, s.CallCount("DescribePullThroughCacheRules"), "nothing is missing")
	var body map[string]any
	require.NoError(t, json.Unmarshal(s.Calls()[0].Body, &body))
	assert.Equal(t, map[string]any{"imageStatus": "ANY"}, body["filter"], "archived images are asked for")

	c := got.Check()
	assert.Equal(t, safety.Fail, c.Status)
	for _, d := range []string{
		"archived in ECR", old, "archived on 2026-09-01 in repository web of registry 123456789012",
		"aws ecr update-image-storage-class --region us-east-1 --registry-id 123456789012 --repository-name web --image-id imageDigest=" + digest + " --target-storage-class STANDARD",
		"wait until its status is ACTIVE", "found: " + cur,
	} {
		assert.Contains(t, c.Detail, d)
	}
	assert.NotContains(t, c.Detail, "lifecycle policy may have expired")

	require.True(t, s.SetImageStatus(old, ecrsim.StatusActivating))
	got = ecrcheck.Look(t.Context(), s.Client(), []string{old})
	require.Len(t, got.Activating, 1)
	assert.Empty(t, got.Archived)
	c = got.Check()
	assert.Equal(t, safety.Warn, c.Status)
	assert.Contains(t, c.Detail, old+" is being restored from the ECR archive (ACTIVATING)")
}

func TestLookSignsForTheImageRegion(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	ecrcheck.Look(t.Context(), s.Client(), []string{euHost + "/api:v1"})
	calls := s.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "eu-west-1", calls[0].Region)
	var body map[string]any
	require.NoError(t, json.Unmarshal(calls[0].Body, &body))
	assert.Equal(t, "210987654321", body["registryId"])
	assert.Equal(t, "api", body["repositoryName"])
}

// Should ECR refuse the status filter beside imageIds, the image is asked
// for again without it.
func TestLookFilterRefused(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	s.FailNext("DescribeImages", 1, ecrsim.ErrInvalidParameter)
	got := ecrcheck.Look(t.Context(), s.Client(), []string{host + "/web:c2c2c2c"})
	assert.Equal(t, ecrcheck.Findings{Present: []string{host + "/web:c2c2c2c"}}, got)
	calls := s.Calls()
	require.Len(t, calls, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal(calls[0].Body, &first))
	require.NoError(t, json.Unmarshal(calls[1].Body, &second))
	assert.Contains(t, first, "filter")
	assert.NotContains(t, second, "filter")
}

func TestLookServerError(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	s.FailNext("DescribeImages", 10, ecrsim.ErrServer)
	got := ecrcheck.Look(t.Context(), s.Client(), []string{host + "/web:c2c2c2c"})
	require.Len(t, got.Failed, 1)
	assert.Contains(t, got.Failed[0].Err, "ServerException")
	assert.Equal(t, safety.Warn, got.Check().Status)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	web := host + "/web:c2c2c2c"
	tests := []struct {
		name   string
		f      ecrcheck.Findings
		status safety.Status
		detail []string
	}{
		{name: "present", f: ecrcheck.Findings{Present: []string{web}, NotECR: []string{public}}, status: safety.Pass, detail: []string{"found in ECR: " + web, "not in ECR, not checked: " + public}},
		{name: "missing", f: ecrcheck.Findings{Present: []string{host + "/x:1"}, Missing: []ecrcheck.Missing{{Image: web, Registry: "123456789012", Repository: "web"}}}, status: safety.Fail, detail: []string{web, "lifecycle policy may have expired it", "not in repository web"}},
		{name: "repository gone", f: ecrcheck.Findings{Missing: []ecrcheck.Missing{{Image: web, Registry: "123456789012", Repository: "web", NoRepository: true}}}, status: safety.Fail, detail: []string{"repository web no longer exists"}},
		{name: "missing wins over denied", f: ecrcheck.Findings{Denied: []string{host + "/x:1"}, Missing: []ecrcheck.Missing{{Image: web}}}, status: safety.Fail},
		{name: "denied", f: ecrcheck.Findings{Denied: []string{web}}, status: safety.Warn, detail: []string{"could not check: access denied; grant ecr:DescribeImages", web}},
		{name: "failed", f: ecrcheck.Findings{Failed: []ecrcheck.Failed{{Image: web, Err: "boom"}, {Image: "b"}}}, status: safety.Warn, detail: []string{"could not check " + web + ": boom (and 1 more)"}},
		{name: "archived and missing", f: ecrcheck.Findings{
			Missing:  []ecrcheck.Missing{{Image: host + "/x:1", Registry: "123456789012", Repository: "x"}},
			Archived: []ecrcheck.Archived{{Image: web, Registry: "123456789012", Repository: "web", Digest: "sha256:ab"}, {Image: host + "/web:2", Digest: "sha256:cd"}},
		}, status: safety.Fail, detail: []string{"gone from ECR or archived", "not in repository x", web + " (archived in repository web", "restore each to the standard storage class (for the first:", "imageDigest=sha256:ab"}},
		{name: "missing, rules unknown", f: ecrcheck.Findings{Missing: []ecrcheck.Missing{{Image: web}}, CacheRulesUnknown: "boom"}, status: safety.Fail, detail: []string{"(pull-through cache rules not checked: boom)"}},
		{name: "uncached warns", f: ecrcheck.Findings{Present: []string{host + "/x:1"}, Uncached: []ecrcheck.Uncached{{Image: web, Registry: "123456789012", Repository: "docker-hub/web", Prefix: "docker-hub", Upstream: "registry-1.docker.io"}}}, status: safety.Warn, detail: []string{web + " is not cached yet in repository docker-hub/web", "pull-through cache rule docker-hub serves from registry-1.docker.io", "found: " + host + "/x:1"}},
		{name: "denied and uncached", f: ecrcheck.Findings{Denied: []string{host + "/x:1"}, Uncached: []ecrcheck.Uncached{{Image: web}}}, status: safety.Warn, detail: []string{"could not check: access denied", "is not cached yet"}},
		{name: "not in ECR", f: ecrcheck.Findings{NotECR: []string{public}}, status: safety.Skip, detail: []string{"nothing to check", public}},
		{name: "no images", status: safety.Skip, detail: []string{"nothing to check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.f.Check()
			assert.Equal(t, safety.NameImagesInECR, c.Name)
			assert.Equal(t, tt.status, c.Status, c.Detail)
			for _, d := range tt.detail {
				assert.Contains(t, c.Detail, d)
			}
		})
	}
}
