package ansible

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// conversionError says why a value could not be coerced to an option's type.
type conversionError struct {
	from    string // Python-style name of the value's JSON type: str, int, ...
	to      Type   // the type asked for
	element int    // 1-based position in a list, or 0 for the value itself
	reason  string // why; may quote the value
}

func (e *conversionError) Error() string {
	what := "value"
	if e.element > 0 {
		what = fmt.Sprintf("element %d", e.element)
	}
	return fmt.Sprintf("%s of type %s could not be converted to %s: %s", what, e.from, e.to, e.reason)
}

// coerceOption converts v, a value in JSON form (string, json.Number, bool,
// []any, map[string]any; never nil), to the option's type. The result has the
// Go type documented for the Type.
func coerceOption(opt Option, v any) (any, *conversionError) {
	if opt.Type != TypeList {
		out, reason := coerce(opt.Type, v)
		if reason != "" {
			return nil, &conversionError{from: jsonTypeName(v), to: opt.Type, reason: reason}
		}
		return out, nil
	}
	items, reason := toList(v)
	if reason != "" {
		return nil, &conversionError{from: jsonTypeName(v), to: TypeList, reason: reason}
	}
	elemType := opt.Elements
	if elemType == "" {
		elemType = TypeRaw
	}
	out := make([]any, len(items))
	for i, item := range items {
		if item == nil && elemType != TypeRaw {
			return nil, &conversionError{from: "NoneType", to: elemType, element: i + 1, reason: "null is not allowed here"}
		}
		if item == nil {
			continue
		}
		elem, reason := coerce(elemType, item)
		if reason != "" {
			return nil, &conversionError{from: jsonTypeName(item), to: elemType, element: i + 1, reason: reason}
		}
		out[i] = elem
	}
	return out, nil
}

// coerce converts one non-nil JSON-form value to a scalar, list or raw type
// (a list inside a list keeps its elements raw). It returns the reason when
// it cannot.
func coerce(t Type, v any) (any, string) {
	switch t {
	case TypeStr:
		return toStr(v)
	case TypePath:
		s, reason := toStr(v)
		if reason != "" {
			return nil, reason
		}
		return expandPath(s.(string)), ""
	case TypeInt:
		return toInt(v)
	case TypeBool:
		return toBool(v)
	case TypeList:
		items, reason := toList(v)
		if reason != "" {
			return nil, reason
		}
		return normalize(items), ""
	case TypeRaw:
		return normalize(v), ""
	}
	return nil, fmt.Sprintf("unknown type %q", t)
}

// toStr converts scalars to text the way Python's str() does: numbers keep
// the text JSON gave them, booleans become "True" and "False".
func toStr(v any) (any, string) {
	switch v := v.(type) {
	case string:
		return v, ""
	case json.Number:
		return v.String(), ""
	case bool:
		return pyBool(v), ""
	}
	return nil, fmt.Sprintf("%s is not turned into a string", aType(v))
}

// toInt accepts integers, floats without a fractional part and strings
// holding a decimal integer, as Python's int() does. Booleans are refused.
func toInt(v any) (any, string) {
	switch v := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return n, ""
		}
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return nil, fmt.Sprintf("%s is not a whole number", v)
		}
		return int64(f), ""
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not an integer", v)
		}
		return n, ""
	case bool:
		return nil, "booleans are not integers"
	}
	return nil, fmt.Sprintf("%s is not an integer", aType(v))
}

// Ansible's boolean spellings (module_utils/parsing/convert_bool.py), compared
// in lower case.
var (
	trueWords  = map[string]bool{"y": true, "yes": true, "on": true, "1": true, "true": true, "t": true}
	falseWords = map[string]bool{"n": true, "no": true, "off": true, "0": true, "false": true, "f": true}
)

// toBool accepts booleans, the numbers 1 and 0, and Ansible's boolean words
// in any case.
func toBool(v any) (any, string) {
	switch v := v.(type) {
	case bool:
		return v, ""
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		if err == nil && (f == 1 || f == 0) {
			return f == 1, ""
		}
	case string:
		word := strings.ToLower(strings.TrimSpace(v))
		if trueWords[word] {
			return true, ""
		}
		if falseWords[word] {
			return false, ""
		}
	default:
		return nil, fmt.Sprintf("%s is not a boolean", aType(v))
	}
	return nil, fmt.Sprintf("%q is not a valid boolean; valid booleans are yes/no, true/false, on/off, y/n, t/f, 1/0", fmt.Sprint(v))
}

// toList accepts a list, a comma-separated string ("a,b" gives ["a", "b"];
// "" gives an empty list where Ansible would give [""]), or a single number
// or boolean, which becomes a one-element list of its text, as in Ansible.
func toList(v any) ([]any, string) {
	switch v := v.(type) {
	case []any:
		return v, ""
	case string:
		if v == "" {
			return []any{}, ""
		}
		parts := strings.Split(v, ",")
		items := make([]any, len(parts))
		for i, p := range parts {
			items[i] = p
		}
		return items, ""
	case json.Number, bool:
		s, _ := toStr(v)
		return []any{s}, ""
	}
	return nil, fmt.Sprintf("%s is not a list", aType(v))
}

// pyBool spells a boolean as Python's str() does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// aType names the type of v with its article: "an int", "a list".
func aType(v any) string {
	name := jsonTypeName(v)
	if name == "int" {
		return "an int"
	}
	return "a " + name
}

// jsonTypeName names the type of a JSON-form or normalized value the way
// Ansible's messages do (Python's type names).
func jsonTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		if _, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return "int"
		}
		return "float"
	case int64:
		return "int"
	case float64:
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}
