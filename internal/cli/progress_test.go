package cli

import (
	"bytes"
	"github.com/deplight/ecs-rollback/internal/reason"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"

	"github.com/deplight/ecs-rollback/internal/rollback"
)

var _ rollback.Logger = (*progress)(nil)

// fakeClock moves only when told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestProgress(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	p := newProgress(&out, clock.now, style{})

	p.Group("Plan")
	p.EndGroup() // nothing said: no title
	p.Group("Roll back web")
	p.Infof("waiting up to %s for %s", 10*time.Minute, "web")
	clock.t = clock.t.Add(time.Second)
	p.Debugf("web: running %d of %d", 1, 3)
	clock.t = clock.t.Add(2 * time.Second)
	p.Debugf("web: running %d of %d", 1, 3) // the same, 2 s later: not repeated
	clock.t = clock.t.Add(2 * time.Second)
	p.Debugf("web: running %d of %d", 2, 3) // a change: printed
	clock.t = clock.t.Add(heartbeat - time.Second)
	p.Debugf("web: running %d of %d", 2, 3) // the same, before the heartbeat
	clock.t = clock.t.Add(time.Second)
	p.Debugf("web: running %d of %d", 2, 3) // the same, at the heartbeat: printed
	p.Infof("tag %s", "evil\n::error::x\x1b[31m")

	want := strings.Join([]string{
		"▸ Roll back web",
		"  [   0.0s] waiting up to 10m0s for web",
		"  [   1.0s] web: running 1 of 3",
		"  [   5.0s] web: running 2 of 3",
		"  [  15.0s] web: running 2 of 3",
		"  [  15.0s] tag evil :\u200b:error:\u200b:x[31m",
	}, "\n") + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestStyle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		terminal bool
		env      map[string]string
		on       bool
	}{
		{"terminal", true, nil, true},
		{"not a terminal", false, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStyle(Env{StderrIsTerminal: tc.terminal, Getenv: func(k string) string { return tc.env[k] }})
			assert.Equal(t, tc.on, st.on)
			if tc.on {
				assert.Equal(t, "\x1b[31mx\x1b[0m", st.red("x"))
			} else {
				assert.Equal(t, "x", st.red("x"))
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		res  rollback.Result
		want int
	}{
		{rollback.Result{Outcome: rollback.RolledBack}, ExitOK},
		{rollback.Result{Outcome: rollback.AlreadyCurrent}, ExitOK},
		{rollback.Result{Outcome: rollback.Planned}, ExitOK},
		{rollback.Result{Outcome: rollback.Failed, Reason: reason.Confirmation}, ExitFailed},
		{rollback.Result{Outcome: rollback.Failed, Reason: reason.WaitTimeout}, ExitFailed},
		{rollback.Result{Outcome: rollback.Failed, Reason: reason.Cancelled}, ExitInterrupted},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, exitCode(tc.res), "%s %s", tc.res.Outcome, tc.res.Reason)
	}
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	var o rollbackOptions
	fs := newFlagSet("rollback", "", "", "", "")
	o.define(fs)
	o.cluster, o.service, o.revision = "a b", "web", "x"
	o.waitTimeout, o.maxRevisions, o.output = "7h", "0", "text"
	_, err := o.load(fs)
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`--wait-timeout: "7h" is longer than 6h0m0s, the longest a job runs`,
		`--max-revisions: "0" is not a whole number from 1 to 100`,
	}
	for _, w := range want {
		assert.Contains(t, got, w)
	}
	for _, line := range got {
		assert.True(t, strings.HasPrefix(line, "--"), "every problem names its flag: %q", line)
	}
}
