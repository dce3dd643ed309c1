package ecssim

import (
	"slices"
	"time"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// The service deployment operations, member names as ECS spells them
// (checked against the SDK's deserializers by deployments_test.go).

type listServiceDeploymentsRequest struct {
	Cluster    string   `json:"cluster"`
	Service    string   `json:"service"`
	Status     []string `json:"status"`
	MaxResults *int32   `json:"maxResults"`
	NextToken  string   `json:"nextToken"`
	CreatedAt  *struct {
		Before *float64 `json:"before"`
		After  *float64 `json:"after"`
	} `json:"createdAt"`
}

type listServiceDeploymentsResponse struct {
	ServiceDeployments []serviceDeploymentBriefWire `json:"serviceDeployments"`
	NextToken          string                       `json:"nextToken,omitempty"`
}

type serviceDeploymentBriefWire struct {
	ServiceDeploymentArn     string         `json:"serviceDeploymentArn"`
	ServiceArn               string         `json:"serviceArn"`
	ClusterArn               string         `json:"clusterArn"`
	StartedAt                *awsjson.Epoch `json:"startedAt,omitempty"`
	CreatedAt                awsjson.Epoch  `json:"createdAt"`
	FinishedAt               *awsjson.Epoch `json:"finishedAt,omitempty"`
	TargetServiceRevisionArn string         `json:"targetServiceRevisionArn"`
	Status                   string         `json:"status"`
	StatusReason             string         `json:"statusReason,omitempty"`
}

type describeServiceDeploymentsRequest struct {
	ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
}

type describeServiceRevisionsRequest struct {
	ServiceRevisionArns []string `json:"serviceRevisionArns"`
}

type describeServiceDeploymentsResponse struct {
	ServiceDeployments []serviceDeploymentWire `json:"serviceDeployments"`
	Failures           []failureWire           `json:"failures"`
}

type serviceRevisionSummaryWire struct {
	Arn                              string   `json:"arn"`
	RequestedTaskCount               int32    `json:"requestedTaskCount"`
	RunningTaskCount                 int32    `json:"runningTaskCount"`
	PendingTaskCount                 int32    `json:"pendingTaskCount"`
	RequestedProductionTrafficWeight *float64 `json:"requestedProductionTrafficWeight,omitempty"`
}

type serviceDeploymentWire struct {
	ServiceDeploymentArn     string                       `json:"serviceDeploymentArn"`
	ServiceArn               string                       `json:"serviceArn"`
	ClusterArn               string                       `json:"clusterArn"`
	CreatedAt                awsjson.Epoch                `json:"createdAt"`
	StartedAt                awsjson.Epoch                `json:"startedAt"`
	FinishedAt               *awsjson.Epoch               `json:"finishedAt,omitempty"`
	StoppedAt                *awsjson.Epoch               `json:"stoppedAt,omitempty"`
	UpdatedAt                awsjson.Epoch                `json:"updatedAt"`
	SourceServiceRevisions   []serviceRevisionSummaryWire `json:"sourceServiceRevisions"`
	TargetServiceRevision    serviceRevisionSummaryWire   `json:"targetServiceRevision"`
	Status                   string                       `json:"status"`
	StatusReason             string                       `json:"statusReason,omitempty"`
	LifecycleStage           string                       `json:"lifecycleStage,omitempty"`
	DeploymentConfiguration  deploymentConfigurationWire  `json:"deploymentConfiguration"`
	Rollback                 *rollbackWire                `json:"rollback,omitempty"`
	DeploymentCircuitBreaker *rollbackMonitorWire         `json:"deploymentCircuitBreaker,omitempty"`
	Alarms                   *alarmsMonitorWire           `json:"alarms,omitempty"`
	LifecycleHookDetails     []lifecycleHookDetailWire    `json:"lifecycleHookDetails,omitempty"`
}

type deploymentConfigurationWire struct {
	MaximumPercent           int32                 `json:"maximumPercent"`
	MinimumHealthyPercent    int32                 `json:"minimumHealthyPercent"`
	Strategy                 string                `json:"strategy"`
	BakeTimeInMinutes        *int32                `json:"bakeTimeInMinutes,omitempty"`
	DeploymentCircuitBreaker *circuitBreakerWire   `json:"deploymentCircuitBreaker,omitempty"`
	Alarms                   *deploymentAlarmsWire `json:"alarms,omitempty"`
	LinearConfiguration      *linearConfigWire     `json:"linearConfiguration,omitempty"`
	CanaryConfiguration      *canaryConfigWire     `json:"canaryConfiguration,omitempty"`
	LifecycleHooks           []lifecycleHookWire   `json:"lifecycleHooks,omitempty"`
}

type circuitBreakerWire struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type deploymentAlarmsWire struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

type linearConfigWire struct {
	StepPercent           float64 `json:"stepPercent"`
	StepBakeTimeInMinutes int32   `json:"stepBakeTimeInMinutes"`
}

type canaryConfigWire struct {
	CanaryPercent           float64 `json:"canaryPercent"`
	CanaryBakeTimeInMinutes int32   `json:"canaryBakeTimeInMinutes"`
}

type lifecycleHookWire struct {
	TargetType      string   `json:"targetType"`
	LifecycleStages []string `json:"lifecycleStages"`
}

type lifecycleHookDetailWire struct {
	HookID     string `json:"hookId"`
	TargetType string `json:"targetType"`
	Status     string `json:"status"`
}

type rollbackWire struct {
	Reason             string        `json:"reason"`
	StartedAt          awsjson.Epoch `json:"startedAt"`
	ServiceRevisionArn string        `json:"serviceRevisionArn"`
}

type rollbackMonitorWire struct {
	Status       string `json:"status"`
	FailureCount int32  `json:"failureCount"`
	Threshold    int32  `json:"threshold"`
}

type alarmsMonitorWire struct {
	Status              string   `json:"status"`
	AlarmNames          []string `json:"alarmNames"`
	TriggeredAlarmNames []string `json:"triggeredAlarmNames,omitempty"`
}

type describeServiceRevisionsResponse struct {
	ServiceRevisions []serviceRevisionWire `json:"serviceRevisions"`
	Failures         []failureWire         `json:"failures"`
}

type serviceRevisionWire struct {
	ServiceRevisionArn string               `json:"serviceRevisionArn"`
	ServiceArn         string               `json:"serviceArn"`
	ClusterArn         string               `json:"clusterArn"`
	TaskDefinition     string               `json:"taskDefinition"`
	LaunchType         string               `json:"launchType"`
	PlatformVersion    string               `json:"platformVersion"`
	ContainerImages    []containerImageWire `json:"containerImages"`
	CreatedAt          awsjson.Epoch        `json:"createdAt"`
	GuardDutyEnabled   bool                 `json:"guardDutyEnabled"`
}

type containerImageWire struct {
	ContainerName string `json:"containerName"`
	ImageDigest   string `json:"imageDigest"`
	Image         string `json:"image"`
}

type stopServiceDeploymentRequest struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	StopType             string `json:"stopType"`
}

type continueServiceDeploymentRequest struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	HookID               string `json:"hookId"`
	Action               string `json:"action"`
}

type serviceDeploymentArnResponse struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
}

// listServiceDeployments: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
// Newest first.
func (s *Server) listServiceDeployments(body []byte) (any, *awsjson.Error) {
	var req listServiceDeploymentsRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.Service == "" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Service cannot be empty.")
	}
	for _, st := range req.Status {
		if !slices.Contains([]string{SDPending, SDSuccessful, SDStopped, "STOP_REQUESTED", SDInProgress, "ROLLBACK_REQUESTED", SDRollbackInProgress, SDRollbackSuccessful, SDRollbackFailed}, st) {
			return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid status: %s", st)
		}
	}
	limit := 20
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > 100 {
			return nil, awsjson.Errorf(ErrInvalidParameter, "maxResults must be between 1 and 100, got %d", *req.MaxResults)
		}
		limit = int(*req.MaxResults)
	}
	off, e := parseToken("sd", req.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, svc := s.lookup(req.Cluster, req.Service)
	if c == nil {
		return nil, awsjson.Errorf(ErrClusterNotFound, "Cluster not found.")
	}
	if svc == nil {
		return nil, awsjson.Errorf(ErrServiceNotFound, "Service not found.")
	}
	s.advance(svc, s.cfg.now())
	var all []serviceDeploymentBriefWire
	if svc.hist != nil {
		for _, sd := range slices.Backward(svc.hist.deps) {
			if len(req.Status) > 0 && !slices.Contains(req.Status, sd.status) {
				continue
			}
			if req.CreatedAt != nil {
				t := float64(sd.createdAt.UnixMilli()) / 1000
				if (req.CreatedAt.Before != nil && t >= *req.CreatedAt.Before) || (req.CreatedAt.After != nil && t <= *req.CreatedAt.After) {
					continue
				}
			}
			all = append(all, serviceDeploymentBriefWire{
				ServiceDeploymentArn: sd.arn, ServiceArn: svc.arn, ClusterArn: c.arn,
				StartedAt: awsjson.EpochPtr(sd.start), CreatedAt: awsjson.Epoch(sd.createdAt),
				FinishedAt: awsjson.EpochPtr(sd.finishedAt), TargetServiceRevisionArn: sd.target.arn,
				Status: sd.status, StatusReason: sd.statusReason,
			})
		}
	}
	if off > len(all) {
		off = len(all)
	}
	end := min(off+limit, len(all))
	out := listServiceDeploymentsResponse{ServiceDeployments: append([]serviceDeploymentBriefWire{}, all[off:end]...)}
	if end < len(all) {
		out.NextToken = makeToken("sd", end)
	}
	return out, nil
}

// describeServiceDeployments: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html
func (s *Server) describeServiceDeployments(body []byte) (any, *awsjson.Error) {
	var req describeServiceDeploymentsRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if len(req.ServiceDeploymentArns) == 0 || len(req.ServiceDeploymentArns) > 20 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "serviceDeploymentArns must have between 1 and 20 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.now()
	out := describeServiceDeploymentsResponse{ServiceDeployments: []serviceDeploymentWire{}, Failures: []failureWire{}}
	for _, arn := range req.ServiceDeploymentArns {
		svc, sd := s.findDeployment(arn)
		if sd == nil {
			out.Failures = append(out.Failures, failureWire{Arn: arn, Reason: "MISSING"})
			continue
		}
		s.advance(svc, now)
		out.ServiceDeployments = append(out.ServiceDeployments, s.serviceDeploymentWire(svc, sd, now))
	}
	return out, nil
}

func minutes(d time.Duration) int32 { return int32(d / time.Minute) }

// serviceDeploymentWire renders a service deployment; callers hold s.mu.
func (s *Server) serviceDeploymentWire(svc *service, sd *serviceDeployment, now time.Time) serviceDeploymentWire {
	cfg := sd.cfg
	w := serviceDeploymentWire{
		ServiceDeploymentArn: sd.arn, ServiceArn: svc.arn, ClusterArn: svc.cluster.arn,
		CreatedAt: awsjson.Epoch(sd.createdAt), StartedAt: awsjson.Epoch(sd.start),
		FinishedAt: awsjson.EpochPtr(sd.finishedAt), StoppedAt: awsjson.EpochPtr(sd.stoppedAt),
		UpdatedAt:              awsjson.Epoch(sd.updatedAt),
		SourceServiceRevisions: []serviceRevisionSummaryWire{},
		Status:                 sd.status, StatusReason: sd.statusReason,
		LifecycleStage: sd.stage(now),
		DeploymentConfiguration: deploymentConfigurationWire{
			MaximumPercent: 200, MinimumHealthyPercent: 100, Strategy: cfg.strategy(),
			DeploymentCircuitBreaker: &circuitBreakerWire{Enable: true, Rollback: cfg.CircuitBreakerRollback},
		},
		DeploymentCircuitBreaker: &rollbackMonitorWire{Status: "MONITORING", Threshold: 10},
	}
	if !inFlight(sd.status) {
		w.DeploymentCircuitBreaker.Status = "MONITORING_COMPLETE"
	}
	if sd.cbTriggered {
		w.DeploymentCircuitBreaker.Status = "TRIGGERED"
		w.DeploymentCircuitBreaker.FailureCount = 10
	}
	if cfg.strategy() != StrategyRolling {
		b := minutes(cfg.BakeTime)
		w.DeploymentConfiguration.BakeTimeInMinutes = &b
	}
	switch cfg.strategy() {
	case StrategyLinear:
		w.DeploymentConfiguration.LinearConfiguration = &linearConfigWire{StepPercent: cfg.StepPercent, StepBakeTimeInMinutes: minutes(cfg.StepBake)}
	case StrategyCanary:
		w.DeploymentConfiguration.CanaryConfiguration = &canaryConfigWire{CanaryPercent: cfg.CanaryPercent, CanaryBakeTimeInMinutes: minutes(cfg.CanaryBake)}
	}
	if cfg.Alarm != "" {
		w.DeploymentConfiguration.Alarms = &deploymentAlarmsWire{AlarmNames: []string{cfg.Alarm}, Enable: true, Rollback: true}
		w.Alarms = &alarmsMonitorWire{Status: "MONITORING", AlarmNames: []string{cfg.Alarm}}
		if sd.alarmTriggered {
			w.Alarms.Status, w.Alarms.TriggeredAlarmNames = "TRIGGERED", []string{cfg.Alarm}
		}
	}
	if cfg.PauseAt != "" {
		w.DeploymentConfiguration.LifecycleHooks = []lifecycleHookWire{{TargetType: "PAUSE", LifecycleStages: []string{cfg.PauseAt}}}
		if sd.hookState != "" {
			w.LifecycleHookDetails = []lifecycleHookDetailWire{{HookID: sd.hookID, TargetType: "PAUSE", Status: sd.hookState}}
		}
	}
	onTarget := svc.hist.trafficTo == sd.target.taskDef && sd.rollbackAt.IsZero()
	weight := func(on bool) *float64 {
		v := 0.0
		if on {
			v = 100
		}
		return &v
	}
	if sd.source != nil {
		w.SourceServiceRevisions = append(w.SourceServiceRevisions, serviceRevisionSummaryWire{
			Arn: sd.source.arn, RequestedTaskCount: svc.desired, RunningTaskCount: svc.desired,
			RequestedProductionTrafficWeight: weight(!onTarget),
		})
	}
	w.TargetServiceRevision = serviceRevisionSummaryWire{
		Arn: sd.target.arn, RequestedTaskCount: sd.classic.desired, RunningTaskCount: sd.classic.running,
		PendingTaskCount: sd.classic.pending, RequestedProductionTrafficWeight: weight(onTarget),
	}
	if !sd.rollbackAt.IsZero() && sd.source != nil {
		w.Rollback = &rollbackWire{Reason: sd.rollbackReason, StartedAt: awsjson.Epoch(sd.rollbackAt), ServiceRevisionArn: sd.source.arn}
	}
	return w
}

// describeServiceRevisions: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceRevisions.html
func (s *Server) describeServiceRevisions(body []byte) (any, *awsjson.Error) {
	var req describeServiceRevisionsRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if len(req.ServiceRevisionArns) == 0 || len(req.ServiceRevisionArns) > 20 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "serviceRevisionArns must have between 1 and 20 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := describeServiceRevisionsResponse{ServiceRevisions: []serviceRevisionWire{}, Failures: []failureWire{}}
	for _, arn := range req.ServiceRevisionArns {
		svc, rev := s.findRevision(arn)
		if rev == nil {
			out.Failures = append(out.Failures, failureWire{Arn: arn, Reason: "MISSING"})
			continue
		}
		w := serviceRevisionWire{
			ServiceRevisionArn: rev.arn, ServiceArn: svc.arn, ClusterArn: svc.cluster.arn, TaskDefinition: rev.taskDef,
			LaunchType: "FARGATE", PlatformVersion: "1.4.0", ContainerImages: []containerImageWire{},
			CreatedAt: awsjson.Epoch(rev.createdAt),
		}
		for _, ci := range rev.images {
			w.ContainerImages = append(w.ContainerImages, containerImageWire{ContainerName: ci.name, ImageDigest: ci.digest, Image: ci.image})
		}
		out.ServiceRevisions = append(out.ServiceRevisions, w)
	}
	return out, nil
}

// stopServiceDeployment: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
func (s *Server) stopServiceDeployment(body []byte) (any, *awsjson.Error) {
	var req stopServiceDeploymentRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.ServiceDeploymentArn == "" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "serviceDeploymentArn cannot be empty.")
	}
	stop := req.StopType
	if stop == "" {
		stop = "ROLLBACK"
	}
	if stop != "ROLLBACK" && stop != "ABORT" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid stopType: %s", req.StopType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, sd := s.findDeployment(req.ServiceDeploymentArn)
	if sd == nil {
		return nil, awsjson.Errorf(ErrServiceDeploymentNotFound, "The service deployment %s does not exist.", req.ServiceDeploymentArn)
	}
	now := s.cfg.now()
	s.advance(svc, now)
	if sd.status != SDPending && sd.status != SDInProgress {
		return nil, awsjson.Errorf(ErrConflict, "The service deployment is in %s status and cannot be stopped.", sd.status)
	}
	if stop == "ABORT" {
		return nil, awsjson.Errorf(ErrUnsupportedFeature, "stopType ABORT is not supported for this service deployment.")
	}
	if sd.source == nil {
		return nil, awsjson.Errorf(ErrConflict, "The service deployment has no previous service revision to roll back to.")
	}
	s.startRollback(svc, sd, now, userRollbackReason)
	s.advance(svc, now)
	return serviceDeploymentArnResponse{ServiceDeploymentArn: sd.arn}, nil
}

// continueServiceDeployment: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContinueServiceDeployment.html
func (s *Server) continueServiceDeployment(body []byte) (any, *awsjson.Error) {
	var req continueServiceDeploymentRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.ServiceDeploymentArn == "" || req.HookID == "" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "serviceDeploymentArn and hookId are required.")
	}
	action := req.Action
	if action == "" {
		action = "CONTINUE"
	}
	if action != "CONTINUE" && action != "ROLLBACK" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid action: %s", req.Action)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, sd := s.findDeployment(req.ServiceDeploymentArn)
	if sd == nil {
		return nil, awsjson.Errorf(ErrServiceDeploymentNotFound, "The service deployment %s does not exist.", req.ServiceDeploymentArn)
	}
	now := s.cfg.now()
	s.advance(svc, now)
	if sd.hookID != req.HookID || sd.hookState != "AWAITING_ACTION" || sd.pausedAt.IsZero() {
		return nil, awsjson.Errorf(ErrInvalidParameter, "The lifecycle hook %s is not awaiting action.", req.HookID)
	}
	if action == "ROLLBACK" {
		s.startRollback(svc, sd, now, hookRollbackReason)
	} else {
		sd.paused += now.Sub(sd.pausedAt)
		sd.pausedAt, sd.hookState, sd.updatedAt = time.Time{}, "SUCCEEDED", now
	}
	s.advance(svc, now)
	return serviceDeploymentArnResponse{ServiceDeploymentArn: sd.arn}, nil
}

// currentWire fills the service's currentServiceDeployment and
// currentServiceRevisions; callers hold s.mu.
func (s *Server) currentWire(svc *service, w *serviceWire) {
	h := svc.hist
	if h == nil || len(h.deps) == 0 {
		return
	}
	last := h.deps[len(h.deps)-1]
	w.CurrentServiceDeployment = last.arn
	revs := []*serviceRevision{last.current()}
	if inFlight(last.status) && last.source != nil && last.rollbackAt.IsZero() {
		revs = []*serviceRevision{last.source, last.target}
	}
	for _, r := range revs {
		sum := currentRevisionWire{Arn: r.arn}
		for _, d := range svc.deployments {
			if d.taskDef == r.taskDef {
				sum.RequestedTaskCount, sum.RunningTaskCount, sum.PendingTaskCount = d.desired, d.running, d.pending
			}
		}
		w.CurrentServiceRevisions = append(w.CurrentServiceRevisions, sum)
	}
}

type currentRevisionWire struct {
	Arn                string `json:"arn"`
	RequestedTaskCount int32  `json:"requestedTaskCount"`
	RunningTaskCount   int32  `json:"runningTaskCount"`
	PendingTaskCount   int32  `json:"pendingTaskCount"`
}

// historyWire adds what the service history says to a service: its
// deploymentConfiguration, currentServiceDeployment and
// currentServiceRevisions; callers hold s.mu.
func (s *Server) historyWire(svc *service, w *serviceWire) {
	if svc.hist == nil || svc.controller != "ECS" {
		return
	}
	cfg := svc.hist.cfg
	dc := &deploymentConfigurationWire{
		MaximumPercent: 200, MinimumHealthyPercent: 100, Strategy: cfg.strategy(),
		DeploymentCircuitBreaker: &circuitBreakerWire{Enable: true, Rollback: cfg.CircuitBreakerRollback},
	}
	if cfg.strategy() != StrategyRolling {
		b := minutes(cfg.BakeTime)
		dc.BakeTimeInMinutes = &b
	}
	w.DeploymentConfiguration = dc
	s.currentWire(svc, w)
}
