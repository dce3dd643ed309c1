package e2e

// The image's promise, tested without Docker: the binary is static and runs
// in an empty root that holds only itself and the CA bundle, as in the
// scratch image: no shell, no libc, no /tmp.

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBinaryIsStatic(t *testing.T) {
	t.Parallel()
	f, err := elf.Open(binPath)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "a static binary has no program interpreter")
		assert.NotEqual(t, elf.PT_DYNAMIC, p.Type, "a static binary has no dynamic section")
	}
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	assert.Empty(t, libs)
}

func TestBinaryRunsInEmptyRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: chroot must be tested there")
		}
		t.Skip("chroot needs root")
	}
	root := t.TempDir()
	copyFile(t, binPath, filepath.Join(root, "ecs-rollback"), 0o755)
	copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), 0o644)

	out, err := exec.Command("chroot", root, "/ecs-rollback", "version").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "ecs-rollback")

	// The whole story, simulators included, with nothing else around.
	out, err = exec.Command("chroot", root, "/ecs-rollback", "demo").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "rolled-back")

	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"ecs-rollback", "etc"}, names, "the run wrote nothing into the root")
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, data, mode))
}
