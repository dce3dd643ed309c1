package imageref

import (
	"strings"
	"testing"
)

func TestValidTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tag string
		ok  bool
	}{
		{"abc1234", true},
		{"v1.2.3", true},
		{"_build-7", true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{"", false},
		{".hidden", false},
		{"-dash", false},
		{"with space", false},
		{"a:b", false},
		{"a/b", false},
		{"sha256:" + hex64, false},
	}
	for _, tt := range tests {
		if err := ValidTag(tt.tag); (err == nil) != tt.ok {
			t.Errorf("ValidTag(%q) = %v, want ok=%v", tt.tag, err, tt.ok)
		}
	}
}
