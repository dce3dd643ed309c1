package deploystate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Write writes s as a deployment-state folder for the record command, to be
// uploaded with actions/upload-artifact
// (https://github.com/actions/upload-artifact): dir is created (0o755) when
// missing and each file holds one line ending in a newline (0o644).
// task-definition-arn.txt is written only when s.TaskDefinitionARN is set and
// removed otherwise, so a stale one never survives. Existing files are
// replaced, never written through (a symbolic link is replaced, not
// followed). s must pass Validate.
func Write(dir string, s State) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write deployment state to %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write deployment state: create folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write deployment state: open folder: %w", err)
	}
	defer root.Close()
	for _, f := range s.files() {
		if err := replaceFile(root, f.name, []byte(f.value+"\n")); err != nil {
			return fmt.Errorf("write deployment state to %s: %w", dir, err)
		}
	}
	if s.TaskDefinitionARN == "" {
		if err := root.Remove(FileTaskDefinitionARN); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write deployment state to %s: remove stale %s: %w", dir, FileTaskDefinitionARN, err)
		}
	}
	return nil
}

// replaceFile creates name afresh in root with data.
func replaceFile(root *os.Root, name string, data []byte) error {
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", name, err)
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

// Read reads a deployment-state folder, such as Write produces, with the
// same rules as ReadZip: a required file missing, a file that is a symbolic
// link or not a regular file, larger than MaxFileSize, or not one line of
// text, or a value that fails Validate makes it unusable (the error wraps
// ErrUnusable). A folder that cannot be opened is an ordinary error.
func Read(dir string) (State, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return State{}, fmt.Errorf("read deployment state: open folder: %w", err)
	}
	defer root.Close()
	values := map[string]string{}
	for _, name := range []string{FileImageTag, FileEnvironment, FileCommitSHA, FileTimestamp, FileTaskDefinitionARN} {
		raw, err := readDirFile(root, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // assemble reports a missing required file
		}
		if err != nil {
			return State{}, fmt.Errorf("read deployment state from %s: %w", dir, err)
		}
		v, err := parseLine(name, raw)
		if err != nil {
			return State{}, fmt.Errorf("read deployment state from %s: %w", dir, err)
		}
		values[name] = v
	}
	s, err := assemble(values)
	if err != nil {
		return State{}, fmt.Errorf("read deployment state from %s: %w", dir, err)
	}
	return s, nil
}

// readDirFile reads one state file from root, at most MaxFileSize bytes.
func readDirFile(root *os.Root, name string) ([]byte, error) {
	fi, err := root.Lstat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, unusable(name, "is a symbolic link")
	}
	if !fi.Mode().IsRegular() {
		return nil, unusable(name, "not a regular file (mode %v)", fi.Mode())
	}
	if fi.Size() > MaxFileSize {
		return nil, unusable(name, "larger than %d bytes (%d)", MaxFileSize, fi.Size())
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > MaxFileSize {
		return nil, unusable(name, "larger than %d bytes", MaxFileSize)
	}
	return raw, nil
}
