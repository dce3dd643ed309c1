// Package safety evaluates the checks that must pass before a service is
// rolled back, as pure functions over plain data.
package safety

// Status of one check.
type Status string

// Check statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn" // passed with a caveat the operator should see
	Skip Status = "skip" // not applicable or not possible; the detail says why
)

// Check is one named safety check and its outcome.
type Check struct {
	Name   string // e.g. "target is ACTIVE"
	Status Status
	Detail string // one sentence; values from outside are not escaped here
}
