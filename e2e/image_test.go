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
	chroot := chrootCommand(t)
	root := t.TempDir()
	copyFile(t, binPath, filepath.Join(root, "ecs-rollback"), 0o755)
	copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), 0o644)

	out, err := exec.Command(chroot[0], append(chroot[1:], root, "/ecs-rollback", "version")...).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "ecs-rollback")

	// The whole story, simulators included, with nothing else around.
	out, err = exec.Command(chroot[0], append(chroot[1:], root, "/ecs-rollback", "demo")...).CombinedOutput()
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

// chrootCommand is how this test can chroot: directly as root, through
// passwordless sudo otherwise (as on GitHub-hosted runners, whose runner
// user is not root); without either it skips, saying so, in CI too: a
// runner that cannot chroot cannot run this test, which is no failure of
// the binary.
func chrootCommand(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() == 0 {
		return []string{"chroot"}
	}
	if _, err := exec.LookPath("sudo"); err == nil && exec.Command("sudo", "-n", "true").Run() == nil {
		return []string{"sudo", "-n", "chroot"}
	}
	t.Skipf("chroot needs root: uid %d has no passwordless sudo; run the tests as root or with sudo to test the empty root", os.Geteuid())
	return nil
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, data, mode))
}
