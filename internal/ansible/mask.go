package ansible

import (
	"sort"
	"strings"

	json "github.com/goccy/go-json"
)

// maskText replaces a no_log value wherever it appears in the output, as
// AnsibleModule's remove_values does.
const maskText = "********"

// masker hides no_log values in JSON-form output.
type masker struct {
	secrets []string // distinct, longest first, so no secret is half-masked
}

func newMasker(secrets []string) masker {
	seen := map[string]bool{}
	var m masker
	for _, s := range secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			m.secrets = append(m.secrets, s)
		}
	}
	sort.SliceStable(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	return m
}

// text masks every occurrence of every secret in s.
func (m masker) text(s string) string {
	for _, secret := range m.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, maskText)
		}
	}
	return s
}

// value returns a masked copy of a JSON-form value: strings and keys are
// masked, and a number written exactly as a secret becomes "********".
func (m masker) value(v any) any {
	if len(m.secrets) == 0 {
		return v
	}
	switch v := v.(type) {
	case string:
		return m.text(v)
	case json.Number:
		for _, secret := range m.secrets {
			if v.String() == secret {
				return maskText
			}
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = m.value(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[m.text(k)] = m.value(item)
		}
		return out
	}
	return v
}

// ownedKeyLevels says, for the top-level keys whose objects hold keys the
// protocol owns as well, how many levels down: invocation.module_args.OPTION,
// diff.before, a deprecation's msg.
var ownedKeyLevels = map[string]int{"invocation": 2, "diff": 1, "deprecations": 1}

// reply masks an output object like value, but leaves the keys the protocol
// owns as they are: the top-level keys Ansible reads (reservedKeys) and the
// keys of ownedKeyLevels. Masking them would hide a failure from Ansible
// when a no_log value is short: with the value "a", "failed" became
// "f********iled" and the task passed (FuzzDecodeArgs found it). Ansible's
// remove_values does not mask keys at all; the keys a module chooses (its
// values, facts, the objects inside a diff) are masked here all the same.
func (m masker) reply(tree any) any {
	obj, ok := tree.(map[string]any)
	if !ok || len(m.secrets) == 0 {
		return m.value(tree)
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if reservedKeys[k] {
			out[k] = m.keepKeys(v, ownedKeyLevels[k])
		} else {
			out[m.text(k)] = m.value(v)
		}
	}
	return out
}

// keepKeys masks v like value, but leaves alone the keys of the objects
// in its top levels (a list is not a level).
func (m masker) keepKeys(v any, levels int) any {
	if levels == 0 {
		return m.value(v)
	}
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = m.keepKeys(item, levels)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = m.keepKeys(item, levels-1)
		}
		return out
	}
	return m.value(v)
}
