package e2e

// The target's images must still be in ECR, and pullable: a lifecycle
// policy may have expired or archived them since the revision last ran.

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
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

// ECR's lifecycle rules archive old images rather than expire them: an
// archived image is still described but cannot be pulled.
func TestE2EECRImageArchived(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.True(t, w.ecr.SetImageStatus(ecrRepo+":c2c2c2c", ecrsim.StatusArchived))

	res := w.run(nil)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "image-missing", res.outputs["reason"])
	assert.Contains(t, res.stdout, "::error")
	assert.Contains(t, res.stdout, "the target's image is archived in ECR")
	assert.Contains(t, res.stdout, "aws ecr update-image-storage-class --region us-east-1 --registry-id 123456789012 --repository-name web --image-id imageDigest=sha256:")
	assert.Contains(t, res.stdout, "--target-storage-class STANDARD")
	assert.Empty(t, w.mutations(), "nothing was changed")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	assert.Regexp(t, `\| target images exist in ECR \| ❌ fail \| the target&#39;s image is archived in ECR`, res.summary)
}

func TestE2EECRImageBeingRestored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.True(t, w.ecr.SetImageStatus(ecrRepo+":c2c2c2c", ecrsim.StatusActivating))

	res := w.run(nil)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.stdout, "::warning")
	assert.Contains(t, res.stdout, "is being restored from the ECR archive (ACTIVATING)")
}

// A registry whose repositories are a pull-through cache (here a ROOT rule,
// as an ECR-to-ECR cache of another Region has) holds only what was pulled;
// ECR fetches the rest from upstream when ECS pulls it.
func TestE2EECRPullThroughCacheUncached(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.True(t, w.ecr.DeleteImageRef(ecrRepo+":c2c2c2c"))
	w.ecr.PutPullThroughCacheRule("", "ROOT", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")

	res := w.run(nil)

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	assert.Contains(t, res.stdout, "::warning")
	assert.Contains(t, res.stdout, ecrRepo+":c2c2c2c is not cached yet in repository web of registry 123456789012, which pull-through cache rule ROOT serves from 123456789012.dkr.ecr.eu-west-1.amazonaws.com")
	assert.Regexp(t, `\| target images exist in ECR \| ⚠️ warn \| `, res.summary)
	assert.Equal(t, 1, w.ecr.CallCount("DescribePullThroughCacheRules"))
}

// Without ecr:DescribePullThroughCacheRules a missing image is refused as
// before, and the message says what the permission would tell.
func TestE2EECRPullThroughCacheRulesDenied(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.True(t, w.ecr.DeleteImageRef(ecrRepo+":c2c2c2c"))
	w.ecr.DenyOperation("DescribePullThroughCacheRules")

	res := w.run(nil)

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "image-missing", res.outputs["reason"])
	assert.Contains(t, res.stdout, "pull-through cache rules not checked: access denied; grant ecr:DescribePullThroughCacheRules")
	assert.Empty(t, w.mutations())
}

// Images named by the registry's dual-stack host are checked like the
// others.
func TestE2EECRDualStackHost(t *testing.T) {
	t.Parallel()
	const dualStack = "123456789012.dkr-ecr.us-east-1.on.aws/api"
	for _, missing := range []bool{false, true} {
		t.Run(fmt.Sprintf("missing=%t", missing), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			target := w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: "api", Containers: []ecssim.Container{{Name: "api", Image: dualStack + ":c2c2c2c"}}})
			current := w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: "api", Containers: []ecssim.Container{{Name: "api", Image: dualStack + ":f5f5f5f"}}})
			require.NoError(t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "api", TaskDefinition: current, DesiredCount: 1}))
			if !missing {
				_, err := w.ecr.PutImageRef(dualStack + ":c2c2c2c")
				require.NoError(t, err)
			}

			res := w.run(map[string]string{"service": "api"})

			calls := w.ecr.Calls()
			require.NotEmpty(t, calls, "the image was checked")
			var body map[string]any
			require.NoError(t, json.Unmarshal(calls[0].Body, &body))
			assert.Equal(t, "123456789012", body["registryId"])
			assert.Equal(t, "api", body["repositoryName"])
			assert.Equal(t, "us-east-1", calls[0].Region)
			st, _ := w.ecs.Service(cluster, "api")
			if missing {
				require.Equal(t, 1, res.code, res.stdout)
				assert.Equal(t, "image-missing", res.outputs["reason"])
				assert.Equal(t, current, st.TaskDefinition)
				return
			}
			require.Equal(t, 0, res.code, res.stdout)
			assert.Regexp(t, `\| target images exist in ECR \| ✅ pass \| found in ECR: `+dualStack+":c2c2c2c", res.summary)
			assert.Equal(t, target, st.TaskDefinition)
		})
	}
}
