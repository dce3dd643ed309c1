package e2e

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The README is the users' reference: its tables of inputs and outputs, its
// list of reasons and its permissions must say what action.yml and the code
// say, and each of them once.

// readmeSection returns the body of the README's "## heading" section, up
// to the next second-level heading.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(raw), "\n## "+heading+"\n")
	require.True(t, ok, "README.md has no %q section", "## "+heading)
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// mdRow is one body row of a Markdown table: the first cell with its code
// span's backticks removed, and every cell as written.
type mdRow struct {
	name  string
	cells []string
}

// firstTable reads the first Markdown table of section: a header row, a
// separator row, then body rows, each cell trimmed.
func firstTable(t *testing.T, section, what string) []mdRow {
	t.Helper()
	var rows []mdRow
	started := false
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if started {
				break
			}
			continue
		}
		started = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, mdRow{name: strings.Trim(cells[0], "`"), cells: cells})
	}
	require.GreaterOrEqual(t, len(rows), 3, "the README's %s table: a header, a separator and at least one row", what)
	require.Regexp(t, `^-+$`, rows[1].cells[0], "the README's %s table: the second row separates the header", what)
	return rows[2:]
}

// actionYML is the part of action.yml these tests compare.
type actionYML struct {
	Inputs map[string]struct {
		Required bool    `yaml:"required"`
		Default  *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
}

func readActionYML(t *testing.T) actionYML {
	t.Helper()
	raw, err := os.ReadFile("action.yml")
	require.NoError(t, err)
	var doc actionYML
	require.NoError(t, yaml.Unmarshal(raw, &doc), "action.yml")
	require.NotEmpty(t, doc.Inputs, "action.yml declares inputs")
	require.NotEmpty(t, doc.Outputs, "action.yml declares outputs")
	return doc
}

// compareNames reports every name of want missing from the README's table,
// every name of the table missing from want, and every name listed twice.
func compareNames(t *testing.T, what string, want []string, rows []mdRow) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.name]++
	}
	for _, name := range want {
		if seen[name] == 0 {
			t.Errorf("the README's %s table lacks %q, which action.yml declares", what, name)
		}
	}
	for _, r := range rows {
		if !slices.Contains(want, r.name) {
			t.Errorf("the README's %s table lists %q, which action.yml does not declare", what, r.name)
		}
		if seen[r.name] > 1 {
			t.Errorf("the README's %s table lists %q %d times", what, r.name, seen[r.name])
			seen[r.name] = 1
		}
	}
}

// TestReadmeInputsMatchActionYml: the README's Inputs table has one row per
// input of action.yml and no other, and each row's default is action.yml's.
// A non-empty default is written as that value in a code span; an empty or
// absent one as words ("empty", "required", or how it is worked out), never
// as a value in a code span.
func TestReadmeInputsMatchActionYml(t *testing.T) {
	t.Parallel()
	action := readActionYML(t)
	rows := firstTable(t, readmeSection(t, "Inputs"), "Inputs")
	compareNames(t, "Inputs", slices.Sorted(maps.Keys(action.Inputs)), rows)

	for _, r := range rows {
		in, ok := action.Inputs[r.name]
		if !ok {
			continue // reported by compareNames
		}
		if !assert.GreaterOrEqual(t, len(r.cells), 3, "input %q: the row has a name, a default and a meaning", r.name) {
			continue
		}
		got, def := r.cells[1], ""
		if in.Default != nil {
			def = *in.Default
		}
		switch {
		case def != "":
			assert.Equal(t, "`"+def+"`", got, "input %q: the README's default is not action.yml's %q", r.name, def)
		case in.Required:
			assert.Equal(t, "required", got, "input %q: action.yml says it is required", r.name)
		default:
			assert.NotContains(t, got, "`", "input %q: action.yml gives no default, but the README's default is %s", r.name, got)
			assert.NotEmpty(t, got, "input %q: the README's default is blank; write \"empty\" or how it is worked out", r.name)
		}
	}
}

// TestReadmeOutputsMatchActionYml: the README's Outputs table has one row per
// output of action.yml and no other.
func TestReadmeOutputsMatchActionYml(t *testing.T) {
	t.Parallel()
	action := readActionYML(t)
	rows := firstTable(t, readmeSection(t, "Outputs"), "Outputs")
	compareNames(t, "Outputs", slices.Sorted(maps.Keys(action.Outputs)), rows)
	for _, r := range rows {
		if len(r.cells) < 2 || r.cells[1] == "" {
			t.Errorf("output %q: the README's row says nothing about its value", r.name)
		}
	}
}

// reasonConstRE is a Go constant whose name starts with Reason and whose
// value is a kebab-case word: a value of the reason output.
var reasonConstRE = regexp.MustCompile(`(?m)^\s*(?:const\s+)?Reason\w*(?:\s+[\w.]+)?\s*=\s*"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"`)

// kebabConstRE is any constant with a kebab-case value, for the package that
// holds only reasons.
var kebabConstRE = regexp.MustCompile(`(?m)^\s*(?:const\s+)?[A-Z]\w*(?:\s+[\w.]+)?\s*=\s*"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"`)

// unlistedReasons are reason constants the binary cannot write, with why.
var unlistedReasons = map[string]string{
	"missing-workflow-run": "a workflow_run payload without a workflow_run object is refused when the event is read (invalid-event)",
}

// codeReasons collects the reason values declared in the code under
// internal/ (the simulators aside), with the file declaring each.
func codeReasons(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	err := filepath.WalkDir("internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == filepath.Join("internal", "sim") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		re := reasonConstRE
		if filepath.Base(filepath.Dir(path)) == "reason" {
			re = kebabConstRE
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			found[m[1]] = path
		}
		return nil
	})
	require.NoError(t, err)
	return found
}

// TestReadmeListsEveryReason: every reason the code can write to the reason
// output (the action's and the CLI's) is in the README's Outputs section, and
// the list names no reason the code does not have.
func TestReadmeListsEveryReason(t *testing.T) {
	t.Parallel()
	reasons := codeReasons(t)
	// The code has about thirty; far fewer means the constants were renamed
	// and this test no longer sees them.
	require.GreaterOrEqual(t, len(reasons), 20, "reason constants found under internal/: %v", slices.Sorted(maps.Keys(reasons)))

	outputs := readmeSection(t, "Outputs")
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		if why, ok := unlistedReasons[r]; ok {
			t.Logf("reason %q is not listed: %s", r, why)
			continue
		}
		if !strings.Contains(outputs, "`"+r+"`") {
			t.Errorf("reason %q (declared in %s) is missing from the README's Outputs section", r, reasons[r])
		}
	}

	_, list, ok := strings.Cut(outputs, "**Reasons.**")
	require.True(t, ok, "the Outputs section has a **Reasons.** paragraph")
	list, _, _ = strings.Cut(list, "\n\n")
	spans := regexp.MustCompile("`([a-z][a-z0-9]*(?:-[a-z0-9]+)*)`").FindAllStringSubmatch(list, -1)
	require.NotEmpty(t, spans)
	// Words of the list that are not reasons: the command record-failed
	// belongs to, and the outputs (services) a reason is written to.
	notReasons := readActionYML(t).Outputs
	for _, m := range spans {
		if _, ok := notReasons[m[1]]; ok || m[1] == "record" {
			continue
		}
		if _, known := reasons[m[1]]; !known {
			t.Errorf("the README lists reason %q, which the code does not declare", m[1])
		}
	}
}

// TestReadmePermissionsPolicy: the IAM policy is valid JSON, grants what every
// rollback calls, and is given once.
func TestReadmePermissionsPolicy(t *testing.T) {
	t.Parallel()
	section := readmeSection(t, "Permissions")
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(section, -1)
	require.Len(t, blocks, 1, "the Permissions section holds one IAM policy")
	var policy struct {
		Version   string
		Statement []struct {
			Effect string
			Action any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(blocks[0][1]), &policy), "the IAM policy is JSON")
	assert.Equal(t, "2012-10-17", policy.Version)
	var actions []string
	for _, s := range policy.Statement {
		assert.Equal(t, "Allow", s.Effect)
		switch a := s.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, v := range a {
				actions = append(actions, v.(string))
			}
		}
	}
	for _, want := range []string{"ecs:DescribeServices", "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition", "ecs:UpdateService", "iam:PassRole"} {
		assert.Contains(t, actions, want)
	}

	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(raw), `"ecs:UpdateService"`), "the IAM policy is given once")
	assert.Equal(t, 1, strings.Count(string(raw), "uses: actions/upload-artifact@"), "the record snippet is given once")
}
