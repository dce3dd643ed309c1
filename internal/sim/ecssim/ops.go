package ecssim

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// The operations. Each decodes its request, takes s.mu, and answers with a
// response value or an error as ECS would.

// describeServices: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
func (s *Server) describeServices(body []byte) (any, *awsjson.Error) {
	var req describeServicesRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if len(req.Services) == 0 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Services cannot be empty.")
	}
	if len(req.Services) > 10 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "services can have at most 10 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clusters[clusterName(req.Cluster)]
	if c == nil {
		return nil, awsjson.Errorf(ErrClusterNotFound, "Cluster not found.")
	}
	now := s.cfg.now()
	tags := slices.Contains(req.Include, "TAGS")
	out := describeServicesResponse{Services: []serviceWire{}, Failures: []failureWire{}}
	for _, ref := range req.Services {
		svc := c.services[serviceName(ref)]
		if svc == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = serviceARN(c.name, ref)
			}
			out.Failures = append(out.Failures, failureWire{Arn: arn, Reason: "MISSING"})
			continue
		}
		s.advance(svc, now)
		out.Services = append(out.Services, s.serviceWire(svc, tags))
	}
	return out, nil
}

// serviceWire renders a service; callers hold s.mu.
func (s *Server) serviceWire(svc *service, tags bool) serviceWire {
	w := serviceWire{
		ServiceArn:           svc.arn,
		ServiceName:          svc.name,
		ClusterArn:           svc.cluster.arn,
		Status:               svc.status,
		DesiredCount:         svc.desired,
		RunningCount:         svc.running,
		PendingCount:         svc.pending,
		LaunchType:           "FARGATE",
		DeploymentController: deploymentControllerWire{Type: svc.controller},
		Deployments:          []deploymentWire{},
		Events:               []eventWire{},
		CreatedAt:            awsjson.Epoch(svc.createdAt),
		CreatedBy:            "arn:aws:iam::" + AccountID + ":role/ecssim",
		SchedulingStrategy:   "REPLICA",
	}
	for _, lb := range svc.lbs {
		w.LoadBalancers = append(w.LoadBalancers, loadBalancerWire(lb))
	}
	svc.launchWire(&w)
	if p := svc.primary(); p != nil {
		w.TaskDefinition = p.taskDef
	}
	for _, d := range svc.deployments {
		w.Deployments = append(w.Deployments, deploymentWire{
			ID:                 d.id,
			Status:             d.status,
			TaskDefinition:     d.taskDef,
			DesiredCount:       d.desired,
			PendingCount:       d.pending,
			RunningCount:       d.running,
			FailedTasks:        d.failed,
			CreatedAt:          awsjson.Epoch(d.createdAt),
			UpdatedAt:          awsjson.Epoch(d.updatedAt),
			LaunchType:         "FARGATE",
			RolloutState:       d.rolloutState,
			RolloutStateReason: d.rolloutReason,
		})
	}
	// ECS returns the 100 newest events.
	for _, ev := range svc.events[:min(len(svc.events), 100)] {
		w.Events = append(w.Events, eventWire{ID: ev.ID, CreatedAt: awsjson.Epoch(ev.CreatedAt), Message: ev.Message})
	}
	if tags {
		w.Tags = &[]tagWire{}
	}
	s.historyWire(svc, &w)
	return w
}

// listTaskDefinitions: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html
//
// familyPrefix is matched as a prefix of the family name, the permissive
// reading of the API reference, so clients must filter to the exact family.
func (s *Server) listTaskDefinitions(body []byte) (any, *awsjson.Error) {
	var req listTaskDefinitionsRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	status := req.Status
	if status == "" {
		status = "ACTIVE"
	}
	if !slices.Contains([]string{"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"}, status) {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid status: %s", status)
	}
	order := req.Sort
	if order == "" {
		order = "ASC"
	}
	if order != "ASC" && order != "DESC" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid sort: %s", order)
	}
	limit, e := pageSize(req.MaxResults)
	if e != nil {
		return nil, e
	}
	off, e := parseToken("td", req.NextToken)
	if e != nil {
		return nil, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var arns []string
	for _, fam := range s.sortedFamilies() {
		if !strings.HasPrefix(fam, req.FamilyPrefix) {
			continue
		}
		for _, td := range s.families[fam] {
			if td.status == status {
				arns = append(arns, td.arn)
			}
		}
	}
	if order == "DESC" && !s.cfg.ignoreSort {
		slices.Reverse(arns)
	}
	page, next := paginate(arns, off, limit)
	out := listTaskDefinitionsResponse{TaskDefinitionArns: page}
	if next > 0 {
		out.NextToken = makeToken("td", next)
	}
	return out, nil
}

// pageSize validates maxResults (1-100, default 100).
func pageSize(maxResults *int32) (int, *awsjson.Error) {
	if maxResults == nil {
		return 100, nil
	}
	if *maxResults < 1 || *maxResults > 100 {
		return 0, awsjson.Errorf(ErrInvalidParameter, "maxResults must be between 1 and 100, got %d", *maxResults)
	}
	return int(*maxResults), nil
}

// paginate returns the page at off and the offset of the next page (0 when
// this is the last).
func paginate(all []string, off, limit int) ([]string, int) {
	if off > len(all) {
		off = len(all)
	}
	end := min(off+limit, len(all))
	page := append([]string{}, all[off:end]...)
	if end < len(all) {
		return page, end
	}
	return page, 0
}

func makeToken(kind string, off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ecssim:" + kind + ":" + strconv.Itoa(off)))
}

func parseToken(kind, tok string) (int, *awsjson.Error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), "ecssim:"+kind+":"); ok {
			if off, err := strconv.Atoi(n); err == nil && off >= 0 {
				return off, nil
			}
		}
	}
	return 0, awsjson.Errorf(ErrInvalidParameter, "Invalid nextToken.")
}

// describeTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html
func (s *Server) describeTaskDefinition(body []byte) (any, *awsjson.Error) {
	var req describeTaskDefinitionRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.TaskDefinition == "" {
		return nil, awsjson.Errorf(ErrClient, "Task Definition can not be blank.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.resolveTaskDef(req.TaskDefinition)
	if td == nil {
		return nil, awsjson.Errorf(ErrClient, "Unable to describe task definition.")
	}
	out := taskDefinitionResponse{TaskDefinition: taskDefWire(td)}
	if slices.Contains(req.Include, "TAGS") {
		out.Tags = &[]tagWire{}
	}
	return out, nil
}

func taskDefWire(td *taskDef) taskDefinitionWire {
	w := taskDefinitionWire{
		TaskDefinitionArn:    td.arn,
		Family:               td.family,
		Revision:             td.revision,
		Status:               td.status,
		ContainerDefinitions: []containerDefinitionWire{},
		RegisteredAt:         awsjson.Epoch(td.registeredAt),
		DeregisteredAt:       awsjson.EpochPtr(td.deregisteredAt),
		RegisteredBy:         "arn:aws:iam::" + AccountID + ":role/ecssim",
	}
	essential := true
	for _, c := range td.containers {
		w.ContainerDefinitions = append(w.ContainerDefinitions, containerDefinitionWire{
			Name: c.Name, Image: c.Image, Essential: &essential, DockerLabels: c.Labels,
		})
	}
	return w
}

// updateService: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
func (s *Server) updateService(body []byte) (any, *awsjson.Error) {
	var req updateServiceRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.Service == "" {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Service can not be blank.")
	}
	if req.DesiredCount != nil && *req.DesiredCount < 0 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "desiredCount can not be negative.")
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
	if svc.status != "ACTIVE" {
		return nil, awsjson.Errorf(ErrServiceNotActive, "Service was not ACTIVE.")
	}
	now := s.cfg.now()
	s.advance(svc, now)

	var td *taskDef
	if req.TaskDefinition != "" {
		if svc.controller != "ECS" {
			return nil, awsjson.Errorf(ErrInvalidParameter,
				"Unable to update task definition on services with a %s deployment controller.", svc.controller)
		}
		td = s.resolveTaskDef(req.TaskDefinition)
		if td == nil {
			return nil, awsjson.Errorf(ErrClient, "TaskDefinition not found.")
		}
		if td.status != "ACTIVE" {
			return nil, awsjson.Errorf(ErrClient, "TaskDefinition is inactive")
		}
	}
	if req.DesiredCount != nil {
		svc.desired = *req.DesiredCount
	}
	cur := svc.primary()
	switch {
	case td != nil && (cur == nil || td.arn != cur.taskDef || req.ForceNewDeployment):
		s.startRollout(svc, td.arn, now)
	case req.ForceNewDeployment && cur != nil:
		s.startRollout(svc, cur.taskDef, now)
	case req.DesiredCount != nil && cur != nil && svc.rollout == nil:
		cur.desired, cur.running, cur.pending = svc.desired, svc.desired, 0
		cur.updatedAt = now
		svc.recount()
	case req.DesiredCount != nil && cur != nil:
		cur.desired, cur.pending = svc.desired, max(svc.desired-cur.running, 0)
		svc.recount()
	}

	w := s.serviceWire(svc, false)
	if s.cfg.bareTaskDef {
		w.TaskDefinition = bareTaskDef(w.TaskDefinition)
	}
	return updateServiceResponse{Service: w}, nil
}

// listTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
func (s *Server) listTasks(body []byte) (any, *awsjson.Error) {
	var req listTasksRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	desired := req.DesiredStatus
	if desired == "" {
		desired = "RUNNING"
	}
	if !slices.Contains([]string{"RUNNING", "PENDING", "STOPPED"}, desired) {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Invalid desiredStatus: %s", desired)
	}
	limit, e := pageSize(req.MaxResults)
	if e != nil {
		return nil, e
	}
	off, e := parseToken("task", req.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clusters[clusterName(req.Cluster)]
	if c == nil {
		return nil, awsjson.Errorf(ErrClusterNotFound, "Cluster not found.")
	}
	name := serviceName(req.ServiceName)
	if req.ServiceName != "" && c.services[name] == nil {
		return nil, awsjson.Errorf(ErrServiceNotFound, "Service not found.")
	}
	s.advanceCluster(c, s.cfg.now())
	var arns []string
	for _, t := range c.tasks {
		if desiredStatus(t) != desired {
			continue
		}
		if req.ServiceName != "" && t.service != name {
			continue
		}
		if req.Family != "" {
			if td := s.taskDefs[t.taskDef]; td == nil || td.family != req.Family {
				continue
			}
		}
		arns = append(arns, t.arn)
	}
	page, next := paginate(arns, off, limit)
	out := listTasksResponse{TaskArns: page}
	if next > 0 {
		out.NextToken = makeToken("task", next)
	}
	return out, nil
}

func desiredStatus(t *task) string {
	if t.lastStatus == "STOPPED" {
		return "STOPPED"
	}
	return "RUNNING"
}

// describeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
func (s *Server) describeTasks(body []byte) (any, *awsjson.Error) {
	var req describeTasksRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if len(req.Tasks) == 0 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "Tasks cannot be empty.")
	}
	if len(req.Tasks) > 100 {
		return nil, awsjson.Errorf(ErrInvalidParameter, "tasks can have at most 100 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clusters[clusterName(req.Cluster)]
	if c == nil {
		return nil, awsjson.Errorf(ErrClusterNotFound, "Cluster not found.")
	}
	s.advanceCluster(c, s.cfg.now())
	out := describeTasksResponse{Tasks: []taskWire{}, Failures: []failureWire{}}
	for _, ref := range req.Tasks {
		i := slices.IndexFunc(c.tasks, func(t *task) bool { return t.arn == ref || t.id == ref })
		if i < 0 {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = taskARN(c.name, ref)
			}
			out.Failures = append(out.Failures, failureWire{Arn: arn, Reason: "MISSING"})
			continue
		}
		out.Tasks = append(out.Tasks, s.taskWire(c, c.tasks[i]))
	}
	return out, nil
}

func (s *Server) taskWire(c *cluster, t *task) taskWire {
	w := taskWire{
		TaskArn:           t.arn,
		ClusterArn:        c.arn,
		TaskDefinitionArn: t.taskDef,
		Group:             "service:" + t.service,
		StartedBy:         "ecs-svc/ecssim",
		LaunchType:        "FARGATE",
		LastStatus:        t.lastStatus,
		DesiredStatus:     desiredStatus(t),
		StoppedReason:     t.stoppedReason,
		StopCode:          t.stopCode,
		CreatedAt:         awsjson.Epoch(t.createdAt),
		StartedAt:         awsjson.EpochPtr(t.startedAt),
		StoppedAt:         awsjson.EpochPtr(t.stoppedAt),
		Containers:        []taskContainerWire{},
	}
	images := map[string]string{}
	if td := s.taskDefs[t.taskDef]; td != nil {
		for _, cd := range td.containers {
			images[cd.Name] = cd.Image
		}
	}
	for i, tc := range t.containers {
		w.Containers = append(w.Containers, taskContainerWire{
			ContainerArn: t.arn[:strings.LastIndex(t.arn, ":task/")] + ":container/" + c.name + "/" + t.id + "/" + strconv.Itoa(i),
			TaskArn:      t.arn,
			Name:         tc.Name,
			Image:        images[tc.Name],
			LastStatus:   t.lastStatus,
			ExitCode:     tc.ExitCode,
			Reason:       tc.Reason,
		})
	}
	return w
}

// deregisterTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterTaskDefinition.html
func (s *Server) deregisterTaskDefinition(body []byte) (any, *awsjson.Error) {
	var req deregisterTaskDefinitionRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if req.TaskDefinition == "" {
		return nil, awsjson.Errorf(ErrClient, "Task Definition can not be blank.")
	}
	if !strings.Contains(bareTaskDef(req.TaskDefinition), ":") {
		return nil, awsjson.Errorf(ErrInvalidParameter, "The specified task definition identifier is invalid. Specify a family and revision or an ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.resolveTaskDef(req.TaskDefinition)
	if td == nil {
		return nil, awsjson.Errorf(ErrClient, "The specified task definition does not exist.")
	}
	if td.status == "ACTIVE" {
		td.status = "INACTIVE"
		td.deregisteredAt = s.cfg.now()
	}
	return taskDefinitionResponse{TaskDefinition: taskDefWire(td)}, nil
}

// registerTaskDefinition: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
// Only family and the containers' name, image and dockerLabels are kept.
func (s *Server) registerTaskDefinition(body []byte) (any, *awsjson.Error) {
	var req registerTaskDefinitionRequest
	if e := awsjson.Decode(body, &req); e != nil {
		return nil, e
	}
	if !familyRE.MatchString(req.Family) {
		return nil, awsjson.Errorf(ErrClient, "Family contains invalid characters or is empty: up to 255 letters, numbers, hyphens and underscores are allowed.")
	}
	if len(req.ContainerDefinitions) == 0 {
		return nil, awsjson.Errorf(ErrClient, "Container list cannot be empty.")
	}
	cs := make([]Container, 0, len(req.ContainerDefinitions))
	for _, cd := range req.ContainerDefinitions {
		if cd.Name == "" {
			return nil, awsjson.Errorf(ErrClient, "Container.name should not be null or empty.")
		}
		if cd.Image == "" {
			return nil, awsjson.Errorf(ErrClient, "Container.image should not be null or empty.")
		}
		cs = append(cs, Container{Name: cd.Name, Image: cd.Image, Labels: cd.DockerLabels})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.register(req.Family, cs, "ACTIVE", s.cfg.now())
	return taskDefinitionResponse{TaskDefinition: taskDefWire(td)}, nil
}
