package ecrsim_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
)

const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

// The SDK's own deserializers read the simulator's answers: details, and
// each error as its typed exception.
func TestDescribeImagesThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := ecrsim.New()
	t.Cleanup(s.Close)
	digest, err := s.PutImageRef(host + "/web:c2c2c2c")
	require.NoError(t, err)
	api := s.Client()
	ask := func(repo string, ids ...types.ImageIdentifier) (*ecr.DescribeImagesOutput, error) {
		return api.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: ids})
	}

	out, err := ask("web", types.ImageIdentifier{ImageTag: aws.String("c2c2c2c")})
	require.NoError(t, err)
	require.Len(t, out.ImageDetails, 1)
	d := out.ImageDetails[0]
	assert.Equal(t, digest, aws.ToString(d.ImageDigest))
	assert.Equal(t, []string{"c2c2c2c"}, d.ImageTags)
	assert.Equal(t, "123456789012", aws.ToString(d.RegistryId))
	assert.NotNil(t, d.ImagePushedAt)

	out, err = ask("web", types.ImageIdentifier{ImageDigest: aws.String(digest)})
	require.NoError(t, err)
	assert.Len(t, out.ImageDetails, 1)

	_, err = ask("web", types.ImageIdentifier{ImageTag: aws.String("c2c2c2c")}, types.ImageIdentifier{ImageTag: aws.String("gone")})
	var inf *types.ImageNotFoundException
	require.ErrorAs(t, err, &inf)
	assert.Contains(t, inf.ErrorMessage(), "imageTag:'gone'")

	_, err = ask("nope", types.ImageIdentifier{ImageTag: aws.String("x")})
	var rnf *types.RepositoryNotFoundException
	require.ErrorAs(t, err, &rnf)

	// A tag moves to the image pushed last; the old one loses it.
	_, err = s.PutImageRef(host + "/web@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12")
	require.NoError(t, err)
	_, err = s.PutImageRef(host + "/web:c2c2c2c@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12")
	require.NoError(t, err)
	out, err = ask("web", types.ImageIdentifier{ImageDigest: aws.String(digest)})
	require.NoError(t, err)
	assert.Empty(t, out.ImageDetails[0].ImageTags)

	assert.True(t, s.DeleteImageRef(host+"/web:c2c2c2c"))
	_, err = ask("web", types.ImageIdentifier{ImageTag: aws.String("c2c2c2c")})
	require.ErrorAs(t, err, &inf)

	s.DenyAccess("*")
	_, err = ask("web", types.ImageIdentifier{ImageDigest: aws.String(digest)})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "AccessDeniedException", apiErr.ErrorCode())
	assert.Contains(t, apiErr.ErrorMessage(), "ecr:DescribeImages")

	assert.Equal(t, 7, s.CallCount("DescribeImages"))
	assert.Equal(t, "us-east-1", s.Calls()[0].Region)
}

// Archived images are described only when the filter asks for them, with
// their status and when they were archived.
func TestDescribeImagesStatus(t *testing.T) {
	t.Parallel()
	s := ecrsim.New()
	t.Cleanup(s.Close)
	_, err := s.PutImageRef(host + "/web:old")
	require.NoError(t, err)
	_, err = s.PutImageRef(host + "/web:new")
	require.NoError(t, err)
	require.True(t, s.SetImageStatus(host+"/web:old", ecrsim.StatusArchived))
	assert.False(t, s.SetImageStatus(host+"/web:nope", ecrsim.StatusArchived))
	api := s.Client()
	old := types.ImageIdentifier{ImageTag: aws.String("old")}

	_, err = api.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String("web"), ImageIds: []types.ImageIdentifier{old}})
	var notFound *types.ImageNotFoundException
	require.True(t, errors.As(err, &notFound), "without a filter only ACTIVE images are described: %v", err)

	out, err := api.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String("web"), ImageIds: []types.ImageIdentifier{old},
		Filter: &types.DescribeImagesFilter{ImageStatus: types.ImageStatusFilterAny},
	})
	require.NoError(t, err)
	require.Len(t, out.ImageDetails, 1)
	assert.Equal(t, types.ImageStatusArchived, out.ImageDetails[0].ImageStatus)
	assert.NotNil(t, out.ImageDetails[0].LastArchivedAt)

	list, err := api.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String("web")})
	require.NoError(t, err)
	require.Len(t, list.ImageDetails, 1)
	assert.Equal(t, []string{"new"}, list.ImageDetails[0].ImageTags)
	assert.Equal(t, types.ImageStatusActive, list.ImageDetails[0].ImageStatus)

	require.True(t, s.SetImageStatus(host+"/web:old", ecrsim.StatusActivating))
	list, err = api.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String("web"), Filter: &types.DescribeImagesFilter{ImageStatus: types.ImageStatusFilterActivating},
	})
	require.NoError(t, err)
	require.Len(t, list.ImageDetails, 1)
	assert.Equal(t, []string{"old"}, list.ImageDetails[0].ImageTags)
}

func TestDescribePullThroughCacheRules(t *testing.T) {
	t.Parallel()
	s := ecrsim.New()
	t.Cleanup(s.Close)
	s.PutPullThroughCacheRule("", "docker-hub", "registry-1.docker.io")
	s.PutPullThroughCacheRule("", "ecr-public", "public.ecr.aws")
	s.PutPullThroughCacheRule("210987654321", "quay", "quay.io")
	api := s.Client()

	var prefixes []string
	p := ecr.NewDescribePullThroughCacheRulesPaginator(api, &ecr.DescribePullThroughCacheRulesInput{RegistryId: aws.String("123456789012"), MaxResults: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		pages++
		for _, r := range page.PullThroughCacheRules {
			prefixes = append(prefixes, aws.ToString(r.EcrRepositoryPrefix))
			assert.Equal(t, "123456789012", aws.ToString(r.RegistryId))
			assert.NotEmpty(t, aws.ToString(r.UpstreamRegistryUrl))
		}
	}
	assert.Equal(t, []string{"docker-hub", "ecr-public"}, prefixes, "the registry's own rules")
	assert.Equal(t, 2, pages)

	_, err := api.DescribePullThroughCacheRules(t.Context(), &ecr.DescribePullThroughCacheRulesInput{EcrRepositoryPrefixes: []string{"ghcr"}})
	var notFound *types.PullThroughCacheRuleNotFoundException
	require.True(t, errors.As(err, &notFound), "%v", err)

	s.DenyOperation("DescribePullThroughCacheRules")
	_, err = api.DescribePullThroughCacheRules(t.Context(), &ecr.DescribePullThroughCacheRulesInput{})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, ecrsim.ErrAccessDenied, apiErr.ErrorCode())
	assert.Contains(t, apiErr.ErrorMessage(), "ecr:DescribePullThroughCacheRules")
}

// Images named by a dual-stack registry host land in the same registry.
func TestPutImageRefDualStack(t *testing.T) {
	t.Parallel()
	s := ecrsim.New()
	t.Cleanup(s.Close)
	_, err := s.PutImageRef("123456789012.dkr-ecr.eu-west-1.on.aws/api:v1")
	require.NoError(t, err)
	out, err := s.Client().DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RegistryId: aws.String("123456789012"), RepositoryName: aws.String("api"),
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}},
	})
	require.NoError(t, err)
	assert.Len(t, out.ImageDetails, 1)
	_, err = s.PutImageRef("123456789012.dkr-ecr.eu-west-1.on.aws.evil.example/api:v1")
	assert.Error(t, err)
}
