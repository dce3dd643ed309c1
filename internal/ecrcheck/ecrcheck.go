// Package ecrcheck asks Amazon ECR whether the images of a task-definition
// revision can still be pulled, so that a rollback never goes to a revision
// whose tasks could not start because a lifecycle policy expired or
// archived their image.
package ecrcheck

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/deplight/ecs-rollback/internal/imageref"
	"github.com/deplight/ecs-rollback/internal/safety"
)

// maxImageIDs is how many imageIds one DescribeImages call takes.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html#ECR-DescribeImages-request-imageIds
const maxImageIDs = 100

// accessDenied is the error code IAM answers with when a policy does not
// allow the call.
const accessDenied = "AccessDeniedException"

// API is what the check asks ECR: the images, and the registry's
// pull-through cache rules. *ecr.Client satisfies it.
type API interface {
	ecr.DescribeImagesAPIClient
	ecr.DescribePullThroughCacheRulesAPIClient
}

// Findings is what ECR said about each image, by the image reference as the
// task definition writes it.
type Findings struct {
	Present []string  // in ECR, ACTIVE
	Missing []Missing // not in ECR: the image or its repository is gone
	// Archived images are in ECR's archival storage class: still described,
	// but they cannot be pulled until restored.
	Archived []Archived
	// Activating images are being restored from the archival storage class;
	// they can be pulled once ACTIVE.
	Activating []Archived
	// Uncached images are not in a repository that a pull-through cache
	// rule serves: ECR pulls them from the upstream registry on first pull.
	Uncached []Uncached
	Denied   []string // the caller may not call ecr:DescribeImages on the repository
	Failed   []Failed // ECR could not be asked (network, throttling, …)
	NotECR   []string // not in an ECR private registry: not checked
	// CacheRulesUnknown says why the pull-through cache rules of a registry
	// with missing images could not be read; "" when they were, or were not
	// needed.
	CacheRulesUnknown string
}

// Archived is an image in (or coming back from) the archival storage class.
type Archived struct {
	Image      string
	Registry   string // the AWS account of the registry
	Region     string
	Repository string
	Digest     string
	ArchivedAt time.Time // zero when ECR did not say
}

// Uncached is an image missing from a pull-through cache repository.
type Uncached struct {
	Image      string
	Registry   string
	Repository string
	Prefix     string // the rule's ECR repository prefix, e.g. docker-hub or ROOT
	Upstream   string // the rule's upstream registry URL
}

// Missing is an image ECR no longer has.
type Missing struct {
	Image      string
	Registry   string // the AWS account of the registry
	Repository string
	// NoRepository is true when the whole repository is gone.
	NoRepository bool
}

// Failed is an image ECR could not be asked about.
type Failed struct {
	Image string
	Err   string
}

// dualStackHostRE matches an ECR private registry's dual-stack (IPv4 and
// IPv6) host: <account>.dkr-ecr[-fips].<region>.on.aws.
// See https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html
var dualStackHostRE = regexp.MustCompile(`^([0-9]{12})\.dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws$`)

// location is where in ECR an image is: its registry ID, region and
// repository; ok is false outside ECR private registries.
func location(ref imageref.Ref) (registry, region, repository string, ok bool) {
	if registry, region, repository, ok = ref.ECR(); ok {
		return registry, region, repository, true
	}
	m := dualStackHostRE.FindStringSubmatch(strings.ToLower(ref.Registry))
	if m == nil || ref.Repository == "" {
		return "", "", "", false
	}
	return m[1], m[2], ref.Repository, true
}

// group is the images of one repository, asked about in one call.
type group struct {
	registry, region, repository string
	ids                          []types.ImageIdentifier
	images                       [][]string // the references of each id
}

// Look asks ECR, with DescribeImages, whether each image exists and in which
// status. Images are batched per repository (up to 100 a call); the
// registry ID and the region come from the image's host
// (<account>.dkr.ecr.<region>.amazonaws.com, or the dual-stack
// <account>.dkr-ecr.<region>.on.aws), so each call is signed for the image's
// region whatever the client's. An image with a digest is asked by digest,
// else by tag ("latest" when it has neither, as Docker pulls it); images of
// every status are asked for, since archived ones are described only on
// request. Because ECR fails a whole call with ImageNotFoundException when
// one image is missing, such a call is repeated image by image to tell
// which.
//
// When images are missing and api can also describe pull-through cache
// rules (API; *ecr.Client can), Look asks each such registry for its rules
// once: an image missing from a repository under a rule is Uncached, not
// Missing, since ECR pulls it through on demand.
//
// Images outside ECR private registries are listed in NotECR, unchecked.
// Look never fails: what it could not learn is in Denied, Failed and
// CacheRulesUnknown.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
// and https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
func Look(ctx context.Context, api ecr.DescribeImagesAPIClient, images []string) Findings {
	var (
		f      Findings
		groups []*group
	)
	for _, img := range dedupe(images) {
		ref := imageref.Parse(img)
		registry, region, repo, ok := location(ref)
		if !ok {
			f.NotECR = append(f.NotECR, img)
			continue
		}
		id := types.ImageIdentifier{}
		switch {
		case ref.Digest != "":
			id.ImageDigest = aws.String(ref.Digest)
		case ref.Tag != "":
			id.ImageTag = aws.String(ref.Tag)
		default:
			id.ImageTag = aws.String("latest")
		}
		i := slices.IndexFunc(groups, func(g *group) bool {
			return g.registry == registry && g.region == region && g.repository == repo && len(g.ids) < maxImageIDs
		})
		if i < 0 {
			groups = append(groups, &group{registry: registry, region: region, repository: repo})
			i = len(groups) - 1
		}
		g := groups[i]
		if j := slices.IndexFunc(g.ids, func(x types.ImageIdentifier) bool { return sameID(x, id) }); j >= 0 {
			g.images[j] = append(g.images[j], img)
			continue
		}
		g.ids = append(g.ids, id)
		g.images = append(g.images, []string{img})
	}

	results := make([]Findings, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { results[i] = lookGroup(ctx, api, g) })
	}
	wg.Wait()
	regions := map[string]string{} // registry → region, of the missing images
	for i, r := range results {
		f.Present = append(f.Present, r.Present...)
		f.Missing = append(f.Missing, r.Missing...)
		f.Archived = append(f.Archived, r.Archived...)
		f.Activating = append(f.Activating, r.Activating...)
		f.Denied = append(f.Denied, r.Denied...)
		f.Failed = append(f.Failed, r.Failed...)
		if len(r.Missing) > 0 {
			regions[groups[i].registry] = groups[i].region
		}
	}
	if len(f.Missing) > 0 {
		f.pullThrough(ctx, api, regions)
	}
	return f
}

// pullThrough moves the missing images of repositories under a
// pull-through cache rule to Uncached, asking each registry of regions for
// its rules once.
func (f *Findings) pullThrough(ctx context.Context, api ecr.DescribeImagesAPIClient, regions map[string]string) {
	rulesAPI, ok := api.(ecr.DescribePullThroughCacheRulesAPIClient)
	if !ok {
		return
	}
	rules := map[string][]types.PullThroughCacheRule{}
	for registry, region := range regions {
		r, err := cacheRules(ctx, rulesAPI, registry, region)
		if err != nil {
			if errorCode(err) == accessDenied {
				f.CacheRulesUnknown = "access denied; grant ecr:DescribePullThroughCacheRules to tell images a pull-through cache would fetch"
			} else {
				f.CacheRulesUnknown = err.Error()
			}
			continue
		}
		rules[registry] = r
	}
	var still []Missing
	for _, m := range f.Missing {
		if rule, ok := ruleFor(rules[m.Registry], m.Repository); ok {
			f.Uncached = append(f.Uncached, Uncached{
				Image: m.Image, Registry: m.Registry, Repository: m.Repository,
				Prefix: aws.ToString(rule.EcrRepositoryPrefix), Upstream: aws.ToString(rule.UpstreamRegistryUrl),
			})
			continue
		}
		still = append(still, m)
	}
	f.Missing = still
}

// cacheRules lists the pull-through cache rules of a registry.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribePullThroughCacheRules.html
func cacheRules(ctx context.Context, api ecr.DescribePullThroughCacheRulesAPIClient, registry, region string) ([]types.PullThroughCacheRule, error) {
	var rules []types.PullThroughCacheRule
	p := ecr.NewDescribePullThroughCacheRulesPaginator(api, &ecr.DescribePullThroughCacheRulesInput{RegistryId: aws.String(registry)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, func(o *ecr.Options) {
			if region != "" {
				o.Region = region
			}
		})
		if err != nil {
			return nil, fmt.Errorf("describe the pull-through cache rules of registry %s (%s): %w", registry, region, err)
		}
		rules = append(rules, page.PullThroughCacheRules...)
	}
	return rules, nil
}

// ruleFor is the pull-through cache rule that serves a repository: the one
// whose prefix starts the repository's name (ECR reads a prefix as ending
// in "/"), the longest if several, else a ROOT rule, which serves every
// repository no other rule does.
// See https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-private-wildcards.html
func ruleFor(rules []types.PullThroughCacheRule, repository string) (types.PullThroughCacheRule, bool) {
	var (
		best  types.PullThroughCacheRule
		found bool
		root  *types.PullThroughCacheRule
	)
	for i, r := range rules {
		prefix := strings.TrimSuffix(aws.ToString(r.EcrRepositoryPrefix), "/")
		switch {
		case prefix == "ROOT":
			root = &rules[i]
		case prefix != "" && strings.HasPrefix(repository, prefix+"/"):
			if !found || len(prefix) > len(strings.TrimSuffix(aws.ToString(best.EcrRepositoryPrefix), "/")) {
				best, found = r, true
			}
		}
	}
	if !found && root != nil {
		return *root, true
	}
	return best, found
}

// lookGroup asks about one repository's images.
func lookGroup(ctx context.Context, api ecr.DescribeImagesAPIClient, g *group) Findings {
	var f Findings
	found, err := describe(ctx, api, g, g.ids)
	if code := errorCode(err); code == "ImageNotFoundException" && len(g.ids) > 1 {
		// One or more are missing: ask image by image.
		for i, id := range g.ids {
			one, err := describe(ctx, api, g, []types.ImageIdentifier{id})
			var d *types.ImageDetail
			if len(one) == 1 {
				d = &one[0]
			}
			f.add(g, g.images[i], d, err)
		}
		return f
	}
	for i, id := range g.ids {
		var d *types.ImageDetail
		if j := slices.IndexFunc(found, func(d types.ImageDetail) bool { return matches(d, id) }); j >= 0 {
			d = &found[j]
		}
		f.add(g, g.images[i], d, err)
	}
	return f
}

// add files the references of one image id under what ECR answered: its
// detail, nil when it was not found.
func (f *Findings) add(g *group, images []string, d *types.ImageDetail, err error) {
	for _, img := range images {
		switch code := errorCode(err); {
		case err == nil && d != nil && (d.ImageStatus == types.ImageStatusArchived || d.ImageStatus == types.ImageStatusActivating):
			a := Archived{Image: img, Registry: g.registry, Region: g.region, Repository: g.repository, Digest: aws.ToString(d.ImageDigest)}
			if d.LastArchivedAt != nil {
				a.ArchivedAt = *d.LastArchivedAt
			}
			if d.ImageStatus == types.ImageStatusArchived {
				f.Archived = append(f.Archived, a)
			} else {
				f.Activating = append(f.Activating, a)
			}
		case err == nil && d != nil:
			f.Present = append(f.Present, img)
		case err == nil, code == "ImageNotFoundException":
			f.Missing = append(f.Missing, Missing{Image: img, Registry: g.registry, Repository: g.repository})
		case code == "RepositoryNotFoundException":
			f.Missing = append(f.Missing, Missing{Image: img, Registry: g.registry, Repository: g.repository, NoRepository: true})
		case code == accessDenied:
			f.Denied = append(f.Denied, img)
		default:
			f.Failed = append(f.Failed, Failed{Image: img, Err: err.Error()})
		}
	}
}

// describe calls DescribeImages for ids of g's repository, in g's region,
// for images of every status: without a filter ECR describes ACTIVE images
// only, and an archived image must be seen as archived, not as gone. Should
// ECR refuse the filter beside imageIds (InvalidParameterException), the
// call is made again without it, as before archiving existed.
func describe(ctx context.Context, api ecr.DescribeImagesAPIClient, g *group, ids []types.ImageIdentifier) ([]types.ImageDetail, error) {
	in := &ecr.DescribeImagesInput{
		RegistryId:     aws.String(g.registry),
		RepositoryName: aws.String(g.repository),
		ImageIds:       ids,
		Filter:         &types.DescribeImagesFilter{ImageStatus: types.ImageStatusFilterAny},
	}
	inRegion := func(o *ecr.Options) {
		if g.region != "" {
			o.Region = g.region
		}
	}
	out, err := api.DescribeImages(ctx, in, inRegion)
	if errorCode(err) == "InvalidParameterException" {
		in.Filter = nil
		out, err = api.DescribeImages(ctx, in, inRegion)
	}
	if err != nil {
		return nil, fmt.Errorf("describe images of ECR repository %s in registry %s (%s): %w", g.repository, g.registry, g.region, err)
	}
	return out.ImageDetails, nil
}

// matches reports whether ECR's detail is the image id asked for.
func matches(d types.ImageDetail, id types.ImageIdentifier) bool {
	if id.ImageDigest != nil {
		return aws.ToString(d.ImageDigest) == aws.ToString(id.ImageDigest)
	}
	return slices.Contains(d.ImageTags, aws.ToString(id.ImageTag))
}

func sameID(a, b types.ImageIdentifier) bool {
	return aws.ToString(a.ImageDigest) == aws.ToString(b.ImageDigest) && aws.ToString(a.ImageTag) == aws.ToString(b.ImageTag)
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func dedupe(images []string) []string {
	var out []string
	for _, img := range images {
		if img != "" && !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	return out
}

// Check turns the findings into the safety check [safety.NameImagesInECR]:
//
//   - an image (or its repository) that is gone fails the check: its tasks
//     could not start; so does an archived image, which ECR describes but
//     will not serve until it is restored, and the detail says how;
//   - an image being restored from the archive (ACTIVATING), an image not
//     yet in its pull-through cache repository (ECR fetches it from the
//     upstream registry when ECS pulls it), an access denial or an error of
//     ECR warn: the rollback goes on;
//   - images found pass;
//   - no image in ECR skips the check, and says so.
//
// Images outside ECR are named in the detail as not checked.
func (f Findings) Check() safety.Check {
	c := safety.Check{Name: safety.NameImagesInECR}
	notECR := ""
	if len(f.NotECR) > 0 {
		notECR = fmt.Sprintf("; not in ECR, not checked: %s", strings.Join(f.NotECR, ", "))
	}
	var warns []string
	if len(f.Denied) > 0 {
		warns = append(warns, fmt.Sprintf("could not check: access denied; grant ecr:DescribeImages on the repository of %s", strings.Join(f.Denied, ", ")))
	}
	if len(f.Failed) > 0 {
		w := fmt.Sprintf("could not check %s: %s", f.Failed[0].Image, f.Failed[0].Err)
		if len(f.Failed) > 1 {
			w += fmt.Sprintf(" (and %d more)", len(f.Failed)-1)
		}
		warns = append(warns, w)
	}
	for _, a := range f.Activating {
		warns = append(warns, fmt.Sprintf("%s is being restored from the ECR archive (ACTIVATING) in repository %s of registry %s; its tasks cannot pull it until it is ACTIVE again", a.Image, a.Repository, a.Registry))
	}
	for _, u := range f.Uncached {
		warns = append(warns, fmt.Sprintf("%s is not cached yet in repository %s of registry %s, which pull-through cache rule %s serves from %s; ECR fetches it from there when the tasks pull it", u.Image, u.Repository, u.Registry, u.Prefix, u.Upstream))
	}
	switch {
	case len(f.Missing) > 0 || len(f.Archived) > 0:
		var parts []string
		for _, m := range f.Missing {
			if m.NoRepository {
				parts = append(parts, fmt.Sprintf("%s (repository %s no longer exists in registry %s)", m.Image, m.Repository, m.Registry))
			} else {
				parts = append(parts, fmt.Sprintf("%s (not in repository %s of registry %s)", m.Image, m.Repository, m.Registry))
			}
		}
		for _, a := range f.Archived {
			parts = append(parts, fmt.Sprintf("%s (archived%s in repository %s of registry %s: ECR describes it but will not serve it)", a.Image, archivedOn(a.ArchivedAt), a.Repository, a.Registry))
		}
		c.Status = safety.Fail
		switch {
		case len(f.Archived) == 0:
			c.Detail = fmt.Sprintf("the target's image is gone from ECR, so its tasks could not start: %s. The repository's lifecycle policy may have expired it; push the image again or choose another revision",
				strings.Join(parts, "; "))
		case len(f.Missing) == 0:
			c.Detail = fmt.Sprintf("the target's image is archived in ECR, so its tasks could not pull it: %s. %s, wait until its status is ACTIVE, and run the rollback again; or choose another revision",
				strings.Join(parts, "; "), restoreHint(f.Archived))
		default:
			c.Detail = fmt.Sprintf("the target's images are gone from ECR or archived, so its tasks could not start: %s. Push the missing images again; %s, wait until its status is ACTIVE; or choose another revision",
				strings.Join(parts, "; "), lowerFirst(restoreHint(f.Archived)))
		}
		if f.CacheRulesUnknown != "" && len(f.Missing) > 0 {
			c.Detail += fmt.Sprintf(" (pull-through cache rules not checked: %s)", f.CacheRulesUnknown)
		}
	case len(warns) > 0:
		c.Status = safety.Warn
		c.Detail = strings.Join(warns, "; ")
		if len(f.Present) > 0 {
			c.Detail += fmt.Sprintf("; found: %s", strings.Join(f.Present, ", "))
		}
		return c
	case len(f.Present) > 0:
		c.Status = safety.Pass
		c.Detail = fmt.Sprintf("found in ECR: %s%s", strings.Join(f.Present, ", "), notECR)
		return c
	default:
		c.Status = safety.Skip
		c.Detail = "no image of the target is in an Amazon ECR private registry, so there is nothing to check"
		if len(f.NotECR) > 0 {
			c.Detail = fmt.Sprintf("no image of the target is in an Amazon ECR private registry (%s), so there is nothing to check", strings.Join(f.NotECR, ", "))
		}
		return c
	}
	if len(f.Present) > 0 {
		c.Detail += fmt.Sprintf("; found: %s", strings.Join(f.Present, ", "))
	}
	return c
}

// restoreHint says how to restore archived images to the standard storage
// class: UpdateImageStorageClass, here as the AWS CLI spells it, for the
// first of them.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdateImageStorageClass.html
func restoreHint(archived []Archived) string {
	a := archived[0]
	id := "imageDigest=" + a.Digest
	region := ""
	if a.Region != "" {
		region = " --region " + a.Region
	}
	hint := fmt.Sprintf("Restore it to the standard storage class (aws ecr update-image-storage-class%s --registry-id %s --repository-name %s --image-id %s --target-storage-class %s, or Restore in the console)",
		region, a.Registry, a.Repository, id, types.TargetStorageClassStandard)
	if len(archived) > 1 {
		hint = fmt.Sprintf("Restore each to the standard storage class (for the first: aws ecr update-image-storage-class%s --registry-id %s --repository-name %s --image-id %s --target-storage-class %s, or Restore in the console)",
			region, a.Registry, a.Repository, id, types.TargetStorageClassStandard)
	}
	return hint
}

func archivedOn(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return " on " + at.UTC().Format("2006-01-02")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Unavailable is the check when no ECR client is configured.
func Unavailable(why string) safety.Check {
	return safety.Check{Name: safety.NameImagesInECR, Status: safety.Skip, Detail: "not checked: " + why}
}
