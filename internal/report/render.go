package report

import "strings"

// renderSummary writes the job summary from its view, top to bottom in the
// order the operator reads it. It sees the view only, never the Result, and
// writes through summaryWriter, which takes md only: a value from outside
// that did not go through esc (or code, link…) does not compile here.
//
// It is plain Go rather than a text/template on purpose: the template
// engine looks methods up by name (reflect.Value.MethodByName), so once its
// Execute is linked the Go linker must keep every exported method of every
// type that can reach an interface, and with them every ECS, CodeDeploy and
// ECR operation of the AWS SDK. With the template the stripped linux/amd64
// binary was 23.4 MB; without it, 14.1 MB.
func renderSummary(v summaryView) string {
	var w summaryWriter
	w.headline(v)
	if v.Overview != nil {
		w.overview(*v.Overview)
	}
	if v.Record != nil {
		w.record(*v.Record)
	}
	w.bullets("### ⚠️ Warnings", v.Warnings, "")
	if len(v.Rows) > 0 {
		w.serviceTable(v.Tally, v.Rows)
	}
	if v.Trigger != nil {
		w.failedRun(*v.Trigger)
	}
	if v.Source != nil {
		w.source(*v.Source)
	}
	for _, s := range v.Services {
		w.service(s)
	}
	w.timings(v.Timings)
	w.put("\n")
	return w.b.String()
}

// headline is the title, the message, and after a failure what to do next
// and what was sent to ECS.
func (w *summaryWriter) headline(v summaryView) {
	w.block("## ", v.Icon, " ", v.Title)
	w.block(v.Message)
	if v.NextStep != "" {
		w.block("**What to do next:** ", v.NextStep)
	}
	if v.Changed != "" {
		w.block("**Sent to ECS:** ", v.Changed)
	}
}

// overview is the one-row table of cluster, services, environment and tag.
func (w *summaryWriter) overview(o overviewView) {
	w.tableHead("|---|---|---|---|", "Cluster", o.ServiceHead, "Environment", "Target image tag")
	w.tableRow(o.Cluster, o.Services, o.Environment, o.ImageTag)
}

// record is what the record command wrote.
func (w *summaryWriter) record(r recordView) {
	w.tableHead("|---|---|---|", "Image tag", "Environment", "Folder")
	w.tableRow(r.ImageTag, r.Environment, r.StatePath)
	for _, td := range r.TaskDefs {
		w.block("- **Task definition recorded:** ", td)
	}
}

// serviceTable is, with several services, who was rolled back and a row
// per service.
func (w *summaryWriter) serviceTable(tally md, rows []serviceRow) {
	w.block("### Services")
	w.block(tally)
	w.tableHead("|---|---|---|---|---|", "Service", "Result", "From", "To", "Reason")
	for _, r := range rows {
		w.tableRow(r.Service, r.Result, r.From, r.To, r.Reason)
	}
}

// failedRun is the workflow run that triggered the rollback.
func (w *summaryWriter) failedRun(t triggerView) {
	w.block("### Failed run")
	w.block(t.Run, " concluded **", t.Conclusion, "**")
	if t.Branch != "" {
		w.put(" on branch ", t.Branch)
	}
	if t.Commit != "" {
		w.put(" at commit ", t.Commit)
	}
	w.put(".")
}

// source is the last successful deployment and the runs passed over.
func (w *summaryWriter) source(s sourceView) {
	w.block("### Last successful deployment")
	run := s.Run
	if run == "" {
		run = "none found: no successful run with a usable deployment-state artifact"
	}
	if s.Commit != "" {
		run += ", commit " + s.Commit
	}
	if s.Recorded != "" {
		run += ", recorded " + s.Recorded
	}
	var l list
	l.field("Run", run)
	l.field("Image tag", s.ImageTag)
	l.field("Environment", s.Environment)
	l.field("Task definition recorded", s.ARN)
	if len(s.Skips) > 0 {
		l.item("**Runs passed over:**")
		for _, skip := range s.Skips {
			l.subItem(skip.Run + ": " + skip.Reason)
		}
		if s.MoreSkips != "" {
			l.subItem(s.MoreSkips)
		}
	}
	w.list(l)
}

// service is one service's block: result, revisions, how the target was
// chosen, what was sent, then its checks, events and stopped tasks.
func (w *summaryWriter) service(s serviceView) {
	w.block("### Service ", s.Name)
	var l list
	if s.Result != "" {
		result := s.Result
		if s.Message != "" {
			result += " — " + s.Message
		}
		l.field("Result", result)
	}
	l.field("Plan", s.Plan)
	l.field("Revision", s.Revisions)
	l.field("Task definition", s.ARNs)
	l.field("Target chosen by", s.How)
	l.item("**UpdateService sent:** " + s.Sent)
	l.field("CodeDeploy deployment", s.CodeDeploy)
	l.field("Superseded deployment", s.Superseded)
	l.field("Deregistered", s.Deregister)
	w.list(l)

	w.checks(s.Checks)
	w.events(s.Events, s.MoreEvents)
	w.bullets("#### Stopped tasks", s.Stopped, s.MoreStop)
}

func (w *summaryWriter) checks(checks []checkRow) {
	if len(checks) == 0 {
		return
	}
	w.block("#### Safety checks")
	w.tableHead("|---|---|---|", "Check", "Status", "Detail")
	for _, c := range checks {
		w.tableRow(c.Name, c.Status, c.Detail)
	}
}

func (w *summaryWriter) events(events []eventRow, more md) {
	items := make([]md, len(events))
	for i, e := range events {
		items[i] = e.Message
		if e.Time != "" {
			items[i] = e.Time + ": " + e.Message
		}
	}
	w.bullets("#### Recent service events (newest first)", items, more)
}

// bullets is a section of its own: heading, then a list of the items and,
// when set, more (what was left out); nothing at all without items.
func (w *summaryWriter) bullets(heading md, items []md, more md) {
	if len(items) == 0 {
		return
	}
	w.block(heading)
	var l list
	for _, item := range items {
		l.item(item)
	}
	if more != "" {
		l.item(more)
	}
	w.list(l)
}

func (w *summaryWriter) timings(rows []timingRow) {
	if len(rows) == 0 {
		return
	}
	w.block("### Timings")
	w.tableHead("|---|---:|", "Phase", "Seconds")
	for _, r := range rows {
		w.tableRow(r.Phase, r.Seconds)
	}
}

// summaryWriter builds the summary out of md only, so that everything it
// writes is this package's own text or went through Escape. Blocks
// (headings, paragraphs, tables, lists) are separated by a blank line.
type summaryWriter struct {
	b strings.Builder
}

func (w *summaryWriter) put(parts ...md) {
	for _, p := range parts {
		w.b.WriteString(string(p))
	}
}

// block starts a new block: a blank line, unless it is the first.
func (w *summaryWriter) block(parts ...md) {
	if w.b.Len() > 0 {
		w.put("\n\n")
	}
	w.put(parts...)
}

// tableHead starts a table: the header row, then the delimiter row (which
// sets the columns' alignment).
func (w *summaryWriter) tableHead(delimiter md, cells ...md) {
	w.block()
	w.cells(cells)
	w.put("\n", delimiter)
}

func (w *summaryWriter) tableRow(cells ...md) {
	w.put("\n")
	w.cells(cells)
}

func (w *summaryWriter) cells(cells []md) {
	w.put("|")
	for _, c := range cells {
		w.put(" ", c, " |")
	}
}

// list writes the items of l as one list block; an empty list writes nothing.
func (w *summaryWriter) list(l list) {
	if len(l) > 0 {
		w.block(join(l, "\n"))
	}
}

// list is the lines of a Markdown list.
type list []md

func (l *list) item(text md) { *l = append(*l, "- "+text) }

// subItem is an item of a list nested in the previous item.
func (l *list) subItem(text md) { *l = append(*l, "  - "+text) }

// field is a "**Label:** value" item, left out when the value is empty.
func (l *list) field(label, value md) {
	if value != "" {
		l.item("**" + label + ":** " + value)
	}
}
