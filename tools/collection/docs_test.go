package collection

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/dockerstorage"
	"github.com/directlvm/docker/internal/lvmprofile"
	"github.com/directlvm/docker/internal/lvmthinpool"
	"github.com/directlvm/docker/internal/lvmvolume"
	"github.com/directlvm/docker/internal/storageinfo"
)

// module is one module of the collection: its name, the spec its binary
// declares, and where that spec is written (for the fix in messages).
type module struct {
	name     string
	spec     ansible.Spec
	specFile string
}

// modules lists every module of the collection; the layout test fails when
// meta/runtime.yml routes one that is missing here.
var modules = []module{
	{lvmthinpool.Name, lvmthinpool.Spec(), "internal/lvmthinpool/config.go"},
	{lvmprofile.Name, lvmprofile.Spec(), "internal/lvmprofile/config.go"},
	{dockerstorage.Name, dockerstorage.Spec(), "internal/dockerstorage/config.go"},
	{lvmvolume.Name, lvmvolume.Spec(), "internal/lvmvolume/config.go"},
	{storageinfo.Name, storageinfo.Spec(), "internal/storageinfo/config.go"},
}

// The attributes every module's DOCUMENTATION declares.
var requiredAttributes = []string{"check_mode", "diff_mode", "idempotent"}

func TestEveryModuleHasDocumentationThatIsChecked(t *testing.T) {
	root := ansibletest.RepoRoot(t)
	routed := routedModules(t, root)
	if len(routed) == 0 {
		t.Fatal("meta/runtime.yml routes no module to the action plugin")
	}
	for _, name := range routed {
		if !slices.ContainsFunc(modules, func(m module) bool { return m.name == name }) {
			t.Errorf("meta/runtime.yml routes %s, which is not checked against its documentation: add it to the modules table in tools/collection/docs_test.go", name)
		}
		if _, err := os.Stat(filepath.Join(root, ansibletest.DocPath(name))); err != nil {
			t.Errorf("%s has no documentation: write %s (DOCUMENTATION, EXAMPLES, RETURN; see the other modules')", name, ansibletest.DocPath(name))
		}
	}
	for _, m := range modules {
		if !slices.Contains(routed, m.name) {
			t.Errorf("%s is not routed to the action plugin: add it under plugin_routing.modules in meta/runtime.yml", m.name)
		}
	}
	// The binary holds each module (modules/directlvm/main.go).
	main, err := os.ReadFile(filepath.Join(root, "modules", "directlvm", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modules {
		pkg := filepath.Base(filepath.Dir(m.specFile))
		if !strings.Contains(string(main), pkg+".Module(") {
			t.Errorf("modules/directlvm/main.go does not hold %s: add %s.Module(%s.RealHost()) to its list", m.name, pkg, pkg)
		}
	}
}

// routedModules reads the names under plugin_routing: modules: in
// meta/runtime.yml (a name at four spaces' indent, its settings deeper).
func routedModules(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "meta", "runtime.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	section := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\n")
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case indent == 0:
			section = strings.TrimSuffix(line, ":")
		case indent == 2 && section == "plugin_routing":
			if strings.TrimSpace(line) == "modules:" {
				section = "plugin_routing.modules"
			}
		case indent == 4 && section == "plugin_routing.modules":
			names = append(names, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		}
	}
	return names
}

func TestDocumentationMatchesEachModulesSpec(t *testing.T) {
	names := make([]string, 0, len(modules))
	for _, m := range modules {
		names = append(names, m.name)
	}
	docs := ansibletest.Docs(t, names...)
	for _, m := range modules {
		t.Run(m.name, func(t *testing.T) {
			for _, problem := range docProblems(m, docs[m.name]) {
				t.Error(problem)
			}
		})
	}
}

// TestADocumentationMistakeIsReportedWithItsFix shows what the comparison
// reports, without Ansible: a documented default, type, elements,
// required, choices or attribute that differs from the spec, and options
// documented on one side only.
func TestADocumentationMistakeIsReportedWithItsFix(t *testing.T) {
	m := module{
		name:     "probe",
		specFile: "internal/probe/config.go",
		spec: ansible.Spec{
			Options: map[string]ansible.Option{
				"vg":      {Type: ansible.TypeStr, Default: "docker"},
				"count":   {Type: ansible.TypeInt, Default: 80},
				"devices": {Type: ansible.TypeList, Elements: ansible.TypePath, Required: true},
				"state":   {Default: "present", Choices: []any{"present", "absent"}},
				"secret":  {NoLog: true},
			},
			SupportsCheckMode: true,
		},
	}
	described := "What it does."
	doc := ansibletest.ModuleDoc{
		Doc: ansibletest.Documentation{
			Module:           "probe",
			ShortDescription: "Probe",
			Options: map[string]ansibletest.OptionDoc{
				"vg":      {Description: described, Type: "str", Default: "vg0"},
				"count":   {Description: described, Type: "int", Default: float64(80)}, // as JSON gives it: equal
				"devices": {Description: described, Type: "list", Elements: "str"},
				"state":   {Description: described, Default: "present", Choices: []any{"absent", "gone"}},
				"extra":   {Description: described, Type: "bool"},
			},
			Attributes: map[string]ansibletest.AttributeDoc{
				"check_mode": {Description: described, Support: "none"},
				"diff_mode":  {Description: described, Support: "full"},
			},
		},
		Examples: "- name: Probe\n  other.module:\n",
		Return:   map[string]ansibletest.ReturnDoc{"thing": {Description: described, Returned: "always", Type: "str"}},
	}
	got := docProblems(m, doc)
	want := []string{
		`plugins/modules/probe.py: option devices: elements is "str" in DOCUMENTATION but "path" in the spec (internal/probe/config.go); make them agree`,
		`plugins/modules/probe.py: option devices: required is false in DOCUMENTATION but true in the spec (internal/probe/config.go); make them agree`,
		`plugins/modules/probe.py: option extra: documented, but the spec (internal/probe/config.go) has no such option; remove it from DOCUMENTATION, or add it to the spec`,
		`plugins/modules/probe.py: option secret: in the spec (internal/probe/config.go) but not in DOCUMENTATION; document it under options`,
		`plugins/modules/probe.py: option state: choices are ["absent","gone"] in DOCUMENTATION but ["absent","present"] in the spec (internal/probe/config.go); make them agree`,
		`plugins/modules/probe.py: option vg: default is "vg0" in DOCUMENTATION but "docker" in the spec (internal/probe/config.go); make them agree`,
		`plugins/modules/probe.py: attribute idempotent: missing; declare it under attributes with support and description`,
		`plugins/modules/probe.py: attribute check_mode: support is "none", but the spec (internal/probe/config.go) supports check mode: declare support: full`,
		`plugins/modules/probe.py: EXAMPLES never call the module by its full name directlvm.docker.probe`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// docProblems compares a module's documentation, as ansible-doc read it,
// with its spec and lists every difference, each with its fix.
func docProblems(m module, doc ansibletest.ModuleDoc) []string {
	file := ansibletest.DocPath(m.name)
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, file+": "+fmt.Sprintf(format, args...))
	}

	d := doc.Doc
	if d.Module != m.name {
		bad("DOCUMENTATION module is %q, not %q: set module: %s", d.Module, m.name, m.name)
	}
	if strings.TrimSpace(d.ShortDescription) == "" {
		bad("DOCUMENTATION has no short_description: add one line saying what the module does")
	}

	names := map[string]bool{}
	for name := range m.spec.Options {
		names[name] = true
	}
	for name := range d.Options {
		names[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		opt, inSpec := m.spec.Options[name]
		od, inDoc := d.Options[name]
		switch {
		case !inDoc:
			bad("option %s: in the spec (%s) but not in DOCUMENTATION; document it under options", name, m.specFile)
			continue
		case !inSpec:
			bad("option %s: documented, but the spec (%s) has no such option; remove it from DOCUMENTATION, or add it to the spec", name, m.specFile)
			continue
		}
		differ := func(field, inDoc, inSpec string) {
			bad("option %s: %s %s in DOCUMENTATION but %s in the spec (%s); make them agree", name, field, inDoc, inSpec, m.specFile)
		}
		if !ansibletest.HasText(od.Description) {
			bad("option %s: no description; say what it does, its values and what it refuses", name)
		}
		if got, want := orStr(od.Type), orStr(string(opt.Type)); got != want {
			differ("type is", strconv.Quote(got), strconv.Quote(want))
		}
		if got, want := od.Elements, string(opt.Elements); got != want {
			differ("elements is", strconv.Quote(got), strconv.Quote(want))
		}
		if od.Required != opt.Required {
			differ("required is", strconv.FormatBool(od.Required), strconv.FormatBool(opt.Required))
		}
		if got, want := normalize(od.Default), normalize(opt.Default); !reflect.DeepEqual(got, want) {
			differ("default is", jsonText(got), jsonText(want))
		}
		if got, want := choiceSet(od.Choices), choiceSet(opt.Choices); !slices.Equal(got, want) {
			differ("choices are", "["+strings.Join(got, ",")+"]", "["+strings.Join(want, ",")+"]")
		}
	}

	for _, name := range requiredAttributes {
		a, ok := d.Attributes[name]
		switch {
		case !ok:
			bad("attribute %s: missing; declare it under attributes with support and description", name)
			continue
		case !ansibletest.HasText(a.Description):
			bad("attribute %s: no description; say what the module does in that mode", name)
		case a.Support == "":
			bad("attribute %s: no support; declare full, partial or none", name)
		}
	}
	if a, ok := d.Attributes["check_mode"]; ok {
		switch {
		case m.spec.SupportsCheckMode && a.Support != "full" && a.Support != "partial":
			bad("attribute check_mode: support is %q, but the spec (%s) supports check mode: declare support: full", a.Support, m.specFile)
		case !m.spec.SupportsCheckMode && a.Support != "none":
			bad("attribute check_mode: support is %q, but the spec (%s) does not support check mode (Ansible skips the task): declare support: none", a.Support, m.specFile)
		}
	}

	fqcn := ansibletest.Collection + "." + m.name
	switch {
	case strings.TrimSpace(doc.Examples) == "":
		bad("EXAMPLES is empty: add realistic tasks calling %s", fqcn)
	case !strings.Contains(doc.Examples, fqcn+":"):
		bad("EXAMPLES never call the module by its full name %s", fqcn)
	}
	if len(doc.Return) == 0 {
		bad("RETURN is empty: document every key the module returns")
	}
	for _, key := range slices.Sorted(maps.Keys(doc.Return)) {
		r := doc.Return[key]
		if !ansibletest.HasText(r.Description) || r.Returned == "" || r.Type == "" {
			bad("RETURN %s: needs description, returned and type", key)
		}
	}
	return problems
}

// orStr is a type name, Ansible's default str when empty.
func orStr(typ string) string {
	if typ == "" {
		return string(ansible.TypeStr)
	}
	return typ
}

// normalize gives a value its JSON form, so that a spec's Go value and the
// same value decoded from ansible-doc's JSON compare equal (80 and 80.0).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return string(b)
	}
	return out
}

// choiceSet is a list of choices as sorted JSON texts, without repeats.
func choiceSet(choices []any) []string {
	var set []string
	for _, c := range choices {
		text := jsonText(normalize(c))
		if !slices.Contains(set, text) {
			set = append(set, text)
		}
	}
	sort.Strings(set)
	return set
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
