package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v66/github"
)

// EventWorkflowRun is the name of the event whose payload carries the run
// that triggered the job (GITHUB_EVENT_NAME).
// See https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#workflow_run
const EventWorkflowRun = "workflow_run"

// ParseEvent reads the payload of the event that started the job (the file at
// GITHUB_EVENT_PATH), given the event's name (GITHUB_EVENT_NAME).
//
// For workflow_run it decodes the payload into go-github's
// [github.WorkflowRunEvent] and fills Event.Run. Run.Name is
// workflow_run.name as given, empty in some real payloads; Run.WorkflowName is
// the top-level workflow.name; Run.Path is workflow_run.path, else
// workflow.path, without any "@ref" suffix. The repository is the top-level
// repository, else workflow_run.repository. A workflow_run payload without a
// workflow_run object is an error.
//
// For any other event only repository.full_name and default_branch are read,
// so payload shapes such as workflow_dispatch's string workflow field do not
// matter.
// See https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run
func ParseEvent(name string, payload []byte) (Event, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return Event{}, errors.New("event file is empty")
	}
	var doc any
	if err := json.Unmarshal(payload, &doc); err != nil {
		return Event{}, fmt.Errorf("event file is not JSON: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return Event{}, fmt.Errorf("event file is not a JSON object but %s", jsonKind(doc))
	}
	if name == EventWorkflowRun {
		return parseWorkflowRun(payload)
	}
	var p struct {
		Repository *struct {
			FullName      string `json:"full_name"`
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return Event{}, fmt.Errorf("read repository of %s event: %w", name, err)
	}
	ev := Event{Name: name}
	if p.Repository != nil {
		ev.Repository = p.Repository.FullName
		ev.DefaultBranch = p.Repository.DefaultBranch
	}
	return ev, nil
}

func parseWorkflowRun(payload []byte) (Event, error) {
	var e github.WorkflowRunEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return Event{}, fmt.Errorf("read workflow_run event: %w", err)
	}
	wr := e.GetWorkflowRun()
	if wr == nil {
		return Event{}, errors.New("read workflow_run event: the payload has no workflow_run object")
	}
	ev := Event{
		Name:          EventWorkflowRun,
		Repository:    e.GetRepo().GetFullName(),
		DefaultBranch: e.GetRepo().GetDefaultBranch(),
	}
	if ev.Repository == "" {
		ev.Repository = wr.GetRepository().GetFullName()
	}
	if ev.DefaultBranch == "" {
		ev.DefaultBranch = wr.GetRepository().GetDefaultBranch()
	}
	path := wr.GetPath()
	if path == "" {
		path = e.GetWorkflow().GetPath()
	}
	ev.Run = &Run{
		ID:             wr.GetID(),
		WorkflowID:     wr.GetWorkflowID(),
		Attempt:        wr.GetRunAttempt(),
		Name:           wr.GetName(),
		WorkflowName:   e.GetWorkflow().GetName(),
		Path:           cutRef(path),
		Status:         wr.GetStatus(),
		Conclusion:     wr.GetConclusion(),
		Event:          wr.GetEvent(),
		HeadBranch:     wr.GetHeadBranch(),
		HeadSHA:        wr.GetHeadSHA(),
		HTMLURL:        wr.GetHTMLURL(),
		HeadRepository: wr.GetHeadRepository().GetFullName(),
		CreatedAt:      wr.GetCreatedAt().Time,
		UpdatedAt:      wr.GetUpdatedAt().Time,
	}
	if ev.Run.WorkflowID == 0 {
		ev.Run.WorkflowID = e.GetWorkflow().GetID()
	}
	return ev, nil
}

// jsonKind names the kind of a decoded JSON value for an error message.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// cutRef drops the "@ref" suffix GitHub appends to some workflow paths
// (.github/workflows/deploy.yml@main).
func cutRef(path string) string {
	p, _, _ := strings.Cut(path, "@")
	return p
}
