package ansible

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestCoercion(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	t.Setenv("PROBE_DIR", "/srv/probe")
	t.Setenv("PROBE_UNSET_VARIABLE", "") // restored after the test
	if err := os.Unsetenv("PROBE_UNSET_VARIABLE"); err != nil {
		t.Fatal(err)
	}
	listOf := func(elements Type) Option { return Option{Type: TypeList, Elements: elements} }
	tests := []struct {
		name    string
		opt     Option
		in      string // the value as JSON text, as it arrives in the arguments file
		want    any
		wantErr string // part of the conversion error; empty when none is expected
	}{
		// str: Python's str() of scalars.
		{name: "str from a string", opt: Option{Type: TypeStr}, in: `"abc"`, want: "abc"},
		{name: "str from an int keeps its text", opt: Option{Type: TypeStr}, in: `3`, want: "3"},
		{name: "str from a float keeps its text", opt: Option{Type: TypeStr}, in: `1.50`, want: "1.50"},
		{name: "str from a YAML yes", opt: Option{Type: TypeStr}, in: `true`, want: "True"},
		{name: "str refuses a list", opt: Option{Type: TypeStr}, in: `["a"]`, wantErr: "value of type list could not be converted to str"},
		{name: "str refuses a dict", opt: Option{Type: TypeStr}, in: `{"a": 1}`, wantErr: "value of type dict could not be converted to str"},

		// int: AWX survey answers arrive as strings.
		{name: "int from an int", opt: Option{Type: TypeInt}, in: `3`, want: int64(3)},
		{name: "int from an AWX string", opt: Option{Type: TypeInt}, in: `"3"`, want: int64(3)},
		{name: "int from a padded negative string", opt: Option{Type: TypeInt}, in: `" -7 "`, want: int64(-7)},
		{name: "int from a whole float", opt: Option{Type: TypeInt}, in: `3.0`, want: int64(3)},
		{name: "int refuses a fractional float", opt: Option{Type: TypeInt}, in: `3.5`, wantErr: "3.5 is not a whole number"},
		{name: "int refuses a fractional string", opt: Option{Type: TypeInt}, in: `"3.5"`, wantErr: `value of type str could not be converted to int: "3.5" is not an integer`},
		{name: "int refuses a float string, as Python's int() does", opt: Option{Type: TypeInt}, in: `"3.0"`, wantErr: `"3.0" is not an integer`},
		{name: "int refuses a word", opt: Option{Type: TypeInt}, in: `"many"`, wantErr: `"many" is not an integer`},
		{name: "int refuses a boolean", opt: Option{Type: TypeInt}, in: `true`, wantErr: "booleans are not integers"},

		// bool: Ansible's words, any case, and 1/0.
		{name: "bool from true", opt: Option{Type: TypeBool}, in: `true`, want: true},
		{name: "bool from yes", opt: Option{Type: TypeBool}, in: `"yes"`, want: true},
		{name: "bool from YES", opt: Option{Type: TypeBool}, in: `"YES"`, want: true},
		{name: "bool from no", opt: Option{Type: TypeBool}, in: `"no"`, want: false},
		{name: "bool from y", opt: Option{Type: TypeBool}, in: `"y"`, want: true},
		{name: "bool from n", opt: Option{Type: TypeBool}, in: `"n"`, want: false},
		{name: "bool from on", opt: Option{Type: TypeBool}, in: `"on"`, want: true},
		{name: "bool from Off", opt: Option{Type: TypeBool}, in: `"Off"`, want: false},
		{name: "bool from the string True", opt: Option{Type: TypeBool}, in: `"True"`, want: true},
		{name: "bool from the string false", opt: Option{Type: TypeBool}, in: `"false"`, want: false},
		{name: "bool from the string 1", opt: Option{Type: TypeBool}, in: `"1"`, want: true},
		{name: "bool from the string 0", opt: Option{Type: TypeBool}, in: `"0"`, want: false},
		{name: "bool from t", opt: Option{Type: TypeBool}, in: `"t"`, want: true},
		{name: "bool from the number 1", opt: Option{Type: TypeBool}, in: `1`, want: true},
		{name: "bool from the number 0", opt: Option{Type: TypeBool}, in: `0`, want: false},
		{name: "bool refuses 2", opt: Option{Type: TypeBool}, in: `2`, wantErr: `"2" is not a valid boolean`},
		{name: "bool refuses maybe", opt: Option{Type: TypeBool}, in: `"maybe"`, wantErr: `"maybe" is not a valid boolean`},
		{name: "bool refuses a list", opt: Option{Type: TypeBool}, in: `[true]`, wantErr: "a list is not a boolean"},

		// list: comma-separated strings, single scalars, element coercion.
		{name: "list from a comma-separated string", opt: Option{Type: TypeList}, in: `"a,b"`, want: []any{"a", "b"}},
		{name: "list from a list", opt: Option{Type: TypeList}, in: `["a", 2]`, want: []any{"a", int64(2)}},
		{name: "list from one string", opt: Option{Type: TypeList}, in: `"a"`, want: []any{"a"}},
		{name: "list from one number", opt: Option{Type: TypeList}, in: `3`, want: []any{"3"}},
		{name: "list from an empty string is empty", opt: Option{Type: TypeList}, in: `""`, want: []any{}},
		{name: "list refuses a dict", opt: Option{Type: TypeList}, in: `{"a": 1}`, wantErr: "a dict is not a list"},
		{name: "list of int from a string", opt: listOf(TypeInt), in: `"1,2"`, want: []any{int64(1), int64(2)}},
		{name: "list of int from mixed elements", opt: listOf(TypeInt), in: `["1", 2]`, want: []any{int64(1), int64(2)}},
		{name: "list of int names the bad element", opt: listOf(TypeInt), in: `"1,x"`, wantErr: `element 2 of type str could not be converted to int: "x" is not an integer`},
		{name: "list of bool from words", opt: listOf(TypeBool), in: `"yes,no"`, want: []any{true, false}},
		{name: "list of str from scalars", opt: listOf(TypeStr), in: `[1, true]`, want: []any{"1", "True"}},
		{name: "list of str refuses null elements", opt: listOf(TypeStr), in: `["a", null]`, wantErr: "element 2 of type NoneType"},
		{name: "list of path expands each element", opt: listOf(TypePath), in: `"~/a,$PROBE_DIR/b"`, want: []any{"/home/tester/a", "/srv/probe/b"}},

		// path: str, then expandvars and expanduser.
		{name: "path expands ~", opt: Option{Type: TypePath}, in: `"~/data"`, want: "/home/tester/data"},
		{name: "path expands a lone ~", opt: Option{Type: TypePath}, in: `"~"`, want: "/home/tester"},
		{name: "path expands $VAR", opt: Option{Type: TypePath}, in: `"$PROBE_DIR/x"`, want: "/srv/probe/x"},
		{name: "path expands ${VAR}", opt: Option{Type: TypePath}, in: `"${PROBE_DIR}x"`, want: "/srv/probex"},
		{name: "path keeps unset variables", opt: Option{Type: TypePath}, in: `"$PROBE_UNSET_VARIABLE/x"`, want: "$PROBE_UNSET_VARIABLE/x"},
		{name: "path keeps an unknown user", opt: Option{Type: TypePath}, in: `"~no-such-user-4711/x"`, want: "~no-such-user-4711/x"},
		{name: "path keeps ~ inside", opt: Option{Type: TypePath}, in: `"/a/~b"`, want: "/a/~b"},
		{name: "path from a number", opt: Option{Type: TypePath}, in: `12`, want: "12"},

		// raw: JSON as it came, numbers normalized.
		{name: "raw int", opt: Option{Type: TypeRaw}, in: `3`, want: int64(3)},
		{name: "raw float", opt: Option{Type: TypeRaw}, in: `1.5`, want: 1.5},
		{name: "raw string stays a string", opt: Option{Type: TypeRaw}, in: `"3"`, want: "3"},
		{name: "raw nested", opt: Option{Type: TypeRaw}, in: `{"a": [1, "b"]}`, want: map[string]any{"a": []any{int64(1), "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := decodeJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("bad test input %s: %v", tt.in, err)
			}
			got, convErr := coerceOption(tt.opt, in)
			if tt.wantErr != "" {
				if convErr == nil {
					t.Fatalf("coerce %s to %s = %#v, want an error with %q", tt.in, tt.opt.Type, got, tt.wantErr)
				}
				if !strings.Contains(convErr.Error(), tt.wantErr) {
					t.Fatalf("coerce %s to %s: error %q, want it to contain %q", tt.in, tt.opt.Type, convErr, tt.wantErr)
				}
				return
			}
			if convErr != nil {
				t.Fatalf("coerce %s to %s: unexpected error %v", tt.in, tt.opt.Type, convErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("coerce %s to %s = %#v, want %#v", tt.in, tt.opt.Type, got, tt.want)
			}
		})
	}
}
