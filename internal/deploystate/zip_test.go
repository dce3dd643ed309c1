package deploystate

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var good = State{
	ImageTag:          "abc123d",
	Environment:       "prod",
	CommitSHA:         "abc123def4567890abc123def4567890abc12345",
	Timestamp:         "2024-05-01T12:00:00Z",
	TaskDefinitionARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42",
}

// entry is one zip entry for buildZip.
type entry struct {
	name string
	body string
	mode fs.FileMode // 0: a regular file as zip.FileHeader defaults it
	// raw, when set, is stored as the compressed deflate stream, with
	// declared as the uncompressed size the header claims.
	raw      []byte
	declared uint64
}

// buildZip writes entries into a zip, in order.
func buildZip(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		if e.raw != nil {
			h.CompressedSize64 = uint64(len(e.raw))
			h.UncompressedSize64 = e.declared
			h.CRC32 = crc32.ChecksumIEEE([]byte(e.body))
			w, err := zw.CreateRaw(h)
			require.NoError(t, err)
			_, err = w.Write(e.raw)
			require.NoError(t, err)
			continue
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write([]byte(e.body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// stateEntries are the files of good under prefix, with overrides by file
// name (an override of "" drops the file).
func stateEntries(prefix string, override map[string]string) []entry {
	var out []entry
	for _, f := range good.files() {
		body := f.value + "\n"
		if v, ok := override[f.name]; ok {
			if v == "" {
				continue
			}
			body = v
		}
		out = append(out, entry{name: prefix + f.name, body: body})
	}
	return out
}

func deflate(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, fw.Close())
	return buf.Bytes()
}

func TestReadZip(t *testing.T) {
	t.Parallel()
	noARN := good
	noARN.TaskDefinitionARN = ""
	noEnv := good
	noEnv.Environment = ""
	innerZip := string(buildZip(t, stateEntries("", nil)...))
	bombStream := deflate(t, bytes.Repeat([]byte("a"), 1<<20))
	require.Less(t, len(bombStream), 4<<10, "the bomb must be small compressed")
	many := stateEntries("", nil)
	for i := range MaxEntries {
		many = append(many, entry{name: fmt.Sprintf("junk/%d.txt", i), body: "x"})
	}

	tests := []struct {
		name    string
		zip     func(t *testing.T) []byte
		want    State
		wantErr string // substring of the error; the error must wrap ErrUnusable
	}{
		{
			name: "files at the root",
			zip:  func(t *testing.T) []byte { return buildZip(t, stateEntries("", nil)...) },
			want: good,
		},
		{
			name: "files in one top-level folder with its directory entry",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append([]entry{{name: "deployment-state/", mode: fs.ModeDir | 0o755}}, stateEntries("deployment-state/", nil)...)...)
			},
			want: good,
		},
		{
			name: "task-definition ARN is optional",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileTaskDefinitionARN: ""})...)
			},
			want: noARN,
		},
		{
			name: "white space, CRLF, a byte-order mark and blank lines are ignored",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{
					FileImageTag:    "\uFEFF  abc123d\r\n\r\n",
					FileEnvironment: "\n\tprod \n",
				})...)
			},
			want: good,
		},
		{
			name: "empty environment.txt means no environment",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", map[string]string{FileEnvironment: ""}), entry{name: FileEnvironment, body: "\n"})...)
			},
			want: noEnv,
		},
		{
			name: "other entries, nested zips and deeper folders are ignored",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil),
					entry{name: "inner.zip", body: innerZip},
					entry{name: "logs/deep/" + FileImageTag, body: "-bad\n"},
					entry{name: "README", body: "\x00binary"},
				)...)
			},
			want: good,
		},
		{
			name: "state files in two top-level folders",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("a/", nil), stateEntries("b/", nil)...)...)
			},
			wantErr: `more than one top-level folder ("a", "b")`,
		},
		{
			name: "state files at the root and in a folder",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), stateEntries("x/", nil)...)...)
			},
			wantErr: `both at the zip root and in folder "x"`,
		},
		{
			name: "entry with ..",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), entry{name: "../x", body: "x"})...)
			},
			wantErr: `"../x": zip entry path contains ..`,
		},
		{
			name:    "state file behind ..",
			zip:     func(t *testing.T) []byte { return buildZip(t, stateEntries("a/../", nil)...) },
			wantErr: "zip entry path contains ..",
		},
		{
			name: "absolute entry",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), entry{name: "/abs", body: "x"})...)
			},
			wantErr: `"/abs": zip entry has an absolute path`,
		},
		{
			name: "drive letter",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), entry{name: "C:/x", body: "x"})...)
			},
			wantErr: "absolute path",
		},
		{
			name:    "backslash",
			zip:     func(t *testing.T) []byte { return buildZip(t, stateEntries(`dir\`, nil)...) },
			wantErr: "contains a backslash",
		},
		{
			name:    "dot element",
			zip:     func(t *testing.T) []byte { return buildZip(t, stateEntries("./", nil)...) },
			wantErr: "not clean",
		},
		{
			name: "symbolic link entry",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), entry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777})...)
			},
			wantErr: `"link": zip entry is a symbolic link`,
		},
		{
			name: "state file that is a symbolic link",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", map[string]string{FileEnvironment: ""}),
					entry{name: FileEnvironment, body: "/etc/hostname", mode: fs.ModeSymlink | 0o777})...)
			},
			wantErr: "symbolic link",
		},
		{
			name: "duplicate entry",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", nil), entry{name: FileImageTag, body: "def4567\n"})...)
			},
			wantErr: "appears more than once",
		},
		{
			name: "5 KiB file",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileTaskDefinitionARN: strings.Repeat(" ", 5<<10) + good.TaskDefinitionARN})...)
			},
			wantErr: FileTaskDefinitionARN + ": larger than 4096 bytes",
		},
		{
			name: "bomb that declares a small size and inflates to 1 MiB",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", map[string]string{FileImageTag: ""}),
					entry{name: FileImageTag, body: "abc123d\n", raw: bombStream, declared: 8})...)
			},
			wantErr: FileImageTag + ": cannot be read",
		},
		{
			name: "bomb that declares exactly the limit",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", map[string]string{FileImageTag: ""}),
					entry{name: FileImageTag, raw: bombStream, declared: MaxFileSize})...)
			},
			wantErr: FileImageTag + ": cannot be read",
		},
		{
			name:    "too many entries",
			zip:     func(t *testing.T) []byte { return buildZip(t, many...) },
			wantErr: fmt.Sprintf("%d zip entries, more than %d", len(many), MaxEntries),
		},
		{
			name: "not UTF-8",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileEnvironment: "pr\xffod\n"})...)
			},
			wantErr: FileEnvironment + ": not UTF-8 text",
		},
		{
			name: "NUL inside the value",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileEnvironment: "pr\x00od\n"})...)
			},
			wantErr: FileEnvironment + ": contains control character U+0000",
		},
		{
			name: "escape sequence inside the value",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileTaskDefinitionARN: "arn:aws:ecs:x:1:task-definition/\x1b[31mweb:1\n"})...)
			},
			wantErr: "control character U+001B",
		},
		{
			name: "nested zip as a state file",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileEnvironment: innerZip})...)
			},
			wantErr: FileEnvironment + ":",
		},
		{
			name: "more than one line",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileImageTag: "abc123d\ndef4567\n"})...)
			},
			wantErr: FileImageTag + ": more than one line",
		},
		{
			name: "bad tag",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileImageTag: "-bad\n"})...)
			},
			wantErr: FileImageTag + `: image tag "-bad" is not a valid tag`,
		},
		{
			name: "empty tag",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileImageTag: "\n"})...)
			},
			wantErr: FileImageTag + `: image tag "" is not a valid tag`,
		},
		{
			name: "short commit SHA",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileCommitSHA: "abc12\n"})...)
			},
			wantErr: FileCommitSHA + ": commit SHA",
		},
		{
			name: "bad environment",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileEnvironment: "prod west\n"})...)
			},
			wantErr: FileEnvironment + `: environment "prod west"`,
		},
		{
			name: "bad timestamp",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileTimestamp: "yesterday\n"})...)
			},
			wantErr: FileTimestamp + `: timestamp "yesterday"`,
		},
		{
			name: "ARN of something else",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileTaskDefinitionARN: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web\n"})...)
			},
			wantErr: FileTaskDefinitionARN + ": ",
		},
		{
			name: "missing commit SHA",
			zip: func(t *testing.T) []byte {
				return buildZip(t, stateEntries("", map[string]string{FileCommitSHA: ""})...)
			},
			wantErr: FileCommitSHA + ": missing",
		},
		{
			name: "required file only as a directory",
			zip: func(t *testing.T) []byte {
				return buildZip(t, append(stateEntries("", map[string]string{FileTimestamp: ""}), entry{name: FileTimestamp + "/", mode: fs.ModeDir | 0o755})...)
			},
			wantErr: FileTimestamp + ": missing",
		},
		{
			name:    "empty zip",
			zip:     func(t *testing.T) []byte { return buildZip(t) },
			wantErr: FileImageTag + ": missing",
		},
		{
			name:    "not a zip",
			zip:     func(*testing.T) []byte { return []byte("<html>not found</html>") },
			wantErr: "not a zip archive",
		},
		{
			name:    "empty bytes",
			zip:     func(*testing.T) []byte { return nil },
			wantErr: "empty artifact",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadZip(tt.zip(t))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrUnusable)
				assert.ErrorContains(t, err, tt.wantErr)
				var ue *UnusableError
				assert.ErrorAs(t, err, &ue)
				assert.Equal(t, State{}, got)
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadZip() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestZipRoundTrip(t *testing.T) {
	t.Parallel()
	noARN := good
	noARN.TaskDefinitionARN = ""
	for _, s := range []State{good, noARN} {
		z, err := Zip(s)
		require.NoError(t, err)
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		require.NoError(t, err)
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		want := []string{FileImageTag, FileEnvironment, FileCommitSHA, FileTimestamp}
		if s.TaskDefinitionARN != "" {
			want = append(want, FileTaskDefinitionARN)
		}
		assert.Equal(t, want, names, "files at the root")
		got, err := ReadZip(z)
		require.NoError(t, err)
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("ReadZip(Zip()) (-want +got):\n%s", diff)
		}
	}

	bad := good
	bad.ImageTag = "-bad"
	_, err := Zip(bad)
	assert.ErrorIs(t, err, ErrUnusable)
}

// TestReadZipTestdata checks the saved artifacts that also seed FuzzReadZip.
func TestReadZipTestdata(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "artifacts", "*.zip"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	wantErr := map[string]string{
		"bad-multiline.zip": FileImageTag + ": more than one line",
		"bad-symlink.zip":   `"environment.txt": zip entry is a symbolic link`,
		"bad-traversal.zip": `"../../.bashrc": zip entry path contains ..`,
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			got, err := ReadZip(data)
			if strings.HasPrefix(name, "bad-") {
				require.Contains(t, wantErr, name, "every bad zip names its expected error")
				assert.ErrorIs(t, err, ErrUnusable)
				assert.ErrorContains(t, err, wantErr[name])
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(good, got); diff != "" {
				t.Errorf("ReadZip(%s) (-want +got):\n%s", name, diff)
			}
		})
	}
}

func FuzzReadZip(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "artifacts", "*.zip"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadZip(data)
		if err != nil {
			if !errors.Is(err, ErrUnusable) {
				t.Fatalf("ReadZip error does not wrap ErrUnusable: %v", err)
			}
			if s != (State{}) {
				t.Fatalf("ReadZip returned %+v with error %v", s, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ReadZip returned a state that fails Validate: %v", err)
		}
		z, err := Zip(s)
		if err != nil {
			t.Fatalf("Zip(ReadZip()): %v", err)
		}
		again, err := ReadZip(z)
		if err != nil || again != s {
			t.Fatalf("ReadZip(Zip(s)) = %+v, %v; want %+v", again, err, s)
		}
	})
}
