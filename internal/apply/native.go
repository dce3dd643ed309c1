package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// NativeAPI is the client of ECS's own rollback: StopServiceDeployment and
// ContinueServiceDeployment.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
type NativeAPI interface {
	StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
	ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
}

// PinAPI is the client that registers a pinned copy of a revision.
type PinAPI interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

var (
	_ NativeAPI = (*ecs.Client)(nil)
	_ PinAPI    = (*ecs.Client)(nil)
)

// StopRollback stops a service deployment in flight with stopType
// ROLLBACK: ECS puts the whole previous service revision back.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
func StopRollback(ctx context.Context, api NativeAPI, deploymentARN string) error {
	_, err := api.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(deploymentARN),
		StopType:             types.StopServiceDeploymentStopTypeRollback,
	})
	if err != nil {
		return fmt.Errorf("stop service deployment %s with ROLLBACK: %w", deploymentARN, err)
	}
	return nil
}

// ContinueRollback answers a lifecycle hook a deployment is paused at with
// action ROLLBACK: ECS rolls the deployment back to the previous service
// revision.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContinueServiceDeployment.html
func ContinueRollback(ctx context.Context, api NativeAPI, deploymentARN, hookID string) error {
	_, err := api.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(deploymentARN),
		HookId:               aws.String(hookID),
		Action:               types.DeploymentLifecycleHookActionRollback,
	})
	if err != nil {
		return fmt.Errorf("continue service deployment %s at hook %s with ROLLBACK: %w", deploymentARN, hookID, err)
	}
	return nil
}

// Refused reports whether ECS refused a native rollback because the
// deployment is no longer in a state to roll back (it just completed or
// ended, or the hook no longer waits): ConflictException,
// ServiceDeploymentNotFoundException or InvalidParameterException.
func Refused(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "ConflictException", "ServiceDeploymentNotFoundException", "InvalidParameterException":
		return true
	}
	return false
}

// Denied reports whether ECS refused a call for want of permission.
func Denied(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorCode(), "AccessDenied")
}

// RegisterPinned registers a copy of the revision arn whose images are
// pinned to digests (container name → sha256:…): every other field is the
// same, its tags copied. It returns the copy's ARN.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
func RegisterPinned(ctx context.Context, api PinAPI, arn string, digests map[string]string) (string, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	if err != nil {
		return "", fmt.Errorf("describe %s to pin its images: %w", arn, err)
	}
	td := out.TaskDefinition
	if td == nil {
		return "", fmt.Errorf("describe %s to pin its images: the answer holds no task definition", arn)
	}
	in := PinnedCopy(*td, out.Tags, digests)
	reg, err := api.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", fmt.Errorf("register a copy of %s pinned to its recorded digests: %w", arn, err)
	}
	if reg.TaskDefinition == nil || reg.TaskDefinition.TaskDefinitionArn == nil {
		return "", fmt.Errorf("register a copy of %s: the answer holds no task definition ARN", arn)
	}
	return *reg.TaskDefinition.TaskDefinitionArn, nil
}

// PinnedCopy is the RegisterTaskDefinition input of a copy of td whose
// containers named in digests run their image by that digest.
func PinnedCopy(td types.TaskDefinition, tags []types.Tag, digests map[string]string) *ecs.RegisterTaskDefinitionInput {
	containers := slices.Clone(td.ContainerDefinitions)
	for i, c := range containers {
		if d, ok := digests[aws.ToString(c.Name)]; ok && d != "" {
			containers[i].Image = aws.String(PinImage(aws.ToString(c.Image), d))
		}
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                        td.Family,
		ContainerDefinitions:          containers,
		Cpu:                           td.Cpu,
		Memory:                        td.Memory,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		TaskRoleArn:                   td.TaskRoleArn,
		InferenceAccelerators:         td.InferenceAccelerators,
		IpcMode:                       td.IpcMode,
		PidMode:                       td.PidMode,
		NetworkMode:                   td.NetworkMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
		Tags:                          slices.Clone(tags),
	}
}

// PinImage replaces an image's tag (or digest) by digest:
// registry/repo:tag → registry/repo@sha256:….
func PinImage(image, digest string) string {
	name, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name + "@" + digest
}
