package ansible

import (
	"context"
	"strings"
	"testing"
)

var decodeModule = Module{
	Name: "decode",
	Spec: Spec{Options: map[string]Option{
		"name":    {Required: true},
		"dir":     {Type: TypePath},
		"count":   {Type: TypeInt, Default: 1},
		"enabled": {Type: TypeBool},
		"devices": {Type: TypeList, Elements: TypePath},
	}},
	Run: func(context.Context, *Request) (*Result, error) { return nil, nil },
}

func TestDecodeFillsAStructFieldPerOption(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	req, err := NewRequest(decodeModule, map[string]any{"name": "alpha", "dir": "~/d", "enabled": "on", "devices": "/dev/vdb,/dev/vdc"})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Name    string   `ansible:"name"`
		Dir     string   `ansible:"dir"`
		Count   int64    `ansible:"count"`
		Enabled bool     `ansible:"enabled"`
		Devices []string `ansible:"devices"`
		Given   Given
	}
	if err := req.Params.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Name != "alpha" || o.Dir != "/home/tester/d" || o.Count != 1 || !o.Enabled || len(o.Devices) != 2 || o.Devices[1] != "/dev/vdc" {
		t.Errorf("decoded %+v", o)
	}
	if !o.Given["name"] || o.Given["count"] {
		t.Errorf("given: %v (a default does not count)", o.Given)
	}
}

func TestDecodeNamesEveryMismatchWithTheSpec(t *testing.T) {
	req, err := NewRequest(decodeModule, map[string]any{"name": "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Name    string `ansible:"name"`
		Dir     string `ansible:"dirr"`
		Count   int    `ansible:"count"`
		Enabled bool   `ansible:"enabled"`
	}
	err = req.Params.Decode(&o)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`field Dir names option "dirr"`, "field Count (option count): an option of type int does not decode into a int", "option dir has no field", "option devices has no field"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}
