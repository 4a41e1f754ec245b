package ansible

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
)

// Given is the set of options the user gave a value other than null (a
// default does not count). Decode fills a field of this type.
type Given map[string]bool

// Decode stores the options in the struct dst points to: each field tagged
// `ansible:"NAME"` gets option NAME's value, coerced as the spec says. The
// struct must have a field for every option of the spec and every tag must
// name one, of the matching Go type: str and path give a string, int an
// int64, bool a bool, a list of str or path a []string. A mismatch is a
// programming error, found by any test that decodes the module's options.
func (p Params) Decode(dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("ansible: Decode needs a pointer to a struct, not %T", dst)
	}
	v = v.Elem()
	var errs []error
	fields := map[string]bool{}
	for i := range v.NumField() {
		f, field := v.Type().Field(i), v.Field(i)
		if f.Type == reflect.TypeFor[Given]() {
			field.Set(reflect.ValueOf(Given(p.given)))
			continue
		}
		name, ok := f.Tag.Lookup("ansible")
		if !ok {
			continue
		}
		fields[name] = true
		opt := p.options[name]
		if opt == nil {
			errs = append(errs, fmt.Errorf("field %s names option %q, which the spec does not have", f.Name, name))
			continue
		}
		if err := store(field, opt, p.values[name]); err != nil {
			errs = append(errs, fmt.Errorf("field %s (option %s): %w", f.Name, name, err))
		}
	}
	for name := range p.options {
		if !fields[name] {
			errs = append(errs, fmt.Errorf("option %s has no field in %T", name, dst))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ansible: the module's options do not fit %T: %w", dst, err)
	}
	return nil
}

// goTypes are the Go types each option type decodes into.
var goTypes = map[Type]reflect.Type{
	TypeStr:  reflect.TypeFor[string](),
	TypePath: reflect.TypeFor[string](),
	TypeInt:  reflect.TypeFor[int64](),
	TypeBool: reflect.TypeFor[bool](),
}

// store sets field to v, an option's normalized value (nil when unset).
func store(field reflect.Value, opt *compiledOption, v any) error {
	want := goTypes[opt.Type]
	if opt.Type == TypeList && slices.Contains([]Type{TypeStr, TypePath}, opt.Elements) {
		want = reflect.TypeFor[[]string]()
	}
	if want == nil || field.Type() != want {
		return fmt.Errorf("an option of type %s does not decode into a %s", opt.Type, field.Type())
	}
	if v == nil {
		field.SetZero()
		return nil
	}
	if l, ok := v.([]any); ok {
		out := make([]string, len(l))
		for i, item := range l {
			out[i], _ = item.(string)
		}
		v = out
	}
	field.Set(reflect.ValueOf(v))
	return nil
}
