// Package record is the record command: it writes the deployment-state
// folder that the deploy workflow uploads, for a later rollback to find.
package record

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/deplight/ecs-rollback/internal/rollback"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/deploystate"
)

// Request is one run of the record command.
type Request struct {
	Config    config.Config
	Workspace string // GITHUB_WORKSPACE; state-path is relative to it
	CommitSHA string // GITHUB_SHA
}

// Run writes the deployment-state folder for the deploy workflow. With a
// cluster and service, the service's current task definition is recorded
// too, so a later rollback can go straight to it; api may be nil otherwise.
func Run(ctx context.Context, api ecs.DescribeServicesAPIClient, req Request, now time.Time) rollback.Result {
	cfg := req.Config
	res := rollback.Result{Cluster: cfg.Cluster, Environment: cfg.Environment, ImageTag: cfg.ImageTag}
	failed := func(msg string) rollback.Result {
		res.Outcome, res.Reason, res.Message = rollback.Failed, reason.RecordFailed, msg
		return res
	}
	st := deploystate.State{
		ImageTag:    cfg.ImageTag,
		Environment: cfg.Environment,
		CommitSHA:   req.CommitSHA,
		Timestamp:   now.UTC().Format("2006-01-02T15:04:05Z"),
	}
	if cfg.Cluster != "" && len(cfg.Services) > 0 {
		if api == nil {
			return failed("no ECS client is configured to read the service's task definition")
		}
		svc, err := ecsread.DescribeService(ctx, api, cfg.Cluster, cfg.Services[0])
		if err != nil {
			return failed(fmt.Sprintf("read the task definition of service %s: %v", cfg.Services[0], err))
		}
		st.TaskDefinitionARN = svc.TaskDefinition
	}
	workspace := req.Workspace
	if workspace == "" {
		workspace = "." // outside a runner: the working directory
	}
	dir := filepath.Join(workspace, cfg.StatePath)
	if rel, err := filepath.Rel(workspace, dir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return failed(fmt.Sprintf("state-path %q leaves the workspace", cfg.StatePath))
	}
	if err := deploystate.Write(dir, st); err != nil {
		return failed(fmt.Sprintf("write the deployment state: %v", err))
	}
	res.Outcome = rollback.Recorded
	res.StatePath = cfg.StatePath
	res.Message = fmt.Sprintf("Recorded image tag %s in %s; upload that folder with actions/upload-artifact as %q.", cfg.ImageTag, cfg.StatePath, cfg.ArtifactName)
	return res
}
