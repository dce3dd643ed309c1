package config

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"
)

// inputNames is every input Load reads: the fake environment fails the test
// on any other, and the test fails when one of these is not read.
var inputNames = []string{
	"command", "cluster", "service", "environment", "protected-environments",
	"revision", "image-tag", "confirm", "deploy-workflow", "branch",
	"artifact-name", "container-name", "max-revisions", "fallback",
	"failure-conclusions", "loop-guard", "schema-label",
	"allow-schema-downgrade", "dry-run", "wait", "wait-timeout",
	"github-token", "codedeploy-application", "codedeploy-deployment-group",
	"deregister-failed", "state-path", "source", "pin-digests",
}

// envKey is the variable the runner sets for an input.
func envKey(name string) string { return "INPUT_" + strings.ToUpper(name) }

// fakeGetInput returns go-githubactions' GetInput over a fake environment
// holding inputs (by input name). The fake fails the test on any variable
// that is not an input of inputNames; the returned func lists the inputs
// never read.
func fakeGetInput(t *testing.T, inputs map[string]string) (func(string) string, func() []string) {
	t.Helper()
	known := map[string]string{}
	for _, n := range inputNames {
		known[envKey(n)] = n
	}
	for n := range inputs {
		if _, ok := known[envKey(n)]; !ok {
			t.Fatalf("test case sets %q, which is not in inputNames", n)
		}
	}
	var mu sync.Mutex
	read := map[string]bool{}
	getenv := func(key string) string {
		name, ok := known[key]
		if !ok {
			t.Errorf("Load read the unexpected variable %q", key)
			return ""
		}
		mu.Lock()
		read[name] = true
		mu.Unlock()
		return inputs[name]
	}
	action := githubactions.New(githubactions.WithGetenv(getenv))
	unread := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, n := range inputNames {
			if !read[n] {
				out = append(out, n)
			}
		}
		return out
	}
	return action.GetInput, unread
}

// defaultRollback is the Config of the smallest rollback: cluster prod,
// service web, everything else default.
func defaultRollback(change func(*Config)) Config {
	c := Config{
		Command:               CommandRollback,
		Cluster:               "prod",
		Services:              []string{"web"},
		ProtectedEnvironments: []string{"prod", "production"},
		ArtifactName:          "deployment-state",
		MaxRevisions:          20,
		Fallback:              FallbackPrevious,
		FailureConclusions:    []string{"failure", "timed_out"},
		LoopGuard:             "rollback",
		SchemaLabel:           "schema-version",
		Wait:                  true,
		WaitTimeout:           10 * time.Minute,
		StatePath:             "deployment-state",
		Source:                SourceAuto,
	}
	if change != nil {
		change(&c)
	}
	return c
}

// with returns the inputs cluster=prod, service=web plus extra.
func with(extra map[string]string) map[string]string {
	in := map[string]string{"cluster": "prod", "service": "web"}
	maps.Copy(in, extra)
	return in
}

func TestLoad(t *testing.T) {
	t.Parallel()
	const tdARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:41"
	tests := []struct {
		name   string
		inputs map[string]string
		want   Config
	}{
		{name: "defaults", inputs: with(nil), want: defaultRollback(nil)},
		{
			name: "every input",
			inputs: map[string]string{
				"command":                "rollback",
				"cluster":                "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
				"service":                "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
				"environment":            "prod",
				"protected-environments": "prod\nstaging.eu, live",
				"revision":               tdARN,
				"confirm":                "ROLLBACK-PROD",
				"deploy-workflow":        "deploy.yml",
				"branch":                 "release/2024",
				"artifact-name":          "state-prod",
				"container-name":         "app",
				"max-revisions":          "100",
				"fallback":               "none",
				"failure-conclusions":    "FAILURE, timed_out\nstartup_failure,failure",
				"loop-guard":             "revert",
				"schema-label":           "db.schema",
				"allow-schema-downgrade": "Yes",
				"dry-run":                "1",
				"wait":                   "FALSE",
				"wait-timeout":           " 1h30m ",
				"github-token":           "ghs_secret",
				"state-path":             "out/state",
				"source":                 "ECS",
				"pin-digests":            "true",
			},
			want: Config{
				Command:               CommandRollback,
				Cluster:               "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
				Services:              []string{"arn:aws:ecs:eu-west-1:123456789012:service/prod/web"},
				Environment:           "prod",
				ProtectedEnvironments: []string{"prod", "staging.eu", "live"},
				Revision:              tdARN,
				Confirm:               "ROLLBACK-PROD",
				DeployWorkflow:        "deploy.yml",
				Branch:                "release/2024",
				ArtifactName:          "state-prod",
				ContainerName:         "app",
				MaxRevisions:          100,
				Fallback:              FallbackNone,
				FailureConclusions:    []string{"failure", "timed_out", "startup_failure"},
				LoopGuard:             "revert",
				SchemaLabel:           "db.schema",
				AllowSchemaDowngrade:  true,
				DryRun:                true,
				Wait:                  false,
				WaitTimeout:           90 * time.Minute,
				GitHubToken:           "ghs_secret",
				StatePath:             "out/state",
				Source:                SourceECS,
				PinDigests:            true,
			},
		},
		{
			name:   "service list deduplicated to one",
			inputs: with(map[string]string{"service": "web,\n web \n\n,web"}),
			want:   defaultRollback(nil),
		},
		{
			name:   "image tag",
			inputs: with(map[string]string{"image-tag": "abc1234"}),
			want:   defaultRollback(func(c *Config) { c.ImageTag = "abc1234" }),
		},
		{
			name:   "revision number",
			inputs: with(map[string]string{"revision": "42"}),
			want:   defaultRollback(func(c *Config) { c.Revision = "42" }),
		},
		{
			name:   "numeric deploy workflow",
			inputs: with(map[string]string{"deploy-workflow": "161335"}),
			want:   defaultRollback(func(c *Config) { c.DeployWorkflow = "161335" }),
		},
		{
			name:   "old short service ARN",
			inputs: with(map[string]string{"service": "arn:aws:ecs:eu-west-1:123456789012:service/web"}),
			want:   defaultRollback(func(c *Config) { c.Services = []string{"arn:aws:ecs:eu-west-1:123456789012:service/web"} }),
		},
		{
			name:   "wait-timeout at the limit",
			inputs: with(map[string]string{"wait-timeout": "6h"}),
			want:   defaultRollback(func(c *Config) { c.WaitTimeout = 6 * time.Hour }),
		},
		{
			name:   "several services",
			inputs: with(map[string]string{"service": "web, api\nworker"}),
			want:   defaultRollback(func(c *Config) { c.Services = []string{"web", "api", "worker"} }),
		},
		{
			name:   "codedeploy and deregister-failed",
			inputs: with(map[string]string{"codedeploy-application": "web-app", "codedeploy-deployment-group": "web-dg.prod_1", "deregister-failed": "true"}),
			want: defaultRollback(func(c *Config) {
				c.CodeDeployApplication, c.CodeDeployDeploymentGroup, c.DeregisterFailed = "web-app", "web-dg.prod_1", true
			}),
		},
		{
			name:   "unsupported inputs at their defaults",
			inputs: with(map[string]string{"deregister-failed": "false", "codedeploy-application": "", "codedeploy-deployment-group": ""}),
			want:   defaultRollback(nil),
		},
		{
			name:   "record",
			inputs: map[string]string{"command": "record", "image-tag": "3484a3fb816e0859fd6e1cea078d76385ff50625", "environment": "dev"},
			want: defaultRollback(func(c *Config) {
				c.Command, c.Cluster, c.Services = CommandRecord, "", nil
				c.ImageTag, c.Environment = "3484a3fb816e0859fd6e1cea078d76385ff50625", "dev"
			}),
		},
		{
			name:   "record with service",
			inputs: with(map[string]string{"command": "record", "image-tag": "v1.2.3", "state-path": "./state"}),
			want: defaultRollback(func(c *Config) {
				c.Command, c.ImageTag, c.StatePath = CommandRecord, "v1.2.3", "./state"
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getInput, unread := fakeGetInput(t, tt.inputs)
			got, err := Load(getInput)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
			if u := unread(); len(u) > 0 {
				t.Errorf("Load did not read the inputs %v", u)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		// wantErrs are phrases of the joined errors, one per error, in any order.
		wantErrs []string
	}{
		{name: "nothing given", inputs: nil, wantErrs: []string{"input cluster: required for command rollback", "input service: required for command rollback"}},
		{name: "unknown source", inputs: with(map[string]string{"source": "github"}), wantErrs: []string{`input source: "github" is not auto, artifact or ecs`}},
		{name: "pin-digests not a boolean", inputs: with(map[string]string{"pin-digests": "pinned"}), wantErrs: []string{`input pin-digests: "pinned" is not true or false`}},
		{name: "unknown command", inputs: with(map[string]string{"command": "Rollback"}), wantErrs: []string{`input command: "Rollback" is not rollback or record`}},
		{name: "record without image tag", inputs: map[string]string{"command": "record"}, wantErrs: []string{"input image-tag: required for command record"}},
		{name: "record with service only", inputs: map[string]string{"command": "record", "image-tag": "abc1234", "service": "web"}, wantErrs: []string{"inputs cluster and service: for command record give both or neither"}},
		{name: "bad tag", inputs: with(map[string]string{"image-tag": "abc 1234"}), wantErrs: []string{`input image-tag: image tag "abc 1234" is not a valid tag`}},
		{name: "revision zero", inputs: with(map[string]string{"revision": "0"}), wantErrs: []string{`input revision: revision "0": revision number must be 1 or more`}},
		{name: "revision of a service ARN", inputs: with(map[string]string{"revision": "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"}), wantErrs: []string{`input revision: revision "arn:aws:ecs:eu-west-1:123456789012:service/prod/web" is not a task-definition ARN`}},
		{name: "max-revisions zero", inputs: with(map[string]string{"max-revisions": "0"}), wantErrs: []string{`input max-revisions: "0" is not a whole number from 1 to 100`}},
		{name: "max-revisions too many", inputs: with(map[string]string{"max-revisions": "101"}), wantErrs: []string{`input max-revisions: "101"`}},
		{name: "max-revisions words", inputs: with(map[string]string{"max-revisions": "twenty"}), wantErrs: []string{`input max-revisions: "twenty"`}},
		{name: "fallback", inputs: with(map[string]string{"fallback": "oldest"}), wantErrs: []string{`input fallback: "oldest" is not previous or none`}},
		{name: "bool", inputs: with(map[string]string{"dry-run": "maybe"}), wantErrs: []string{`input dry-run: "maybe" is not true or false`}},
		{name: "bool on", inputs: with(map[string]string{"wait": "on"}), wantErrs: []string{`input wait: "on" is not true or false`}},
		{name: "wait-timeout unit missing", inputs: with(map[string]string{"wait-timeout": "600"}), wantErrs: []string{`input wait-timeout: "600" is not a Go duration`}},
		{name: "wait-timeout zero", inputs: with(map[string]string{"wait-timeout": "0s"}), wantErrs: []string{`input wait-timeout: "0s" is not positive`}},
		{name: "wait-timeout negative", inputs: with(map[string]string{"wait-timeout": "-5m"}), wantErrs: []string{`input wait-timeout: "-5m" is not positive`}},
		{name: "wait-timeout too long", inputs: with(map[string]string{"wait-timeout": "6h0m1s"}), wantErrs: []string{`input wait-timeout: "6h0m1s" is longer than 6h0m0s`}},
		{name: "conclusion", inputs: with(map[string]string{"failure-conclusions": "failure, failed"}), wantErrs: []string{`input failure-conclusions: "failed" is not a workflow run conclusion`}},
		{name: "no conclusion", inputs: with(map[string]string{"failure-conclusions": ", \n"}), wantErrs: []string{"input failure-conclusions: no conclusion given"}},
		{name: "environment", inputs: with(map[string]string{"environment": "prod env"}), wantErrs: []string{`input environment: "prod env" is not an environment name`}},
		{name: "environment too long", inputs: with(map[string]string{"environment": strings.Repeat("e", 65)}), wantErrs: []string{"input environment: "}},
		{name: "protected environment", inputs: with(map[string]string{"protected-environments": "prod, -live"}), wantErrs: []string{`input protected-environments: "-live" is not an environment name`}},
		{name: "absolute state path", inputs: map[string]string{"command": "record", "image-tag": "abc1234", "state-path": "/tmp/state"}, wantErrs: []string{`input state-path: "/tmp/state" is not relative`}},
		{name: "state path climbing out", inputs: map[string]string{"command": "record", "image-tag": "abc1234", "state-path": "out/../../state"}, wantErrs: []string{`input state-path: "out/../../state" leaves the workspace`}},
		{name: "cluster name", inputs: with(map[string]string{"cluster": "prod cluster"}), wantErrs: []string{`input cluster: "prod cluster" is not an ECS cluster name`}},
		{name: "cluster ARN of a service", inputs: with(map[string]string{"cluster": "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"}), wantErrs: []string{"input cluster: "}},
		{name: "service name", inputs: with(map[string]string{"service": "web/api"}), wantErrs: []string{`input service: "web/api" is not an ECS service name`}},
		{name: "service ARN of another cluster", inputs: with(map[string]string{"service": "arn:aws:ecs:eu-west-1:123456789012:service/staging/web"}), wantErrs: []string{`input service: service ARN "arn:aws:ecs:eu-west-1:123456789012:service/staging/web" is in cluster "staging", but input cluster is "prod"`}},
		{name: "container name", inputs: with(map[string]string{"container-name": "app:1"}), wantErrs: []string{`input container-name: "app:1"`}},
		{name: "artifact name", inputs: with(map[string]string{"artifact-name": "state/prod"}), wantErrs: []string{`input artifact-name: "state/prod"`}},
		{name: "deploy workflow path", inputs: with(map[string]string{"deploy-workflow": ".github/workflows/deploy.yml"}), wantErrs: []string{`input deploy-workflow: ".github/workflows/deploy.yml" is neither a workflow file name`}},
		{
			name:     "codedeploy half",
			inputs:   with(map[string]string{"codedeploy-application": "app"}),
			wantErrs: []string{"inputs codedeploy-application and codedeploy-deployment-group: give both or neither"},
		},
		{
			name:   "codedeploy names",
			inputs: with(map[string]string{"codedeploy-application": strings.Repeat("a", 101), "codedeploy-deployment-group": "web dg"}),
			wantErrs: []string{
				"input codedeploy-application: \"" + strings.Repeat("a", 101) + "\" is longer than 100 characters",
				`input codedeploy-deployment-group: "web dg" holds a space`,
			},
		},
		{
			name: "every problem at once",
			inputs: map[string]string{
				"command":       "rollback",
				"max-revisions": "0",
				"fallback":      "maybe",
				"wait":          "sometimes",
				"wait-timeout":  "forever",
				"image-tag":     ":bad",
				"revision":      "-1",
				"environment":   "!",
			},
			wantErrs: []string{
				"input wait: ",
				"input max-revisions: ",
				"input wait-timeout: ",
				"input cluster: required",
				"input service: required",
				"input image-tag: ",
				"input revision: ",
				"input environment: ",
				"input fallback: ",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getInput, _ := fakeGetInput(t, tt.inputs)
			got, err := Load(getInput)
			if err == nil {
				t.Fatalf("Load = %+v, want errors %q", got, tt.wantErrs)
			}
			if diff := cmp.Diff(Config{}, got); diff != "" {
				t.Errorf("Load returned a config with its error (-want +got):\n%s", diff)
			}
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) {
				t.Fatalf("Load error %v is not joined with errors.Join", err)
			}
			var msgs []string
			for _, e := range joined.Unwrap() {
				msgs = append(msgs, e.Error())
			}
			if len(msgs) != len(tt.wantErrs) {
				t.Fatalf("Load returned %d errors, want %d:\n%s", len(msgs), len(tt.wantErrs), strings.Join(msgs, "\n"))
			}
			for i, m := range msgs {
				if !strings.HasPrefix(m, "input") {
					t.Errorf("error %q does not start by naming its input", m)
				}
				var ie *InputError
				if !errors.As(joined.Unwrap()[i], &ie) || ie.Input == "" {
					t.Errorf("error %q is not an *InputError naming its input", m)
				}
			}
			// Each phrase matches its own error, in any order.
			left := slices.Clone(msgs)
			for _, w := range tt.wantErrs {
				i := slices.IndexFunc(left, func(m string) bool { return strings.Contains(m, w) })
				if i < 0 {
					t.Errorf("no error contains %q; errors:\n%s", w, strings.Join(msgs, "\n"))
					continue
				}
				left = slices.Delete(left, i, i+1)
			}
		})
	}
}

func TestLoadLoopGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string            // what GetInput returns for loop-guard
		env     map[string]string // what the lookup sees; nil: no WithLookup
		present bool
		want    string
	}{
		{name: "unset, no lookup", want: "rollback"},
		{name: "empty, no lookup: the guard stays on", value: "", want: "rollback"},
		{name: "set, no lookup", value: "revert", want: "revert"},
		{name: "unset, with lookup", env: map[string]string{}, want: "rollback"},
		{name: "set to empty in the workflow", env: map[string]string{"INPUT_LOOP-GUARD": "  "}, want: ""},
		{name: "set, with lookup", value: "Revert", env: map[string]string{"INPUT_LOOP-GUARD": "Revert"}, want: "Revert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getInput, _ := fakeGetInput(t, with(map[string]string{"loop-guard": tt.value}))
			var opts []Option
			if tt.env != nil {
				lookupEnv := func(key string) (string, bool) {
					if key != "INPUT_LOOP-GUARD" {
						t.Errorf("lookup read the unexpected variable %q", key)
					}
					v, ok := tt.env[key]
					return v, ok
				}
				opts = append(opts, WithLookup(EnvLookup(lookupEnv)))
			}
			got, err := Load(getInput, opts...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.LoopGuard != tt.want {
				t.Errorf("LoopGuard = %q, want %q", got.LoopGuard, tt.want)
			}
		})
	}
}

func TestEnvLookup(t *testing.T) {
	t.Parallel()
	env := map[string]string{"INPUT_LOOP-GUARD": " x ", "INPUT_MY_INPUT": "y"}
	lookup := EnvLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	for name, want := range map[string]struct {
		v  string
		ok bool
	}{
		"loop-guard": {"x", true},
		"my input":   {"y", true},
		"wait":       {"", false},
	} {
		if v, ok := lookup(name); v != want.v || ok != want.ok {
			t.Errorf("lookup(%q) = %q, %v; want %q, %v", name, v, ok, want.v, want.ok)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	d := Defaults()
	d["wait"] = "changed"
	if Defaults()["wait"] != "true" {
		t.Error("Defaults returns the package's own map")
	}
	for name := range Defaults() {
		if !slices.Contains(inputNames, name) {
			t.Errorf("default for %q, which is not an input", name)
		}
	}
}

func TestSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flags bool
		names []string
		want  string
	}{
		{false, []string{"branch"}, "the input branch"},
		{false, []string{"codedeploy-application", "codedeploy-deployment-group"}, "the inputs codedeploy-application and codedeploy-deployment-group"},
		{true, []string{"branch"}, "--branch"},
		{true, []string{"cluster", "service", "region"}, "--cluster, --service and --region"},
	}
	for _, tt := range tests {
		if got := Setting(tt.flags, tt.names...); got != tt.want {
			t.Errorf("Setting(%v, %q) = %q, want %q", tt.flags, tt.names, got, tt.want)
		}
	}
}
