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
