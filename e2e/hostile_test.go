package e2e

// Hostile or broken input: artifacts built to attack the reader, inputs
// that cannot be parsed, and outside text built to inject Markdown, HTML or
// workflow commands. Nothing of it may change the service, reach the log or
// the summary unescaped, or reveal a secret.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

// ownCommands are the workflow commands the action prints itself.
var ownCommands = map[string]bool{
	"add-mask": true, "group": true, "endgroup": true, "debug": true,
	"notice": true, "warning": true, "error": true,
}

// assertOwnCommandsOnly checks every stdout line the runner would read as a
// workflow command (a "::name" or legacy "##[name" line, leading blanks
// ignored, as the runner trims them) is one the action prints itself, so no
// outside text has started a line of its own.
func assertOwnCommandsOnly(t *testing.T, stdout string) {
	t.Helper()
	for line := range strings.Lines(stdout) {
		line = strings.TrimLeft(strings.TrimRight(line, "\r\n"), " \t")
		if strings.HasPrefix(line, "##[") {
			t.Errorf("stdout has a legacy workflow command line: %q", line)
			continue
		}
		rest, ok := strings.CutPrefix(line, "::")
		if !ok {
			continue
		}
		end := strings.IndexAny(rest, " :")
		if end < 0 || !ownCommands[rest[:end]] {
			t.Errorf("stdout has a workflow command line the action does not print: %q", line)
		}
	}
}

// assertOnlyEscaped checks that raw appears in the summary only as
// report.Escape writes it.
func assertOnlyEscaped(t *testing.T, summary, raw string) {
	t.Helper()
	assert.NotContains(t, strings.ReplaceAll(summary, report.Escape(raw), ""), raw, "outside text reaches the summary only escaped")
}

// hostileStateFiles are the entries of a well-formed deployment-state artifact for
// tag, with the image tag file holding tagFile's bytes as given.
func hostileStateFiles(tagFile []byte) []zipEntry {
	return []zipEntry{
		{name: deploystate.FileImageTag, body: tagFile},
		{name: deploystate.FileEnvironment, body: []byte("prod\n")},
		{name: deploystate.FileCommitSHA, body: []byte(sha("d3d3d3d") + "\n")},
		{name: deploystate.FileTimestamp, body: []byte("2026-11-24T12:00:00Z\n")},
	}
}

// zipEntry is one entry of a hand-built artifact zip.
type zipEntry struct {
	name string
	body []byte
	mode fs.FileMode // extra mode bits, e.g. fs.ModeSymlink
	// declared, when set, is the uncompressed size the header claims; the
	// body is deflated as is, so the entry inflates to more than it says.
	declared uint64
}

// makeZip builds a zip of entries, deflated, the way a hostile artifact
// could be built.
func makeZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		h.SetMode(0o644 | e.mode)
		if e.declared == 0 {
			w, err := zw.CreateHeader(h)
			require.NoError(t, err)
			_, err = w.Write(e.body)
			require.NoError(t, err)
			continue
		}
		var comp bytes.Buffer
		fw, err := flate.NewWriter(&comp, flate.BestCompression)
		require.NoError(t, err)
		_, err = fw.Write(e.body)
		require.NoError(t, err)
		require.NoError(t, fw.Close())
		h.CRC32 = crc32.ChecksumIEEE(e.body)
		h.CompressedSize64 = uint64(comp.Len())
		h.UncompressedSize64 = e.declared
		w, err := zw.CreateRaw(h)
		require.NoError(t, err)
		_, err = w.Write(comp.Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestE2EHostileArtifactsPassedOver(t *testing.T) {
	t.Parallel()
	good := hostileStateFiles([]byte("d3d3d3d\n"))
	goodZip := func(t *testing.T) []byte { return makeZip(t, good...) }
	manyEntries := func(t *testing.T) []byte {
		entries := append([]zipEntry(nil), good...)
		for i := range 100 {
			entries = append(entries, zipEntry{name: "filler/" + strings.Repeat("x", i+1), body: []byte("x")})
		}
		return makeZip(t, entries...)
	}
	tests := []struct {
		name string
		zip  func(t *testing.T) []byte
		// why is what the warning about the run says.
		why string
		// raw is outside text that must not reach the summary as it is.
		raw string
	}{
		{
			name: "entry path with ..",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good, zipEntry{name: "../../.github/workflows/deploy.yml", body: []byte("on: push")})...)
			},
			why: "..",
		},
		{
			name: "absolute entry path",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good, zipEntry{name: "/etc/cron.d/evil", body: []byte("x")})...)
			},
			why: "absolute path",
		},
		{
			name: "drive-letter entry path",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good, zipEntry{name: "C:/Windows/evil", body: []byte("x")})...)
			},
			why: "absolute path",
		},
		{
			name: "symbolic link",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good[1:], zipEntry{name: deploystate.FileImageTag, body: []byte("/etc/passwd"), mode: fs.ModeSymlink})...)
			},
			why: "symbolic link",
		},
		{
			name: "nested zip",
			zip: func(t *testing.T) []byte {
				return makeZip(t, zipEntry{name: "deployment-state.zip", body: goodZip(t)})
			},
			why: "missing",
		},
		{
			name: "huge entry",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good[1:], zipEntry{name: deploystate.FileImageTag, body: bytes.Repeat([]byte("a"), 8<<20)})...)
			},
			why: "larger than",
		},
		{
			name: "compression bomb with a lying header",
			zip: func(t *testing.T) []byte {
				return makeZip(t, append(good[1:], zipEntry{name: deploystate.FileImageTag, body: make([]byte, 16<<20), declared: 8})...)
			},
			why: "cannot be read",
		},
		{
			name: "too many entries",
			zip:  manyEntries,
			why:  "zip entries",
		},
		{
			name: "non-UTF-8 value",
			zip:  func(t *testing.T) []byte { return makeZip(t, hostileStateFiles([]byte("d3d3\xff\xfed\n"))...) },
			why:  "not UTF-8",
		},
		{
			name: "multi-line value",
			zip: func(t *testing.T) []byte {
				return makeZip(t, hostileStateFiles([]byte("d3d3d3d\n::set-output name=image-tag::evil\n"))...)
			},
			why: "more than one line",
			raw: "::set-output",
		},
		{
			name: "tag with a command substitution",
			zip:  func(t *testing.T) []byte { return makeZip(t, hostileStateFiles([]byte("$(reboot)\n"))...) },
			why:  "not a valid tag",
			raw:  "$(reboot)",
		},
		{
			name: "tag that is a workflow command",
			zip:  func(t *testing.T) []byte { return makeZip(t, hostileStateFiles([]byte("::set-output name=x::y\n"))...) },
			why:  "not a valid tag",
			raw:  "::set-output",
		},
		{
			name: "tag with Markdown and HTML",
			zip: func(t *testing.T) []byte {
				return makeZip(t, hostileStateFiles([]byte("<img src=x onerror=alert(1)>[x](http://evil)\n"))...)
			},
			why: "not a valid tag",
			raw: "<img",
		},
		{
			name: "body that is not a zip",
			zip:  func(*testing.T) []byte { return []byte("<html><body>Sign in to continue</body></html>") },
			why:  "not a zip",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// The newest successful run holds the hostile artifact; run
			// 4002, older, holds a good one.
			w.gh.AddRun(runOf(4101, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)))
			w.gh.AddArtifact(4101, "deployment-state", tc.zip(t), false)

			res := w.run(nil)

			require.Equal(t, 0, res.code, res.stdout)
			assert.Equal(t, "rolled-back", res.outputs["result"])
			assert.Equal(t, "4002", res.outputs["source-run-id"], "the rollback proceeds from the older good run")
			assert.Equal(t, "42", res.outputs["to-revision"])
			assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
			assert.Equal(t, []string{"UpdateService"}, w.mutations())

			var warning string
			for line := range strings.Lines(res.stdout) {
				if strings.HasPrefix(line, "::warning") && strings.Contains(line, "4101") {
					warning = line
				}
			}
			require.NotEmpty(t, warning, "a warning names the run passed over")
			assert.Contains(t, warning, tc.why)
			assert.Contains(t, res.summary, "passed over run 4101")
			assertOwnCommandsOnly(t, res.stdout)
			if tc.raw != "" {
				assertOnlyEscaped(t, res.summary, tc.raw)
			}
			assert.NotContains(t, res.stdout, "::set-output", "a command from outside reaches the log only broken up")
		})
	}
}

func TestE2EBadInputsOneErrorBeforeAnyCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.run(map[string]string{
		"wait-timeout":        "ten minutes",
		"max-revisions":       "-5",
		"revision":            "-3",
		"fallback":            "sideways",
		"wait":                "maybe",
		"failure-conclusions": "failure,exploded",
		"environment":         "prod<script>\n::error::pwned",
	})

	require.Equal(t, 1, res.code)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "invalid-input", res.outputs["reason"])
	var errs []string
	for line := range strings.Lines(res.stdout) {
		if strings.HasPrefix(line, "::error") {
			errs = append(errs, line)
		}
	}
	require.Len(t, errs, 1, "exactly one error annotation")
	for _, name := range []string{"wait-timeout", "max-revisions", "revision", "fallback", "wait", "failure-conclusions", "environment"} {
		assert.Contains(t, errs[0], "input "+name+":", "the error lists every bad input")
		assert.Contains(t, res.summary, "input "+name+":")
	}
	assert.Empty(t, w.ecs.Calls(), "no ECS call before the inputs are valid")
	assert.Empty(t, w.gh.Calls(), "no GitHub call before the inputs are valid")
	assertOwnCommandsOnly(t, res.stdout)
	assert.NotContains(t, res.summary, "<script>")
	assert.NotContains(t, res.summary, "::error::pwned")
	assert.NotContains(t, res.stdout, "::error::pwned")
}

// evil is outside text that tries HTML, a Markdown link, an autolink and
// workflow commands on lines of their own.
const evil = "<script>alert(1)</script> [x](http://evil) http://evil.example\n::error::pwned\r\n##[error]pwned\n::set-output name=result::rolled-back"

// assertNoRawEvil checks that none of evil's dangerous parts reached the
// summary or the log as they are.
func assertNoRawEvil(t *testing.T, res result) {
	t.Helper()
	for _, raw := range []string{"<script>", "[x](http://evil)", "http://evil.example", "::error::pwned", "::set-output", "\n##[error]"} {
		assert.NotContains(t, res.summary, raw, "the summary shows outside text only escaped")
	}
	for _, raw := range []string{"::error::pwned", "::set-output", "\n##[error]"} {
		assert.NotContains(t, res.stdout, raw, "the log shows outside text only made safe")
	}
	assertOwnCommandsOnly(t, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"], "no injected command changed an output")
}

func TestE2EInjectionIsEscaped(t *testing.T) {
	t.Parallel()
	t.Run("names, events and stopped reasons", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		// The failed run's workflow and title, the source run's name, a
		// service event and the failed task's stopped reason carry it.
		w.event["workflow"].(map[string]any)["name"] = "Deploy " + evil
		w.event["workflow_run"].(map[string]any)["name"] = "Deploy " + evil
		w.event["workflow_run"].(map[string]any)["display_title"] = evil
		src := runOf(4002, time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		src.Name, src.DisplayTitle, src.HeadSHA = evil, evil, sha("c2c2c2c")
		w.gh.AddRun(src)
		require.NoError(t, w.ecs.AddEvent(cluster, "web", "(service web) "+evil))
		w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Fail: true, FailReason: evil, StoppedReason: evil})

		res := w.run(nil)

		require.Equal(t, 1, res.code)
		assert.Equal(t, "rollout-failed", res.outputs["reason"])
		assert.Equal(t, []string{"UpdateService"}, w.mutations())
		assert.Contains(t, res.summary, report.Escape(evil), "the stopped reason is shown, escaped")
		assert.Contains(t, res.summary, report.Escape("(service web) "+evil), "the event is shown, escaped")
		assertNoRawEvil(t, res)
	})
	t.Run("branch of the failed run", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.event["workflow_run"].(map[string]any)["head_branch"] = "main" + evil

		res := w.run(nil)

		require.Equal(t, 1, res.code)
		assert.Equal(t, "no-previous-deployment", res.outputs["reason"])
		assert.Empty(t, w.mutations())
		assertNoRawEvil(t, res)
	})
}

func TestE2ESecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const (
		awsSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		awsSession = "FwoGZXIvYXdzEXAMPLESESSIONTOKENxyz0123456789"
	)
	tests := []struct {
		name   string
		inputs map[string]string
		setup  func(w *world)
		result string
		// planned says the run got as far as planning, which logs debug lines.
		planned bool
	}{
		{name: "rolled back", result: "rolled-back", planned: true},
		{name: "invalid inputs", inputs: map[string]string{"wait-timeout": "soon"}, result: "failed"},
		{name: "GitHub refuses the token", setup: func(w *world) { w.gh.SetRepoAccess(403) }, result: "failed", planned: true},
		{name: "rollout fails", setup: func(w *world) {
			w.ecs.SetRollout(cluster, "web", ecssim.Rollout{Fail: true})
		}, result: "failed", planned: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.env["RUNNER_DEBUG"] = "1"
			w.env["ACTIONS_STEP_DEBUG"] = "true"
			w.env["AWS_SECRET_ACCESS_KEY"] = awsSecret
			w.env["AWS_SESSION_TOKEN"] = awsSession
			if tc.setup != nil {
				tc.setup(w)
			}

			res := w.run(tc.inputs)

			require.Equal(t, tc.result, res.outputs["result"])
			if tc.planned {
				assert.Contains(t, res.stdout, "::debug::", "debug lines are printed")
			}
			outputs, err := os.ReadFile(filepath.Join(w.dir, "output"))
			require.NoError(t, err)
			// The runner hides what ::add-mask:: names, so the masks must
			// come before anything else is printed.
			lines := strings.Split(res.stdout, "\n")
			for i, secret := range []string{token, awsSecret, awsSession} {
				require.Greater(t, len(lines), i)
				assert.Contains(t, lines[:3], "::add-mask::"+secret, "the secret is masked before anything is printed")
				var rest []string
				for _, l := range lines {
					if !strings.HasPrefix(l, "::add-mask::") {
						rest = append(rest, l)
					}
				}
				assert.NotContains(t, strings.Join(rest, "\n"), secret, "the secret is never printed")
				assert.NotContains(t, res.stderr, secret)
				assert.NotContains(t, res.summary, secret)
				assert.NotContains(t, string(outputs), secret)
			}
		})
	}
}
