package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/deplight/ecs-rollback/internal/revision"
)

// The action names inputs (Error); another caller can name them its own way
// (Render), from the fields alone.
func TestInputErrorNaming(t *testing.T) {
	t.Parallel()
	flag := func(input string) string { return "--" + input }
	tests := []struct {
		name          string
		inputs        map[string]string
		input         string
		action, other string
	}{
		{
			name:   "one input",
			inputs: map[string]string{"cluster": "prod", "service": "web", "wait-timeout": "soon"},
			input:  "wait-timeout",
			action: `input wait-timeout: "soon" is not a Go duration such as 10m or 1h30m`,
			other:  `--wait-timeout: "soon" is not a Go duration such as 10m or 1h30m`,
		},
		{
			name:   "a pair",
			inputs: map[string]string{"cluster": "prod", "service": "web", "codedeploy-application": "app"},
			input:  "codedeploy-application",
			action: "inputs codedeploy-application and codedeploy-deployment-group: give both or neither",
			other:  "--codedeploy-application and --codedeploy-deployment-group: give both or neither",
		},
		{
			name:   "one input against another",
			inputs: map[string]string{"cluster": "prod", "service": "arn:aws:ecs:eu-west-1:123456789012:service/staging/web"},
			input:  "service",
			action: `input service: service ARN "arn:aws:ecs:eu-west-1:123456789012:service/staging/web" is in cluster "staging", but input cluster is "prod"`,
			other:  `--service: service ARN "arn:aws:ecs:eu-west-1:123456789012:service/staging/web" is in cluster "staging", but --cluster is "prod"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(name string) string { return tt.inputs[name] })
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Load error %v holds no *InputError", err)
			}
			if ie.Input != tt.input {
				t.Errorf("Input = %q, want %q", ie.Input, tt.input)
			}
			if got := ie.Error(); got != tt.action {
				t.Errorf("Error() = %q, want %q", got, tt.action)
			}
			if got := ie.Render(flag); got != tt.other {
				t.Errorf("Render() = %q, want %q", got, tt.other)
			}
			if strings.Contains(ie.Render(flag), "input") {
				t.Errorf("Render() %q still speaks of inputs", ie.Render(flag))
			}
		})
	}
}

// A problem found by another package keeps its cause.
func TestInputErrorUnwraps(t *testing.T) {
	t.Parallel()
	_, err := Load(func(name string) string {
		return map[string]string{"cluster": "prod", "service": "web", "revision": "0"}[name]
	})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != "revision" || ie.Err == nil {
		t.Fatalf("Load error %v: want an *InputError of revision with its cause", err)
	}
	_, want := revision.ParseRevisionInput("0")
	if want == nil || ie.Err.Error() != want.Error() {
		t.Errorf("cause = %v, want %v", ie.Err, want)
	}
}
