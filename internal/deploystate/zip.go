package deploystate

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ReadZip reads a deployment-state artifact zip, as returned by the signed
// URL of GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/zip
// (https://docs.github.com/rest/actions/artifacts#download-an-artifact), in
// memory. The state files sit at the zip's root (what actions/upload-artifact
// writes) or inside one top-level folder.
//
// The zip comes from outside, so anything unexpected makes it unusable and
// the error wraps ErrUnusable, naming the file and the reason: data that is
// not a zip; more than MaxEntries entries; an entry with an absolute path, a
// ".." or "." element, a backslash, or a symbolic-link mode; the state files
// both at the root and in a folder, or in two folders; a missing required
// file; a state file larger than MaxFileSize (by its header or by what it
// actually inflates to) or not one line of UTF-8 text; more than
// MaxTotalBytes read in all; or a value that fails State.Validate. Entries
// that are not state files are never read.
func ReadZip(data []byte) (State, error) {
	if len(data) == 0 {
		return State{}, unusable("", "empty artifact")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// With GODEBUG=zipinsecurepath=0 the reader is returned together with
	// ErrInsecurePath; the entry checks below reject such names themselves.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return State{}, unusable("", "not a zip archive: %v", err)
	}
	if len(zr.File) > MaxEntries {
		return State{}, unusable("", "%d zip entries, more than %d", len(zr.File), MaxEntries)
	}

	root := map[string]*zip.File{}
	folders := map[string]map[string]*zip.File{}
	seen := map[string]bool{}
	for _, f := range zr.File {
		elems, err := entryPath(f.Name)
		if err != nil {
			return State{}, err
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			return State{}, unusable(quoteName(f.Name), "zip entry is a symbolic link")
		}
		key := strings.Join(elems, "/")
		if seen[key] {
			return State{}, unusable(quoteName(f.Name), "zip entry appears more than once")
		}
		seen[key] = true
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory entry
		}
		switch {
		case len(elems) == 1 && isStateFile(elems[0]):
			root[elems[0]] = f
		case len(elems) == 2 && isStateFile(elems[1]):
			if folders[elems[0]] == nil {
				folders[elems[0]] = map[string]*zip.File{}
			}
			folders[elems[0]][elems[1]] = f
		}
	}

	var files map[string]*zip.File
	switch {
	case len(root) > 0 && len(folders) > 0:
		return State{}, unusable("", "deployment-state files both at the zip root and in folder %s", quoteName(slices.Sorted(maps.Keys(folders))[0]))
	case len(folders) > 1:
		names := slices.Sorted(maps.Keys(folders))
		for i := range names {
			names[i] = quoteName(names[i])
		}
		return State{}, unusable("", "deployment-state files in more than one top-level folder (%s)", strings.Join(names, ", "))
	case len(root) > 0:
		files = root
	default:
		for _, m := range folders {
			files = m
		}
	}

	values := map[string]string{}
	total := 0
	for _, name := range slices.Sorted(maps.Keys(files)) {
		raw, err := readEntry(name, files[name])
		if err != nil {
			return State{}, err
		}
		total += len(raw)
		if total > MaxTotalBytes {
			return State{}, unusable("", "more than %d bytes in all", MaxTotalBytes)
		}
		v, err := parseLine(name, raw)
		if err != nil {
			return State{}, err
		}
		values[name] = v
	}
	return assemble(values)
}

// readEntry reads one state file from the zip, trusting neither the declared
// size nor the compressed stream.
func readEntry(name string, f *zip.File) ([]byte, error) {
	if !f.Mode().IsRegular() {
		return nil, unusable(name, "not a regular file (mode %v)", f.Mode())
	}
	if f.UncompressedSize64 > MaxFileSize {
		return nil, unusable(name, "larger than %d bytes (%d)", MaxFileSize, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, unusable(name, "cannot be opened: %v", err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
	if len(raw) > MaxFileSize {
		return nil, unusable(name, "inflates to more than %d bytes", MaxFileSize)
	}
	if err != nil {
		return nil, unusable(name, "cannot be read: %v", err)
	}
	return raw, nil
}

// entryPath splits a zip entry name into its elements, rejecting names that
// could point outside the folder the zip is extracted to or that two tools
// would read differently.
func entryPath(name string) ([]string, error) {
	q := quoteName(name)
	switch {
	case name == "" || name == "/":
		return nil, unusable("", "zip entry with an empty name")
	case strings.Contains(name, `\`):
		return nil, unusable(q, "zip entry name contains a backslash")
	case strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':'):
		return nil, unusable(q, "zip entry has an absolute path")
	}
	elems := strings.Split(strings.TrimSuffix(name, "/"), "/")
	for _, e := range elems {
		switch e {
		case "..":
			return nil, unusable(q, "zip entry path contains ..")
		case ".", "":
			return nil, unusable(q, "zip entry path is not clean")
		}
	}
	return elems, nil
}

// quoteName quotes a name that came from outside, shortened, so it is safe
// to show in a message.
func quoteName(name string) string {
	const max = 80
	if len(name) > max {
		return strconv.Quote(name[:max]) + "…"
	}
	return strconv.Quote(name)
}

// Zip builds an artifact zip of s the way actions/upload-artifact does for a
// deployment-state folder: the files at the root, deflated, one line each.
// Tests and the demo use it. s must pass Validate.
func Zip(s State) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("zip deployment state: %w", err)
	}
	modified, _ := ParseTimestamp(s.Timestamp) // valid: checked above
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range s.files() {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: modified.UTC()})
		if err != nil {
			return nil, fmt.Errorf("zip deployment state: add %s: %w", f.name, err)
		}
		if _, err := io.WriteString(w, f.value+"\n"); err != nil {
			return nil, fmt.Errorf("zip deployment state: write %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip deployment state: %w", err)
	}
	return buf.Bytes(), nil
}

type stateFile struct{ name, value string }

// files lists the files of s in the order they are written; the
// task-definition ARN only when it is set.
func (s State) files() []stateFile {
	out := []stateFile{
		{FileImageTag, s.ImageTag},
		{FileEnvironment, s.Environment},
		{FileCommitSHA, s.CommitSHA},
		{FileTimestamp, s.Timestamp},
	}
	if s.TaskDefinitionARN != "" {
		out = append(out, stateFile{FileTaskDefinitionARN, s.TaskDefinitionARN})
	}
	return out
}
