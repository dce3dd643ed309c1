package apply

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
)

func TestPinImage(t *testing.T) {
	t.Parallel()
	d := "sha256:" + "ab12"
	for in, want := range map[string]string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:prod":      "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@" + d,
		"localhost:5000/app:1.2":                                     "localhost:5000/app@" + d,
		"localhost:5000/app":                                         "localhost:5000/app@" + d,
		"nginx:1.25@sha256:0000":                                     "nginx@" + d,
		"public.ecr.aws/aws-observability/aws-for-fluent-bit:stable": "public.ecr.aws/aws-observability/aws-for-fluent-bit@" + d,
	} {
		assert.Equal(t, want, PinImage(in, d), in)
	}
}

func TestPinnedCopyKeepsEveryOtherField(t *testing.T) {
	t.Parallel()
	td := types.TaskDefinition{
		Family: aws.String("web"), Cpu: aws.String("256"), Memory: aws.String("512"),
		NetworkMode: types.NetworkModeAwsvpc, ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"),
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/task"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Volumes:                 []types.Volume{{Name: aws.String("data")}},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("repo/web:prod"), Essential: aws.Bool(true), Environment: []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}}},
			{Name: aws.String("sidecar"), Image: aws.String("repo/side:1")},
		},
		Revision: 42, Status: types.TaskDefinitionStatusActive,
	}
	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	in := PinnedCopy(td, tags, map[string]string{"app": "sha256:aaaa"})
	assert.Equal(t, "repo/web@sha256:aaaa", aws.ToString(in.ContainerDefinitions[0].Image))
	assert.Equal(t, "repo/side:1", aws.ToString(in.ContainerDefinitions[1].Image), "only the containers given are pinned")
	assert.Equal(t, td.ContainerDefinitions[0].Environment, in.ContainerDefinitions[0].Environment)
	assert.Equal(t, "repo/web:prod", aws.ToString(td.ContainerDefinitions[0].Image), "the original is not changed")
	assert.Equal(t, td.Family, in.Family)
	assert.Equal(t, td.Cpu, in.Cpu)
	assert.Equal(t, td.Memory, in.Memory)
	assert.Equal(t, td.NetworkMode, in.NetworkMode)
	assert.Equal(t, td.ExecutionRoleArn, in.ExecutionRoleArn)
	assert.Equal(t, td.TaskRoleArn, in.TaskRoleArn)
	assert.Equal(t, td.RequiresCompatibilities, in.RequiresCompatibilities)
	assert.Equal(t, td.Volumes, in.Volumes)
	assert.Equal(t, tags, in.Tags)
}
