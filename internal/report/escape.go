package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEscaped is the length, in characters, beyond which Escape cuts a value
// and ends it with "…". It keeps one runaway value (a long event message, a
// crafted tag) from drowning the job summary.
const MaxEscaped = 300

// LogSafe makes a value from outside (an image tag, a name, a message) safe to
// print on one log line or in an annotation, where the runner reads workflow
// commands.
// See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
//
// Line breaks (CR, LF, NEL, U+2028, U+2029) and tabs become spaces, so a
// value can never start a line of its own; other control and invisible
// formatting characters (bidi overrides, zero-width characters) are dropped;
// and a zero-width space is put between any two adjacent colons, so that
// "::set-output name=x::y" or "::add-mask::" can never be read as a command.
// Invalid UTF-8 becomes U+FFFD.
func LogSafe(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	for _, r := range s {
		r, ok := cleanRune(r)
		if !ok {
			continue
		}
		if r == ':' && prev == ':' {
			b.WriteRune('\u200b')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// cleanRune maps line breaks and tabs to a space and reports false for the
// other control and formatting characters, which are dropped.
func cleanRune(r rune) (rune, bool) {
	switch {
	case r == '\n' || r == '\r' || r == '\t' || r == '\u0085' || r == '\u2028' || r == '\u2029':
		return ' ', true
	case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		return 0, false
	}
	return r, true
}

// markdownSpecials are backslash-escaped by Escape wherever they are: every
// ASCII character that can open a link or image, emphasis, a code span, a
// heading, a table cell, strikethrough or GitHub math. ( and ) are left
// alone: without [ and ] they make no link.
const markdownSpecials = "\\`*_{}[]#!|~$"

// Escape makes a value from outside safe to print anywhere in the Markdown job
// summary: in a paragraph, a list item, a heading, a table cell, inside an
// HTML <code> element, or as a link destination. It is the one escaping
// function of the summary.
// See https://spec.commonmark.org/0.31.2/#backslash-escapes and
// https://github.github.com/gfm/#autolinks-extension-
//
// It drops control and invisible formatting characters, turns line breaks
// into spaces, trims the result, cuts it to MaxEscaped characters, then
// writes & < > " ' as HTML entities and backslash-escapes the Markdown
// specials (see markdownSpecials). What could still start a block when the
// value begins a line or a list item is escaped too: a leading - or + (a
// list item or a rule) and the . or ) of a leading number (an ordered list).
// It breaks what would otherwise render as a link without any special
// character, "://" and "www." (GFM autolinks), and it never leaves two colons
// side by side, so the result is also free of workflow commands. Rendered,
// the text reads as the original.
func Escape(s string) string {
	return escapeMax(s, MaxEscaped)
}

// MaxMessage is the length, in characters, beyond which the run's own
// message (the summary's first paragraph) is cut: it is longer than one
// value, as when it lists every invalid input, but still bounded.
const MaxMessage = 3000

// escapeMax is Escape, cutting at maxLen characters.
func escapeMax(s string, maxLen int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	rs := make([]rune, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		if r, ok := cleanRune(r); ok {
			rs = append(rs, r)
		}
	}
	rs = []rune(strings.TrimSpace(string(rs)))
	if len(rs) > maxLen {
		rs = append(rs[:maxLen-1], '…')
	}

	var b strings.Builder
	b.Grow(len(rs) + len(rs)/4)
	for i, r := range rs {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == ':' && (i > 0 && rs[i-1] == ':' || hasPrefix(rs[i+1:], "//")):
			b.WriteString("&#58;")
		case r == '.' && i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www"):
			b.WriteString("&#46;")
		case strings.ContainsRune(markdownSpecials, r),
			i == 0 && (r == '-' || r == '+'),
			(r == '.' || r == ')') && i > 0 && allDigits(rs[:i]):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasPrefix(rs []rune, prefix string) bool {
	return strings.HasPrefix(string(rs[:min(len(rs), len(prefix))]), prefix)
}

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
