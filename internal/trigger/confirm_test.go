package trigger

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpectedPhrase(t *testing.T) {
	t.Parallel()
	protected := []string{"prod", "production"}
	tests := map[string]string{
		"prod":       "ROLLBACK-PROD",
		"PROD":       "ROLLBACK-PROD",
		"Production": "ROLLBACK-PROD",
		"dev":        "ROLLBACK",
		"prod-eu":    "ROLLBACK",
		"":           "ROLLBACK",
	}
	for env, want := range tests {
		if got := ExpectedPhrase(env, protected); got != want {
			t.Errorf("ExpectedPhrase(%q) = %q, want %q", env, got, want)
		}
	}
	if got := ExpectedPhrase("prod", nil); got != "ROLLBACK" {
		t.Errorf("ExpectedPhrase(prod) with nothing protected = %q, want ROLLBACK", got)
	}
	if got := ExpectedPhrase("", []string{""}); got != "ROLLBACK" {
		t.Errorf("ExpectedPhrase of an empty environment = %q, want ROLLBACK", got)
	}
}

func TestCheckConfirm(t *testing.T) {
	t.Parallel()
	protected := []string{"prod", "production"}
	tests := []struct {
		name, confirm, env string
		want               *ConfirmationError // nil: accepted
	}{
		{name: "dev", confirm: "ROLLBACK", env: "dev"},
		{name: "no environment", confirm: "ROLLBACK"},
		{name: "prod", confirm: "ROLLBACK-PROD", env: "prod"},
		{name: "prod in capitals", confirm: "ROLLBACK-PROD", env: "PRODUCTION"},
		{name: "missing", env: "dev", want: &ConfirmationError{Expected: "ROLLBACK", Environment: "dev"}},
		{name: "missing for prod", env: "prod", want: &ConfirmationError{Expected: "ROLLBACK-PROD", Environment: "prod"}},
		{name: "weak phrase for prod", confirm: "ROLLBACK", env: "prod", want: &ConfirmationError{Expected: "ROLLBACK-PROD", Given: true, Environment: "prod"}},
		{name: "prod phrase for dev", confirm: "ROLLBACK-PROD", env: "dev", want: &ConfirmationError{Expected: "ROLLBACK", Given: true, Environment: "dev"}},
		{name: "lower case", confirm: "rollback", env: "dev", want: &ConfirmationError{Expected: "ROLLBACK", Given: true, Environment: "dev"}},
		{name: "extra space", confirm: "ROLLBACK ", want: &ConfirmationError{Expected: "ROLLBACK", Given: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckConfirm(tt.confirm, tt.env, protected)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckConfirm(%q, %q) = %v, want nil", tt.confirm, tt.env, err)
				}
				return
			}
			var ce *ConfirmationError
			if !errors.As(err, &ce) {
				t.Fatalf("CheckConfirm(%q, %q) = %v, want a *ConfirmationError", tt.confirm, tt.env, err)
			}
			if diff := cmp.Diff(tt.want, ce); diff != "" {
				t.Errorf("ConfirmationError mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), `"`+tt.want.Expected+`"`) {
				t.Errorf("message %q does not name the phrase %q", err, tt.want.Expected)
			}
		})
	}
}

func TestConfirmationErrorNeverEchoes(t *testing.T) {
	t.Parallel()
	const secretish = "hunter2-<script>"
	err := CheckConfirm(secretish, "prod", []string{"prod"})
	if err == nil {
		t.Fatal("CheckConfirm accepted a wrong phrase")
	}
	if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("message %q echoes the value given", err)
	}
	if !strings.Contains(err.Error(), "does not match") {
		t.Errorf("message %q does not say the value did not match", err)
	}
	if err := CheckConfirm("", "prod", []string{"prod"}); !strings.Contains(err.Error(), "confirmation required") {
		t.Errorf("message for an empty confirm = %q, want it to say a confirmation is required", err)
	}
}
