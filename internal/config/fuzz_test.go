package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/deplight/ecs-rollback/internal/deploystate"
)

// fuzzedInputs are the inputs FuzzLoad varies, in the order of its
// arguments: durations, numbers, lists, enums, booleans and a free name.
var fuzzedInputs = []string{"wait-timeout", "max-revisions", "service", "failure-conclusions", "fallback", "wait", "environment"}

// loadWith runs Load over the inputs a runner would pass for a rollback in
// cluster prod, with vary on top, trimmed as go-githubactions' GetInput does.
func loadWith(vary map[string]string) (Config, error) {
	inputs := map[string]string{"cluster": "prod", "service": "web"}
	for k, v := range vary {
		inputs[k] = v
	}
	return Load(func(name string) string { return strings.TrimSpace(inputs[name]) })
}

// FuzzLoad checks what Load promises whatever the inputs: every bad input is
// reported, each by name, and only a Config that is zero comes with an
// error; a Config without error holds values in their documented ranges.
func FuzzLoad(f *testing.F) {
	// Seeds: the defaults action.yml declares, then values a person gets
	// wrong.
	raw, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		f.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		f.Fatal(err)
	}
	seed := make([]string, len(fuzzedInputs))
	for i, name := range fuzzedInputs {
		seed[i] = action.Inputs[name].Default
	}
	f.Add(seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6])
	f.Add("10 minutes", "-5", "web,,api\nweb", "failure,exploded", "sideways", "maybe", "prod<script>")
	f.Add("0s", "0", " , ", "", "NONE", "TRUE", "prod\n::error::x")
	f.Add("-1m", "101", "arn:aws:ecs:us-east-1:123456789012:service/other/web", "FAILURE, Timed_Out", "previous", "no", "a.b-c_d")
	f.Add("6h0m1s", "1e3", "a\rb", "cancelled", "none", "1", strings.Repeat("e", 65))
	f.Fuzz(func(t *testing.T, waitTimeout, maxRevisions, service, failureConclusions, fallback, wait, environment string) {
		values := []string{waitTimeout, maxRevisions, service, failureConclusions, fallback, wait, environment}
		vary := map[string]string{}
		for i, name := range fuzzedInputs {
			vary[name] = values[i]
		}
		c, err := loadWith(vary)
		if err != nil {
			if !reflect.DeepEqual(c, Config{}) {
				t.Fatalf("Load returned %+v with error %v", c, err)
			}
			// Every bad input on its own is also reported with the others.
			for _, name := range fuzzedInputs {
				_, alone := loadWith(map[string]string{name: vary[name]})
				if alone != nil && !strings.Contains(err.Error(), "input "+name+":") && !strings.Contains(err.Error(), "input "+name+" ") {
					t.Fatalf("input %s = %q is refused alone (%v) but not named with the others: %v", name, vary[name], alone, err)
				}
			}
			for line := range strings.Lines(err.Error()) {
				if !strings.HasPrefix(line, "input") {
					t.Fatalf("error line %q does not name its input", line)
				}
			}
			return
		}
		if c.WaitTimeout <= 0 || c.WaitTimeout > MaxWaitTimeout {
			t.Fatalf("wait-timeout %q gave %v", waitTimeout, c.WaitTimeout)
		}
		if c.MaxRevisions < 1 || c.MaxRevisions > MaxRevisionsLimit {
			t.Fatalf("max-revisions %q gave %d", maxRevisions, c.MaxRevisions)
		}
		if len(c.Services) == 0 {
			t.Fatalf("service %q gave no service", service)
		}
		for i, s := range c.Services {
			if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s, ",\r\n") || slices.Contains(c.Services[:i], s) {
				t.Fatalf("service %q gave %q", service, c.Services)
			}
		}
		if len(c.FailureConclusions) == 0 {
			t.Fatalf("failure-conclusions %q gave none", failureConclusions)
		}
		for _, fc := range c.FailureConclusions {
			if !slices.Contains(conclusions, fc) {
				t.Fatalf("failure-conclusions %q gave %q, not a conclusion", failureConclusions, fc)
			}
		}
		if c.Fallback != FallbackPrevious && c.Fallback != FallbackNone {
			t.Fatalf("fallback %q gave %q", fallback, c.Fallback)
		}
		if c.Environment != "" && !deploystate.ValidEnvironment(c.Environment) {
			t.Fatalf("environment %q accepted", environment)
		}
	})
}
