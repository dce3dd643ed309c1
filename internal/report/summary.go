package report

import (
	"cmp"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/source"
	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/deplight/ecs-rollback/internal/trigger"
)

// How many events, stopped-task reasons and passed-over runs the summary lists.
const (
	maxEvents  = 10
	maxStopped = 10
	maxSkips   = 10
)

// md is Markdown that is safe to print as it is: text this package wrote, or a
// value from outside that went through Escape (see esc). The summary is
// rendered from a summaryView, whose every printable field is an md, by a
// writer that takes md only (see render.go): a raw string from the Result
// does not compile there, and a test walks the view types to keep every
// field an md.
type md string

// esc escapes a value from outside.
func esc(s string) md { return md(Escape(s)) }

// code shows a value from outside in monospace. An HTML <code> element is used
// rather than a code span because backslash escapes and entities work inside
// it, so the escaped value renders as the original.
func code(s string) md {
	if s == "" {
		return ""
	}
	return "<code>" + esc(s) + "</code>"
}

// link is a Markdown link to an http(s) URL from outside, or the bare text
// when the URL is missing, not http(s), or holds a character that could end
// the link destination early (white space, parentheses, quotes, < >).
func link(text md, rawURL string) md {
	u, err := url.Parse(rawURL)
	if rawURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsAny(rawURL, " \t\r\n()<>\"'`\\") {
		return text
	}
	return "[" + text + "](" + esc(rawURL) + ")"
}

// Summary renders the Markdown job summary of a result, for
// GITHUB_STEP_SUMMARY: what happened and what to do next, the service(s) and
// their revisions, how the target was chosen, the failed and the successful
// run, the safety checks, recent service events and stopped tasks, warnings
// and timings. Every value from outside goes through Escape.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#adding-a-job-summary
func Summary(r rollback.Result) string {
	return renderSummary(newSummaryView(r))
}

// summaryView is the summary, precomputed: every decision and every escape
// is made here, so that renderSummary only lays it out.
type summaryView struct {
	Icon     md
	Title    md
	Message  md
	NextStep md // failed only
	Changed  md // failed only: whether UpdateService was sent, and to what
	Overview *overviewView
	Warnings []md
	Tally    md           // several services: which were rolled back, which not
	Rows     []serviceRow // several services: one row each
	Trigger  *triggerView
	Source   *sourceView
	Services []serviceView
	Record   *recordView
	Timings  []timingRow
}

type overviewView struct {
	Cluster     md
	ServiceHead md // "Service" or "Services"
	Services    md
	Environment md
	ImageTag    md
}

type serviceRow struct {
	Service md
	Result  md
	From    md
	To      md
	Reason  md
}

type triggerView struct {
	Run        md // linked workflow name
	Conclusion md
	Branch     md
	Commit     md
}

type sourceView struct {
	Run         md // linked "run #123"; empty when none was found
	Commit      md
	Recorded    md
	ImageTag    md
	Environment md
	ARN         md
	Skips       []skipRow
	MoreSkips   md // "… and 3 more"
}

type skipRow struct {
	Run    md
	Reason md
}

type serviceView struct {
	Name       md
	Result     md // several services only
	Message    md // several services only
	Plan       md // dry run
	Revisions  md
	ARNs       md
	How        md
	Sent       md
	CodeDeploy md
	Superseded md
	Deregister md
	Checks     []checkRow
	Events     []eventRow
	MoreEvents md
	Stopped    []md
	MoreStop   md
}

type checkRow struct {
	Name   md
	Status md
	Detail md
}

type eventRow struct {
	Time    md
	Message md
}

type recordView struct {
	ImageTag    md
	Environment md
	StatePath   md
	TaskDefs    []md
}

type timingRow struct {
	Phase   md
	Seconds md
}

// dash stands in for an empty table cell.
const dash md = "—"

func orDash(m md) md { return cmp.Or(m, dash) }

func newSummaryView(r rollback.Result) summaryView {
	outcome := outcomeOf(r)
	icon, title := headline(outcome)
	v := summaryView{
		Icon:     icon,
		Title:    title,
		Message:  md(escapeMax(cmp.Or(r.Message, defaultMessage(r)), MaxMessage)),
		Warnings: escAll(r.Warnings),
		Timings:  timingRows(r.Timings),
	}
	if outcome == rollback.Failed {
		v.NextStep = nextStep(r)
		v.Changed = changed(r)
	}
	if outcome == rollback.Recorded {
		v.Record = recordViewOf(r)
		return v
	}
	v.Overview = overviewOf(r)
	if r.Trigger != nil {
		v.Trigger = triggerViewOf(r.Trigger)
	}
	if r.Source != nil || len(r.SourceSkips) > 0 {
		v.Source = sourceViewOf(r)
	}
	multi := len(r.Services) > 1
	if multi {
		v.Tally = tally(r)
		for _, s := range r.Services {
			v.Rows = append(v.Rows, serviceRow{
				Service: esc(s.Service),
				Result:  outcomeLabel(serviceOutcome(r, s)),
				From:    orDash(revisionMD(s.From, s.FromImageTag)),
				To:      orDash(revisionMD(s.To, targetTag(r, s))),
				Reason:  orDash(esc(s.Reason)),
			})
		}
	}
	for _, s := range r.Services {
		v.Services = append(v.Services, serviceViewOf(r, s, multi))
	}
	return v
}

func headline(o rollback.Outcome) (icon, title md) {
	switch o {
	case rollback.RolledBack:
		return "✅", "Rolled back"
	case rollback.AlreadyCurrent:
		return "ℹ️", "Already on the target revision"
	case rollback.Planned:
		return "📝", "Rollback planned (dry run)"
	case rollback.Skipped:
		return "⏭️", "Rollback skipped"
	case rollback.Failed:
		return "❌", "Rollback failed"
	case rollback.Recorded:
		return "🗂️", "Deployment state recorded"
	}
	return "❔", "Result: " + esc(string(o))
}

// defaultMessage stands in when the result carries no message.
func defaultMessage(r rollback.Result) string {
	if outcomeOf(r) == rollback.Failed {
		return "The rollback failed (" + orUnknown(reasonOf(r)) + ")."
	}
	return sentence(noticeText(r))
}

// nextSteps says what to do after a failure, by the reasons the rollback
// package writes. The texts are ours, written as Markdown.
var nextSteps = map[string]md{
	reason.Confirmation: "Nothing was changed. Re-run the workflow with `confirm` set to `ROLLBACK`, or `ROLLBACK-PROD` for a protected environment.",
	reason.NoPrevious: "Manual intervention is needed: no earlier successful deployment with a usable deployment-state artifact was found. " +
		"Roll back by hand: re-run with the `revision` input (e.g. `42`) or the `image-tag` input, or fix forward.",
	reason.NoDeployWorkflow: "Re-run with the `revision` or `image-tag` input, or set `deploy-workflow` so the last successful deployment can be found.",
	reason.SourceError:      "GitHub could not be read. Check that `github-token` has `actions: read`, then re-run, or give the target with the `revision` input.",
	reason.ServiceNotFound:  "Check the `cluster` and `service` inputs and the AWS region of the credentials, then re-run.",
	reason.ECSError:         "Read the error above and the job log (permissions, throttling, region), fix it, then re-run.",
	reason.NoMatch: "No ACTIVE revision carries the target image tag. Re-run with the `revision` input, " +
		"or raise `max-revisions`, or set `fallback: previous`.",
	reason.CheckFailed:     checkNextStep,
	reason.OtherFamily:     "The target belongs to another task-definition family. Give a revision of the service's own family with the `revision` input.",
	reason.RollForward:     "The target is not older than the current revision. Check the `revision` or `image-tag` input; to deploy a newer revision, use the deploy workflow.",
	reason.TargetNotActive: "The target revision is no longer ACTIVE (deregistered). Re-run with the `revision` input naming an ACTIVE revision.",
	reason.SchemaDowngrade: "Nothing was changed. Check that the older revision works with the current database schema; if it does, re-run with `allow-schema-downgrade: true`, otherwise fix forward.",
	reason.ImageMissing:    "The target's image is gone from ECR, so its tasks could not start. Choose another revision with the `revision` input, or push the image again.",
	reason.Controller:      "For a `CODE_DEPLOY` service set `codedeploy-application` and `codedeploy-deployment-group`; an `EXTERNAL` service must be rolled back with its own tooling.",
	reason.UpdateFailed:    "The update was refused by ECS. Read the error above, fix it (often IAM permissions), then re-run.",
	reason.RolloutFailed: "ECS gave up on the rollout: the target revision does not start either. Read the stopped tasks and service events below, " +
		"then roll back further by hand with the `revision` input, or fix forward.",
	reason.WaitTimeout: "The service did not become stable in time and ECS may still be rolling out. Read the service events and stopped tasks below " +
		"and watch the service in the ECS console; re-run with a longer `wait-timeout` if it is only slow.",
	reason.VerifyFailed:       "The service does not run the target task definition. Look at its deployments in the ECS console; another deployment may have replaced the rollback.",
	reason.Cancelled:          "The job was cancelled. See below whether UpdateService was sent, and check the service in the ECS console before you re-run.",
	reason.OtherServiceFailed: "Another service of this run failed; fix that one (see below), then re-run for all.",
	reason.RecordFailed:       "The deployment state could not be written. Check the `state-path` input and the workspace, then re-run.",
	reason.CodeDeploy: "CodeDeploy could not roll the service back. Read its error above and the deployment in the CodeDeploy console, " +
		"then re-run, or roll back by hand with the `revision` input.",
	reason.InvalidInput: "Nothing was done. Fix the inputs named above, then re-run.",
	reason.InvalidEvent: "Nothing was done. Run the action in a GitHub Actions job, which provides the event file, then re-run.",
	reason.AWSConfig:    "Nothing was done. Configure AWS credentials and a region before this step, e.g. with aws-actions/configure-aws-credentials.",
}

// checkNextStep is the next step when a safety check refused the rollback.
const checkNextStep md = "A safety check refused the rollback (see Safety checks below). Fix what it reports, " +
	"or choose another target with the `revision` input; for a schema downgrade you know is safe, re-run with `allow-schema-downgrade: true`."

// defaultNextStep is the next step for any other failure.
const defaultNextStep md = "Read the details below and the job log, fix the cause, then re-run this job, " +
	"or roll back by hand with the `revision` input."

func nextStep(r rollback.Result) md {
	if step, ok := nextSteps[reasonOf(r)]; ok {
		return step
	}
	for _, s := range r.Services {
		if len(failedChecks(s)) > 0 {
			return checkNextStep
		}
	}
	return defaultNextStep
}

// changed says, after a failure, whether UpdateService (or CodeDeploy) was
// sent for each service, and to what.
func changed(r rollback.Result) md {
	var updated, deployed, notSent []md
	for _, s := range r.Services {
		if !s.UpdateSent {
			notSent = append(notSent, esc(s.Service))
			continue
		}
		what := esc(s.Service)
		if n := revisionNumber(s.To); n != "" {
			what += " (to revision " + md(n) + ")"
		}
		if s.CodeDeployID != "" {
			deployed = append(deployed, "CodeDeploy deployment "+code(s.CodeDeployID)+" was created for "+what)
			continue
		}
		updated = append(updated, what)
	}
	if len(updated) == 0 && len(deployed) == 0 {
		return "nothing. UpdateService was not sent; the service is as it was."
	}
	var parts []md
	if len(updated) > 0 {
		parts = append(parts, "UpdateService was sent for "+join(updated, ", ")+".")
	}
	for _, d := range deployed {
		parts = append(parts, d+".")
	}
	if len(notSent) > 0 {
		parts = append(parts, "Not sent for "+join(notSent, ", ")+".")
	}
	return join(parts, " ")
}

func overviewOf(r rollback.Result) *overviewView {
	names := make([]md, 0, len(r.Services))
	for _, s := range r.Services {
		names = append(names, esc(s.Service))
	}
	head := md("Service")
	if len(names) > 1 {
		head = "Services"
	}
	return &overviewView{
		Cluster:     orDash(esc(r.Cluster)),
		ServiceHead: head,
		Services:    orDash(join(names, ", ")),
		Environment: orDash(esc(r.Environment)),
		ImageTag:    orDash(code(r.ImageTag)),
	}
}

// tally says which services were rolled back and which were not.
func tally(r rollback.Result) md {
	groups := map[rollback.Outcome][]md{}
	var notRolled []md
	for _, s := range r.Services {
		o := serviceOutcome(r, s)
		switch o {
		case rollback.RolledBack, rollback.AlreadyCurrent, rollback.Planned:
			groups[o] = append(groups[o], esc(s.Service))
			continue
		}
		var notes []md
		if s.Reason != "" {
			notes = append(notes, esc(s.Reason))
		}
		if s.UpdateSent {
			notes = append(notes, "UpdateService sent")
		}
		name := esc(s.Service)
		if len(notes) > 0 {
			name += " (" + join(notes, "; ") + ")"
		}
		notRolled = append(notRolled, name)
	}
	var parts []md
	for _, g := range []struct {
		outcome rollback.Outcome
		label   md
	}{
		{rollback.RolledBack, "Rolled back"},
		{rollback.Planned, "Would roll back"},
		{rollback.AlreadyCurrent, "Already current"},
	} {
		if names := groups[g.outcome]; len(names) > 0 {
			parts = append(parts, g.label+": "+join(names, ", ")+".")
		}
	}
	if len(notRolled) > 0 {
		parts = append(parts, "Not rolled back: "+join(notRolled, ", ")+".")
	}
	return join(parts, " ")
}

func triggerViewOf(t *trigger.Run) *triggerView {
	name := cmp.Or(t.Name, t.WorkflowName, t.Path, "workflow run")
	text := esc(name)
	if t.ID != 0 {
		text += " (run " + md(strconv.FormatInt(t.ID, 10))
		if t.Attempt > 1 {
			text += ", attempt " + md(strconv.Itoa(t.Attempt))
		}
		text += ")"
	}
	return &triggerView{
		Run:        link(text, t.HTMLURL),
		Conclusion: esc(cmp.Or(t.Conclusion, t.Status)),
		Branch:     code(t.HeadBranch),
		Commit:     code(shortSHA(t.HeadSHA)),
	}
}

func sourceViewOf(r rollback.Result) *sourceView {
	v := &sourceView{}
	if d := r.Source; d != nil {
		v.Run = link("run #"+md(strconv.Itoa(d.RunNumber)), d.RunURL)
		if d.RunNumber == 0 {
			v.Run = link("run "+md(strconv.FormatInt(d.RunID, 10)), d.RunURL)
		}
		v.Commit = code(shortSHA(cmp.Or(d.State.CommitSHA, d.HeadSHA)))
		v.Recorded = esc(d.State.Timestamp)
		if v.Recorded == "" && !d.CreatedAt.IsZero() {
			v.Recorded = md(formatTime(d.CreatedAt))
		}
		v.ImageTag = code(d.State.ImageTag)
		v.Environment = esc(d.State.Environment)
		v.ARN = code(d.State.TaskDefinitionARN)
	}
	for i, s := range r.SourceSkips {
		if i == maxSkips {
			v.MoreSkips = "… and " + md(strconv.Itoa(len(r.SourceSkips)-maxSkips)) + " more"
			break
		}
		v.Skips = append(v.Skips, skipRow{Run: skipLink(s), Reason: esc(s.Reason)})
	}
	return v
}

func skipLink(s source.Skipped) md {
	return link("run "+md(strconv.FormatInt(s.RunID, 10)), s.RunURL)
}

func serviceViewOf(r rollback.Result, s rollback.ServiceResult, multi bool) serviceView {
	outcome := serviceOutcome(r, s)
	toTag := targetTag(r, s)
	v := serviceView{
		Name:       esc(s.Service),
		How:        howText(s.How),
		CodeDeploy: code(s.CodeDeployID),
		Superseded: code(s.Superseded),
		Deregister: code(s.Deregistered),
		Checks:     checkRows(s.Checks),
	}
	if multi {
		v.Result = outcomeLabel(outcome)
		if s.Reason != "" {
			v.Result += " (" + esc(s.Reason) + ")"
		}
		v.Message = esc(s.Message)
	}
	if outcome == rollback.Planned {
		v.Plan = esc(serviceClause(r, s))
	}

	from, to := revisionMD(s.From, s.FromImageTag), revisionMD(s.To, toTag)
	switch {
	case outcome == rollback.AlreadyCurrent:
		v.Revisions = cmp.Or(to, from) + ", already current: nothing changed"
	case from != "" && to != "":
		v.Revisions = from + " → " + to
	case from != "":
		v.Revisions = from + " → no target found"
	case to != "":
		v.Revisions = "unknown → " + to
	}
	fromARN, toARN := code(arnOf(s.From)), code(arnOf(s.To))
	switch {
	case outcome == rollback.AlreadyCurrent:
		v.ARNs = cmp.Or(toARN, fromARN)
	case fromARN != "" && toARN != "":
		v.ARNs = fromARN + " → " + toARN
	default:
		v.ARNs = cmp.Or(fromARN, toARN)
	}

	switch {
	case s.UpdateSent && s.CodeDeployID != "":
		v.Sent = "yes, through CodeDeploy"
	case s.UpdateSent && s.Mechanism != "":
		v.Sent = "no: " + esc(s.Mechanism) + " with ROLLBACK instead, ECS's own rollback"
	case s.UpdateSent:
		v.Sent = "yes"
	case r.DryRun || outcome == rollback.Planned:
		v.Sent = "no (dry run)"
	default:
		v.Sent = "no"
	}

	v.Events, v.MoreEvents = eventRows(s.Events)
	v.Stopped, v.MoreStop = stoppedRows(s.StoppedReasons)
	return v
}

func serviceOutcome(r rollback.Result, s rollback.ServiceResult) rollback.Outcome {
	if s.Outcome == "" {
		return r.Outcome
	}
	return s.Outcome
}

func outcomeLabel(o rollback.Outcome) md {
	icon, _ := headline(o)
	return icon + " " + esc(string(o))
}

// revisionMD is "revision 45 (<code>abc1234</code>)", or "" without a revision.
func revisionMD(rev *revision.Revision, tag string) md {
	n := revisionNumber(rev)
	if n == "" {
		return ""
	}
	text := "revision " + md(n)
	if tag != "" {
		text += " (" + code(tag) + ")"
	}
	return text
}

// howText says in words how the target was chosen.
func howText(h target.How) md {
	switch h {
	case "":
		return ""
	case target.HowRecordedARN:
		return "recorded task definition of the last successful deployment"
	case target.HowImageTag:
		return "image tag match"
	case target.HowFallbackPrevious:
		return "fallback: previous revision (no revision matched the image tag)"
	case target.HowManualRevision:
		return "manual revision"
	case target.HowECSHistory:
		return "ECS's deployment history (its newest successful deployment of another revision)"
	}
	return esc(string(h))
}

var checkIcons = map[safety.Status]md{
	safety.Pass: "✅ pass",
	safety.Fail: "❌ fail",
	safety.Warn: "⚠️ warn",
	safety.Skip: "➖ skip",
}

func checkRows(checks []safety.Check) []checkRow {
	rows := make([]checkRow, 0, len(checks))
	for _, c := range checks {
		status, ok := checkIcons[c.Status]
		if !ok {
			status = "❔ " + esc(string(c.Status))
		}
		rows = append(rows, checkRow{Name: esc(c.Name), Status: status, Detail: orDash(esc(c.Detail))})
	}
	return rows
}

// eventRows lists the newest maxEvents service events, newest first.
func eventRows(events []ecsread.Event) ([]eventRow, md) {
	sorted := append([]ecsread.Event(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreatedAt.After(sorted[j].CreatedAt) })
	sorted, more := capped(sorted, maxEvents, "older events")
	rows := make([]eventRow, 0, len(sorted))
	for _, e := range sorted {
		row := eventRow{Message: esc(e.Message)}
		if !e.CreatedAt.IsZero() {
			row.Time = md(formatTime(e.CreatedAt))
		}
		rows = append(rows, row)
	}
	return rows, more
}

// capped keeps the first n items and says how many others were left out,
// as "3 older events not shown.".
func capped[T any](items []T, n int, others md) ([]T, md) {
	if len(items) <= n {
		return items, ""
	}
	return items[:n], md(strconv.Itoa(len(items)-n)) + " " + others + " not shown."
}

// stoppedRows lists distinct stopped-task reasons, in order of first
// appearance, with a count when a reason repeats.
func stoppedRows(reasons []string) ([]md, md) {
	counts := map[string]int{}
	var order []string
	for _, reason := range reasons {
		if counts[reason] == 0 {
			order = append(order, reason)
		}
		counts[reason]++
	}
	order, more := capped(order, maxStopped, "other reasons")
	rows := make([]md, 0, len(order))
	for _, reason := range order {
		row := esc(reason)
		if n := counts[reason]; n > 1 {
			row = md(strconv.Itoa(n)) + " tasks: " + row
		}
		rows = append(rows, row)
	}
	return rows, more
}

func recordViewOf(r rollback.Result) *recordView {
	v := &recordView{
		ImageTag:    orDash(code(r.ImageTag)),
		Environment: orDash(esc(r.Environment)),
		StatePath:   orDash(code(r.StatePath)),
	}
	for _, s := range r.Services {
		if s.From != nil && s.From.ARN != "" {
			v.TaskDefs = append(v.TaskDefs, code(s.From.ARN)+" ("+esc(s.Service)+")")
		}
	}
	return v
}

func timingRows(timings []rollback.Timing) []timingRow {
	rows := make([]timingRow, 0, len(timings))
	for _, t := range timings {
		rows = append(rows, timingRow{Phase: esc(t.Phase), Seconds: md(fmt.Sprintf("%.2f", t.Duration.Seconds()))})
	}
	return rows
}

func escAll(ss []string) []md {
	out := make([]md, 0, len(ss))
	for _, s := range ss {
		out = append(out, esc(s))
	}
	return out
}

func join(ms []md, sep md) md {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteString(string(sep))
		}
		b.WriteString(string(m))
	}
	return md(b.String())
}

// shortSHA is the first seven characters of a commit SHA.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
