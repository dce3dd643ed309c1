// Package ecrsim is an Amazon ECR simulator that speaks the AWS JSON 1.1
// protocol over loopback HTTP, for tests and the demo. It answers
// DescribeImages and DescribePullThroughCacheRules, the ECR operations the
// action uses, from repositories of images a test puts in (active, archived
// or being restored) and pull-through cache rules it adds, and can deny
// access the way IAM does.
//
// Point a real aws-sdk-go-v2 ECR client at URL (BaseEndpoint, or
// AWS_ENDPOINT_URL_ECR for a subprocess). One simulator serves every region
// and registry: the region a request was signed for is kept in the call log.
//
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html,
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribePullThroughCacheRules.html
// and https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
package ecrsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// AccountID is the registry of a repository put without one.
const AccountID = "123456789012"

// targetPrefix is the service part of the X-Amz-Target header.
const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// Error names, as ECR (and IAM, for AccessDeniedException) spell them in
// "__type".
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html#API_DescribeImages_Errors
const (
	ErrAccessDenied       = "AccessDeniedException"
	ErrImageNotFound      = "ImageNotFoundException"
	ErrInvalidParameter   = "InvalidParameterException"
	ErrRepositoryNotFound = "RepositoryNotFoundException"
	ErrRuleNotFound       = "PullThroughCacheRuleNotFoundException"
	ErrServer             = "ServerException"
	ErrThrottling         = "ThrottlingException"
	ErrUnknownOperation   = "UnknownOperationException"
	ErrSerialization      = "SerializationException"
)

// describeImagesMaxIDs is how many imageIds one DescribeImages call takes.
const describeImagesMaxIDs = 100

// Image statuses, as ECR spells imageStatus. An ARCHIVED image is in the
// archival storage class: described, listed, but not pulled; ACTIVATING is
// one being restored to the standard class.
// See https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html
const (
	StatusActive     = "ACTIVE"
	StatusArchived   = "ARCHIVED"
	StatusActivating = "ACTIVATING"
)

// statusAny is the imageStatus filter that matches every status.
const statusAny = "ANY"

// Server is a running ECR simulator. Its methods are safe for concurrent use.
type Server struct {
	api *awsjson.Server
	now func() time.Time

	mu       sync.Mutex
	repos    map[repoKey]*repository
	denied   map[string]bool // repository name or "*" → AccessDenied
	deniedOp map[string]bool // operation → AccessDenied
	rules    []cacheRule
}

// cacheRule is a pull-through cache rule of a registry.
type cacheRule struct {
	registry, prefix, upstream string
	createdAt                  time.Time
}

type repoKey struct{ registry, name string }

type repository struct {
	images []*image
}

type image struct {
	digest     string
	tags       []string
	pushedAt   time.Time
	size       int64
	status     string // "" is ACTIVE
	archivedAt time.Time
}

// Call is one request the simulator received: its operation, e.g.
// "DescribeImages", the region the request was signed for, its body, and
// the error type answered ("" for success).
type Call = awsjson.Call

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now, which stamps imagePushedAt.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New starts a simulator on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		repos:    map[repoKey]*repository{},
		denied:   map[string]bool{},
		deniedOp: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.api = awsjson.New(awsjson.Service{
		Name:         "ECR",
		TargetPrefix: targetPrefix,
		Ops: map[string]awsjson.Op{
			"DescribeImages":                s.describeImages,
			"DescribePullThroughCacheRules": s.describePullThroughCacheRules,
		},
		Status:      map[string]int{ErrServer: http.StatusInternalServerError},
		ServerError: ErrServer,
		Now:         s.now,
	})
	return s
}

// URL is the simulator's endpoint; use it as the ECR client's BaseEndpoint or
// as AWS_ENDPOINT_URL_ECR.
func (s *Server) URL() string { return s.api.URL() }

// Close stops the simulator.
func (s *Server) Close() { s.api.Close() }

// ecrHostRE is an ECR private registry host, IPv4-only
// (<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]) or dual-stack
// (<account>.dkr-ecr[-fips].<region>.on.aws).
// See https://docs.aws.amazon.com/general/latest/gr/ecr.html
var ecrHostRE = regexp.MustCompile(`^([0-9]{12})\.(?:dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.[a-z0-9-]+\.on\.aws)$`)

// PutImageRef stores the image an ECS container definition names, such as
// 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234 or …/web@sha256:…,
// creating its repository when missing, and returns its digest. A tag already
// on another image of the repository moves to this one, as a push does. A
// reference without a registry host goes to AccountID's registry.
func (s *Server) PutImageRef(ref string) (string, error) {
	registry, repo, tag, digest, err := splitRef(ref)
	if err != nil {
		return "", err
	}
	if digest == "" {
		sum := sha256.Sum256([]byte(registry + "/" + repo + ":" + tag))
		digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(registry, repo, true)
	for _, img := range r.images {
		img.tags = slices.DeleteFunc(img.tags, func(t string) bool { return t == tag })
	}
	for _, img := range r.images {
		if img.digest == digest {
			if tag != "" {
				img.tags = append(img.tags, tag)
			}
			return digest, nil
		}
	}
	img := &image{digest: digest, pushedAt: s.now(), size: 50_000_000}
	if tag != "" {
		img.tags = []string{tag}
	}
	r.images = append(r.images, img)
	return digest, nil
}

// DeleteImageRef removes the image a reference names (by tag or digest), as a
// lifecycle policy expiring it would. It reports whether there was one.
func (s *Server) DeleteImageRef(ref string) bool {
	registry, repo, tag, digest, err := splitRef(ref)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(registry, repo, false)
	if r == nil {
		return false
	}
	n := len(r.images)
	r.images = slices.DeleteFunc(r.images, func(img *image) bool {
		return (digest != "" && img.digest == digest) || (digest == "" && slices.Contains(img.tags, tag))
	})
	return len(r.images) < n
}

// SetImageStatus sets the imageStatus of the image a reference names (by
// tag or digest): StatusArchived as a lifecycle rule archiving it would,
// StatusActivating while it is restored, StatusActive once restored. It
// reports whether there was such an image.
func (s *Server) SetImageStatus(ref, status string) bool {
	registry, repo, tag, digest, err := splitRef(ref)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(registry, repo, false)
	if r == nil {
		return false
	}
	for _, img := range r.images {
		if (digest != "" && img.digest == digest) || (digest == "" && slices.Contains(img.tags, tag)) {
			img.status = status
			if status == StatusArchived {
				img.archivedAt = s.now()
			}
			return true
		}
	}
	return false
}

// PutPullThroughCacheRule adds a pull-through cache rule to a registry (""
// is AccountID's): repositories named prefix/… (any repository, for the
// prefix ROOT) cache images of upstreamURL, pulled through on first pull.
// See https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
func (s *Server) PutPullThroughCacheRule(registryID, prefix, upstreamURL string) {
	if registryID == "" {
		registryID = AccountID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, cacheRule{registry: registryID, prefix: prefix, upstream: upstreamURL, createdAt: s.now()})
}

// DenyOperation makes every request of op fail with AccessDeniedException,
// as when the caller's IAM policy lacks ecr:<op>.
func (s *Server) DenyOperation(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deniedOp[op] = true
}

// DeleteRepository removes a repository and its images.
func (s *Server) DeleteRepository(registryID, name string) {
	if registryID == "" {
		registryID = AccountID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.repos, repoKey{registryID, name})
}

// DenyAccess makes every request on the repository name ("*": any) fail with
// AccessDeniedException, as when the caller's IAM policy lacks
// ecr:DescribeImages.
func (s *Server) DenyAccess(repository string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[repository] = true
}

// FailNext makes the next n calls of op ("*": any) fail with errType, e.g.
// ThrottlingException or ServerException.
func (s *Server) FailNext(op string, n int, errType string) { s.api.FailNext(op, n, errType) }

// Calls returns every request received so far, oldest first.
func (s *Server) Calls() []Call { return s.api.Calls() }

// CallCount returns how many requests of op were received.
func (s *Server) CallCount(op string) int { return s.api.CallCount(op) }

// repo finds (or, with create, makes) a repository; callers hold s.mu.
func (s *Server) repo(registry, name string, create bool) *repository {
	k := repoKey{registry, name}
	r := s.repos[k]
	if r == nil && create {
		r = &repository{}
		s.repos[k] = r
	}
	return r
}

// splitRef splits an image reference into registry ID, repository, tag and
// digest.
func splitRef(ref string) (registry, repo, tag, digest string, err error) {
	name, digest, _ := strings.Cut(ref, "@")
	registry = AccountID
	if host, rest, ok := strings.Cut(name, "/"); ok && strings.ContainsAny(host, ".:") {
		m := ecrHostRE.FindStringSubmatch(host)
		if m == nil {
			return "", "", "", "", fmt.Errorf("image %q is not in an ECR registry", ref)
		}
		registry, name = m[1], rest
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	if name == "" || (tag == "" && digest == "") {
		return "", "", "", "", fmt.Errorf("image %q has no repository, or neither tag nor digest", ref)
	}
	return registry, name, tag, digest, nil
}

// Wire shapes, member names as ECR spells them.

type imageIDWire struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

type describeImagesRequest struct {
	RegistryID     string        `json:"registryId"`
	RepositoryName string        `json:"repositoryName"`
	ImageIDs       []imageIDWire `json:"imageIds"`
	NextToken      string        `json:"nextToken"`
	MaxResults     *int32        `json:"maxResults"`
	Filter         *struct {
		TagStatus   string `json:"tagStatus"`
		ImageStatus string `json:"imageStatus"`
	} `json:"filter"`
}

type imageDetailWire struct {
	RegistryID             string   `json:"registryId"`
	RepositoryName         string   `json:"repositoryName"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes"`
	ImagePushedAt          float64  `json:"imagePushedAt"`
	ImageManifestMediaType string   `json:"imageManifestMediaType"`
	ArtifactMediaType      string   `json:"artifactMediaType"`
	ImageStatus            string   `json:"imageStatus"`
	LastArchivedAt         *float64 `json:"lastArchivedAt,omitempty"`
}

type describeImagesResponse struct {
	ImageDetails []imageDetailWire `json:"imageDetails"`
	NextToken    string            `json:"nextToken,omitempty"`
}

// describeImages: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
//
// Like ECR, a request naming images fails whole with ImageNotFoundException
// when one of them is not in the repository. The filter's imageStatus
// selects the images by status, only ACTIVE ones when it is not given, as
// the reference says of DescribeImagesFilter; the simulator applies it to
// images asked by id too (an archived image asked without a filter is not
// found), the strict reading, so that a client that wants archived images
// must ask for them.
func (s *Server) describeImages(body []byte) (any, *awsjson.Error) {
	var req describeImagesRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.RepositoryName == "" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "repositoryName must not be empty")
	}
	if len(req.ImageIDs) > describeImagesMaxIDs {
		return nil, awsjson.Errorf(ErrInvalidParameter, "imageIds can have at most %d items", describeImagesMaxIDs)
	}
	registry := req.RegistryID
	if registry == "" {
		registry = AccountID
	}
	want := StatusActive
	if req.Filter != nil && req.Filter.ImageStatus != "" {
		want = req.Filter.ImageStatus
	}
	shown := func(img *image) bool {
		return want == statusAny || statusOf(img) == want
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deniedOp["DescribeImages"] || s.denied["*"] || s.denied[req.RepositoryName] {
		return nil, awsjson.Errorf(ErrAccessDenied,
			"User: arn:aws:sts::%s:assumed-role/deploy/GitHubActions is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:%s:repository/%s because no identity-based policy allows the ecr:DescribeImages action",
			AccountID, registry, req.RepositoryName)
	}
	r := s.repo(registry, req.RepositoryName, false)
	if r == nil {
		return nil, awsjson.Errorf(ErrRepositoryNotFound, "The repository with name '%s' does not exist in the registry with id '%s'", req.RepositoryName, registry)
	}
	out := describeImagesResponse{ImageDetails: []imageDetailWire{}}
	if len(req.ImageIDs) == 0 {
		for _, img := range r.images {
			if shown(img) {
				out.ImageDetails = append(out.ImageDetails, detail(registry, req.RepositoryName, img))
			}
		}
		return out, nil
	}
	seen := map[string]bool{}
	for _, id := range req.ImageIDs {
		if id.ImageDigest == "" && id.ImageTag == "" {
			return nil, awsjson.Errorf(ErrInvalidParameter, "an imageId needs an imageDigest or an imageTag")
		}
		i := slices.IndexFunc(r.images, func(img *image) bool {
			return (id.ImageDigest == "" || img.digest == id.ImageDigest) &&
				(id.ImageTag == "" || slices.Contains(img.tags, id.ImageTag)) && shown(img)
		})
		if i < 0 {
			return nil, awsjson.Errorf(ErrImageNotFound,
				"The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
				orNull(id.ImageDigest), orNull(id.ImageTag), req.RepositoryName, registry)
		}
		if img := r.images[i]; !seen[img.digest] {
			seen[img.digest] = true
			out.ImageDetails = append(out.ImageDetails, detail(registry, req.RepositoryName, img))
		}
	}
	return out, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func statusOf(img *image) string {
	if img.status == "" {
		return StatusActive
	}
	return img.status
}

func detail(registry, repo string, img *image) imageDetailWire {
	var archivedAt *float64
	if !img.archivedAt.IsZero() {
		at := float64(img.archivedAt.UnixMilli()) / 1000
		archivedAt = &at
	}
	return imageDetailWire{
		ImageStatus:            statusOf(img),
		LastArchivedAt:         archivedAt,
		RegistryID:             registry,
		RepositoryName:         repo,
		ImageDigest:            img.digest,
		ImageTags:              slices.Clone(img.tags),
		ImageSizeInBytes:       img.size,
		ImagePushedAt:          float64(img.pushedAt.UnixMilli()) / 1000,
		ImageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
		ArtifactMediaType:      "application/vnd.docker.container.image.v1+json",
	}
}

type describePullThroughCacheRulesRequest struct {
	RegistryID            string   `json:"registryId"`
	EcrRepositoryPrefixes []string `json:"ecrRepositoryPrefixes"`
	NextToken             string   `json:"nextToken"`
	MaxResults            *int32   `json:"maxResults"`
}

type pullThroughCacheRuleWire struct {
	EcrRepositoryPrefix      string  `json:"ecrRepositoryPrefix"`
	UpstreamRegistryURL      string  `json:"upstreamRegistryUrl"`
	CreatedAt                float64 `json:"createdAt"`
	RegistryID               string  `json:"registryId"`
	UpstreamRepositoryPrefix string  `json:"upstreamRepositoryPrefix"`
}

type describePullThroughCacheRulesResponse struct {
	PullThroughCacheRules []pullThroughCacheRuleWire `json:"pullThroughCacheRules"`
	NextToken             string                     `json:"nextToken,omitempty"`
}

// describePullThroughCacheRules: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribePullThroughCacheRules.html
//
// The rules of the registry, all or those of the prefixes asked for (a
// prefix without a rule fails the call with
// PullThroughCacheRuleNotFoundException), maxResults (default 100) a page.
func (s *Server) describePullThroughCacheRules(body []byte) (any, *awsjson.Error) {
	var req describePullThroughCacheRulesRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	registry := req.RegistryID
	if registry == "" {
		registry = AccountID
	}
	limit := 100
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > 1000 {
			return nil, awsjson.Errorf(ErrInvalidParameter, "maxResults must be between 1 and 1000")
		}
		limit = int(*req.MaxResults)
	}
	start := 0
	if req.NextToken != "" {
		if _, err := fmt.Sscanf(req.NextToken, "rules-%d", &start); err != nil || start < 0 {
			return nil, awsjson.Errorf(ErrInvalidParameter, "invalid nextToken")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deniedOp["DescribePullThroughCacheRules"] {
		return nil, awsjson.Errorf(ErrAccessDenied,
			"User: arn:aws:sts::%s:assumed-role/deploy/GitHubActions is not authorized to perform: ecr:DescribePullThroughCacheRules on resource: arn:aws:ecr:us-east-1:%s:registry/%s because no identity-based policy allows the ecr:DescribePullThroughCacheRules action",
			AccountID, registry, registry)
	}
	var rules []cacheRule
	for _, r := range s.rules {
		if r.registry == registry && (len(req.EcrRepositoryPrefixes) == 0 || slices.Contains(req.EcrRepositoryPrefixes, r.prefix)) {
			rules = append(rules, r)
		}
	}
	for _, p := range req.EcrRepositoryPrefixes {
		if !slices.ContainsFunc(rules, func(r cacheRule) bool { return r.prefix == p }) {
			return nil, awsjson.Errorf(ErrRuleNotFound, "The pull through cache rule with prefix '%s' does not exist in the registry with id '%s'", p, registry)
		}
	}
	out := describePullThroughCacheRulesResponse{PullThroughCacheRules: []pullThroughCacheRuleWire{}}
	for i := start; i < len(rules) && i < start+limit; i++ {
		r := rules[i]
		out.PullThroughCacheRules = append(out.PullThroughCacheRules, pullThroughCacheRuleWire{
			EcrRepositoryPrefix: r.prefix, UpstreamRegistryURL: r.upstream, RegistryID: r.registry,
			CreatedAt: float64(r.createdAt.UnixMilli()) / 1000, UpstreamRepositoryPrefix: "ROOT",
		})
	}
	if start+limit < len(rules) {
		out.NextToken = fmt.Sprintf("rules-%d", start+limit)
	}
	return out, nil
}
