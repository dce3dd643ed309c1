package config

import (
	"fmt"
	"strconv"
)

// InputError is one problem Load found with the inputs. It names its inputs
// in fields, so that a caller can name them its own way: the action speaks
// of inputs (Error), the CLI of flags (Render).
type InputError struct {
	// Input is the input at fault, e.g. "wait-timeout".
	Input string
	// Problem says what is wrong, naming no input, e.g. `"soon" is not a Go
	// duration such as 10m or 1h30m`.
	Problem string
	// Pair is set when Input and Pair go together and are wrong as a pair
	// (e.g. "give both or neither"): both are at fault.
	Pair string
	// Versus is another input that Input disagrees with, and VersusValue its
	// value; the message ends with them: `…, but input cluster is "prod"`.
	Versus, VersusValue string
	// Err is the cause, when the problem comes from another package (a
	// revision or an image tag that cannot be parsed); nil otherwise.
	Err error
}

// Error names the inputs as the action's inputs: `input wait-timeout: …`,
// `inputs cluster and service: …`.
func (e *InputError) Error() string {
	if e.Pair != "" {
		return fmt.Sprintf("inputs %s and %s: %s", e.Input, e.Pair, e.Problem)
	}
	return e.Render(func(input string) string { return "input " + input })
}

// Render writes the error with each input named by name, e.g. as a flag:
// name("wait-timeout") = "--wait-timeout" gives `--wait-timeout: …`.
func (e *InputError) Render(name func(input string) string) string {
	s := name(e.Input)
	if e.Pair != "" {
		s += " and " + name(e.Pair)
	}
	s += ": " + e.Problem
	if e.Versus != "" {
		s += ", but " + name(e.Versus) + " is " + strconv.Quote(e.VersusValue)
	}
	return s
}

// Unwrap returns the cause, if any.
func (e *InputError) Unwrap() error { return e.Err }
