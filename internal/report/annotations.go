package report

import (
	"cmp"
	"fmt"
	"github.com/deplight/ecs-rollback/internal/reason"
	"strings"

	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/safety"
)

// Annotation levels, as the workflow commands name them.
const (
	LevelNotice  = "notice"
	LevelWarning = "warning"
	LevelError   = "error"
)

// Annotation is one workflow annotation (::notice::, ::warning::, ::error::).
// Title and Message have been through LogSafe.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions#setting-an-error-message
type Annotation struct {
	Level   string // notice, warning or error
	Title   string
	Message string
}

// Annotations returns what to annotate the run with: every warning of the
// result, then, for a failed result, exactly one error that says what happened
// and what to do next (the result's message, and the detail of each refused
// safety check), or, for any other outcome, one notice that says what was done.
func Annotations(r rollback.Result) []Annotation {
	out := make([]Annotation, 0, len(r.Warnings)+1)
	for _, w := range r.Warnings {
		out = append(out, Annotation{Level: LevelWarning, Title: "ECS rollback warning", Message: LogSafe(w)})
	}
	if outcomeOf(r) == rollback.Failed {
		title := "ECS rollback failed"
		if r.Reason == reason.RecordFailed {
			title = "Recording the deployment state failed"
		}
		return append(out, Annotation{Level: LevelError, Title: title, Message: LogSafe(errorText(r))})
	}
	return append(out, Annotation{Level: LevelNotice, Title: noticeTitle(outcomeOf(r)), Message: LogSafe(noticeText(r))})
}

// errorText is the one-line failure message: the result's message (or a
// stand-in naming the reason and the next step), the refused checks, and,
// with several services, what failed for each.
func errorText(r rollback.Result) string {
	parts := []string{r.Message}
	if r.Message == "" {
		parts[0] = fmt.Sprintf("The rollback failed (%s). %s", orUnknown(reasonOf(r)), string(nextStep(r)))
	}
	multi := len(r.Services) > 1
	for _, s := range r.Services {
		prefix := ""
		if multi {
			prefix = s.Service + ": "
		}
		failed := failedChecks(s)
		for _, c := range failed {
			if strings.Contains(r.Message, strings.TrimSuffix(c.Detail, ".")) {
				continue // the message already says it
			}
			parts = append(parts, fmt.Sprintf("%scheck %q failed: %s", prefix, c.Name, sentence(c.Detail)))
		}
		if len(failed) == 0 && multi && s.Outcome == rollback.Failed && s.Message != "" && !strings.Contains(r.Message, s.Message) {
			parts = append(parts, prefix+sentence(s.Message))
		}
	}
	return strings.Join(parts, " ")
}

func noticeTitle(o rollback.Outcome) string {
	switch o {
	case rollback.RolledBack:
		return "ECS service rolled back"
	case rollback.AlreadyCurrent:
		return "ECS service already current"
	case rollback.Planned:
		return "ECS rollback planned (dry run)"
	case rollback.Skipped:
		return "ECS rollback skipped"
	case rollback.Recorded:
		return "Deployment state recorded"
	}
	return "ECS rollback: " + string(o)
}

// noticeText is the one-line account of a successful run, e.g.
// "Rolled back web from revision 45 (abc1234) to 42 (def5678)".
func noticeText(r rollback.Result) string {
	switch outcomeOf(r) {
	case rollback.Skipped:
		return "Skipped: " + cmp.Or(r.Message, "the rollback was skipped ("+orUnknown(reasonOf(r))+")")
	case rollback.Recorded:
		text := "Recorded deployment state for image tag " + orUnknown(r.ImageTag)
		if r.Environment != "" {
			text += " (environment " + r.Environment + ")"
		}
		if r.StatePath != "" {
			text += " in " + r.StatePath
		}
		return text
	}
	clauses := make([]string, 0, len(r.Services))
	for _, s := range r.Services {
		clauses = append(clauses, serviceClause(r, s))
	}
	if len(clauses) == 0 {
		return cmp.Or(r.Message, "Result: "+string(outcomeOf(r)))
	}
	text := strings.Join(clauses, "; ")
	if outcomeOf(r) == rollback.Planned || r.DryRun {
		return "Dry run: " + text
	}
	if rest, ok := strings.CutPrefix(text, "rolled back "); ok {
		return "Rolled back " + rest
	}
	return text
}

// serviceClause says in plain words what happened to one service, e.g.
// "would roll back web from 45 (abc1234) to 42 (def5678)".
func serviceClause(r rollback.Result, s rollback.ServiceResult) string {
	outcome := serviceOutcome(r, s)
	from, to := revisionText(s.From, s.FromImageTag), revisionText(s.To, targetTag(r, s))
	switch outcome {
	case rollback.RolledBack:
		return fmt.Sprintf("rolled back %s from revision %s to %s", s.Service, from, to)
	case rollback.Planned:
		return fmt.Sprintf("would roll back %s from %s to %s", s.Service, from, to)
	case rollback.AlreadyCurrent:
		rev := s.To
		if rev == nil {
			rev = s.From
		}
		return fmt.Sprintf("%s is already on revision %s: nothing changed", s.Service, orUnknown(revisionNumber(rev)))
	}
	text := fmt.Sprintf("%s: %s", s.Service, outcome)
	if s.Reason != "" {
		text += " (" + s.Reason + ")"
	}
	return text
}

// revisionText is "45 (abc1234)", "45" without a tag, or "unknown".
func revisionText(rev *revision.Revision, tag string) string {
	n := revisionNumber(rev)
	if n == "" {
		n = "unknown"
	}
	if tag == "" {
		return n
	}
	return n + " (" + tag + ")"
}

func failedChecks(s rollback.ServiceResult) []safety.Check {
	var out []safety.Check
	for _, c := range s.Checks {
		if c.Status == safety.Fail {
			out = append(out, c)
		}
	}
	return out
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// orUnknown stands "unknown" in for an empty s.
func orUnknown(s string) string { return cmp.Or(s, "unknown") }
