package cdsim_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
)

// The SDK's own deserializers read the simulator's answers and errors.
func TestThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := cdsim.New()
	t.Cleanup(s.Close)
	s.AddDeploymentGroup(cdsim.GroupSpec{Application: "app", Name: "dg", Cluster: "prod", Service: "web", TaskDefinition: "web:1"})
	api := s.Client()
	ctx := t.Context()
	create := func(content string) (*codedeploy.CreateDeploymentOutput, error) {
		return api.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
			ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
			Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String(content)}},
		})
	}

	_, err := create("version: 0.0\nResources: []\n")
	var bad *types.InvalidRevisionException
	require.ErrorAs(t, err, &bad)

	// YAML works as well as JSON.
	out, err := create("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:2\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n")
	require.NoError(t, err)
	id := aws.ToString(out.DeploymentId)
	d, err := api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	info := d.DeploymentInfo
	assert.Equal(t, types.DeploymentStatusSucceeded, info.Status)
	assert.Equal(t, types.ComputePlatformEcs, info.ComputePlatform)
	assert.NotNil(t, info.CompleteTime)
	assert.Equal(t, types.RevisionLocationTypeAppSpecContent, info.Revision.RevisionType)
	st, _ := s.Deployment(id)
	assert.Equal(t, "web:2", st.TaskDefinition)
	assert.Equal(t, int32(80), st.ContainerPort)

	g, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	require.NoError(t, err)
	assert.Equal(t, id, aws.ToString(g.DeploymentGroupInfo.LastSuccessfulDeployment.DeploymentId))
	assert.Equal(t, "web", aws.ToString(g.DeploymentGroupInfo.EcsServices[0].ServiceName))

	_, err = api.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-NOPE")})
	var nf *types.DeploymentDoesNotExistException
	require.ErrorAs(t, err, &nf)
	_, err = api.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"), NextToken: aws.String("bogus")})
	var tok *types.InvalidNextTokenException
	require.ErrorAs(t, err, &tok)

	assert.Equal(t, []string{"CreateDeployment", "CreateDeployment", "GetDeployment", "GetDeploymentGroup", "GetDeployment", "ListDeployments"}, s.Ops())
	assert.Equal(t, "InvalidRevisionException", s.Calls()[0].Err)
}
