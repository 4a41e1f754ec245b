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
