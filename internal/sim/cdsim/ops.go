package cdsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// Wire shapes, member names as CodeDeploy spells them. Only the members the
// simulator reads or writes are modelled.

type groupRequest struct {
	ApplicationName     string   `json:"applicationName"`
	DeploymentGroupName string   `json:"deploymentGroupName"`
	IncludeOnlyStatuses []string `json:"includeOnlyStatuses"`
	NextToken           string   `json:"nextToken"`
}

type deploymentIDRequest struct {
	DeploymentID        string `json:"deploymentId"`
	AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
}

type createDeploymentRequest struct {
	ApplicationName     string `json:"applicationName"`
	DeploymentGroupName string `json:"deploymentGroupName"`
	Description         string `json:"description"`
	Revision            *struct {
		RevisionType   string `json:"revisionType"`
		AppSpecContent *struct {
			Content string `json:"content"`
			Sha256  string `json:"sha256"`
		} `json:"appSpecContent"`
	} `json:"revision"`
}

type ecsServiceWire struct {
	ServiceName string `json:"serviceName"`
	ClusterName string `json:"clusterName"`
}

type targetGroupWire struct {
	Name string `json:"name"`
}

type trafficRouteWire struct {
	ListenerArns []string `json:"listenerArns"`
}

type targetGroupPairWire struct {
	TargetGroups     []targetGroupWire `json:"targetGroups"`
	ProdTrafficRoute *trafficRouteWire `json:"prodTrafficRoute,omitempty"`
}

type loadBalancerInfoWire struct {
	TargetGroupPairInfoList []targetGroupPairWire `json:"targetGroupPairInfoList"`
}

type lastDeploymentWire struct {
	DeploymentID string         `json:"deploymentId"`
	Status       string         `json:"status"`
	CreateTime   *awsjson.Epoch `json:"createTime,omitempty"`
	EndTime      *awsjson.Epoch `json:"endTime,omitempty"`
}

type deploymentStyleWire struct {
	DeploymentType   string `json:"deploymentType"`
	DeploymentOption string `json:"deploymentOption"`
}

type blueGreenWire struct {
	TerminateBlueInstancesOnDeploymentSuccess struct {
		Action                       string `json:"action"`
		TerminationWaitTimeInMinutes int    `json:"terminationWaitTimeInMinutes"`
	} `json:"terminateBlueInstancesOnDeploymentSuccess"`
	DeploymentReadyOption struct {
		ActionOnTimeout   string `json:"actionOnTimeout"`
		WaitTimeInMinutes int    `json:"waitTimeInMinutes"`
	} `json:"deploymentReadyOption"`
}

type deploymentGroupInfoWire struct {
	ApplicationName          string               `json:"applicationName"`
	DeploymentGroupID        string               `json:"deploymentGroupId"`
	DeploymentGroupName      string               `json:"deploymentGroupName"`
	DeploymentConfigName     string               `json:"deploymentConfigName"`
	ComputePlatform          string               `json:"computePlatform"`
	ServiceRoleArn           string               `json:"serviceRoleArn"`
	DeploymentStyle          deploymentStyleWire  `json:"deploymentStyle"`
	EcsServices              []ecsServiceWire     `json:"ecsServices"`
	LoadBalancerInfo         loadBalancerInfoWire `json:"loadBalancerInfo"`
	BlueGreen                blueGreenWire        `json:"blueGreenDeploymentConfiguration"`
	LastAttemptedDeployment  *lastDeploymentWire  `json:"lastAttemptedDeployment,omitempty"`
	LastSuccessfulDeployment *lastDeploymentWire  `json:"lastSuccessfulDeployment,omitempty"`
}

type appSpecContentWire struct {
	Content string `json:"content"`
	Sha256  string `json:"sha256"`
}

type revisionWire struct {
	RevisionType   string              `json:"revisionType"`
	AppSpecContent *appSpecContentWire `json:"appSpecContent,omitempty"`
}

type errorInformationWire struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rollbackInfoWire struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
}

type deploymentInfoWire struct {
	ApplicationName      string                `json:"applicationName"`
	DeploymentGroupName  string                `json:"deploymentGroupName"`
	DeploymentConfigName string                `json:"deploymentConfigName"`
	DeploymentID         string                `json:"deploymentId"`
	Status               string                `json:"status"`
	Creator              string                `json:"creator"`
	ComputePlatform      string                `json:"computePlatform"`
	DeploymentStyle      deploymentStyleWire   `json:"deploymentStyle"`
	Revision             *revisionWire         `json:"revision,omitempty"`
	ErrorInformation     *errorInformationWire `json:"errorInformation,omitempty"`
	RollbackInfo         *rollbackInfoWire     `json:"rollbackInfo,omitempty"`
	CreateTime           *awsjson.Epoch        `json:"createTime,omitempty"`
	StartTime            *awsjson.Epoch        `json:"startTime,omitempty"`
	CompleteTime         *awsjson.Epoch        `json:"completeTime,omitempty"`
	// InstanceTerminationWaitTimeStarted says traffic moved and the
	// termination wait of the original task set has begun.
	InstanceTerminationWaitTimeStarted bool `json:"instanceTerminationWaitTimeStarted"`
}

var blueGreen = deploymentStyleWire{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"}

const deploymentConfig = "CodeDeployDefault.ECSAllAtOnce"

// lookupGroup finds the application and group of a request; callers hold
// s.mu.
func (s *Server) lookupGroup(app, name string) (*group, *awsjson.Error) {
	if app == "" {
		return nil, awsjson.Errorf(ErrApplicationNameRequired, "The application name must be specified.")
	}
	if !s.apps[app] {
		return nil, awsjson.Errorf(ErrApplicationDoesNotExist, "No application found for name: %s", app)
	}
	if name == "" {
		return nil, awsjson.Errorf(ErrDeploymentGroupNameRequired, "The deployment group name must be specified.")
	}
	g := s.groups[app+"/"+name]
	if g == nil {
		return nil, awsjson.Errorf(ErrDeploymentGroupDoesNotExist, "No Deployment Group found for name: %s", name)
	}
	return g, nil
}

// requestedDeployment decodes a request naming a deployment and finds it;
// callers hold s.mu.
func (s *Server) requestedDeployment(body []byte) (*deployment, deploymentIDRequest, *awsjson.Error) {
	var req deploymentIDRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, req, e
	}
	if req.DeploymentID == "" {
		return nil, req, awsjson.Errorf(ErrDeploymentIDRequired, "At least one deployment ID must be specified.")
	}
	d := s.find(req.DeploymentID)
	if d == nil {
		return nil, req, awsjson.Errorf(ErrDeploymentDoesNotExist, "The deployment %s could not be found.", req.DeploymentID)
	}
	return d, req, nil
}

// getDeploymentGroup: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html
func (s *Server) getDeploymentGroup(body []byte) (any, *awsjson.Error) {
	var req groupRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	g, e := s.lookupGroup(req.ApplicationName, req.DeploymentGroupName)
	if e != nil {
		return nil, e
	}
	info := deploymentGroupInfoWire{
		ApplicationName:      g.Application,
		DeploymentGroupID:    g.id,
		DeploymentGroupName:  g.Name,
		DeploymentConfigName: deploymentConfig,
		ComputePlatform:      "ECS",
		ServiceRoleArn:       "arn:aws:iam::123456789012:role/CodeDeployECS",
		DeploymentStyle:      blueGreen,
		EcsServices:          []ecsServiceWire{{ServiceName: g.Service, ClusterName: g.Cluster}},
	}
	// See https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BlueGreenDeploymentConfiguration.html
	info.BlueGreen.TerminateBlueInstancesOnDeploymentSuccess.Action = "TERMINATE"
	info.BlueGreen.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = int(g.TerminationWait / time.Minute)
	info.BlueGreen.DeploymentReadyOption.ActionOnTimeout = "CONTINUE_DEPLOYMENT"
	if g.ManualReroute {
		// Wait for ContinueDeployment; CodeDeploy stops the deployment
		// when waitTimeInMinutes passes without one.
		info.BlueGreen.DeploymentReadyOption.ActionOnTimeout = "STOP_DEPLOYMENT"
		info.BlueGreen.DeploymentReadyOption.WaitTimeInMinutes = 1440
	}
	pair := targetGroupPairWire{}
	for _, tg := range g.TargetGroups {
		pair.TargetGroups = append(pair.TargetGroups, targetGroupWire{Name: tg})
	}
	if g.ProdListener != "" {
		pair.ProdTrafficRoute = &trafficRouteWire{ListenerArns: []string{g.ProdListener}}
	}
	info.LoadBalancerInfo.TargetGroupPairInfoList = []targetGroupPairWire{pair}
	for i := len(s.deployments) - 1; i >= 0; i-- {
		d := s.deployments[i]
		if d.Application != g.Application || d.Group != g.Name {
			continue
		}
		last := &lastDeploymentWire{DeploymentID: d.ID, Status: d.Status, CreateTime: awsjson.EpochPtr(d.created), EndTime: awsjson.EpochPtr(d.completed)}
		if info.LastAttemptedDeployment == nil {
			info.LastAttemptedDeployment = last
		}
		if d.Status == StatusSucceeded && info.LastSuccessfulDeployment == nil {
			info.LastSuccessfulDeployment = last
		}
	}
	return map[string]any{"deploymentGroupInfo": info}, nil
}

// listDeployments: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeployments.html
// Newest first.
func (s *Server) listDeployments(body []byte) (any, *awsjson.Error) {
	var req groupRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.ApplicationName != "" || req.DeploymentGroupName != "" {
		if _, e := s.lookupGroup(req.ApplicationName, req.DeploymentGroupName); e != nil {
			return nil, e
		}
	}
	var ids []string
	for i := len(s.deployments) - 1; i >= 0; i-- {
		d := s.deployments[i]
		if req.ApplicationName != "" && (d.Application != req.ApplicationName || d.Group != req.DeploymentGroupName) {
			continue
		}
		if len(req.IncludeOnlyStatuses) > 0 && !slices.Contains(req.IncludeOnlyStatuses, d.Status) {
			continue
		}
		ids = append(ids, d.ID)
	}
	off := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.NextToken, "cdsim-"))
		if err != nil || n < 0 || n > len(ids) || !strings.HasPrefix(req.NextToken, "cdsim-") {
			return nil, awsjson.Errorf(ErrInvalidNextToken, "The next token is not valid.")
		}
		off = n
	}
	end := min(off+s.pageSize, len(ids))
	out := map[string]any{"deployments": append([]string{}, ids[off:end]...)}
	if end < len(ids) {
		out["nextToken"] = fmt.Sprintf("cdsim-%d", end)
	}
	return out, nil
}

// getDeployment: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeployment.html
func (s *Server) getDeployment(body []byte) (any, *awsjson.Error) {
	d, _, e := s.requestedDeployment(body)
	if e != nil {
		return nil, e
	}
	info := deploymentInfoWire{
		ApplicationName:      d.Application,
		DeploymentGroupName:  d.Group,
		DeploymentConfigName: deploymentConfig,
		DeploymentID:         d.ID,
		Status:               d.Status,
		Creator:              d.Creator,
		ComputePlatform:      "ECS",
		DeploymentStyle:      blueGreen,
		CreateTime:           awsjson.EpochPtr(d.created),
		StartTime:            awsjson.EpochPtr(d.created),
		CompleteTime:         awsjson.EpochPtr(d.completed),
		// The termination wait begins once AfterAllowTraffic succeeded.
		InstanceTerminationWaitTimeStarted: d.Status == StatusInProgress && d.TrafficShifted && d.progress(s.now()) >= d.behavior.Settle,
	}
	content := d.AppSpec
	if content == "" {
		content = fmt.Sprintf(`{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":%q}}}]}`, d.TaskDefinition)
	}
	sum := sha256.Sum256([]byte(content))
	info.Revision = &revisionWire{RevisionType: "AppSpecContent", AppSpecContent: &appSpecContentWire{Content: content, Sha256: hex.EncodeToString(sum[:])}}
	if d.ErrorCode != "" {
		info.ErrorInformation = &errorInformationWire{Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	switch {
	case d.RollbackID != "":
		info.RollbackInfo = &rollbackInfoWire{RollbackDeploymentID: d.RollbackID, RollbackMessage: "Deployment stopped by the user; rollback deployment " + d.RollbackID + " was created."}
	case d.RollbackOf != "":
		info.RollbackInfo = &rollbackInfoWire{RollbackTriggeringDeploymentID: d.RollbackOf}
	}
	return map[string]any{"deploymentInfo": info}, nil
}

// stopDeployment: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_StopDeployment.html
func (s *Server) stopDeployment(body []byte) (any, *awsjson.Error) {
	d, req, e := s.requestedDeployment(body)
	if e != nil {
		return nil, e
	}
	if terminal(d.Status) || d.Stopped {
		return nil, awsjson.Errorf(ErrDeploymentAlreadyCompleted, "The deployment %s has already completed.", d.ID)
	}
	d.Stopped, d.stoppedAt = true, s.now()
	d.AutoRollback = req.AutoRollbackEnabled != nil && *req.AutoRollbackEnabled
	// A stop without delay takes effect now, so a read right after sees it.
	done := s.advance()
	s.pendingNotify = append(s.pendingNotify, done...)
	return map[string]any{"status": "Pending", "statusMessage": "Stopping Pending. Stopping to schedule commands in the deployment instances"}, nil
}

// appSpec is the part of an ECS AppSpec the simulator reads.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
type appSpec struct {
	Version   any `yaml:"version"`
	Resources []struct {
		TargetService struct {
			Type       string `yaml:"Type"`
			Properties struct {
				TaskDefinition   string `yaml:"TaskDefinition"`
				LoadBalancerInfo *struct {
					ContainerName string `yaml:"ContainerName"`
					ContainerPort int32  `yaml:"ContainerPort"`
				} `yaml:"LoadBalancerInfo"`
			} `yaml:"Properties"`
		} `yaml:"TargetService"`
	} `yaml:"Resources"`
}

// createDeployment: https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
// Only AppSpecContent revisions are taken. Like CodeDeploy, a group has at
// most one active deployment.
func (s *Server) createDeployment(body []byte) (any, *awsjson.Error) {
	var req createDeploymentRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	g, e := s.lookupGroup(req.ApplicationName, req.DeploymentGroupName)
	if e != nil {
		return nil, e
	}
	if req.Revision == nil {
		return nil, awsjson.Errorf(ErrRevisionRequired, "The revision must be specified.")
	}
	if req.Revision.RevisionType != "AppSpecContent" || req.Revision.AppSpecContent == nil || req.Revision.AppSpecContent.Content == "" {
		return nil, awsjson.Errorf(ErrInvalidRevision, "The simulator takes AppSpecContent revisions only, got %q.", req.Revision.RevisionType)
	}
	content := req.Revision.AppSpecContent.Content
	if sum := req.Revision.AppSpecContent.Sha256; sum != "" {
		got := sha256.Sum256([]byte(content))
		if !strings.EqualFold(sum, hex.EncodeToString(got[:])) {
			return nil, awsjson.Errorf(ErrInvalidRevision, "The AppSpec content does not match its SHA-256 hash.")
		}
	}
	var spec appSpec
	if err := yaml.Unmarshal([]byte(content), &spec); err != nil {
		return nil, awsjson.Errorf(ErrInvalidRevision, "The AppSpec content cannot be parsed: %v", err)
	}
	if len(spec.Resources) != 1 || spec.Resources[0].TargetService.Type != "AWS::ECS::Service" || spec.Resources[0].TargetService.Properties.TaskDefinition == "" {
		return nil, awsjson.Errorf(ErrInvalidRevision, "The AppSpec content must have one TargetService of Type AWS::ECS::Service with a TaskDefinition.")
	}
	// CodeDeploy routes traffic to the replacement task set by the AppSpec's
	// container and port; without them an ECS deployment cannot start.
	if lb := spec.Resources[0].TargetService.Properties.LoadBalancerInfo; lb == nil || lb.ContainerName == "" || lb.ContainerPort == 0 {
		return nil, awsjson.Errorf(ErrInvalidRevision, "The AppSpec content of an ECS deployment must give LoadBalancerInfo with ContainerName and ContainerPort.")
	}
	for _, d := range s.deployments {
		if d.Application == g.Application && d.Group == g.Name && !terminal(d.Status) {
			return nil, awsjson.Errorf(ErrDeploymentLimitExceeded, "The Deployment Group '%s' already has an active Deployment '%s'", g.Name, d.ID)
		}
	}
	props := spec.Resources[0].TargetService.Properties
	d := s.newDeployment(g, props.TaskDefinition, s.behavior, "user")
	d.AppSpec = content
	if lb := props.LoadBalancerInfo; lb != nil {
		d.ContainerName, d.ContainerPort = lb.ContainerName, lb.ContainerPort
	}
	return map[string]any{"deploymentId": d.ID}, nil
}
