package ansible

import (
	"fmt"
	"maps"
	"slices"
)

// Params holds a module's option values after coercion, with defaults
// filled in. Each getter panics when the option is not in the spec or has
// another type: that is a programming error, and the panic ends as the
// module's failure message. Execute fills a Request's Params; module tests
// get one from NewRequest.
type Params struct {
	options map[string]*compiledOption
	values  map[string]any  // normalized values; absent or nil when unset
	given   map[string]bool // set by the user to something other than null
}

// IsSet reports whether the user gave the option a value other than null
// (a default does not count).
func (p Params) IsSet(name string) bool {
	p.option(name, "IsSet")
	return p.given[name]
}

// Get returns the value of an option of any type, or nil when it has
// neither a value nor a default. See the Type constants for the Go types.
func (p Params) Get(name string) any {
	p.option(name, "Get")
	return p.values[name]
}

// String returns the value of a str or path option, "" when unset.
func (p Params) String(name string) string {
	s, _ := p.typed(name, "String", TypeStr, TypePath).(string)
	return s
}

// Int returns the value of an int option, 0 when unset.
func (p Params) Int(name string) int64 {
	n, _ := p.typed(name, "Int", TypeInt).(int64)
	return n
}

// Bool returns the value of a bool option, false when unset.
func (p Params) Bool(name string) bool {
	b, _ := p.typed(name, "Bool", TypeBool).(bool)
	return b
}

// Float returns the value of a float option, 0 when unset.
func (p Params) Float(name string) float64 {
	f, _ := p.typed(name, "Float", TypeFloat).(float64)
	return f
}

// List returns a copy of the value of a list option, nil when unset.
func (p Params) List(name string) []any {
	l, _ := p.typed(name, "List", TypeList).([]any)
	return slices.Clone(l)
}

// StringList returns the value of a list option whose elements are str or
// path, nil when unset.
func (p Params) StringList(name string) []string {
	opt := p.option(name, "StringList")
	if opt.Type != TypeList || (opt.Elements != TypeStr && opt.Elements != TypePath) {
		panic(fmt.Sprintf("ansible: Params.StringList(%q): the option is not a list with str or path elements", name))
	}
	l, _ := p.values[name].([]any)
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, item := range l {
		out[i], _ = item.(string)
	}
	return out
}

// Dict returns a copy of the value of a dict option, nil when unset.
func (p Params) Dict(name string) map[string]any {
	d, _ := p.typed(name, "Dict", TypeDict).(map[string]any)
	return maps.Clone(d)
}

// option returns the spec of an option, panicking when there is none.
func (p Params) option(name, getter string) *compiledOption {
	opt := p.options[name]
	if opt == nil {
		panic(fmt.Sprintf("ansible: Params.%s(%q): the module's spec has no such option", getter, name))
	}
	return opt
}

// typed returns an option's value after checking its type.
func (p Params) typed(name, getter string, types ...Type) any {
	opt := p.option(name, getter)
	if !slices.Contains(types, opt.Type) {
		panic(fmt.Sprintf("ansible: Params.%s(%q): the option has type %s", getter, name, opt.Type))
	}
	return p.values[name]
}
