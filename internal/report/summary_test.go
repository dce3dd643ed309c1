package report

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/rollback"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/target"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenDir holds the golden summaries, at the root of the module.
var goldenDir = filepath.Join("..", "..", "testdata", "summary")

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Summary(tc.result())
			path := filepath.Join(goldenDir, tc.name+".golden.md")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./internal/report/ -update to create it")
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Summary() mismatch with %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestSummaryInjection checks that no value from outside reaches the summary
// as Markdown, HTML or a workflow command.
func TestSummaryInjection(t *testing.T) {
	t.Parallel()
	got := Summary(injection())

	for _, raw := range []string{
		"<script>", "</script>", "[click]", "](http://", "http://evil", "| pipe |", "::set-output", "::", "`whoami`",
		"\nnext line", "\r", "javascript:", "[y](", "x)[",
	} {
		assert.NotContains(t, got, raw)
	}
	// The escaped forms are there: the values are shown, not dropped.
	for _, escaped := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"\\[click\\](http&#58;//evil)",
		"\\| pipe \\|",
		":&#58;set-output name=x:&#58;y",
		"\\`whoami\\` next line",
	} {
		assert.Contains(t, got, escaped)
	}
	// Every table keeps its shape: no value adds a cell.
	for _, table := range tables(got) {
		for _, row := range table[1:] {
			assert.Equal(t, pipes(table[0]), pipes(row), "row %q of table %q", row, table[0])
		}
	}
}

// tables returns the Markdown tables of s, each as its lines.
func tables(s string) [][]string {
	var out [][]string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "|") {
			cur = append(cur, line)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	return out
}

// pipes counts the cell separators of a table row: the pipes that are not
// backslash-escaped.
func pipes(row string) int {
	return strings.Count(row, "|") - strings.Count(row, `\|`)
}

func TestSummaryContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		result  rollback.Result
		want    []string
		notWant []string
	}{
		{
			name:   "dry run states the plan",
			result: planned(),
			want: []string{
				"## 📝 Rollback planned (dry run)",
				"**Plan:** would roll back web from 45 (abc1234) to 42 (def5678)",
				"**UpdateService sent:** no (dry run)",
				"| deployment controller is ECS | ⚠️ warn |",
				"| deregister the failed revision | ➖ skip |",
			},
			notWant: []string{"What to do next"},
		},
		{
			name:   "rolled back shows source, trigger and how",
			result: rolledBack(),
			want: []string{
				"## ✅ Rolled back",
				"revision 45 (<code>abc1234</code>) → revision 42 (<code>def5678</code>)",
				"**Target chosen by:** recorded task definition of the last successful deployment",
				"[run #123](https&#58;//github.com/octo-org/octo-repo/actions/runs/9001), commit <code>def5678</code>, recorded 2024-04-30T16:20:00Z",
				"[run 9007](",
				"[Deploy (run 9010)](https&#58;//github.com/octo-org/octo-repo/actions/runs/9010) concluded **failure**",
				"| wait | 95.11 |",
				"**UpdateService sent:** yes",
			},
			notWant: []string{"What to do next", "Sent to ECS"},
		},
		{
			name:   "refused check says what to do",
			result: failedSchemaDowngrade(),
			want: []string{
				"## ❌ Rollback failed",
				"**What to do next:**",
				"`allow-schema-downgrade: true`",
				"| schema version does not go down | ❌ fail |",
				"**Sent to ECS:** nothing.",
			},
		},
		{
			name:   "failed rollout lists the newest ten events and stopped tasks",
			result: failedRollout(),
			want: []string{
				"#### Recent service events (newest first)\n\n- 2024-05-01 10:02:20 UTC: (service web) deployment ecs-svc/111 failed tasks 12",
				"failed tasks 3: ",
				"- 3 older events not shown.",
				"#### Stopped tasks\n\n- 3 tasks: Essential container in task exited\n- Task failed ELB",
				"**Sent to ECS:** UpdateService was sent for web (to revision 42).",
			},
			notWant: []string{"failed tasks 2: ", "failed tasks 1: ", "has started 2 tasks"},
		},
		{
			name:   "several services: a row each and who was rolled back",
			result: multiPartial(),
			want: []string{
				"| Cluster | Services | Environment |",
				"Rolled back: web. Already current: worker. Not rolled back: api (wait-timeout; UpdateService sent).",
				"| api | ❌ failed | revision 12 (<code>abc1234</code>) | revision 10 (<code>def5678</code>) | wait-timeout |",
				"### Service worker\n\n- **Result:** ℹ️ already-current",
			},
		},
		{
			name:   "fallback target is said in words",
			result: withHow(rolledBack(), target.HowFallbackPrevious),
			want:   []string{"**Target chosen by:** fallback: previous revision"},
		},
		{
			name:   "manual target is said in words",
			result: withHow(rolledBack(), target.HowManualRevision),
			want:   []string{"**Target chosen by:** manual revision"},
		},
		{
			name:   "CodeDeploy deployment",
			result: withCodeDeploy(rolledBack(), "d-ABCDEF123"),
			want:   []string{"**CodeDeploy deployment:** <code>d-ABCDEF123</code>", "**UpdateService sent:** yes, through CodeDeploy"},
		},
		{
			name:   "cancelled before any change says nothing was sent",
			result: rollback.Result{Outcome: rollback.Failed, Reason: "cancelled", Message: "the run was cancelled while planning; nothing was changed", Services: []rollback.ServiceResult{{Service: "web"}}},
			want:   []string{"**What to do next:** The job was cancelled.", "**Sent to ECS:** nothing."},
		},
		{
			name:   "unknown reason gets the general next step",
			result: rollback.Result{Outcome: rollback.Failed, Reason: "something-new", Message: "boom"},
			want:   []string{"**What to do next:** " + string(defaultNextStep)},
		},
		{
			name:   "no message: a sentence from the services",
			result: rollback.Result{Outcome: rollback.RolledBack, Services: rolledBack().Services},
			want:   []string{"## ✅ Rolled back\n\nRolled back web from revision 45 (abc1234) to 42 (def5678).\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Summary(tc.result)
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			for _, nw := range tc.notWant {
				assert.NotContains(t, got, nw)
			}
		})
	}
}

func withHow(r rollback.Result, how target.How) rollback.Result {
	r.Services[0].How = how
	return r
}

func withCodeDeploy(r rollback.Result, id string) rollback.Result {
	r.Services[0].CodeDeployID = id
	return r
}

// TestSummaryViewIsEscaped keeps the summary's data escaped: every field
// renderSummary can print is an md, which only esc and this package's own
// text make, and its writer takes md only. A plain string field added to the
// view fails here.
func TestSummaryViewIsEscaped(t *testing.T) {
	t.Parallel()
	mdType := reflect.TypeFor[md]()
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(path+"[]", typ.Elem())
		case reflect.Struct:
			for f := range typ.Fields() {
				walk(path+"."+f.Name, f.Type)
			}
		default:
			if typ != mdType {
				t.Errorf("%s is a %s; the summary may print only md (escaped) values", path, typ)
			}
		}
	}
	walk("summaryView", reflect.TypeFor[summaryView]())
}

func TestCheckStatusesHaveIcons(t *testing.T) {
	t.Parallel()
	for _, s := range []safety.Status{safety.Pass, safety.Fail, safety.Warn, safety.Skip} {
		assert.Contains(t, checkIcons, s)
	}
}
