package systemd

import (
	"fmt"
	"strings"
)

// UnitState is what systemd reports about a unit (systemctl show).
type UnitState struct {
	Name          string
	LoadState     string // loaded, not-found, masked, error, ...
	ActiveState   string // active, inactive, failed, activating, ...
	SubState      string // running, dead, exited, listening, ...
	UnitFileState string // enabled, disabled, static, masked, ... ("" when there is no unit file)
	FragmentPath  string // the unit file
	DropInPaths   []string

	// Services only.
	ExecStart        [][]string // argv of each ExecStart= line
	EnvironmentFiles []string   // paths; an optional file's "-" marker is dropped
	Environment      []string   // KEY=VALUE
}

// unitState builds a UnitState from the properties of the
// org.freedesktop.systemd1.Unit interface and, for a service, of
// org.freedesktop.systemd1.Service (nil otherwise).
func unitState(name string, unit, service map[string]any) (UnitState, error) {
	d := decoder{unit: name}
	s := UnitState{
		Name:          d.str(unit, "Id"),
		LoadState:     d.str(unit, "LoadState"),
		ActiveState:   d.str(unit, "ActiveState"),
		SubState:      d.str(unit, "SubState"),
		UnitFileState: d.str(unit, "UnitFileState"),
		FragmentPath:  d.str(unit, "FragmentPath"),
		DropInPaths:   d.strs(unit, "DropInPaths"),
	}
	if s.Name == "" {
		s.Name = name
	}
	if service != nil {
		s.ExecStart = d.execStart(service, "ExecStart")
		s.EnvironmentFiles = d.environmentFiles(service, "EnvironmentFiles")
		s.Environment = d.strs(service, "Environment")
	}
	return s, d.err
}

// decoder converts property values as godbus decodes them, keeping the
// first error. A missing property gives the zero value: older systemd
// versions lack some.
type decoder struct {
	unit string
	err  error
}

func (d *decoder) fail(prop string, v any, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("systemd: unit %s: property %s is a %T, not %s", d.unit, prop, v, want)
	}
}

// str reads a property of D-Bus type s.
func (d *decoder) str(props map[string]any, prop string) string {
	v, ok := props[prop]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.fail(prop, v, "a string (s)")
	}
	return s
}

// strs reads a property of D-Bus type as.
func (d *decoder) strs(props map[string]any, prop string) []string {
	v, ok := props[prop]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]string)
	if !ok {
		d.fail(prop, v, "a list of strings (as)")
	}
	return l
}

// structs reads an array of structs, which godbus decodes as a slice of
// []any (one per struct, one element per field).
func (d *decoder) structs(props map[string]any, prop, sig string) [][]any {
	v, ok := props[prop]
	if !ok || v == nil {
		return nil
	}
	switch l := v.(type) {
	case [][]any:
		return l
	case []any:
		out := make([][]any, 0, len(l))
		for _, item := range l {
			fields, ok := item.([]any)
			if !ok {
				d.fail(prop, v, "an array of structs "+sig)
				return nil
			}
			out = append(out, fields)
		}
		return out
	}
	d.fail(prop, v, "an array of structs "+sig)
	return nil
}

// execStart reads ExecStart, D-Bus type a(sasbttttuii): per line the
// binary's path, its argv, whether a failure is ignored ("-" prefix), then
// start/exit timestamps, the PID and exit status of the last run. Only the
// argv is kept; a line with an empty argv is given its path as argv.
func (d *decoder) execStart(props map[string]any, prop string) [][]string {
	const sig = "a(sasbttttuii)"
	var out [][]string
	for _, fields := range d.structs(props, prop, sig) {
		if len(fields) < 2 {
			d.fail(prop, fields, "a struct "+sig)
			return nil
		}
		path, okPath := fields[0].(string)
		argv, okArgv := fields[1].([]string)
		if !okPath || !okArgv {
			d.fail(prop, fields, "a struct "+sig)
			return nil
		}
		if len(argv) == 0 {
			argv = []string{path}
		}
		out = append(out, argv)
	}
	return out
}

// environmentFiles reads EnvironmentFiles, D-Bus type a(sb): each file's
// path and whether it may be missing. systemd reports the path without the
// unit file's "-" marker; one is dropped here too, should it appear.
func (d *decoder) environmentFiles(props map[string]any, prop string) []string {
	const sig = "a(sb)"
	var out []string
	for _, fields := range d.structs(props, prop, sig) {
		if len(fields) < 1 {
			d.fail(prop, fields, "a struct "+sig)
			return nil
		}
		path, ok := fields[0].(string)
		if !ok {
			d.fail(prop, fields, "a struct "+sig)
			return nil
		}
		out = append(out, strings.TrimPrefix(path, "-"))
	}
	return out
}
