package deploystate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteRead(t *testing.T) {
	t.Parallel()
	noARN := good
	noARN.TaskDefinitionARN = ""
	noEnv := good
	noEnv.Environment = ""
	tests := []struct {
		name      string
		state     State
		wantFiles map[string]string
	}{
		{
			name:  "all files",
			state: good,
			wantFiles: map[string]string{
				FileImageTag:          "abc123d\n",
				FileEnvironment:       "prod\n",
				FileCommitSHA:         good.CommitSHA + "\n",
				FileTimestamp:         good.Timestamp + "\n",
				FileTaskDefinitionARN: good.TaskDefinitionARN + "\n",
			},
		},
		{
			name:  "without task definition",
			state: noARN,
			wantFiles: map[string]string{
				FileImageTag:    "abc123d\n",
				FileEnvironment: "prod\n",
				FileCommitSHA:   good.CommitSHA + "\n",
				FileTimestamp:   good.Timestamp + "\n",
			},
		},
		{
			name:  "without environment",
			state: noEnv,
			wantFiles: map[string]string{
				FileImageTag:          "abc123d\n",
				FileEnvironment:       "\n",
				FileCommitSHA:         good.CommitSHA + "\n",
				FileTimestamp:         good.Timestamp + "\n",
				FileTaskDefinitionARN: good.TaskDefinitionARN + "\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "nested", "deployment-state")
			require.NoError(t, Write(dir, tt.state))

			got := map[string]string{}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				info, err := e.Info()
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), e.Name())
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				require.NoError(t, err)
				got[e.Name()] = string(data)
			}
			if diff := cmp.Diff(tt.wantFiles, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}

			back, err := Read(dir)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.state, back); diff != "" {
				t.Errorf("Read(Write()) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteRemovesStaleARNAndReplacesLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside.txt")
	require.NoError(t, os.WriteFile(outside, []byte("keep\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileTaskDefinitionARN), []byte(good.TaskDefinitionARN+"\n"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, FileCommitSHA)))

	s := good
	s.TaskDefinitionARN = ""
	require.NoError(t, Write(dir, s))

	_, err := os.Stat(filepath.Join(dir, FileTaskDefinitionARN))
	assert.ErrorIs(t, err, os.ErrNotExist, "stale task-definition-arn.txt removed")
	data, err := os.ReadFile(outside)
	require.NoError(t, err)
	assert.Equal(t, "keep\n", string(data), "the link target is untouched")
	fi, err := os.Lstat(filepath.Join(dir, FileCommitSHA))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "the link was replaced by a file")
	back, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, s, back)
}

func TestWriteInvalid(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	s := good
	s.CommitSHA = "not-hex"
	err := Write(dir, s)
	assert.ErrorIs(t, err, ErrUnusable)
	assert.ErrorContains(t, err, FileCommitSHA)
	_, statErr := os.Stat(dir)
	assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written")
}

func TestReadUnusable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantErr string
	}{
		{
			name:    "missing file",
			setup:   func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, FileTimestamp))) },
			wantErr: FileTimestamp + ": missing",
		},
		{
			name: "too large",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, FileEnvironment), []byte(strings.Repeat(" ", 5<<10)+"prod"), 0o644))
			},
			wantErr: FileEnvironment + ": larger than 4096 bytes",
		},
		{
			name: "symbolic link",
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, FileEnvironment)
				require.NoError(t, os.Remove(p))
				require.NoError(t, os.Symlink(filepath.Join(dir, FileImageTag), p))
			},
			wantErr: FileEnvironment + ": is a symbolic link",
		},
		{
			name: "a directory",
			setup: func(t *testing.T, dir string) {
				p := filepath.Join(dir, FileEnvironment)
				require.NoError(t, os.Remove(p))
				require.NoError(t, os.Mkdir(p, 0o755))
			},
			wantErr: FileEnvironment + ": not a regular file",
		},
		{
			name: "two lines",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, FileImageTag), []byte("abc123d\nother\n"), 0o644))
			},
			wantErr: FileImageTag + ": more than one line",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, Write(dir, good))
			tt.setup(t, dir)
			_, err := Read(dir)
			assert.ErrorIs(t, err, ErrUnusable)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}

	_, err := Read(filepath.Join(t.TempDir(), "absent"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnusable, "a folder that cannot be opened is an ordinary error")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*State)
		wantErr string // empty: valid
	}{
		{name: "good", change: func(*State) {}},
		{name: "7-char sha", change: func(s *State) { s.CommitSHA = "ABC123D" }},
		{name: "64-char sha", change: func(s *State) { s.CommitSHA = strings.Repeat("a", 64) }},
		{name: "65-char sha", change: func(s *State) { s.CommitSHA = strings.Repeat("a", 65) }, wantErr: FileCommitSHA},
		{name: "sha with g", change: func(s *State) { s.CommitSHA = "abc123g" }, wantErr: FileCommitSHA},
		{name: "env with dot and dash", change: func(s *State) { s.Environment = "eu-west.1_prod" }},
		{name: "env of 64", change: func(s *State) { s.Environment = strings.Repeat("e", 64) }},
		{name: "env of 65", change: func(s *State) { s.Environment = strings.Repeat("e", 65) }, wantErr: FileEnvironment},
		{name: "env starting with dash", change: func(s *State) { s.Environment = "-prod" }, wantErr: FileEnvironment},
		{name: "tag of 128", change: func(s *State) { s.ImageTag = strings.Repeat("t", 128) }},
		{name: "tag of 129", change: func(s *State) { s.ImageTag = strings.Repeat("t", 129) }, wantErr: FileImageTag},
		{name: "tag with colon", change: func(s *State) { s.ImageTag = "web:abc" }, wantErr: FileImageTag},
		{name: "timestamp with offset", change: func(s *State) { s.Timestamp = "2024-05-01T14:00:00+02:00" }},
		{name: "timestamp with fraction", change: func(s *State) { s.Timestamp = "2024-05-01T12:00:00.123456Z" }},
		{name: "timestamp with basic offset", change: func(s *State) { s.Timestamp = "2024-05-01T14:00:00+0200" }},
		{name: "timestamp without zone", change: func(s *State) { s.Timestamp = "2024-05-01T12:00:00" }, wantErr: FileTimestamp},
		{name: "date only", change: func(s *State) { s.Timestamp = "2024-05-01" }, wantErr: FileTimestamp},
		{name: "China ARN", change: func(s *State) {
			s.TaskDefinitionARN = "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:7"
		}},
		{name: "ARN without arn:", change: func(s *State) { s.TaskDefinitionARN = "web:42" }, wantErr: FileTaskDefinitionARN},
		{name: "ARN with space", change: func(s *State) {
			s.TaskDefinitionARN = "arn:aws:ecs:eu-west-1:1:task-definition/web 1:2"
		}, wantErr: FileTaskDefinitionARN},
		{name: "ARN with bidi override", change: func(s *State) {
			s.TaskDefinitionARN = "arn:aws:ecs:eu-west-1:1:task-definition/\u202eweb:2"
		}, wantErr: FileTaskDefinitionARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good
			tt.change(&s)
			err := s.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrUnusable)
			assert.ErrorContains(t, err, tt.wantErr+": ")
		})
	}
}
