// Package record is the record command: it writes the deployment-state
// folder that the deploy workflow uploads, for a later rollback to find.
package record

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/target"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/deploystate"
)

// ECSAPI is what record reads of ECS; *ecs.Client satisfies it.
type ECSAPI interface {
	ecs.DescribeServicesAPIClient
	ecsread.DescribeTaskDefinitionAPI
}

// Request is one run of the record command.
type Request struct {
	Config    config.Config
	Workspace string // GITHUB_WORKSPACE; state-path is relative to it
	CommitSHA string // GITHUB_SHA
}

// Run writes the deployment-state folder for the deploy workflow. With a
// cluster and service, the service's current task definition is recorded
// too, so a later rollback can go straight to it; api may be nil otherwise.
func Run(ctx context.Context, api ECSAPI, req Request, now time.Time) rollback.Result {
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
		arn, err := deployed(ctx, api, cfg)
		if err != nil {
			return failed(err.Error())
		}
		st.TaskDefinitionARN = arn
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

// deployed returns the task definition the service runs, after checking
// that the deploy being recorded really took effect: the service's PRIMARY
// deployment did not fail, and its revision's images carry the image tag.
// A deploy action can report success after the deployment circuit breaker
// put the service back; recording that tag would make a later rollback
// trust an image the service never ran.
// See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
func deployed(ctx context.Context, api ECSAPI, cfg config.Config) (string, error) {
	name := cfg.Services[0]
	svc, err := ecsread.DescribeService(ctx, api, cfg.Cluster, name)
	if err != nil {
		return "", fmt.Errorf("read the task definition of service %s: %v", name, err)
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%s. Nothing was recorded: the deploy did not take effect, and this job fails so that the rollback workflow runs.", fmt.Sprintf(format, args...))
	}
	primary, ok := svc.Primary()
	if !ok {
		return "", refuse("service %s has no PRIMARY deployment", name)
	}
	if primary.RolloutState == "FAILED" {
		return "", refuse("the rollout of service %s to %s FAILED (%s)", name, primary.TaskDefinition, cmp.Or(primary.RolloutReason, "no reason given"))
	}
	rev, err := ecsread.DescribeRevision(ctx, api, primary.TaskDefinition)
	if err != nil {
		return "", fmt.Errorf("read the task definition of service %s: %v", name, err)
	}
	if !target.Carries(rev, cfg.ImageTag, cfg.ContainerName) {
		return "", refuse("service %s runs revision %d, whose images (%s) do not carry image tag %s: ECS may have rolled the deploy back (circuit breaker or alarm)",
			name, rev.Number, strings.Join(images(rev), ", "), cfg.ImageTag)
	}
	return primary.TaskDefinition, nil
}

func images(rev revision.Revision) []string {
	out := make([]string, len(rev.Containers))
	for i, c := range rev.Containers {
		out[i] = c.Image
	}
	return out
}
