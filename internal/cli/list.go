package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/imageref"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
)

// Limits of the list command.
const (
	defaultListLimit = 20
	// listConcurrency bounds the DescribeTaskDefinition calls in flight.
	listConcurrency = 5
	// listTimeout bounds the whole listing.
	listTimeout = 2 * time.Minute
)

const listDescription = `List the most recent ACTIVE task-definition revisions of the family a
service runs, newest first, with the image tag of each container, when the
revision was registered and its schema label, and mark the revision the
service runs now. The current revision is always shown, even when it is not
among the --limit newest (or no longer ACTIVE).`

const listExamples = `  ecs-rollback list --cluster prod --service web
  ecs-rollback list --cluster prod --service web --limit 5 --output json | jq '.revisions[0]'
`

type listOptions struct {
	aws         awsFlags
	cluster     string
	service     string
	limit       string
	output      string
	schemaLabel string
}

func runList(ctx context.Context, args []string, env Env) int {
	var o listOptions
	fs := newFlagSet("list", "ecs-rollback list --cluster CLUSTER --service SERVICE [flags]", listDescription, listExamples, listExitCodes)
	fs.str(&o.cluster, "cluster", "", "ECS `cluster` name or ARN (required)")
	fs.str(&o.service, "service", "", "ECS `service` name or ARN (required)")
	fs.str(&o.limit, "limit", strconv.Itoa(defaultListLimit), fmt.Sprintf("show at most `N` revisions, 1 to %d", config.MaxRevisionsLimit))
	fs.str(&o.output, "output", "text", "output `format`: text (an aligned table) or json (for scripts)")
	fs.str(&o.schemaLabel, "schema-label", "schema-version", "docker `label` holding the database schema version")
	o.aws.define(fs)
	if code, done := parse(fs, args, env); done {
		return code
	}
	limit, err := o.validate()
	if err != nil {
		return fail(ctx, env, "list", err)
	}

	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	aws, err := o.aws.clients(ctx, env)
	if err != nil {
		return fail(ctx, env, "list", err)
	}
	l, err := listRevisions(ctx, aws.ECS, o.cluster, o.service, limit, o.schemaLabel)
	if err != nil {
		return fail(ctx, env, "list", o.aws.explainAWS(env, err))
	}
	if o.output == "json" {
		err = writeListJSON(env.Stdout, l)
	} else {
		err = writeListText(env.Stdout, l)
	}
	if err != nil {
		return fail(ctx, env, "list", fmt.Errorf("write the listing: %w", err))
	}
	return ExitOK
}

// validate checks the flags, all at once.
func (o listOptions) validate() (int, error) {
	var problems []string
	if o.cluster == "" {
		problems = append(problems, "--cluster is required")
	}
	if o.service == "" {
		problems = append(problems, "--service is required")
	} else if strings.ContainsAny(o.service, ",\n") {
		problems = append(problems, "--service: list takes one service")
	}
	limit, err := strconv.Atoi(o.limit)
	if err != nil || limit < 1 || limit > config.MaxRevisionsLimit {
		problems = append(problems, fmt.Sprintf("--limit %q is not a whole number from 1 to %d", o.limit, config.MaxRevisionsLimit))
	}
	if o.output != "text" && o.output != "json" {
		problems = append(problems, fmt.Sprintf("--output %q is not text or json", o.output))
	}
	if len(problems) > 0 {
		return 0, usageErrorf("%s", strings.Join(problems, "; "))
	}
	return limit, nil
}

// listing is what the list command shows.
type listing struct {
	Cluster     string
	Service     string
	Family      string
	Current     string // the task-definition ARN the service runs
	SchemaLabel string
	Revisions   []revision.Revision // newest first
}

// listRevisions reads the service, lists the newest limit ACTIVE revisions
// of its family (and the current one, wherever it is) and describes them,
// at most listConcurrency at a time.
func listRevisions(ctx context.Context, api rollback.ECSAPI, cluster, service string, limit int, schemaLabel string) (listing, error) {
	svc, err := ecsread.DescribeService(ctx, api, cluster, service)
	if err != nil && classifyAWSError(err) == awsOK {
		err = fmt.Errorf("%w. Check --cluster, --service and the AWS region", err)
	}
	if err != nil {
		return listing{}, err
	}
	family, _, err := revision.ParseARN(svc.TaskDefinition)
	if err != nil {
		return listing{}, fmt.Errorf("service %s runs task definition %q, which cannot be read: %w", service, svc.TaskDefinition, err)
	}
	arns, err := ecsread.ActiveRevisionARNs(ctx, api, family, 0, limit)
	if err != nil {
		return listing{}, fmt.Errorf("list the revisions of family %s: %w", family, err)
	}
	if !slices.ContainsFunc(arns, func(a string) bool { return revision.SameRevision(a, svc.TaskDefinition) }) {
		arns = append(arns, svc.TaskDefinition)
	}
	revs, err := describeAll(ctx, api, arns, listConcurrency)
	if err != nil {
		return listing{}, err
	}
	slices.SortStableFunc(revs, func(a, b revision.Revision) int { return int(b.Number) - int(a.Number) })
	return listing{
		Cluster:     cluster,
		Service:     service,
		Family:      family,
		Current:     svc.TaskDefinition,
		SchemaLabel: schemaLabel,
		Revisions:   revs,
	}, nil
}

// describeAll describes every revision, at most concurrency at a time, and
// returns them in the order of arns. The first error cancels the calls still
// to come and is the one returned.
func describeAll(ctx context.Context, api ecsread.DescribeTaskDefinitionAPI, arns []string, concurrency int) ([]revision.Revision, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	revs := make([]revision.Revision, len(arns))
	sem := make(chan struct{}, concurrency)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i, arn := range arns {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			rev, err := ecsread.DescribeRevision(ctx, api, arn)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
				return
			}
			revs[i] = rev
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	return revs, nil
}

// imageJSON is one container's image in the JSON listing.
type imageJSON struct {
	Container string `json:"container"`
	Image     string `json:"image"`
	Tag       string `json:"tag"` // the tag, else the short digest, else ""
}

// revisionJSON is one revision in the JSON listing. The field names are
// stable: scripts rely on them.
type revisionJSON struct {
	Revision     int32       `json:"revision"`
	ARN          string      `json:"task-definition"`
	Status       string      `json:"status"`
	Current      bool        `json:"current"`
	RegisteredAt string      `json:"registered-at"` // RFC 3339, UTC; "" when unknown
	Schema       string      `json:"schema"`        // the value of schema-label; "" when unset
	Images       []imageJSON `json:"images"`
}

// listJSON is the JSON listing. The field names are stable.
type listJSON struct {
	Cluster     string         `json:"cluster"`
	Service     string         `json:"service"`
	Family      string         `json:"family"`
	Current     string         `json:"current-task-definition"`
	SchemaLabel string         `json:"schema-label"`
	Revisions   []revisionJSON `json:"revisions"`
}

func writeListJSON(w io.Writer, l listing) error {
	out := listJSON{
		Cluster: l.Cluster, Service: l.Service, Family: l.Family,
		Current: l.Current, SchemaLabel: l.SchemaLabel,
		Revisions: make([]revisionJSON, 0, len(l.Revisions)),
	}
	for _, r := range l.Revisions {
		rj := revisionJSON{
			Revision: r.Number,
			ARN:      r.ARN,
			Status:   r.Status,
			Current:  revision.SameRevision(r.ARN, l.Current),
			Images:   make([]imageJSON, 0, len(r.Containers)),
		}
		if !r.RegisteredAt.IsZero() {
			rj.RegisteredAt = r.RegisteredAt.UTC().Format(time.RFC3339)
		}
		rj.Schema, _ = revision.SchemaVersion(r, l.SchemaLabel, "")
		for _, c := range r.Containers {
			rj.Images = append(rj.Images, imageJSON{Container: c.Name, Image: c.Image, Tag: imageref.Parse(c.Image).Display()})
		}
		out.Revisions = append(out.Revisions, rj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeListText writes the listing as an aligned table; every value from
// outside goes through report.LogSafe, so nothing can move the cursor or
// break a line.
func writeListText(w io.Writer, l listing) error {
	fmt.Fprintf(w, "Service %s in cluster %s runs %s (marked *).\n\n",
		report.LogSafe(l.Service), report.LogSafe(l.Cluster), report.LogSafe(revisionLabel(l.Current)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tREVISION\tIMAGE TAGS\tREGISTERED\t%s\n", strings.ToUpper(report.LogSafe(l.SchemaLabel)))
	for _, r := range l.Revisions {
		mark := ""
		if revision.SameRevision(r.ARN, l.Current) {
			mark = "*"
		}
		rev := strconv.Itoa(int(r.Number))
		if r.Status != "" && r.Status != "ACTIVE" {
			rev += " (" + report.LogSafe(r.Status) + ")"
		}
		registered := "-"
		if !r.RegisteredAt.IsZero() {
			registered = r.RegisteredAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		schema, ok := revision.SchemaVersion(r, l.SchemaLabel, "")
		if !ok {
			schema = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, rev, imageTags(r), registered, report.LogSafe(schema))
	}
	return tw.Flush()
}

// imageTags shows the version of each container's image: the tag alone for
// a single container, name=tag for several.
func imageTags(r revision.Revision) string {
	if len(r.Containers) == 0 {
		return "-"
	}
	parts := make([]string, len(r.Containers))
	for i, c := range r.Containers {
		tag := imageref.Parse(c.Image).Display()
		if tag == "" {
			tag = "(untagged)"
		}
		parts[i] = report.LogSafe(tag)
		if len(r.Containers) > 1 {
			parts[i] = report.LogSafe(c.Name) + "=" + parts[i]
		}
	}
	return strings.Join(parts, " ")
}

// revisionLabel shows a task-definition reference as family:revision.
func revisionLabel(ref string) string {
	if f, n, err := revision.ParseARN(ref); err == nil {
		return fmt.Sprintf("%s:%d", f, n)
	}
	return ref
}
