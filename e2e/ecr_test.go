package e2e

// The target's images must still be in ECR: a lifecycle policy may have
// expired them since the revision last ran.

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestE2EECRImagePresent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.run(nil)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Regexp(t, `\| target images exist in ECR \| ✅ pass \| found in ECR: `+"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:c2c2c2c", res.summary)
	assert.Contains(t, res.summary, "not in ECR, not checked: public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")
	calls := w.ecr.Calls()
	require.Len(t, calls, 1, "one DescribeImages for the one ECR repository")
	assert.Equal(t, "DescribeImages", calls[0].Op)
	assert.Equal(t, "us-east-1", calls[0].Region, "signed for the image's region")
	var body map[string]any
	require.NoError(t, json.Unmarshal(calls[0].Body, &body))
	assert.Equal(t, "123456789012", body["registryId"], "the registry comes from the image host")
	assert.Equal(t, "web", body["repositoryName"])
	assert.Equal(t, []any{map[string]any{"imageTag": "c2c2c2c"}}, body["imageIds"])
}

func TestE2EECRImageMissing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.True(t, w.ecr.DeleteImageRef(ecrRepo+":c2c2c2c"))

	res := w.run(nil)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "image-missing", res.outputs["reason"])
	assert.Contains(t, res.stdout, "::error")
	assert.Contains(t, res.stdout, ecrRepo+":c2c2c2c")
	assert.Contains(t, res.stdout, "lifecycle policy")
	assert.Empty(t, w.mutations(), "nothing was changed")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	assert.Contains(t, res.summary, "❌ fail")
}

func TestE2EECRAccessDenied(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ecr.DenyAccess("*")

	res := w.run(nil)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition(), "the rollback went on")
	assert.Contains(t, res.stdout, "::warning")
	assert.Contains(t, res.stdout, "could not check: access denied; grant ecr:DescribeImages")
	assert.Regexp(t, `\| target images exist in ECR \| ⚠️ warn \| could not check: access denied`, res.summary)
}
