package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// AWSModel is one AWS service model in botocore's JSON form
// (data/<service>/<version>/service-2.json): its operations and shapes.
type AWSModel struct {
	// Service is the model's serviceId, e.g. "ECS".
	Service string
	// TargetPrefix is the X-Amz-Target prefix, e.g.
	// "AmazonEC2ContainerServiceV20141113".
	TargetPrefix string
	Operations   map[string]awsOperation
	Shapes       map[string]*awsShape
}

type awsOperation struct {
	Input  *awsRef   `json:"input"`
	Output *awsRef   `json:"output"`
	Errors []*awsRef `json:"errors"`
}

type awsRef struct {
	Shape string `json:"shape"`
}

type awsShape struct {
	Type      string             `json:"type"`
	Members   map[string]*awsRef `json:"members"`
	Required  []string           `json:"required"`
	Member    *awsRef            `json:"member"`
	Key       *awsRef            `json:"key"`
	Value     *awsRef            `json:"value"`
	Enum      []string           `json:"enum"`
	Min       *float64           `json:"min"`
	Max       *float64           `json:"max"`
	Pattern   string             `json:"pattern"`
	Document  bool               `json:"document"`
	Exception bool               `json:"exception"`

	pattern *regexp.Regexp // nil when absent or not expressible in RE2
}

// LoadAWSModel reads a botocore service model, gzipped (service-2.json.gz)
// or not.
func LoadAWSModel(path string) (*AWSModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open AWS model: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("read AWS model %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read AWS model %s: %w", path, err)
	}
	m, err := ParseAWSModel(raw)
	if err != nil {
		return nil, fmt.Errorf("parse AWS model %s: %w", path, err)
	}
	return m, nil
}

// ParseAWSModel parses a botocore service model.
func ParseAWSModel(raw []byte) (*AWSModel, error) {
	var doc struct {
		Metadata struct {
			ServiceID    string `json:"serviceId"`
			TargetPrefix string `json:"targetPrefix"`
		} `json:"metadata"`
		Operations map[string]awsOperation `json:"operations"`
		Shapes     map[string]*awsShape    `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Operations) == 0 || len(doc.Shapes) == 0 {
		return nil, fmt.Errorf("no operations or shapes")
	}
	for _, s := range doc.Shapes {
		if s.Pattern != "" {
			// Smithy patterns are ECMA 262; those RE2 cannot compile
			// (lookarounds) are left unchecked.
			s.pattern, _ = regexp.Compile(s.Pattern)
		}
	}
	return &AWSModel{Service: doc.Metadata.ServiceID, TargetPrefix: doc.Metadata.TargetPrefix, Operations: doc.Operations, Shapes: doc.Shapes}, nil
}

// HasOperation reports whether the model defines op.
func (m *AWSModel) HasOperation(op string) bool {
	_, ok := m.Operations[op]
	return ok
}

// CheckRequest checks an AWS JSON 1.1 request body for op against the
// operation's input shape: the operation exists, no unknown members,
// required members present, types, enums, lengths, ranges, list and map
// sizes, and patterns.
func (m *AWSModel) CheckRequest(op string, body []byte) []Violation {
	where := fmt.Sprintf("%s %s request", m.Service, op)
	o, ok := m.Operations[op]
	if !ok {
		return []Violation{{Where: where, Problem: fmt.Sprintf("%s has no operation %s", m.Service, op)}}
	}
	return m.checkBody(where, o.Input, body)
}

// CheckResponse checks an answer to op: a success (HTTP 200) against the
// output shape; an error against the error shape its "__type" names when
// the operation declares it (errors common to all AWS services, such as
// ThrottlingException, are not modelled per operation and only need a
// type and a message).
func (m *AWSModel) CheckResponse(op string, status int, body []byte) []Violation {
	o, ok := m.Operations[op]
	if !ok {
		return nil // CheckRequest names the unknown operation
	}
	if status == 200 {
		return m.checkBody(fmt.Sprintf("%s %s response", m.Service, op), o.Output, body)
	}
	where := fmt.Sprintf("%s %s error response (HTTP %d)", m.Service, op, status)
	var e map[string]any
	if err := decodeJSON(body, &e); err != nil {
		return []Violation{{Where: where, Problem: "body is not a JSON object: " + err.Error()}}
	}
	typ, _ := e["__type"].(string)
	if typ == "" {
		return []Violation{{Where: where, Path: "__type", Problem: "missing error type"}}
	}
	// "__type" may be qualified: "com.amazonaws.ecs#ClientException".
	if i := strings.LastIndexAny(typ, "#"); i >= 0 {
		typ = typ[i+1:]
	}
	declared := slices.ContainsFunc(o.Errors, func(r *awsRef) bool { return r.Shape == typ })
	if !declared {
		if _, ok := e["message"].(string); !ok {
			if _, ok := e["Message"].(string); !ok {
				return []Violation{{Where: where, Path: "message", Problem: "error " + typ + " has no message"}}
			}
		}
		return nil
	}
	delete(e, "__type")
	// Every AWS JSON error carries a message, modelled as a member or not.
	if _, ok := m.Shapes[typ].Members["message"]; !ok {
		delete(e, "message")
		delete(e, "Message")
	}
	var out []Violation
	m.checkValue(&out, where, "", typ, e)
	return out
}

func (m *AWSModel) checkBody(where string, ref *awsRef, body []byte) []Violation {
	var v any
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := decodeJSON(body, &v); err != nil {
		return []Violation{{Where: where, Problem: "body is not JSON: " + err.Error()}}
	}
	if ref == nil {
		// An operation without input or output takes or gives {}.
		if obj, ok := v.(map[string]any); !ok || len(obj) > 0 {
			return []Violation{{Where: where, Problem: "the operation has no members here, body is " + string(body)}}
		}
		return nil
	}
	var out []Violation
	m.checkValue(&out, where, "", ref.Shape, v)
	return out
}

// decodeJSON decodes keeping numbers as json.Number.
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

func (m *AWSModel) checkValue(out *[]Violation, where, path, shapeName string, v any) {
	add := func(format string, args ...any) {
		*out = append(*out, Violation{Where: where, Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	s, ok := m.Shapes[shapeName]
	if !ok {
		add("the model has no shape %s", shapeName)
		return
	}
	if s.Document {
		return
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			add("want an object (%s), got %s", shapeName, jsonKind(v))
			return
		}
		for _, name := range sortedKeys(obj) {
			mem, ok := s.Members[name]
			if !ok {
				*out = append(*out, Violation{Where: where, Path: joinPath(path, name), Problem: "unknown member (not in " + shapeName + ")"})
				continue
			}
			if obj[name] == nil {
				continue // null is absent in AWS JSON
			}
			m.checkValue(out, where, joinPath(path, name), mem.Shape, obj[name])
		}
		for _, name := range s.Required {
			if obj[name] == nil {
				*out = append(*out, Violation{Where: where, Path: joinPath(path, name), Problem: "required member missing (" + shapeName + ")"})
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			add("want a list (%s), got %s", shapeName, jsonKind(v))
			return
		}
		checkSize(add, s, len(arr), "items")
		for i, e := range arr {
			if e == nil {
				*out = append(*out, Violation{Where: where, Path: indexPath(path, i), Problem: "null list element"})
				continue
			}
			m.checkValue(out, where, indexPath(path, i), s.Member.Shape, e)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			add("want a map (%s), got %s", shapeName, jsonKind(v))
			return
		}
		checkSize(add, s, len(obj), "entries")
		for _, k := range sortedKeys(obj) {
			m.checkValue(out, where, keyPath(path, k), s.Key.Shape, k)
			if obj[k] == nil {
				*out = append(*out, Violation{Where: where, Path: keyPath(path, k), Problem: "null map value"})
				continue
			}
			m.checkValue(out, where, keyPath(path, k), s.Value.Shape, obj[k])
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			add("want a string (%s), got %s", shapeName, jsonKind(v))
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			add("%q is not one of %s (%s)", str, strings.Join(s.Enum, ", "), shapeName)
		}
		checkSize(add, s, utf8.RuneCountInString(str), "characters")
		if s.pattern != nil && !s.pattern.MatchString(str) {
			add("%q does not match the pattern %s (%s)", str, s.Pattern, shapeName)
		}
	case "blob":
		str, ok := v.(string)
		if !ok {
			add("want a base64 string (%s), got %s", shapeName, jsonKind(v))
			return
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			add("not base64: %v", err)
			return
		}
		checkSize(add, s, len(b), "bytes")
	case "boolean":
		if _, ok := v.(bool); !ok {
			add("want a boolean (%s), got %s", shapeName, jsonKind(v))
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			add("want an integer (%s), got %s", shapeName, jsonKind(v))
			return
		}
		i, err := n.Int64()
		if err != nil {
			add("want an integer (%s), got %s", shapeName, n)
			return
		}
		if s.Type == "integer" && (i < math.MinInt32 || i > math.MaxInt32) {
			add("%d does not fit a 32-bit integer (%s)", i, shapeName)
		}
		checkRange(add, s, float64(i))
	case "double", "float":
		n, ok := v.(json.Number)
		if !ok {
			add("want a number (%s), got %s", shapeName, jsonKind(v))
			return
		}
		f, err := n.Float64()
		if err != nil {
			add("want a number (%s), got %s", shapeName, n)
			return
		}
		checkRange(add, s, f)
	case "timestamp":
		// AWS JSON 1.1 writes timestamps as epoch seconds.
		if _, ok := v.(json.Number); !ok {
			add("want a timestamp in epoch seconds (%s), got %s", shapeName, jsonKind(v))
		}
	default:
		add("shape %s has type %s, which the check does not know", shapeName, s.Type)
	}
}

func checkSize(add func(string, ...any), s *awsShape, n int, unit string) {
	if s.Min != nil && float64(n) < *s.Min {
		add("%d %s, at least %v allowed", n, unit, *s.Min)
	}
	if s.Max != nil && float64(n) > *s.Max {
		add("%d %s, at most %v allowed", n, unit, *s.Max)
	}
}

func checkRange(add func(string, ...any), s *awsShape, f float64) {
	if s.Min != nil && f < *s.Min {
		add("%v is below the minimum %v", f, *s.Min)
	}
	if s.Max != nil && f > *s.Max {
		add("%v is above the maximum %v", f, *s.Max)
	}
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
