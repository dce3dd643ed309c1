package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/deplight/ecs-rollback/internal/report"
	"github.com/deplight/ecs-rollback/internal/rollback"
)

// writeResultText writes the action's outputs, one name=value per line, in
// the order of the action contract.
func writeResultText(w io.Writer, res rollback.Result) error {
	var b bytes.Buffer
	for _, o := range report.Outputs(res) {
		fmt.Fprintf(&b, "%s=%s\n", o.Name, o.Value)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeResultJSON writes the action's outputs as one JSON object, keys in the
// order of the action contract, followed by "message"; "services" is an
// array, not a string holding one.
func writeResultJSON(w io.Writer, res rollback.Result) error {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(name string, value json.RawMessage) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(value)
	}
	for _, o := range report.Outputs(res) {
		if o.Name == "services" && json.Valid([]byte(o.Value)) {
			field(o.Name, json.RawMessage(o.Value))
			continue
		}
		v, err := json.Marshal(o.Value)
		if err != nil {
			return fmt.Errorf("encode output %s: %w", o.Name, err)
		}
		field(o.Name, v)
	}
	msg, err := json.Marshal(res.Message)
	if err != nil {
		return fmt.Errorf("encode the message: %w", err)
	}
	field("message", msg)
	b.WriteByte('}')

	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return fmt.Errorf("indent the result: %w", err)
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}
