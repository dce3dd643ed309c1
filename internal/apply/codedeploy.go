package apply

// The CodeDeploy mechanism, for ECS services with the CODE_DEPLOY
// deployment controller: read the deployment group, find deployments in
// progress, stop one with auto-rollback, create a deployment of a task
// definition. It uses narrow aws-sdk-go-v2 interfaces; *codedeploy.Client
// satisfies them all.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// GetDeploymentGroupAPI is the client of GetDeploymentGroup.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html
type GetDeploymentGroupAPI interface {
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
}

// StopDeploymentAPI is the client of StopDeployment.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_StopDeployment.html
type StopDeploymentAPI interface {
	StopDeployment(ctx context.Context, in *codedeploy.StopDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
}

// CreateDeploymentAPI is the client of CreateDeployment.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
type CreateDeploymentAPI interface {
	CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
}

// ListDeploymentTargetsAPI is the client of ListDeploymentTargets.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeploymentTargets.html
type ListDeploymentTargetsAPI interface {
	ListDeploymentTargets(ctx context.Context, in *codedeploy.ListDeploymentTargetsInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
}

// GetDeploymentTargetAPI is the client of GetDeploymentTarget.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentTarget.html
type GetDeploymentTargetAPI interface {
	GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
}

// CodeDeployAPI is every CodeDeploy operation a rollback uses; ListDeployments and
// GetDeployment use the SDK's own codedeploy.ListDeploymentsAPIClient and
// codedeploy.GetDeploymentAPIClient. The deployment targets tell when
// production traffic is on the target (see wait.CodeDeploy).
type CodeDeployAPI interface {
	GetDeploymentGroupAPI
	codedeploy.ListDeploymentsAPIClient
	codedeploy.GetDeploymentAPIClient
	StopDeploymentAPI
	CreateDeploymentAPI
	ListDeploymentTargetsAPI
	GetDeploymentTargetAPI
}

var _ CodeDeployAPI = (*codedeploy.Client)(nil)

// activeStatuses are the statuses of a deployment that has not ended yet.
var activeStatuses = []types.DeploymentStatus{
	types.DeploymentStatusCreated,
	types.DeploymentStatusQueued,
	types.DeploymentStatusInProgress,
	types.DeploymentStatusReady,
}

// CodeDeployGroup is what a rollback needs of a deployment group.
type CodeDeployGroup struct {
	Application     string
	Name            string
	ComputePlatform string       // ECS for an ECS blue/green group
	Services        []ECSService // the ECS services the group deploys
	TargetGroups    []string     // names of the target groups of its load balancer
	// TerminationWait is how long CodeDeploy keeps the original task set
	// after traffic moved (terminationWaitTimeInMinutes): its deployments
	// stay InProgress that long.
	TerminationWait time.Duration
	// ManualReroute says deployments wait Ready for ContinueDeployment
	// before traffic moves (deploymentReadyOption.actionOnTimeout
	// STOP_DEPLOYMENT).
	ManualReroute bool
}

// ECSService is one ECS service of a deployment group.
type ECSService struct {
	Cluster string
	Service string
}

// Deploys reports whether the group deploys service in cluster; each may be
// a name or an ARN.
func (g CodeDeployGroup) Deploys(cluster, service string) bool {
	for _, s := range g.Services {
		if revision.ResourceName(s.Service) == revision.ResourceName(service) && (cluster == "" || revision.ResourceName(s.Cluster) == revision.ResourceName(cluster)) {
			return true
		}
	}
	return false
}

// GetCodeDeployGroup reads a deployment group.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html
func GetCodeDeployGroup(ctx context.Context, api GetDeploymentGroupAPI, application, name string) (CodeDeployGroup, error) {
	out, err := api.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName:     aws.String(application),
		DeploymentGroupName: aws.String(name),
	})
	if err != nil {
		return CodeDeployGroup{}, fmt.Errorf("get CodeDeploy deployment group %s of application %s: %w", name, application, err)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return CodeDeployGroup{}, fmt.Errorf("get CodeDeploy deployment group %s of application %s: the answer holds no group", name, application)
	}
	g := CodeDeployGroup{
		Application:     aws.ToString(info.ApplicationName),
		Name:            aws.ToString(info.DeploymentGroupName),
		ComputePlatform: string(info.ComputePlatform),
	}
	for _, s := range info.EcsServices {
		g.Services = append(g.Services, ECSService{Cluster: aws.ToString(s.ClusterName), Service: aws.ToString(s.ServiceName)})
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if t := bg.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
			g.TerminationWait = time.Duration(t.TerminationWaitTimeInMinutes) * time.Minute
		}
		if r := bg.DeploymentReadyOption; r != nil {
			g.ManualReroute = r.ActionOnTimeout == types.DeploymentReadyActionStopDeployment
		}
	}
	if lb := info.LoadBalancerInfo; lb != nil {
		for _, pair := range lb.TargetGroupPairInfoList {
			for _, tg := range pair.TargetGroups {
				g.TargetGroups = append(g.TargetGroups, aws.ToString(tg.Name))
			}
		}
	}
	return g, nil
}

// ActiveCodeDeployments lists the deployments of the group that have not ended (Created,
// Queued, InProgress or Ready), newest first as CodeDeploy lists them.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeployments.html
func ActiveCodeDeployments(ctx context.Context, api codedeploy.ListDeploymentsAPIClient, application, group string) ([]string, error) {
	p := codedeploy.NewListDeploymentsPaginator(api, &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(application),
		DeploymentGroupName: aws.String(group),
		IncludeOnlyStatuses: activeStatuses,
	})
	var ids []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list active deployments of CodeDeploy group %s of application %s: %w", group, application, err)
		}
		ids = append(ids, out.Deployments...)
	}
	return ids, nil
}

// AppSpec is the ECS AppSpec of a rollback deployment: the target task
// definition, and what the replacement task set must repeat of the service
// so that the rollback changes nothing else. CodeDeploy takes LATEST for a
// missing PlatformVersion, and the service's network configuration and
// capacity-provider strategy only when the AppSpec names them.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
type AppSpec struct {
	TaskDefinition string // full ARN of the target revision
	// ContainerName and ContainerPort route the load balancer's traffic;
	// CodeDeploy requires both for ECS (both empty leaves LoadBalancerInfo
	// out, which CodeDeploy refuses).
	ContainerName string
	ContainerPort int32
	// PlatformVersion is the Fargate platform version, e.g. 1.4.0 or
	// LATEST; "" leaves it out.
	PlatformVersion string
	// Network is the awsvpc configuration; nil leaves it out.
	Network *AppSpecNetwork
	// CapacityProviders is the capacity-provider strategy; empty leaves it
	// out.
	CapacityProviders []AppSpecCapacityProvider
}

// AppSpecNetwork is NetworkConfiguration.AwsvpcConfiguration.
type AppSpecNetwork struct {
	Subnets        []string
	SecurityGroups []string
	AssignPublicIP string // ENABLED or DISABLED; "" leaves it out
}

// AppSpecCapacityProvider is one item of CapacityProviderStrategy.
type AppSpecCapacityProvider struct {
	CapacityProvider string
	Base             int32
	Weight           int32
}

type appSpecJSON struct {
	Version   string            `json:"version"`
	Resources []appSpecResource `json:"Resources"`
}

type appSpecResource struct {
	TargetService appSpecTarget `json:"TargetService"`
}

type appSpecTarget struct {
	Type       string            `json:"Type"`
	Properties appSpecProperties `json:"Properties"`
}

type appSpecProperties struct {
	TaskDefinition           string                    `json:"TaskDefinition"`
	LoadBalancerInfo         *appSpecLoadBalancer      `json:"LoadBalancerInfo,omitempty"`
	PlatformVersion          string                    `json:"PlatformVersion,omitempty"`
	NetworkConfiguration     *appSpecNetworkConfig     `json:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy []appSpecCapacityProvider `json:"CapacityProviderStrategy,omitempty"`
}

type appSpecLoadBalancer struct {
	ContainerName string `json:"ContainerName"`
	ContainerPort int32  `json:"ContainerPort"`
}

type appSpecNetworkConfig struct {
	AwsvpcConfiguration appSpecAwsvpc `json:"AwsvpcConfiguration"`
}

type appSpecAwsvpc struct {
	Subnets        []string `json:"Subnets"`
	SecurityGroups []string `json:"SecurityGroups,omitempty"`
	AssignPublicIP string   `json:"AssignPublicIp,omitempty"`
}

type appSpecCapacityProvider struct {
	Base             int32  `json:"Base"`
	CapacityProvider string `json:"CapacityProvider"`
	Weight           int32  `json:"Weight"`
}

// Content renders the AppSpec as indented JSON (a subset of YAML, which
// CodeDeploy also reads), ending in a newline.
func (a AppSpec) Content() string {
	props := appSpecProperties{TaskDefinition: a.TaskDefinition, PlatformVersion: a.PlatformVersion}
	if a.ContainerName != "" || a.ContainerPort != 0 {
		props.LoadBalancerInfo = &appSpecLoadBalancer{ContainerName: a.ContainerName, ContainerPort: a.ContainerPort}
	}
	if n := a.Network; n != nil {
		props.NetworkConfiguration = &appSpecNetworkConfig{AwsvpcConfiguration: appSpecAwsvpc{
			Subnets: n.Subnets, SecurityGroups: n.SecurityGroups, AssignPublicIP: n.AssignPublicIP,
		}}
	}
	for _, c := range a.CapacityProviders {
		props.CapacityProviderStrategy = append(props.CapacityProviderStrategy, appSpecCapacityProvider{Base: c.Base, CapacityProvider: c.CapacityProvider, Weight: c.Weight})
	}
	// Marshalling plain strings and numbers cannot fail.
	b, _ := json.MarshalIndent(appSpecJSON{
		Version:   "0.0",
		Resources: []appSpecResource{{TargetService: appSpecTarget{Type: "AWS::ECS::Service", Properties: props}}},
	}, "", "  ")
	return string(b) + "\n"
}

// CreateCodeDeployment starts a deployment of spec to the group and returns its id.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
func CreateCodeDeployment(ctx context.Context, api CreateDeploymentAPI, application, group string, spec AppSpec, description string) (string, error) {
	content := spec.Content()
	sum := sha256.Sum256([]byte(content))
	out, err := api.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName:     aws.String(application),
		DeploymentGroupName: aws.String(group),
		Description:         optionalString(description),
		Revision: &types.RevisionLocation{
			RevisionType: types.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &types.AppSpecContent{
				Content: aws.String(content),
				Sha256:  aws.String(hex.EncodeToString(sum[:])),
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("create a CodeDeploy deployment of %s to group %s of application %s: %w", spec.TaskDefinition, group, application, err)
	}
	return aws.ToString(out.DeploymentId), nil
}

// ErrAlreadyCompleted says a deployment to stop had already ended.
var ErrAlreadyCompleted = errors.New("the deployment has already completed")

// StopCodeDeployment stops a deployment with autoRollbackEnabled, so that CodeDeploy rolls
// the service back to the task set it ran before. A deployment that had
// already ended is ErrAlreadyCompleted.
// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_StopDeployment.html
func StopCodeDeployment(ctx context.Context, api StopDeploymentAPI, id string) error {
	_, err := api.StopDeployment(ctx, &codedeploy.StopDeploymentInput{
		DeploymentId:        aws.String(id),
		AutoRollbackEnabled: aws.Bool(true),
	})
	var done *types.DeploymentAlreadyCompletedException
	if errors.As(err, &done) {
		return fmt.Errorf("stop CodeDeploy deployment %s: %w", id, ErrAlreadyCompleted)
	}
	if err != nil {
		return fmt.Errorf("stop CodeDeploy deployment %s: %w", id, err)
	}
	return nil
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
