package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		items    []int
		n        int
		want     []int
		wantMore md
	}{
		{"none", nil, 2, nil, ""},
		{"below the cap", []int{1}, 2, []int{1}, ""},
		{"at the cap", []int{1, 2}, 2, []int{1, 2}, ""},
		{"one over", []int{1, 2, 3}, 2, []int{1, 2}, "1 older events not shown."},
		{"many over", []int{1, 2, 3, 4, 5}, 2, []int{1, 2}, "3 older events not shown."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, more := capped(tt.items, tt.n, "older events")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMore, more); diff != "" {
				t.Errorf("more (-want +got):\n%s", diff)
			}
		})
	}
}
