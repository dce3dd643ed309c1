package revision

import (
	"strings"
	"testing"
)

func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	r := rev(3,
		Container{Name: "proxy", Image: "nginx", Labels: map[string]string{"other": "x"}},
		Container{Name: "app", Image: "app:1", Labels: map[string]string{"schema-version": " 13 "}},
		Container{Name: "worker", Image: "app:1", Labels: map[string]string{"schema-version": "12"}},
		Container{Name: "blank", Image: "app:1", Labels: map[string]string{"schema-version": "  "}},
	)
	tests := []struct {
		name, label, container string
		want                   string
		wantOK                 bool
	}{
		{"first container that has it", "schema-version", "", "13", true},
		{"named container", "schema-version", "worker", "12", true},
		{"named container without it", "schema-version", "proxy", "", false},
		{"blank value", "schema-version", "blank", "", false},
		{"missing container", "schema-version", "db", "", false},
		{"no such label", "db-version", "", "", false},
		{"no label configured", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := SchemaVersion(r, tt.label, tt.container)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("SchemaVersion(rev, %q, %q) = %q, %v; want %q, %v", tt.label, tt.container, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCompareSchema(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b    string
		want    int
		wantErr string
	}{
		{a: "12", b: "13", want: -1},
		{a: "13", b: "12", want: 1},
		{a: "12", b: "12", want: 0},
		{a: "9", b: "10", want: -1},
		{a: "007", b: "7", want: 0},
		{a: "20240101120000", b: "20231231235959", want: 1},
		{a: "99999999999999999999999", b: "100000000000000000000000", want: -1},
		{a: "1.10.0", b: "1.9.3", want: 1},
		{a: "1.9.3", b: "1.10.0", want: -1},
		{a: "v1.10.0", b: "1.10", want: 0},
		{a: "V2.0", b: "v1.99.99", want: 1},
		{a: "2024.01.02", b: "2024.1.10", want: -1},
		{a: "v12", b: "13", want: -1},
		{a: "2.0.0-rc.1", b: "2.0.0", want: -1},
		{a: "2.0.0", b: "2.0.0-rc.1", want: 1},
		{a: "2.0.0-alpha", b: "2.0.0-alpha.1", want: -1},
		{a: "2.0.0-alpha.2", b: "2.0.0-alpha.10", want: -1},
		{a: "2.0.0-2", b: "2.0.0-alpha", want: -1},
		{a: "2.0.0-beta", b: "2.0.0-alpha", want: 1},
		{a: "1.2.3+build.5", b: "1.2.3+build.9", want: 0},
		{a: " 12 ", b: "12", want: 0},
		{a: "12", b: "1.2.0", wantErr: "plain number and the other a dotted version"},
		{a: "1.2.0", b: "12", wantErr: "plain number and the other a dotted version"},
		{a: "abc", b: "12", wantErr: `"abc" is not a number or a dotted version`},
		{a: "12", b: "", wantErr: `"" is not a number or a dotted version`},
		{a: "2024-01-01T12:00:00Z", b: "2024-01-02T12:00:00Z", wantErr: "is not a number or a dotted version"},
		{a: "1..2", b: "1.2", wantErr: "is not a number or a dotted version"},
		{a: "v", b: "1", wantErr: "is not a number or a dotted version"},
		{a: "-1", b: "1", wantErr: "is not a number or a dotted version"},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			t.Parallel()
			got, err := CompareSchema(tt.a, tt.b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CompareSchema(%q, %q) = %d, %v; want an error containing %q", tt.a, tt.b, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CompareSchema(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
			}
			// Antisymmetry: swapping the sides flips the sign.
			if back, err := CompareSchema(tt.b, tt.a); err != nil || back != -tt.want {
				t.Errorf("CompareSchema(%q, %q) = %d, %v; want %d", tt.b, tt.a, back, err, -tt.want)
			}
		})
	}
}

func TestParseARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		family  string
		number  int32
		wantErr bool
	}{
		{in: arn("web", 42), family: "web", number: 42},
		{in: "web:42", family: "web", number: 42},
		{in: "web", wantErr: true},
		{in: "web:0", wantErr: true},
		{in: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web", wantErr: true},
		{in: "arn:aws", wantErr: true},
	}
	for _, tt := range tests {
		family, number, err := ParseARN(tt.in)
		if (err != nil) != tt.wantErr || family != tt.family || number != tt.number {
			t.Errorf("ParseARN(%q) = %q, %d, %v; want %q, %d, error %v", tt.in, family, number, err, tt.family, tt.number, tt.wantErr)
		}
	}
}

func TestResourceName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"arn:aws:ecs:eu-west-1:123456789012:service/prod/web", "web"},
		{"arn:aws:ecs:eu-west-1:123456789012:service/web", "web"},
		{"arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "prod"},
		{"arn:aws:ecs:eu-west-1:123456789012:task/prod/1a2b3c", "1a2b3c"},
		{"web", "web"},
		{"prod/web", "prod/web"}, // not an ARN: a name as it is
		{"", ""},
	}
	for _, tt := range tests {
		if got := ResourceName(tt.in); got != tt.want {
			t.Errorf("ResourceName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSameRevision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{arn("web", 42), "web:42", true},
		{arn("web", 42), arn("web", 42), true},
		{arn("web", 42), arn("web", 41), false},
		{arn("web", 42), arn("api", 42), false},
		{"junk", "junk", true},
		{"junk", arn("web", 1), false},
	}
	for _, tt := range tests {
		if got := SameRevision(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRevision(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
