// Package ecrcheck asks Amazon ECR whether the images of a task-definition
// revision still exist, so that a rollback never goes to a revision whose
// tasks could not start because a lifecycle policy expired their image.
package ecrcheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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

// Findings is what ECR said about each image, by the image reference as the
// task definition writes it.
type Findings struct {
	Present []string  // in ECR
	Missing []Missing // not in ECR: the image or its repository is gone
	Denied  []string  // the caller may not call ecr:DescribeImages on the repository
	Failed  []Failed  // ECR could not be asked (network, throttling, …)
	NotECR  []string  // not in an ECR private registry: not checked
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

// group is the images of one repository, asked about in one call.
type group struct {
	registry, region, repository string
	ids                          []types.ImageIdentifier
	images                       [][]string // the references of each id
}

// Look asks ECR, with DescribeImages, whether each image exists. Images are
// batched per repository (up to 100 a call); the registry ID and the region
// come from the image's host (<account>.dkr.ecr.<region>.amazonaws.com), so
// each call is signed for the image's region whatever the client's. An image
// with a digest is asked by digest, else by tag ("latest" when it has
// neither, as Docker pulls it). Because ECR fails a whole call with
// ImageNotFoundException when one image is missing, such a call is repeated
// image by image to tell which. Images outside ECR private registries are
// listed in NotECR, unchecked. Look never fails: what it could not learn is
// in Denied and Failed.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
func Look(ctx context.Context, api ecr.DescribeImagesAPIClient, images []string) Findings {
	var (
		f      Findings
		groups []*group
	)
	for _, img := range dedupe(images) {
		ref := imageref.Parse(img)
		registry, region, repo, ok := ref.ECR()
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
	for _, r := range results {
		f.Present = append(f.Present, r.Present...)
		f.Missing = append(f.Missing, r.Missing...)
		f.Denied = append(f.Denied, r.Denied...)
		f.Failed = append(f.Failed, r.Failed...)
	}
	return f
}

// lookGroup asks about one repository's images.
func lookGroup(ctx context.Context, api ecr.DescribeImagesAPIClient, g *group) Findings {
	var f Findings
	found, err := describe(ctx, api, g, g.ids)
	if code := errorCode(err); code == "ImageNotFoundException" && len(g.ids) > 1 {
		// One or more are missing: ask image by image.
		for i, id := range g.ids {
			one, err := describe(ctx, api, g, []types.ImageIdentifier{id})
			f.add(g, g.images[i], len(one) == 1, err)
		}
		return f
	}
	for i, id := range g.ids {
		f.add(g, g.images[i], slices.ContainsFunc(found, func(d types.ImageDetail) bool { return matches(d, id) }), err)
	}
	return f
}

// add files the references of one image id under what ECR answered.
func (f *Findings) add(g *group, images []string, found bool, err error) {
	for _, img := range images {
		switch code := errorCode(err); {
		case err == nil && found:
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

// describe calls DescribeImages for ids of g's repository, in g's region.
func describe(ctx context.Context, api ecr.DescribeImagesAPIClient, g *group, ids []types.ImageIdentifier) ([]types.ImageDetail, error) {
	out, err := api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(g.registry),
		RepositoryName: aws.String(g.repository),
		ImageIds:       ids,
	}, func(o *ecr.Options) {
		if g.region != "" {
			o.Region = g.region
		}
	})
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
//     could not start;
//   - an access denial or an error of ECR warns: the check could not be made,
//     and the rollback goes on;
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
	switch {
	case len(f.Missing) > 0:
		parts := make([]string, len(f.Missing))
		for i, m := range f.Missing {
			if m.NoRepository {
				parts[i] = fmt.Sprintf("%s (repository %s no longer exists in registry %s)", m.Image, m.Repository, m.Registry)
			} else {
				parts[i] = fmt.Sprintf("%s (not in repository %s of registry %s)", m.Image, m.Repository, m.Registry)
			}
		}
		c.Status = safety.Fail
		c.Detail = fmt.Sprintf("the target's image is gone from ECR, so its tasks could not start: %s. The repository's lifecycle policy may have expired it; push the image again or choose another revision",
			strings.Join(parts, "; "))
	case len(f.Denied) > 0:
		c.Status = safety.Warn
		c.Detail = fmt.Sprintf("could not check: access denied; grant ecr:DescribeImages on the repository of %s", strings.Join(f.Denied, ", "))
	case len(f.Failed) > 0:
		c.Status = safety.Warn
		c.Detail = fmt.Sprintf("could not check %s: %s", f.Failed[0].Image, f.Failed[0].Err)
		if len(f.Failed) > 1 {
			c.Detail += fmt.Sprintf(" (and %d more)", len(f.Failed)-1)
		}
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

// Unavailable is the check when no ECR client is configured.
func Unavailable(why string) safety.Check {
	return safety.Check{Name: safety.NameImagesInECR, Status: safety.Skip, Detail: "not checked: " + why}
}
