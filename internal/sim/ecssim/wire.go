package ecssim

import "github.com/deplight/ecs-rollback/internal/sim/awsjson"

// This file holds the JSON shapes of the AWS JSON 1.1 protocol, member names
// exactly as ECS spells them (pinned against the aws-sdk-go-v2 snapshots in
// testdata/aws by wire_test.go). Only the members the simulator reads or
// writes are modelled.

// Requests.

type describeServicesRequest struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
	Include  []string `json:"include"`
}

type listTaskDefinitionsRequest struct {
	FamilyPrefix string `json:"familyPrefix"`
	Status       string `json:"status"`
	Sort         string `json:"sort"`
	MaxResults   *int32 `json:"maxResults"`
	NextToken    string `json:"nextToken"`
}

type describeTaskDefinitionRequest struct {
	TaskDefinition string   `json:"taskDefinition"`
	Include        []string `json:"include"`
}

type updateServiceRequest struct {
	Cluster            string `json:"cluster"`
	Service            string `json:"service"`
	TaskDefinition     string `json:"taskDefinition"`
	DesiredCount       *int32 `json:"desiredCount"`
	ForceNewDeployment bool   `json:"forceNewDeployment"`
}

type listTasksRequest struct {
	Cluster       string `json:"cluster"`
	ServiceName   string `json:"serviceName"`
	DesiredStatus string `json:"desiredStatus"`
	Family        string `json:"family"`
	MaxResults    *int32 `json:"maxResults"`
	NextToken     string `json:"nextToken"`
}

type describeTasksRequest struct {
	Cluster string   `json:"cluster"`
	Tasks   []string `json:"tasks"`
	Include []string `json:"include"`
}

type deregisterTaskDefinitionRequest struct {
	TaskDefinition string `json:"taskDefinition"`
}

type registerTaskDefinitionRequest struct {
	Family               string                    `json:"family"`
	ContainerDefinitions []containerDefinitionWire `json:"containerDefinitions"`
}

// Responses.

type failureWire struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

type tagWire struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type describeServicesResponse struct {
	Services []serviceWire `json:"services"`
	Failures []failureWire `json:"failures"`
}

type updateServiceResponse struct {
	Service serviceWire `json:"service"`
}

type serviceWire struct {
	ServiceArn           string                   `json:"serviceArn"`
	ServiceName          string                   `json:"serviceName"`
	ClusterArn           string                   `json:"clusterArn"`
	Status               string                   `json:"status"`
	DesiredCount         int32                    `json:"desiredCount"`
	RunningCount         int32                    `json:"runningCount"`
	PendingCount         int32                    `json:"pendingCount"`
	LaunchType           string                   `json:"launchType,omitempty"`
	TaskDefinition       string                   `json:"taskDefinition"`
	DeploymentController deploymentControllerWire `json:"deploymentController"`
	Deployments          []deploymentWire         `json:"deployments"`
	Events               []eventWire              `json:"events"`
	CreatedAt            awsjson.Epoch            `json:"createdAt"`
	CreatedBy            string                   `json:"createdBy"`
	SchedulingStrategy   string                   `json:"schedulingStrategy"`
	Tags                 *[]tagWire               `json:"tags,omitempty"`
	LoadBalancers        []loadBalancerWire       `json:"loadBalancers,omitempty"`
	launchFields                                  // set with SetLaunch
	// Service history (deployments.go).
	DeploymentConfiguration  *deploymentConfigurationWire `json:"deploymentConfiguration,omitempty"`
	CurrentServiceDeployment string                       `json:"currentServiceDeployment,omitempty"`
	CurrentServiceRevisions  []currentRevisionWire        `json:"currentServiceRevisions,omitempty"`
}

type loadBalancerWire struct {
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	ContainerName  string `json:"containerName"`
	ContainerPort  int32  `json:"containerPort"`
}

type deploymentControllerWire struct {
	Type string `json:"type"`
}

type deploymentWire struct {
	ID                 string        `json:"id"`
	Status             string        `json:"status"`
	TaskDefinition     string        `json:"taskDefinition"`
	DesiredCount       int32         `json:"desiredCount"`
	PendingCount       int32         `json:"pendingCount"`
	RunningCount       int32         `json:"runningCount"`
	FailedTasks        int32         `json:"failedTasks"`
	CreatedAt          awsjson.Epoch `json:"createdAt"`
	UpdatedAt          awsjson.Epoch `json:"updatedAt"`
	LaunchType         string        `json:"launchType"`
	RolloutState       string        `json:"rolloutState,omitempty"`
	RolloutStateReason string        `json:"rolloutStateReason,omitempty"`
}

type eventWire struct {
	ID        string        `json:"id"`
	CreatedAt awsjson.Epoch `json:"createdAt"`
	Message   string        `json:"message"`
}

type listTaskDefinitionsResponse struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          string   `json:"nextToken,omitempty"`
}

type taskDefinitionResponse struct {
	TaskDefinition taskDefinitionWire `json:"taskDefinition"`
	Tags           *[]tagWire         `json:"tags,omitempty"`
}

type taskDefinitionWire struct {
	TaskDefinitionArn    string                    `json:"taskDefinitionArn"`
	Family               string                    `json:"family"`
	Revision             int32                     `json:"revision"`
	Status               string                    `json:"status"`
	ContainerDefinitions []containerDefinitionWire `json:"containerDefinitions"`
	RegisteredAt         awsjson.Epoch             `json:"registeredAt"`
	DeregisteredAt       *awsjson.Epoch            `json:"deregisteredAt,omitempty"`
	RegisteredBy         string                    `json:"registeredBy"`
}

type containerDefinitionWire struct {
	Name         string            `json:"name"`
	Image        string            `json:"image"`
	Essential    *bool             `json:"essential,omitempty"`
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`
}

type listTasksResponse struct {
	TaskArns  []string `json:"taskArns"`
	NextToken string   `json:"nextToken,omitempty"`
}

type describeTasksResponse struct {
	Tasks    []taskWire    `json:"tasks"`
	Failures []failureWire `json:"failures"`
}

type taskWire struct {
	TaskArn           string              `json:"taskArn"`
	ClusterArn        string              `json:"clusterArn"`
	TaskDefinitionArn string              `json:"taskDefinitionArn"`
	Group             string              `json:"group"`
	StartedBy         string              `json:"startedBy"`
	LaunchType        string              `json:"launchType"`
	LastStatus        string              `json:"lastStatus"`
	DesiredStatus     string              `json:"desiredStatus"`
	StopCode          string              `json:"stopCode,omitempty"`
	StoppedReason     string              `json:"stoppedReason,omitempty"`
	CreatedAt         awsjson.Epoch       `json:"createdAt"`
	StartedAt         *awsjson.Epoch      `json:"startedAt,omitempty"`
	StoppedAt         *awsjson.Epoch      `json:"stoppedAt,omitempty"`
	Containers        []taskContainerWire `json:"containers"`
}

type taskContainerWire struct {
	ContainerArn string `json:"containerArn"`
	TaskArn      string `json:"taskArn"`
	Name         string `json:"name"`
	Image        string `json:"image"`
	LastStatus   string `json:"lastStatus"`
	ExitCode     *int32 `json:"exitCode,omitempty"`
	Reason       string `json:"reason,omitempty"`
}
