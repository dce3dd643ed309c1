package safety

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deplight/ecs-rollback/internal/revision"
)

func arn(family string, n int) string {
	return "arn:aws:ecs:eu-west-1:123456789012:task-definition/" + family + ":" + strconv.Itoa(n)
}

// rev is an ACTIVE revision of family whose app container carries the
// schema-version label when schema is not empty.
func rev(family string, n int, schema string) revision.Revision {
	labels := map[string]string{}
	if schema != "" {
		labels["schema-version"] = schema
	}
	return revision.Revision{
		ARN: arn(family, n), Family: family, Number: int32(n), Status: "ACTIVE",
		Containers: []revision.Container{{Name: "app", Image: "app:abc1234", Labels: labels}},
	}
}

func base() Input {
	return Input{
		Service:     "web",
		Controller:  "ECS",
		Current:     rev("web", 42, "13"),
		Target:      rev("web", 40, "13"),
		TargetFound: true,
		SchemaLabel: "schema-version",
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Input)
		// want is the status of each check, in Evaluate's order.
		want []Status
		// detail maps a check name to a phrase its detail must contain.
		detail map[string]string
	}{
		{
			name: "all pass",
			want: []Status{Pass, Pass, Pass, Pass, Pass},
		},
		{
			name:   "target not found",
			change: func(in *Input) { in.TargetFound = false },
			want:   []Status{Fail, Skip, Skip, Skip, Pass},
			detail: map[string]string{NameTargetActive: "not found"},
		},
		{
			name:   "target inactive",
			change: func(in *Input) { in.Target.Status = "INACTIVE" },
			want:   []Status{Fail, Pass, Pass, Pass, Pass},
			detail: map[string]string{NameTargetActive: "web:40 is INACTIVE"},
		},
		{
			name:   "target status unknown",
			change: func(in *Input) { in.Target.Status = "" },
			want:   []Status{Fail, Pass, Pass, Pass, Pass},
			detail: map[string]string{NameTargetActive: "of unknown status"},
		},
		{
			name:   "already current",
			change: func(in *Input) { in.Target = in.Current },
			want:   []Status{Pass, Skip, Pass, Pass, Pass},
			detail: map[string]string{NameOlder: "already current"},
		},
		{
			name: "already current on an inactive revision",
			change: func(in *Input) {
				in.Target = in.Current
				in.Target.Status = "INACTIVE"
			},
			want:   []Status{Warn, Skip, Pass, Pass, Pass},
			detail: map[string]string{NameTargetActive: "already runs it"},
		},
		{
			name:   "roll forward",
			change: func(in *Input) { in.Target = rev("web", 43, "13") },
			want:   []Status{Pass, Fail, Pass, Pass, Pass},
			detail: map[string]string{NameOlder: "refusing to roll forward: revision 43 is newer than the current revision 42"},
		},
		{
			name:   "other family",
			change: func(in *Input) { in.Target = rev("api", 40, "13") },
			want:   []Status{Pass, Skip, Fail, Pass, Pass},
			detail: map[string]string{NameFamily: `belongs to family "api", but service web runs family "web"`},
		},
		{
			name: "service family given explicitly",
			change: func(in *Input) {
				in.ServiceFamily = "web"
				in.Current = revision.Revision{ARN: arn("web", 42), Status: "ACTIVE"}
				in.SchemaLabel = ""
			},
			want: []Status{Pass, Pass, Pass, Skip, Pass},
		},
		{
			name:   "fields filled from ARNs only",
			change: func(in *Input) { in.Target = revision.Revision{ARN: arn("web", 41), Status: "ACTIVE"} },
			want:   []Status{Pass, Pass, Pass, Warn, Pass},
		},
		{
			name:   "schema goes down",
			change: func(in *Input) { in.Target = rev("web", 40, "12") },
			want:   []Status{Pass, Pass, Pass, Fail, Pass},
			detail: map[string]string{NameSchema: "schema-version would go down from 13 to 12"},
		},
		{
			name: "schema goes down, allowed",
			change: func(in *Input) {
				in.Target = rev("web", 40, "12")
				in.AllowSchemaDowngrade = true
			},
			want:   []Status{Pass, Pass, Pass, Warn, Pass},
			detail: map[string]string{NameSchema: "allowed by allow-schema-downgrade"},
		},
		{
			name:   "schema dotted versions",
			change: func(in *Input) { in.Current, in.Target = rev("web", 42, "1.10.0"), rev("web", 40, "1.9.3") },
			want:   []Status{Pass, Pass, Pass, Fail, Pass},
		},
		{
			name:   "schema goes up",
			change: func(in *Input) { in.Target = rev("web", 40, "14") },
			want:   []Status{Pass, Pass, Pass, Pass, Pass},
		},
		{
			name:   "schema label on neither side",
			change: func(in *Input) { in.Current, in.Target = rev("web", 42, ""), rev("web", 40, "") },
			want:   []Status{Pass, Pass, Pass, Skip, Pass},
		},
		{
			name:   "schema label on the current side only",
			change: func(in *Input) { in.Target = rev("web", 40, "") },
			want:   []Status{Pass, Pass, Pass, Warn, Pass},
			detail: map[string]string{NameSchema: "the target has no such label"},
		},
		{
			name:   "schema label on the target side only",
			change: func(in *Input) { in.Current = rev("web", 42, "") },
			want:   []Status{Pass, Pass, Pass, Warn, Pass},
		},
		{
			name:   "schema not comparable",
			change: func(in *Input) { in.Target = rev("web", 40, "1.2.0") },
			want:   []Status{Pass, Pass, Pass, Warn, Pass},
			detail: map[string]string{NameSchema: "cannot be compared"},
		},
		{
			name:   "schema label not configured",
			change: func(in *Input) { in.SchemaLabel = ""; in.Target = rev("web", 40, "1") },
			want:   []Status{Pass, Pass, Pass, Skip, Pass},
		},
		{
			name:   "schema label of the named container",
			change: func(in *Input) { in.ContainerName = "worker" },
			want:   []Status{Pass, Pass, Pass, Skip, Pass},
		},
		{
			name:   "controller empty means ECS",
			change: func(in *Input) { in.Controller = "" },
			want:   []Status{Pass, Pass, Pass, Pass, Pass},
		},
		{
			name:   "CODE_DEPLOY without inputs",
			change: func(in *Input) { in.Controller = "CODE_DEPLOY" },
			want:   []Status{Pass, Pass, Pass, Pass, Fail},
			detail: map[string]string{NameController: "CodeDeploy"},
		},
		{
			name: "CODE_DEPLOY with inputs",
			change: func(in *Input) {
				in.Controller = "CODE_DEPLOY"
				in.CodeDeployConfigured = true
			},
			want:   []Status{Pass, Pass, Pass, Pass, Pass},
			detail: map[string]string{NameController: "CodeDeploy blue/green"},
		},
		{
			name:   "EXTERNAL",
			change: func(in *Input) { in.Controller = "EXTERNAL"; in.CodeDeployConfigured = true },
			want:   []Status{Pass, Pass, Pass, Pass, Fail},
			detail: map[string]string{NameController: "cannot roll back an EXTERNAL controller"},
		},
		{
			name:   "unknown controller",
			change: func(in *Input) { in.Controller = "BLUE_GREEN_2030" },
			want:   []Status{Pass, Pass, Pass, Pass, Fail},
			detail: map[string]string{NameController: `"BLUE_GREEN_2030"`},
		},
	}
	names := []string{NameTargetActive, NameOlder, NameFamily, NameSchema, NameController}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			if tt.change != nil {
				tt.change(&in)
			}
			checks := Evaluate(in)
			var gotNames []string
			var got []Status
			for _, c := range checks {
				gotNames = append(gotNames, c.Name)
				got = append(got, c.Status)
				if c.Detail == "" {
					t.Errorf("check %q has no detail", c.Name)
				}
			}
			if diff := cmp.Diff(names, gotNames); diff != "" {
				t.Fatalf("check names (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s\nchecks: %+v", diff, checks)
			}
			for name, phrase := range tt.detail {
				for _, c := range checks {
					if c.Name == name && !strings.Contains(c.Detail, phrase) {
						t.Errorf("detail of %q = %q, want it to contain %q", name, c.Detail, phrase)
					}
				}
			}
		})
	}
}

func TestCodeDeployMessageNamesInputs(t *testing.T) {
	t.Parallel()
	in := base()
	in.Controller = "CODE_DEPLOY"
	c, ok := FirstFailure(Evaluate(in))
	if !ok {
		t.Fatal("FirstFailure found no failure for a CODE_DEPLOY service without CodeDeploy inputs")
	}
	for _, want := range []string{"CodeDeploy", "codedeploy-application", "codedeploy-deployment-group", "web"} {
		if !strings.Contains(c.Detail, want) {
			t.Errorf("detail %q does not name %q", c.Detail, want)
		}
	}
}

func TestAlreadyCurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Input)
		want   bool
	}{
		{"older target", nil, false},
		{"same revision", func(in *Input) { in.Target = in.Current }, true},
		{"same revision named by ARN only", func(in *Input) { in.Target = revision.Revision{ARN: in.Current.ARN} }, true},
		{"same number, other family", func(in *Input) { in.Target = rev("api", 42, "") }, false},
		{"target not found", func(in *Input) { in.Target = in.Current; in.TargetFound = false }, false},
		{"nothing known", func(in *Input) { in.Target, in.Current = revision.Revision{}, revision.Revision{} }, false},
	}
	for _, tt := range tests {
		in := base()
		if tt.change != nil {
			tt.change(&in)
		}
		if got := AlreadyCurrent(in); got != tt.want {
			t.Errorf("%s: AlreadyCurrent = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFirstFailure(t *testing.T) {
	t.Parallel()
	checks := []Check{
		{Name: "a", Status: Pass},
		{Name: "b", Status: Warn},
		{Name: "c", Status: Fail, Detail: "first"},
		{Name: "d", Status: Fail, Detail: "second"},
	}
	got, ok := FirstFailure(checks)
	if diff := cmp.Diff(Check{Name: "c", Status: Fail, Detail: "first"}, got); !ok || diff != "" {
		t.Errorf("FirstFailure = %v (ok %v), mismatch (-want +got):\n%s", got, ok, diff)
	}
	if got, ok := FirstFailure(checks[:2]); ok {
		t.Errorf("FirstFailure without failures = %v, true; want false", got)
	}
	if _, ok := FirstFailure(nil); ok {
		t.Error("FirstFailure(nil) reported a failure")
	}
}

// TestControllerSpeaksOfFlags: the CLI's refusal of a CODE_DEPLOY service
// names its flags, the action's its inputs.
func TestControllerSpeaksOfFlags(t *testing.T) {
	t.Parallel()
	for flags, want := range map[bool]string{
		false: "set the inputs codedeploy-application and codedeploy-deployment-group",
		true:  "set --codedeploy-application and --codedeploy-deployment-group",
	} {
		c := checkController(Input{Service: "web", Controller: ControllerCodeDeploy, Flags: flags})
		if c.Status != Fail || !strings.Contains(c.Detail, want) {
			t.Errorf("flags %v: %s %q, want a failure saying %q", flags, c.Status, c.Detail, want)
		}
	}
}
