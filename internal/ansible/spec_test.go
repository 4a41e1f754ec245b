package ansible

import (
	"strings"
	"testing"
)

func TestSpecValidateReportsEveryMistake(t *testing.T) {
	spec := Spec{
		Options: map[string]Option{
			"size":      {Type: "integer"},
			"names":     {Type: TypeStr, Elements: TypeStr},
			"count":     {Type: TypeInt, Default: "many"},
			"name":      {Required: true, Default: "x"},
			"state":     {Default: "gone", Choices: []any{"present", "absent"}},
			"labels":    {Type: TypeList, Elements: TypeList, Choices: []any{[]any{}}},
			"_ansible_": {},
		},
		RequiredIf: []RequiredIf{{Key: "missing", Value: "x", Requires: []string{"other"}}},
	}
	err := spec.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken spec")
	}
	for _, want := range []string{
		`option "size": unknown type "integer"`,
		`option "names": elements is only for type list, not str`,
		`option "count": default: value of type str could not be converted to int`,
		`option "name": a required option cannot have a default`,
		`option "state": default gone is not among the choices`,
		`option "labels": choices cannot be used with values of type list`,
		`option "_ansible_": names must be non-empty and must not start with "_ansible_"`,
		`required_if 0: unknown key option "missing"`,
		`required_if 0: unknown required option "other"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q; got:\n%v", want, err)
		}
	}
}

func TestSpecValidateAcceptsAGoodSpec(t *testing.T) {
	if err := decodeModule.Spec.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidSpecFailsTheModuleWithoutRunningIt(t *testing.T) {
	m := recordingModule(Spec{Options: map[string]Option{"size": {Type: "integer"}}})
	out, code, _ := execute(t, m, map[string]any{})
	want := `module testmod has an invalid argument spec: option "size": unknown type "integer"`
	if out["msg"] != want || code != 1 || out["ran"] != nil {
		t.Fatalf("got code %d msg %q ran=%v, want code 1 and msg %q", code, out["msg"], out["ran"], want)
	}
}
