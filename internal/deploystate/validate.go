package deploystate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/deplight/ecs-rollback/internal/imageref"
)

// Limits on what is read from a deployment-state folder or artifact zip.
const (
	// MaxFileSize is the largest accepted state file, in bytes (the contract's 4 KiB).
	MaxFileSize = 4 << 10
	// MaxTotalBytes caps the bytes read from one artifact, across all files.
	MaxTotalBytes = 64 << 10
	// MaxEntries caps the number of entries in an artifact zip.
	MaxEntries = 64
)

// ErrUnusable marks a deployment state that cannot be used: a file is missing,
// too large, not one line of text, or holds an invalid value, or the artifact
// zip is malformed or hostile. Test for it with errors.Is; errors.As with
// *UnusableError gives the file and the reason.
var ErrUnusable = errors.New("deployment state unusable")

// UnusableError says which file made a deployment state unusable, and why.
// It matches ErrUnusable with errors.Is.
type UnusableError struct {
	File   string // state file or zip entry name, quoted when it came from outside; empty for the whole artifact
	Reason string // lower-case, e.g. "missing", "larger than 4096 bytes"
}

// Error implements error.
func (e *UnusableError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%v: %s", ErrUnusable, e.Reason)
	}
	return fmt.Sprintf("%v: %s: %s", ErrUnusable, e.File, e.Reason)
}

// Is reports whether target is ErrUnusable.
func (e *UnusableError) Is(target error) bool { return target == ErrUnusable }

func unusable(file, format string, args ...any) error {
	return &UnusableError{File: file, Reason: fmt.Sprintf(format, args...)}
}

var (
	commitSHARE   = regexp.MustCompile(`^[0-9A-Fa-f]{7,64}$`)
	environmentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// arnRE keeps a recorded ARN to printable ASCII without spaces, so it is
	// safe to show; the structure is checked separately.
	arnRE = regexp.MustCompile(`^arn:[!-~]+$`)
)

// ValidEnvironment reports whether name is an environment name, as
// environment.txt holds it: letters, digits, . _ -, starting with a letter or
// digit, at most 64 characters. The environment inputs are held to the same
// grammar, so that they can equal an artifact's environment.txt.
func ValidEnvironment(name string) bool {
	return environmentRE.MatchString(name)
}

// maxARNLen is the longest ARN IAM documents (2048 characters).
const maxARNLen = 2048

// timestampLayouts are the ISO 8601 forms accepted in timestamp.txt: RFC 3339
// (what `date -u +%Y-%m-%dT%H:%M:%SZ` and `date -Iseconds` write) and the
// basic offset form without a colon.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
}

// ParseTimestamp parses the content of timestamp.txt: an ISO 8601 date and
// time with a zone (RFC 3339, or an offset without a colon such as +0200).
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not an ISO 8601 date and time with a zone, e.g. 2024-05-01T12:00:00Z", s)
}

// Validate checks every field of s as ReadZip, Read and Write do: the image
// tag follows the OCI tag grammar, the environment (optional: record writes an
// empty environment.txt when no environment is given) matches
// [A-Za-z0-9][A-Za-z0-9._-]{0,63}, the commit SHA is 7–64 hex digits, the
// timestamp is ISO 8601, and the task-definition ARN, when set, is an ECS
// task-definition ARN. The error wraps ErrUnusable and names the file.
func (s State) Validate() error {
	if err := imageref.ValidTag(s.ImageTag); err != nil {
		return unusable(FileImageTag, "%v", err)
	}
	if s.Environment != "" && !ValidEnvironment(s.Environment) {
		return unusable(FileEnvironment, "environment %q does not match [A-Za-z0-9][A-Za-z0-9._-]{0,63}", s.Environment)
	}
	if !commitSHARE.MatchString(s.CommitSHA) {
		return unusable(FileCommitSHA, "commit SHA %q is not 7 to 64 hex digits", s.CommitSHA)
	}
	if _, err := ParseTimestamp(s.Timestamp); err != nil {
		return unusable(FileTimestamp, "%v", err)
	}
	if s.TaskDefinitionARN != "" &&
		(len(s.TaskDefinitionARN) > maxARNLen || !arnRE.MatchString(s.TaskDefinitionARN) || !strings.Contains(s.TaskDefinitionARN, ":task-definition/")) {
		return unusable(FileTaskDefinitionARN, "%q is not a task-definition ARN (arn:…:task-definition/family:revision)", s.TaskDefinitionARN)
	}
	return nil
}

// parseLine turns the raw bytes of a state file into its one value: valid
// UTF-8, at most one non-empty line, no control characters, surrounding white
// space (and a UTF-8 byte-order mark) removed.
func parseLine(file string, raw []byte) (string, error) {
	if !utf8.Valid(raw) {
		return "", unusable(file, "not UTF-8 text")
	}
	text := strings.TrimPrefix(string(raw), "\uFEFF")
	var value string
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if value != "" {
			return "", unusable(file, "more than one line")
		}
		value = line
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return "", unusable(file, "contains control character %U", r)
		}
	}
	return value, nil
}

// requiredFiles are the files every deployment state must have.
var requiredFiles = []string{FileImageTag, FileEnvironment, FileCommitSHA, FileTimestamp}

// isStateFile reports whether name is one of the deployment-state files.
func isStateFile(name string) bool {
	switch name {
	case FileImageTag, FileEnvironment, FileCommitSHA, FileTimestamp, FileTaskDefinitionARN:
		return true
	}
	return false
}

// assemble builds and validates a State from the values read per file;
// values holds only files that were present.
func assemble(values map[string]string) (State, error) {
	for _, f := range requiredFiles {
		if _, ok := values[f]; !ok {
			return State{}, unusable(f, "missing")
		}
	}
	s := State{
		ImageTag:          values[FileImageTag],
		Environment:       values[FileEnvironment],
		CommitSHA:         values[FileCommitSHA],
		Timestamp:         values[FileTimestamp],
		TaskDefinitionARN: values[FileTaskDefinitionARN],
	}
	if err := s.Validate(); err != nil {
		return State{}, err
	}
	return s, nil
}
