package revision

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const arnPrefix = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"

func TestParseRevisionInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    RevisionSpec
		wantErr string
	}{
		{in: "42", want: RevisionSpec{Number: 42}},
		{in: "042", want: RevisionSpec{Number: 42}},
		{in: "web:42", want: RevisionSpec{Family: "web", Number: 42}},
		{in: "my_app-web:1", want: RevisionSpec{Family: "my_app-web", Number: 1}},
		{in: "2147483647", want: RevisionSpec{Number: 2147483647}},
		{in: arnPrefix + "web:42", want: RevisionSpec{Family: "web", Number: 42, ARN: arnPrefix + "web:42"}},
		{
			in:   "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:7",
			want: RevisionSpec{Family: "web", Number: 7, ARN: "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:7"},
		},
		{
			in:   "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/web:7",
			want: RevisionSpec{Family: "web", Number: 7, ARN: "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/web:7"},
		},
		{in: "", wantErr: "revision number is missing"},
		{in: "0", wantErr: "must be 1 or more"},
		{in: "web:0", wantErr: "must be 1 or more"},
		{in: "-1", wantErr: "not a positive whole number"},
		{in: "+5", wantErr: "not a positive whole number"},
		{in: "web:-3", wantErr: "not a positive whole number"},
		{in: " 42", wantErr: "not a positive whole number"},
		{in: "4.2", wantErr: "not a positive whole number"},
		{in: "latest", wantErr: "not a positive whole number"},
		{in: "2147483648", wantErr: "out of range"},
		{in: "web:", wantErr: "revision number is missing"},
		{in: ":42", wantErr: `family "" is not a task-definition family`},
		{in: "web app:42", wantErr: `family "web app"`},
		{in: strings.Repeat("f", 256) + ":1", wantErr: "is not a task-definition family"},
		{in: "web:42:1", wantErr: "not a positive whole number"},
		{in: arnPrefix + "web:0", wantErr: "must be 1 or more"},
		{in: arnPrefix + "web", wantErr: "not a task-definition ARN"},
		{in: arnPrefix + "web:latest", wantErr: "not a task-definition ARN"},
		{in: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web", wantErr: "not a task-definition ARN"},
		{in: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", wantErr: "not a task-definition ARN"},
		{in: "arn:aws:iam::123456789012:role/task-definition/web:1", wantErr: "not a task-definition ARN"},
		{in: "arn:aws:ecs:eu-west-1:1234:task-definition/web:1", wantErr: "not a task-definition ARN"},
		{in: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1 ", wantErr: "not a task-definition ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRevisionInput(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRevisionInput(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRevisionInput(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRevisionInput(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got.String() != tt.in && tt.in != "042" {
				t.Errorf("ParseRevisionInput(%q).String() = %q, want the input back", tt.in, got.String())
			}
		})
	}
}

func FuzzParseRevisionInput(f *testing.F) {
	for _, s := range []string{"42", "web:42", arnPrefix + "web:42", "0", "-1", "web:", ":", "arn:", "arn:aws:ecs:eu-west-1:123456789012:service/a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseRevisionInput(s)
		if err != nil {
			if spec != (RevisionSpec{}) {
				t.Fatalf("ParseRevisionInput(%q) returned %#v with error %v", s, spec, err)
			}
			return
		}
		if spec.Number < 1 {
			t.Fatalf("ParseRevisionInput(%q).Number = %d, want >= 1", s, spec.Number)
		}
		if spec.ARN != "" && spec.ARN != s {
			t.Fatalf("ParseRevisionInput(%q).ARN = %q, want the input", s, spec.ARN)
		}
		again, err := ParseRevisionInput(spec.String())
		if err != nil || again != spec {
			t.Fatalf("ParseRevisionInput(%q) = %#v, %v; want %#v back", spec.String(), again, err, spec)
		}
		if spec.Family != "" {
			f, n, err := ParseARN(spec.String())
			if err != nil || f != spec.Family || n != spec.Number {
				t.Fatalf("ParseARN(%q) = %q, %d, %v; want %q, %d", spec.String(), f, n, err, spec.Family, spec.Number)
			}
		}
	})
}
