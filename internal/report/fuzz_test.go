package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// addSummarySeeds seeds f with every line of the golden summaries (text the
// report really prints) and with the injection fixture's value.
func addSummarySeeds(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.golden.md"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no golden summaries under %s: %v", goldenDir, err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.Lines(string(raw)) {
			f.Add(line)
		}
	}
	for _, s := range []string{evil, "::error::x", "a\r\n::add-mask::b", ":\u200b:", "www.x", "1. x", "- x", "\xff::\xfe"} {
		f.Add(s)
	}
}

// markdownOpeners are the characters that can open Markdown in the summary;
// Escape leaves none without a backslash.
const markdownOpeners = "`*_[]|$~{}!"

// FuzzEscape checks what Escape promises whatever the input: one line of
// valid UTF-8, no HTML, no workflow command, no autolink, every Markdown
// opener backslash-escaped, and bounded.
func FuzzEscape(f *testing.F) {
	addSummarySeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q: invalid UTF-8", s, got)
		}
		for _, bad := range []string{"\n", "\r", "::", "<", ">", "://"} {
			if strings.Contains(got, bad) {
				t.Fatalf("Escape(%q) = %q holds %q", s, got, bad)
			}
		}
		rs := []rune(got)
		for i, r := range rs {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Escape(%q) = %q holds control or format character %U", s, got, r)
			}
			if strings.ContainsRune(markdownOpeners, r) && (i == 0 || rs[i-1] != '\\') {
				t.Fatalf("Escape(%q) = %q leaves %q unescaped at %d", s, got, r, i)
			}
		}
		if n := utf8.RuneCountInString(got); n > 6*MaxEscaped {
			t.Fatalf("Escape(%q) is %d characters long, more than %d", s, n, 6*MaxEscaped)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("Escape(%q) = %q is not trimmed", s, got)
		}
	})
}

// FuzzLogSafe checks what LogSafe promises whatever the input: one line of
// valid UTF-8 without control characters or two adjacent colons, and a
// plain line left as it is.
func FuzzLogSafe(f *testing.F) {
	addSummarySeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := LogSafe(s)
		if !utf8.ValidString(got) {
			t.Fatalf("LogSafe(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.Contains(got, "::") {
			t.Fatalf("LogSafe(%q) = %q holds a workflow command", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("LogSafe(%q) = %q holds control character %U", s, got, r)
			}
		}
		plain := utf8.ValidString(s) && !strings.Contains(s, "::") && !strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u0085' || r == '\u2028' || r == '\u2029'
		})
		if plain && got != s {
			t.Fatalf("LogSafe(%q) = %q, want a plain line left as it is", s, got)
		}
		if again := LogSafe(got); again != got {
			t.Fatalf("LogSafe is not idempotent: LogSafe(%q) = %q", got, again)
		}
	})
}

// FuzzSummary puts the same outside value in every text field of a result
// and checks the summary: no HTML but its own <code> elements, no workflow
// command, no carriage return, and every table keeps its shape.
func FuzzSummary(f *testing.F) {
	addSummarySeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		r := injection()
		r.Message, r.Cluster, r.Environment, r.ImageTag = s, s, s, s
		r.Warnings = []string{s}
		r.SourceSkips[0].Reason = s
		r.Trigger.Name, r.Trigger.HeadBranch, r.Trigger.Conclusion = s, s, s
		sr := &r.Services[0]
		sr.Service, sr.Reason, sr.Message, sr.FromImageTag, sr.ToImageTag = s, s, s, s, s
		sr.Superseded, sr.CodeDeployID, sr.Deregistered = s, s, s
		sr.Events[0].Message, sr.StoppedReasons = s, []string{s}
		sr.Checks[0].Detail = s

		got := Summary(r)
		if !utf8.ValidString(got) {
			t.Fatalf("summary of %q is not valid UTF-8", s)
		}
		for _, bad := range []string{"::", "\r"} {
			if strings.Contains(got, bad) {
				t.Fatalf("summary of %q holds %q:\n%s", s, bad, got)
			}
		}
		if html := strings.NewReplacer("<code>", "", "</code>", "").Replace(got); strings.ContainsAny(html, "<>") {
			t.Fatalf("summary of %q holds HTML of its own:\n%s", s, got)
		}
		for _, table := range tables(got) {
			for _, row := range table[1:] {
				if pipes(row) != pipes(table[0]) {
					t.Fatalf("summary of %q: row %q does not fit table %q", s, row, table[0])
				}
			}
		}
	})
}
