package ansible

import (
	"bytes"
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
)

// Result is what a module's Run returns.
type Result struct {
	// Changed says that the module changed something, or in check mode
	// that it would have.
	Changed bool
	// Msg is a short human-readable summary; on failure the error's text
	// takes its place.
	Msg string
	// Diff shows what changed; it is emitted only when the request has Diff set.
	Diff *Diff
	// Facts become the "ansible_facts" of the result: Ansible sets them as
	// host variables.
	Facts map[string]any
	// Values are the module's own return values, placed at the top level of
	// the result. Keys the protocol owns (changed, failed, msg, skipped,
	// diff, ansible_facts, warnings, deprecations, invocation, exception and
	// any "_ansible_*" key) are dropped with a warning.
	Values map[string]any
}

// Diff is a result's "diff": Ansible prints Before and After as a unified
// diff under --diff. Strings are compared line by line; maps are shown as
// JSON. A nil side is shown as empty.
type Diff struct {
	Before       any
	After        any
	BeforeHeader string
	AfterHeader  string
}

// toJSON gives the diff's wire form.
func (d *Diff) toJSON() map[string]any {
	side := func(v any) any {
		if v == nil {
			return ""
		}
		return v
	}
	out := map[string]any{"before": side(d.Before), "after": side(d.After)}
	if d.BeforeHeader != "" {
		out["before_header"] = d.BeforeHeader
	}
	if d.AfterHeader != "" {
		out["after_header"] = d.AfterHeader
	}
	return out
}

// noLogInvocation replaces the invocation under the task's no_log: true,
// in AnsibleModule's words.
const noLogInvocation = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

// reservedKeys are the result keys the protocol owns.
var reservedKeys = map[string]bool{
	"changed": true, "failed": true, "msg": true, "skipped": true, "diff": true,
	"ansible_facts": true, "warnings": true, "deprecations": true,
	"invocation": true, "exception": true,
}

// resultReply turns what Run returned into the output object. err, when not
// nil, makes it a failure that keeps the partial result.
func (s *session) resultReply(res *Result, err error) map[string]any {
	if res == nil {
		res = &Result{}
	}
	out := map[string]any{}
	for k, v := range res.Values {
		if reservedKeys[k] || strings.HasPrefix(k, "_ansible_") {
			s.req.Warn(fmt.Sprintf("module %s returned the reserved key %q among its values; it was dropped", s.name, k))
			continue
		}
		out[k] = v
	}
	out["changed"] = res.Changed
	if res.Msg != "" {
		out["msg"] = res.Msg
	}
	if s.req.Diff && res.Diff != nil {
		out["diff"] = res.Diff.toJSON()
	}
	if len(res.Facts) > 0 {
		out["ansible_facts"] = res.Facts
	}
	if err != nil {
		out["failed"] = true
		out["msg"] = err.Error()
		if p, ok := err.(*panicError); ok {
			out["exception"] = p.stack
		}
	}
	return out
}

// finish adds what every output object of a parsed request carries: the
// invocation and warnings.
func (s *session) finish(out map[string]any) map[string]any {
	if s.req.NoLog {
		out["invocation"] = map[string]any{"module_args": noLogInvocation}
	} else {
		out["invocation"] = map[string]any{"module_args": s.invocation}
	}
	if w := s.req.Warnings(); len(w) > 0 {
		out["warnings"] = w
	}
	return out
}

// failure is the output object of a run that failed before or instead of
// reaching a Result.
func failure(msg string) map[string]any {
	return map[string]any{"changed": false, "failed": true, "msg": msg}
}

// encodeReply writes out as one line of JSON with every no_log value masked,
// and reports whether what it wrote is a failure. If the module put
// something into its result that JSON cannot hold, the output becomes a
// failure saying so.
func encodeReply(out map[string]any, mask masker) (data []byte, failed bool) {
	if _, ok := out["changed"]; !ok {
		out["changed"] = false
	}
	tree, err := toJSONValue(out)
	if err != nil {
		changed, _ := out["changed"].(bool)
		tree = map[string]any{
			"changed": changed,
			"failed":  true,
			"msg":     fmt.Sprintf("the module's result cannot be encoded as JSON: %v", err),
		}
	}
	if obj, ok := tree.(map[string]any); ok {
		failed, _ = obj["failed"].(bool)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mask.reply(tree)); err != nil {
		// Only strings and plain values are left: this cannot happen, but
		// stdout must still get an object.
		buf.Reset()
		buf.WriteString(`{"changed": false, "failed": true, "msg": "the module's result cannot be encoded as JSON"}` + "\n")
		failed = true
	}
	return buf.Bytes(), failed
}
