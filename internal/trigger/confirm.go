package trigger

import (
	"fmt"
	"strings"
)

// Confirmation phrases a person types into the confirm input.
const (
	PhraseRollback     = "ROLLBACK"      // any environment that is not protected
	PhraseRollbackProd = "ROLLBACK-PROD" // a protected environment
)

// ExpectedPhrase returns the confirmation phrase for a rollback of
// environment: ROLLBACK-PROD when it is one of protected (compared
// case-insensitively), else ROLLBACK.
func ExpectedPhrase(environment string, protected []string) string {
	if isProtected(environment, protected) {
		return PhraseRollbackProd
	}
	return PhraseRollback
}

func isProtected(environment string, protected []string) bool {
	env := strings.TrimSpace(environment)
	if env == "" {
		return false
	}
	for _, p := range protected {
		if strings.EqualFold(strings.TrimSpace(p), env) {
			return true
		}
	}
	return false
}

// ConfirmationError is returned by CheckConfirm when the confirm input is
// missing or does not match. Its message names the phrase expected and never
// the value given, which could be anything a person typed.
type ConfirmationError struct {
	Expected    string // the exact phrase expected
	Given       bool   // false when confirm was empty
	Environment string // the environment input, for the message; may be empty
}

// Error says what to type.
func (e *ConfirmationError) Error() string {
	what := "a manual rollback"
	if e.Environment != "" {
		what = fmt.Sprintf("a manual rollback of environment %q", e.Environment)
	}
	if !e.Given {
		return fmt.Sprintf("confirmation required: %s needs the input confirm set to exactly %q", what, e.Expected)
	}
	return fmt.Sprintf("confirmation does not match: %s needs the input confirm set to exactly %q (the value given is not shown)", what, e.Expected)
}

// CheckConfirm checks the confirm input of a run started by a person: it must
// equal, exactly and case-sensitively, [ExpectedPhrase] for environment. The
// error is a *ConfirmationError.
func CheckConfirm(confirm, environment string, protected []string) error {
	want := ExpectedPhrase(environment, protected)
	if confirm == want {
		return nil
	}
	return &ConfirmationError{Expected: want, Given: confirm != "", Environment: strings.TrimSpace(environment)}
}
