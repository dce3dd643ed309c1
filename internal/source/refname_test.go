package source

import "testing"

func TestValidRefName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"main": true, "v1.2.0": true, "release/2": true, "feature/a-b_c": true,
		"": false, "a//b": false, "a..b": false, "a b": false, "a:b": false, "x.lock": false,
		"dir/.hidden": false, "end/": false, "end.": false, "a@{1}": false, "tab\tx": false,
		"main<script>alert(1)</script> [x](http://evil)": false,
	} {
		if got := validRefName(name); got != want {
			t.Errorf("validRefName(%q) = %v, want %v", name, got, want)
		}
	}
}
