package ansible

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Type names the type of an option value, with Ansible's names.
type Type string

// The option types a Spec may use. Each names the Go type that
// Params returns for it.
const (
	TypeStr  Type = "str"  // string
	TypeInt  Type = "int"  // int64
	TypeBool Type = "bool" // bool
	TypeList Type = "list" // []any, each element of Option.Elements' type
	TypePath Type = "path" // string, with ~ and $VARS expanded
	TypeRaw  Type = "raw"  // whatever JSON gave: string, int64, float64, bool, []any, map[string]any
)

// Option describes one module option, as an entry of AnsibleModule's
// argument_spec does.
type Option struct {
	// Type is the option's type; empty means TypeStr, as in Ansible.
	Type Type
	// Elements is the type of each element of a TypeList option; empty
	// leaves the elements as JSON gave them.
	Elements Type
	// Required makes the option mandatory; it cannot have a Default.
	Required bool
	// Default is used when the user gives no value or null. It is
	// coerced like a user value, so Default: 1 for a TypeInt is fine.
	Default any
	// Choices lists the allowed values, compared after coercion. For a
	// TypeList option every element must be one of them.
	Choices []any
	// NoLog hides the value: the invocation shows
	// "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" and any occurrence of the value
	// elsewhere in the output becomes "********".
	NoLog bool
}

// RequiredIf makes options required when another option has a given value,
// like an entry of AnsibleModule's required_if.
type RequiredIf struct {
	// Key is the option whose value is tested.
	Key string
	// Value is compared with Key's value after both are coerced to Key's type.
	Value any
	// Requires lists the options that must then be set.
	Requires []string
	// AnyOf relaxes the rule: one of Requires is enough.
	AnyOf bool
}

// Spec declares a module's options and how they relate.
type Spec struct {
	// Options maps each option name to its description.
	Options map[string]Option
	// RequiredIf lists conditional requirements.
	RequiredIf []RequiredIf
	// SupportsCheckMode says that Run honours Request.CheckMode. Without
	// it, a check-mode run is skipped without calling Run.
	SupportsCheckMode bool
}

// Validate reports every mistake in the spec itself (unknown types, a
// default that does not fit its type, required_if rules naming unknown options, ...),
// joined with errors.Join. ExecuteContext refuses to run a module whose spec is
// invalid; a module's unit test should call Validate.
func (s Spec) Validate() error {
	_, err := s.compile()
	return err
}

// compiledOption is an Option with its default and choices already coerced.
type compiledOption struct {
	Option
	name     string
	defValue any   // coerced Default, nil when there is none
	choices  []any // coerced Choices
}

// compiledSpec is a checked Spec, ready to parse arguments.
type compiledSpec struct {
	Spec
	options     map[string]*compiledOption
	names       []string // option names, sorted
	requiredIfs []any    // coerced RequiredIf values, by index
}

var validTypes = map[Type]bool{
	TypeStr: true, TypeInt: true, TypeBool: true,
	TypeList: true, TypePath: true, TypeRaw: true,
}

// compile checks the spec and coerces defaults, choices and required_if
// values once, so that parsing arguments needs no further checks.
func (s Spec) compile() (*compiledSpec, error) {
	var errs []error
	c := &compiledSpec{Spec: s, options: map[string]*compiledOption{}}
	for name := range s.Options {
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	for _, name := range c.names {
		opt := s.Options[name]
		if opt.Type == "" {
			opt.Type = TypeStr
		}
		co := &compiledOption{Option: opt, name: name}
		c.options[name] = co
		if err := checkOption(co); err != nil {
			errs = append(errs, fmt.Errorf("option %q: %w", name, err))
		}
	}
	c.requiredIfs = make([]any, len(s.RequiredIf))
	for i, rule := range s.RequiredIf {
		key := c.options[rule.Key]
		if key == nil {
			errs = append(errs, fmt.Errorf("required_if %d: unknown key option %q", i, rule.Key))
		} else if v, err := coerceGoValue(key.Option, rule.Value); err != nil {
			errs = append(errs, fmt.Errorf("required_if %d: value for %q: %w", i, rule.Key, err))
		} else if v == nil {
			errs = append(errs, fmt.Errorf("required_if %d: value for %q is missing", i, rule.Key))
		} else {
			c.requiredIfs[i] = v
		}
		if len(rule.Requires) == 0 {
			errs = append(errs, fmt.Errorf("required_if %d: requires no option", i))
		}
		for _, name := range rule.Requires {
			if c.options[name] == nil {
				errs = append(errs, fmt.Errorf("required_if %d: unknown required option %q", i, name))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// checkOption checks one option and fills its coerced default and choices.
func checkOption(co *compiledOption) error {
	var errs []error
	if co.name == "" || strings.HasPrefix(co.name, "_ansible_") {
		errs = append(errs, errors.New(`names must be non-empty and must not start with "_ansible_"`))
	}
	if !validTypes[co.Type] {
		errs = append(errs, fmt.Errorf("unknown type %q", co.Type))
	}
	if co.Elements != "" && co.Type != TypeList {
		errs = append(errs, fmt.Errorf("elements is only for type list, not %s", co.Type))
	}
	if co.Elements != "" && !validTypes[co.Elements] {
		errs = append(errs, fmt.Errorf("unknown elements type %q", co.Elements))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if co.Required && co.Default != nil {
		errs = append(errs, errors.New("a required option cannot have a default"))
	}
	if v, err := coerceGoValue(co.Option, co.Default); err != nil {
		errs = append(errs, fmt.Errorf("default: %w", err))
	} else {
		co.defValue = v
	}
	choiceType := co.Type
	if co.Type == TypeList {
		choiceType = co.Elements
		if choiceType == "" {
			choiceType = TypeRaw
		}
	}
	if len(co.Choices) > 0 && choiceType == TypeList {
		errs = append(errs, fmt.Errorf("choices cannot be used with values of type %s", choiceType))
	}
	for _, choice := range co.Choices {
		v, err := coerceGoValue(Option{Type: choiceType}, choice)
		if err == nil && v == nil {
			err = errors.New("null is not a choice")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("choice %v: %w", choice, err))
			continue
		}
		co.choices = append(co.choices, v)
	}
	if co.defValue != nil && len(co.choices) > 0 {
		if bad := co.notChosen(co.defValue); len(bad) > 0 {
			errs = append(errs, fmt.Errorf("default %s is not among the choices", strings.Join(bad, ", ")))
		}
	}
	return errors.Join(errs...)
}

// coerceGoValue coerces a value written in Go (a default, a choice) the way a
// user's value is coerced, after turning it into its JSON form.
func coerceGoValue(opt Option, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	j, err := toJSONValue(v)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, nil
	}
	out, convErr := coerceOption(opt, j)
	if convErr != nil {
		return nil, convErr
	}
	return out, nil
}
