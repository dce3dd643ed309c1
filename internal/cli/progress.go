package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/deplight/ecs-rollback/internal/report"
)

// heartbeat is how often a repeated progress line (the same poll answer
// while waiting for stability) is printed again, with the time elapsed.
const heartbeat = 10 * time.Second

// progress prints the runner's log on stderr, each line with the time
// elapsed since the command started. It satisfies rollback.Logger and is
// safe for concurrent use (services are applied concurrently).
//
// Every Infof line is printed. A Debugf line is printed when it differs from
// the previous one, or when the same line has been repeating for heartbeat:
// while waiting for a service to be stable the runner reports every poll,
// and the operator sees each change and, between changes, that time goes by.
type progress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	style style

	mu        sync.Mutex
	group     string // title of the open group, printed before its first line
	lastDebug string
	lastAt    time.Time // when lastDebug was last printed
}

func newProgress(w io.Writer, now func() time.Time, st style) *progress {
	return &progress{w: w, now: now, start: now(), style: st}
}

// Infof prints a progress line.
func (p *progress) Infof(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.print(fmt.Sprintf(format, args...))
}

// Debugf prints a detail line when it says something new, or as a heartbeat.
func (p *progress) Debugf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if msg == p.lastDebug && now.Sub(p.lastAt) < heartbeat {
		return
	}
	p.lastDebug, p.lastAt = msg, now
	p.print(msg)
}

// Group opens a phase. Its title is printed with the phase's first line, so
// a phase that has nothing to say prints nothing.
func (p *progress) Group(title string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.group = title
}

// EndGroup ends a phase.
func (p *progress) EndGroup() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.group = ""
}

// print writes one line, after the title of its group if it is the first;
// callers hold p.mu. The line may carry values from outside (tags, names):
// LogSafe keeps them from moving the cursor or starting lines of their own.
func (p *progress) print(msg string) {
	if p.group != "" {
		fmt.Fprintf(p.w, "%s %s\n", p.style.dim("▸"), p.style.bold(report.LogSafe(p.group)))
		p.group = ""
	}
	elapsed := p.now().Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "  %s %s\n", p.style.dim(fmt.Sprintf("[%6.1fs]", elapsed)), report.LogSafe(msg))
}

// style adds colour and weight to what is printed on stderr when it is a
// terminal, NO_COLOR is not set and TERM is not dumb; otherwise it leaves
// text alone.
// See https://no-color.org
type style struct{ on bool }

func newStyle(env Env) style {
	return style{on: env.StderrIsTerminal && env.getenv("NO_COLOR") == "" && env.getenv("TERM") != "dumb"}
}

func (s style) sgr(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bold(text string) string   { return s.sgr("1", text) }
func (s style) dim(text string) string    { return s.sgr("2", text) }
func (s style) red(text string) string    { return s.sgr("31", text) }
func (s style) green(text string) string  { return s.sgr("32", text) }
func (s style) yellow(text string) string { return s.sgr("33", text) }
