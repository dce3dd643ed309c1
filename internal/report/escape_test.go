package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
)

func TestLogSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "rolled back web to revision 42 (def5678)", "rolled back web to revision 42 (def5678)"},
		{"empty", "", ""},
		{"single colons stay", "arn:aws:ecs:eu-west-1:1:task-definition/web:42", "arn:aws:ecs:eu-west-1:1:task-definition/web:42"},
		{"set-output", "::set-output name=x::y", ":\u200b:set-output name=x:\u200b:y"},
		{"add-mask", "::add-mask::secret", ":\u200b:add-mask:\u200b:secret"},
		{"three colons", ":::", ":\u200b:\u200b:"},
		{"LF", "a\nb", "a b"},
		{"CRLF is one break", "a\r\nb", "a b"},
		{"CR", "a\rb", "a b"},
		{"command on a new line", "ok\n::error::boom", "ok :\u200b:error:\u200b:boom"},
		{"tab", "a\tb", "a b"},
		{"NEL and Unicode line breaks", "a\u0085b\u2028c\u2029d", "a b c d"},
		{"escape sequences dropped", "a\x00\x1b[31mb\x7f", "a[31mb"},
		{"bidi override dropped", "tag\u202egnp.exe", "taggnp.exe"},
		{"zero-width space cannot rejoin colons", ":\u200b:", ":\u200b:"},
		{"zero-width joiner between colons", "::\u200d:", ":\u200b:\u200b:"},
		{"percent is left to the runtime", "%0A::x", "%0A:\u200b:x"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"markdown is left alone", "<b>[x](y)</b> `z`", "<b>[x](y)</b> `z`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, LogSafe(tc.in)); diff != "" {
				t.Errorf("LogSafe(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "abc1234", "abc1234"},
		{"empty", "", ""},
		{"hyphens inside", "prod-cluster web-api", "prod-cluster web-api"},
		{"parentheses", "would roll back web from 45 (abc1234) to 42 (def5678)", "would roll back web from 45 (abc1234) to 42 (def5678)"},
		{"ARN", "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42", "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42"},
		{"HTML", `<script>alert(1)</script>`, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"entities", `a & b "q" 'x'`, "a &amp; b &quot;q&quot; &#39;x&#39;"},
		{"entity stays text", "&lt;", "&amp;lt;"},
		{"link", "[click](http://evil)", `\[click\](http&#58;//evil)`},
		{"image", "![x](y)", `\!\[x\](y)`},
		{"reference", "[x]: http://evil", `\[x\]: http&#58;//evil`},
		{"autolink URL", "see https://evil.example.com/x", "see https&#58;//evil.example.com/x"},
		{"autolink www", "WWW.evil.com", "WWW&#46;evil.com"},
		{"angle autolink", "<http://evil>", "&lt;http&#58;//evil&gt;"},
		{"table pipe", "| pipe |", `\| pipe \|`},
		{"code span", "`whoami`", "\\`whoami\\`"},
		{"emphasis", "*a* _b_ **c** __d__", `\*a\* \_b\_ \*\*c\*\* \_\_d\_\_`},
		{"strikethrough", "~~x~~", `\~\~x\~\~`},
		{"heading", "# title", `\# title`},
		{"math", "$x^2$", `\$x^2\$`},
		{"braces", "{{.Secret}}", `\{\{.Secret\}\}`},
		{"backslash", `a\b`, `a\\b`},
		{"backslash before pipe", `a\|b`, `a\\\|b`},
		{"leading list marker", "- item", `\- item`},
		{"leading plus", "+ item", `\+ item`},
		{"leading rule", "---", `\---`},
		{"leading ordered list", "1. first", `1\. first`},
		{"leading ordered list paren", "12) first", `12\) first`},
		{"version is not a list", "v1.2.3", "v1.2.3"},
		{"number then text", "42 is the target.", "42 is the target."},
		{"workflow command", "::set-output name=x::y", ":&#58;set-output name=x:&#58;y"},
		{"newlines", "a\nb\r\nc\rd", "a b c d"},
		{"new block via newline", "x\n\n# h\n---", `x  \# h ---`},
		{"trimmed", "  padded \n", "padded"},
		{"control chars", "a\x00b\x1b[0mc", `ab\[0mc`},
		{"bidi override", "a\u202eb", "ab"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"long", strings.Repeat("a", MaxEscaped+100), strings.Repeat("a", MaxEscaped-1) + "…"},
		{"exactly the limit", strings.Repeat("a", MaxEscaped), strings.Repeat("a", MaxEscaped)},
		{"cut before escaping", strings.Repeat("a", MaxEscaped-1) + "<<<", strings.Repeat("a", MaxEscaped-1) + "…"},
		{"unicode", "déploiement ✅", "déploiement ✅"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Escape(tc.in)); diff != "" {
				t.Errorf("Escape(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestEscapeInvariants checks what every escaped value must be, whatever the
// input: one line, no raw HTML, no workflow command, bounded.
func TestEscapeInvariants(t *testing.T) {
	t.Parallel()
	inputs := []string{
		evil,
		strings.Repeat("::", 400),
		strings.Repeat("<a href=x>", 100),
		"\n\n\r\r\t\x00\u2028",
		"a:\u200b:b",
		"http://a.b https://c.d www.e.f",
	}
	for _, in := range inputs {
		got := Escape(in)
		assert.NotContains(t, got, "\n")
		assert.NotContains(t, got, "\r")
		assert.NotContains(t, got, "::")
		assert.NotContains(t, got, "<")
		assert.NotContains(t, got, ">")
		assert.NotContains(t, got, "://")
		assert.True(t, utf8.ValidString(got))
		// Each input character becomes at most 6 ("&quot;").
		assert.LessOrEqual(t, utf8.RuneCountInString(got), 6*MaxEscaped)

		logged := LogSafe(in)
		assert.NotContains(t, logged, "\n")
		assert.NotContains(t, logged, "\r")
		assert.NotContains(t, logged, "::")
	}
}
