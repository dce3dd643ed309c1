package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// OpenAPI is an OpenAPI description (3.0 or 3.1), such as GitHub's REST
// API description or its webhook schemas. Paths and components are decoded
// lazily, when a check first needs them, so a large description costs one
// scan. Its methods are safe for concurrent use.
type OpenAPI struct {
	paths      map[string]json.RawMessage
	webhooks   map[string]json.RawMessage
	components map[string]map[string]json.RawMessage
	templates  [][]string // the path templates, split on "/"

	mu      sync.Mutex
	decoded map[string]any // "paths/<template>", "webhooks/<name>", "<kind>/<name>" → decoded JSON
	regexps map[string]*regexp.Regexp
}

// LoadOpenAPI reads an OpenAPI description in JSON.
func LoadOpenAPI(path string) (*OpenAPI, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI description: %w", err)
	}
	d, err := ParseOpenAPI(raw)
	if err != nil {
		return nil, fmt.Errorf("parse OpenAPI description %s: %w", path, err)
	}
	return d, nil
}

// ParseOpenAPI parses an OpenAPI description in JSON.
func ParseOpenAPI(raw []byte) (*OpenAPI, error) {
	var doc struct {
		Paths      map[string]json.RawMessage            `json:"paths"`
		Webhooks   map[string]json.RawMessage            `json:"webhooks"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Paths) == 0 && len(doc.Webhooks) == 0 {
		return nil, fmt.Errorf("no paths and no webhooks")
	}
	d := &OpenAPI{paths: doc.Paths, webhooks: doc.Webhooks, components: doc.Components, decoded: map[string]any{}, regexps: map[string]*regexp.Regexp{}}
	for p := range doc.Paths {
		d.templates = append(d.templates, strings.Split(strings.Trim(p, "/"), "/"))
	}
	return d, nil
}

// get decodes one raw value once.
func (d *OpenAPI) get(key string, raw json.RawMessage) any {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.decoded[key]; ok {
		return v
	}
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		v = nil
	}
	d.decoded[key] = v
	return v
}

// resolve follows a local $ref ("#/components/<kind>/<name>[/more]").
func (d *OpenAPI) resolve(ref string) (any, bool) {
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if len(parts) < 3 || parts[0] != "components" {
		return nil, false
	}
	raw, ok := d.components[parts[1]][unescapePointer(parts[2])]
	if !ok {
		return nil, false
	}
	v := d.get(parts[1]+"/"+parts[2], raw)
	for _, p := range parts[3:] {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = obj[unescapePointer(p)]
	}
	return v, v != nil
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// deref follows $ref until it reaches a value without one.
func (d *OpenAPI) deref(v any) any {
	for range 32 {
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := obj["$ref"].(string)
		if !ok {
			return v
		}
		r, ok := d.resolve(ref)
		if !ok {
			return nil
		}
		v = r
	}
	return nil
}

// slashParams are the path parameters whose values GitHub documents as
// holding slashes: a Git reference (heads/main, tags/v1.2.0) and a file path.
var slashParams = map[string]bool{"{ref}": true, "{path}": true}

// match finds the path template for a request path (without the API
// prefix), preferring literal segments over parameters, and returns the
// template and its path parameters.
func (d *OpenAPI) match(path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := -1, -1
	var bestParams map[string]string
	for i, tpl := range d.templates {
		segs := segs
		if len(tpl) < len(segs) && len(tpl) > 0 && slashParams[tpl[len(tpl)-1]] {
			// A trailing {ref} or {path} holds slashes, which GitHub's own
			// clients send unescaped (go-github, octokit).
			last := strings.Join(segs[len(tpl)-1:], "/")
			segs = append(slices.Clone(segs[:len(tpl)-1]), last)
		}
		if len(tpl) != len(segs) {
			continue
		}
		score, params := 0, map[string]string{}
		ok := true
		for j, t := range tpl {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				if segs[j] == "" {
					ok = false
					break
				}
				v, err := url.PathUnescape(segs[j])
				if err != nil {
					ok = false
					break
				}
				params[t[1:len(t)-1]] = v
				continue
			}
			if t != segs[j] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestScore, bestParams = i, score, params
		}
	}
	if best < 0 {
		return "", nil
	}
	return "/" + strings.Join(d.templates[best], "/"), bestParams
}

// operation returns the path item and the operation of a request.
func (d *OpenAPI) operation(method, path string) (tpl string, params map[string]string, item, op map[string]any, v *Violation) {
	tpl, params = d.match(path)
	where := method + " " + path
	if tpl == "" {
		return "", nil, nil, nil, &Violation{Where: where, Problem: "no such path in the API description"}
	}
	item, _ = d.get("paths/"+tpl, d.paths[tpl]).(map[string]any)
	op, _ = item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return tpl, params, item, nil, &Violation{Where: method + " " + tpl, Problem: "method not defined for this path"}
	}
	return tpl, params, item, op, nil
}

// parameters lists the parameters of an operation, the path item's
// included, resolved.
func (d *OpenAPI) parameters(item, op map[string]any) []map[string]any {
	var out []map[string]any
	for _, src := range []map[string]any{item, op} {
		list, _ := src["parameters"].([]any)
		for _, p := range list {
			if pm, ok := d.deref(p).(map[string]any); ok {
				out = append(out, pm)
			}
		}
	}
	return out
}

// CheckRequest checks a request: method and path template exist, path
// parameters and query parameters are declared and have valid values,
// required query parameters are present. path is the URL path without the
// API prefix (e.g. /repos/o/r/actions/runs/1), rawQuery the raw query.
func (d *OpenAPI) CheckRequest(method, path, rawQuery string) []Violation {
	tpl, pathParams, item, op, v := d.operation(method, path)
	if v != nil {
		return []Violation{*v}
	}
	where := method + " " + tpl + " request"
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return []Violation{{Where: where, Path: "query", Problem: "unparsable query: " + err.Error()}}
	}
	var out []Violation
	declared := map[string]bool{}
	for _, p := range d.parameters(item, op) {
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		required, _ := p["required"].(bool)
		schema := p["schema"]
		switch in {
		case "path":
			if val, ok := pathParams[name]; ok {
				d.checkParam(&out, where, "path."+name, val, schema)
			}
		case "query":
			declared[name] = true
			vals, ok := query[name]
			if !ok {
				if required {
					out = append(out, Violation{Where: where, Path: "query." + name, Problem: "required query parameter missing"})
				}
				continue
			}
			for _, val := range vals {
				d.checkParam(&out, where, "query."+name, val, schema)
			}
		}
	}
	for _, name := range sortedKeys(query) {
		if !declared[name] {
			out = append(out, Violation{Where: where, Path: "query." + name, Problem: "query parameter not declared for this operation"})
		}
	}
	return out
}

// checkParam checks a parameter's text against its schema, reading it as
// the schema's type.
func (d *OpenAPI) checkParam(out *[]Violation, where, path, raw string, schema any) {
	s, _ := d.deref(schema).(map[string]any)
	for _, key := range []string{"oneOf", "anyOf"} {
		if alts, ok := s[key].([]any); ok {
			var best []Violation
			for i, alt := range alts {
				var vs []Violation
				d.checkParam(&vs, where, path, raw, alt)
				if len(vs) == 0 {
					return
				}
				if i == 0 || len(vs) < len(best) {
					best = vs
				}
			}
			*out = append(*out, best...)
			return
		}
	}
	var v any = raw
	switch typeOf(s) {
	case "integer", "number":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			*out = append(*out, Violation{Where: where, Path: path, Problem: fmt.Sprintf("%q is not a number", raw)})
			return
		}
		v = json.Number(raw)
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			*out = append(*out, Violation{Where: where, Path: path, Problem: fmt.Sprintf("%q is not true or false", raw)})
			return
		}
		v = b
	}
	d.check(out, where, path, s, v, false)
}

// typeOf is a schema's single non-null type, "" when none or several.
func typeOf(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		var only string
		for _, e := range t {
			if e == "null" {
				continue
			}
			if only != "" {
				return ""
			}
			only, _ = e.(string)
		}
		return only
	}
	return ""
}

// CheckResponse checks an answer: its status is declared for the operation
// (any error status may also answer GitHub's basic-error), a JSON body
// matches the declared schema, members the schema does not declare
// included, and declared headers such as Location are present.
func (d *OpenAPI) CheckResponse(method, path string, status int, header http.Header, body []byte) []Violation {
	tpl, _, _, op, v := d.operation(method, path)
	if v != nil {
		return nil // CheckRequest reports it
	}
	where := fmt.Sprintf("%s %s %d response", method, tpl, status)
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)]
	if !ok {
		resp, ok = responses[fmt.Sprintf("%dXX", status/100)]
	}
	if !ok {
		resp, ok = responses["default"]
	}
	var schema any
	if ok {
		r, _ := d.deref(resp).(map[string]any)
		for name, h := range asMap(r["headers"]) {
			hm, _ := d.deref(h).(map[string]any)
			if req, _ := hm["required"].(bool); (req || strings.EqualFold(name, "Location")) && header.Get(name) == "" {
				return []Violation{{Where: where, Path: "header." + name, Problem: "declared header missing"}}
			}
		}
		content := asMap(r["content"])
		if len(content) == 0 {
			return nil
		}
		schema = asMap(content["application/json"])["schema"]
		if schema == nil {
			return nil
		}
	} else {
		if status < 400 {
			return []Violation{{Where: where, Problem: "status not declared for this operation"}}
		}
		// GitHub answers any error (401, 403 rate limits, 5xx) with its
		// basic-error object, declared or not.
		schema = map[string]any{"$ref": "#/components/schemas/basic-error"}
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return []Violation{{Where: where, Path: "header.Content-Type", Problem: fmt.Sprintf("%q, want application/json", ct)}}
	}
	var val any
	if err := decodeJSON(body, &val); err != nil {
		return []Violation{{Where: where, Problem: "body is not JSON: " + err.Error()}}
	}
	var out []Violation
	d.check(&out, where, "", schema, val, true)
	return out
}

// CheckWebhook checks a webhook payload (the file GITHUB_EVENT_PATH names)
// of event (e.g. "workflow_run") against the webhook schema of its action
// ("workflow-run-completed"), or of the event when it has no actions
// ("push"). Members the schema does not declare are allowed: GitHub adds
// members to payloads before it documents them.
func (d *OpenAPI) CheckWebhook(event string, payload []byte) []Violation {
	var val any
	if err := decodeJSON(payload, &val); err != nil {
		return []Violation{{Where: event + " payload", Problem: "not JSON: " + err.Error()}}
	}
	name := strings.ReplaceAll(event, "_", "-")
	if action, ok := asMap(val)["action"].(string); ok {
		if _, ok := d.webhooks[name+"-"+strings.ReplaceAll(action, "_", "-")]; ok {
			name += "-" + strings.ReplaceAll(action, "_", "-")
		}
	}
	raw, ok := d.webhooks[name]
	if !ok {
		return []Violation{{Where: event + " payload", Problem: "no webhook " + name + " in the description"}}
	}
	hook := asMap(d.get("webhooks/"+name, raw))
	body := asMap(d.deref(asMap(hook["post"])["requestBody"]))
	schema := asMap(asMap(body["content"])["application/json"])["schema"]
	var out []Violation
	d.check(&out, "webhook "+name+" payload", "", schema, val, false)
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// check validates v against a JSON Schema (the subset OpenAPI uses: $ref,
// allOf, anyOf, oneOf, type, nullable, enum, const, properties, required,
// additionalProperties, items, sizes, ranges, pattern, date-time and uri
// formats). strict flags object members the schema does not declare.
func (d *OpenAPI) check(out *[]Violation, where, path string, schema, v any, strict bool) {
	add := func(format string, args ...any) {
		*out = append(*out, Violation{Where: where, Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	s, ok := d.deref(schema).(map[string]any)
	if !ok {
		if schema != nil {
			if ref, ok := asMap(schema)["$ref"].(string); ok {
				add("unresolvable $ref %s", ref)
			}
		}
		return
	}
	if v == nil {
		if nullable(s) {
			return
		}
		if _, typed := s["type"]; typed {
			add("null is not allowed")
			return
		}
	}
	for _, sub := range asList(s["allOf"]) {
		d.check(out, where, path, sub, v, false)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts := asList(s[key])
		if len(alts) == 0 {
			continue
		}
		var best []Violation
		matched := false
		for i, alt := range alts {
			var vs []Violation
			d.check(&vs, where, path, alt, v, strict)
			if len(vs) == 0 {
				matched = true
				break
			}
			if i == 0 || len(vs) < len(best) {
				best = vs
			}
		}
		if !matched {
			if len(alts) > 1 {
				add("matches none of the %d alternatives (%s); the closest fails with:", len(alts), key)
			}
			*out = append(*out, best...)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !inEnum(enum, v) {
		add("%s is not one of %s", jsonKind(v), enumText(enum))
	}
	if c, ok := s["const"]; ok && !inEnum([]any{c}, v) {
		add("%s is not %s", jsonKind(v), enumText([]any{c}))
	}
	if v == nil {
		return
	}
	if !typeMatches(s, v) {
		add("want %s, got %s", typeText(s), jsonKind(v))
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props := asMap(s["properties"])
		for _, name := range sortedKeys(v) {
			p, ok := props[name]
			if !ok {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if !ap {
						*out = append(*out, Violation{Where: where, Path: joinPath(path, name), Problem: "member not in the schema (additionalProperties: false)"})
					}
				case map[string]any:
					d.check(out, where, joinPath(path, name), ap, v[name], strict)
				case nil:
					if strict && (len(props) > 0 || len(asList(s["allOf"])) > 0) && !d.declares(s, name) {
						*out = append(*out, Violation{Where: where, Path: joinPath(path, name), Problem: "member not in the schema"})
					}
				}
				continue
			}
			d.check(out, where, joinPath(path, name), p, v[name], strict)
		}
		for _, r := range asList(s["required"]) {
			if name, _ := r.(string); name != "" {
				if _, ok := v[name]; !ok {
					*out = append(*out, Violation{Where: where, Path: joinPath(path, name), Problem: "required member missing"})
				}
			}
		}
	case []any:
		sizeCheck(add, s, "minItems", "maxItems", len(v), "items")
		if items, ok := s["items"]; ok {
			for i, e := range v {
				d.check(out, where, indexPath(path, i), items, e, strict)
			}
		}
	case string:
		sizeCheck(add, s, "minLength", "maxLength", len([]rune(v)), "characters")
		if p, ok := s["pattern"].(string); ok {
			if re := d.regexp(p); re != nil && !re.MatchString(v) {
				add("%q does not match the pattern %s", v, p)
			}
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				add("%q is not an RFC 3339 date-time", v)
			}
		case "uri":
			if u, err := url.Parse(v); err != nil || u.Scheme == "" {
				add("%q is not an absolute URI", v)
			}
		}
	case json.Number:
		f, _ := v.Float64()
		if typeOf(s) == "integer" {
			if _, err := v.Int64(); err != nil {
				add("%s is not an integer", v)
			}
		}
		if m, ok := s["minimum"].(json.Number); ok {
			if lo, _ := m.Float64(); f < lo {
				add("%s is below the minimum %s", v, m)
			}
		}
		if m, ok := s["maximum"].(json.Number); ok {
			if hi, _ := m.Float64(); f > hi {
				add("%s is above the maximum %s", v, m)
			}
		}
	}
}

// declares reports whether an object schema, through allOf, declares a
// member.
func (d *OpenAPI) declares(schema any, name string) bool {
	s := asMap(d.deref(schema))
	if _, ok := asMap(s["properties"])[name]; ok {
		return true
	}
	for _, sub := range asList(s["allOf"]) {
		if d.declares(sub, name) {
			return true
		}
	}
	return false
}

func (d *OpenAPI) regexp(p string) *regexp.Regexp {
	d.mu.Lock()
	defer d.mu.Unlock()
	re, ok := d.regexps[p]
	if !ok {
		re, _ = regexp.Compile(p) // ECMA patterns RE2 cannot read stay unchecked
		d.regexps[p] = re
	}
	return re
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func nullable(s map[string]any) bool {
	if n, _ := s["nullable"].(bool); n {
		return true
	}
	for _, t := range asList(s["type"]) {
		if t == "null" {
			return true
		}
	}
	if s["type"] == "null" {
		return true
	}
	for _, e := range asList(s["enum"]) {
		if e == nil {
			return true
		}
	}
	return false
}

func typeMatches(s map[string]any, v any) bool {
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			if str, ok := e.(string); ok {
				types = append(types, str)
			}
		}
	default:
		return true
	}
	for _, t := range types {
		switch t {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "integer":
			if n, ok := v.(json.Number); ok {
				if _, err := n.Int64(); err == nil {
					return true
				}
			}
		case "number":
			if _, ok := v.(json.Number); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "null":
			if v == nil {
				return true
			}
		}
	}
	return false
}

func typeText(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, " or ")
	}
	return "any"
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		switch e := e.(type) {
		case nil:
			if v == nil {
				return true
			}
		case json.Number:
			if n, ok := v.(json.Number); ok {
				a, _ := e.Float64()
				b, _ := n.Float64()
				if a == b {
					return true
				}
			}
		default:
			if e == v {
				return true
			}
		}
	}
	return false
}

func enumText(enum []any) string {
	parts := make([]string, 0, len(enum))
	for _, e := range enum {
		b, _ := json.Marshal(e)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, ", ")
}

func sizeCheck(add func(string, ...any), s map[string]any, minKey, maxKey string, n int, unit string) {
	if m, ok := s[minKey].(json.Number); ok {
		if lo, _ := m.Int64(); int64(n) < lo {
			add("%d %s, at least %s allowed", n, unit, m)
		}
	}
	if m, ok := s[maxKey].(json.Number); ok {
		if hi, _ := m.Int64(); int64(n) > hi {
			add("%d %s, at most %s allowed", n, unit, m)
		}
	}
}
