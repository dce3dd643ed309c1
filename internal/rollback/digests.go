package rollback

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/imageref"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// Mutable tags: UpdateService makes ECS resolve the target's image tags
// again, so a tag moved since (:latest, :prod) would "roll back" onto
// another image. ECS recorded the digests it ran for the target's last
// successful service revision; when a tag resolves to another digest now,
// the rollback refuses (image-changed), or with pin-digests rolls back to
// a copy of the target pinned to the recorded digests.

// changedImage is one container whose tag moved since ECS last ran it.
type changedImage struct {
	container, image, recorded, now string
}

// checkDigests compares the digests ECS recorded for the target with what
// its tags resolve to in ECR now.
func (r *Runner) checkDigests(ctx context.Context, cfg config.Config, p *plan) *failure {
	n := p.nat
	to := p.result.To
	if n == nil || n.history == nil || to == nil || r.ECR == nil {
		return nil
	}
	rec, ok := n.history.LastSuccessfulRevision(to.ARN, revision.SameRevision)
	if !ok {
		return nil
	}
	var changed []changedImage
	for _, img := range rec.Images {
		ref := imageref.Parse(img.Image)
		if ref.Digest != "" || ref.Tag == "" || img.Digest == "" {
			continue
		}
		now, err := r.ecrDigest(ctx, ref)
		if err != nil {
			r.debugf("%s: cannot resolve %s in ECR: %v", p.result.Service, img.Image, err)
			continue
		}
		if now != "" && now != img.Digest {
			changed = append(changed, changedImage{container: img.Container, image: img.Image, recorded: img.Digest, now: now})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if cfg.PinDigests {
		n.pin = map[string]string{}
		for _, c := range changed {
			n.pin[c.container] = c.recorded
		}
		// Every tagged image of the target is pinned to what ECS ran.
		for _, img := range rec.Images {
			if img.Digest != "" && !strings.Contains(img.Image, "@") {
				n.pin[img.Container] = img.Digest
			}
		}
		return nil
	}
	parts := make([]string, len(changed))
	for i, c := range changed {
		parts[i] = fmt.Sprintf("container %s's image %s ran as %s when ECS last deployed revision %d, but the tag now points to %s",
			c.container, c.image, c.recorded, to.Number, c.now)
	}
	return fail(reason.ImageChanged,
		"refused to roll back %s: %s, so UpdateService would run another image than the last good one. Nothing was changed. Set pin-digests: true to roll back to a copy of revision %d pinned to %s, or push the old image back to the tag, or give the revision of an image you trust.",
		p.result.Service, strings.Join(parts, "; "), to.Number, changed[0].recorded)
}

// ecrDigest is the digest an ECR image tag points to now; "" for an image
// that is not in ECR.
// See https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
func (r *Runner) ecrDigest(ctx context.Context, ref imageref.Ref) (string, error) {
	registry, _, repo, ok := ref.ECR()
	if !ok {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, ecrCheckTimeout)
	defer cancel()
	out, err := r.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(registry),
		RepositoryName: aws.String(repo),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(ref.Tag)}},
	})
	if err != nil {
		return "", err
	}
	for _, d := range out.ImageDetails {
		return aws.ToString(d.ImageDigest), nil
	}
	return "", nil
}

// registerPinned registers the copy of the target pinned to the recorded
// digests and makes it the target; the safety checks judged the original.
func (r *Runner) registerPinned(ctx context.Context, p *plan) *failure {
	n, sr := p.nat, &p.result
	api := r.ECS
	orig := *sr.To
	r.logf("RegisterTaskDefinition: a copy of %s pinned to %s", orig.ARN, pinList(n.pin))
	arn, err := apply.RegisterPinned(ctx, api, orig.ARN, n.pin)
	if err != nil {
		return r.applyFailure(ctx, err, reason.UpdateFailed, "pin the target's images (the role needs ecs:RegisterTaskDefinition and iam:PassRole for its roles); nothing was changed")
	}
	pinned, err := ecsread.DescribeRevision(ctx, r.ECS, arn)
	if err != nil {
		pinned = orig
		pinned.ARN = arn
		if _, num, perr := revision.ParseARN(arn); perr == nil {
			pinned.Number = num
		}
	}
	n.original = &orig
	sr.To = &pinned
	addNote(sr, fmt.Sprintf("the image tags of revision %d now point to other images, so the rollback went to revision %d, a copy of %d pinned to the digests ECS recorded (%s); the safety checks judged revision %d",
		orig.Number, pinned.Number, orig.Number, pinList(n.pin), orig.Number))
	return nil
}

func pinList(pin map[string]string) string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(pin)) {
		parts = append(parts, c+"@"+pin[c])
	}
	return strings.Join(parts, ", ")
}
