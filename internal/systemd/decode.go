package systemd

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/godbus/dbus/v5"
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

// execCommand is one entry of a service's ExecStart, D-Bus type
// (sasbttttuii): the binary's path, its argv, whether a failure is ignored
// ("-" prefix), the start and exit timestamps (realtime and monotonic), the
// PID and the exit code and status of the last run.
type execCommand struct {
	Path                                                       string
	Argv                                                       []string
	IgnoreFailure                                              bool
	StartRealtime, StartMonotonic, ExitRealtime, ExitMonotonic uint64
	PID                                                        uint32
	Code, Status                                               int32
}

// environmentFile is one entry of EnvironmentFiles, D-Bus type (sb): the
// path and whether it may be missing.
type environmentFile struct {
	Path     string
	Optional bool
}

// unitState builds a UnitState from the properties of the
// org.freedesktop.systemd1.Unit interface and, for a service, of
// org.freedesktop.systemd1.Service (nil otherwise), with godbus's Store.
// A missing property gives the zero value: older systemd versions lack
// some.
func unitState(name string, unit, service map[string]any) (UnitState, error) {
	var errs []error
	str := func(props map[string]any, prop string) (s string) {
		errs = append(errs, property(name, props, prop, &s))
		return s
	}
	s := UnitState{
		Name:          str(unit, "Id"),
		LoadState:     str(unit, "LoadState"),
		ActiveState:   str(unit, "ActiveState"),
		SubState:      str(unit, "SubState"),
		UnitFileState: str(unit, "UnitFileState"),
		FragmentPath:  str(unit, "FragmentPath"),
	}
	errs = append(errs, property(name, unit, "DropInPaths", &s.DropInPaths))
	if s.Name == "" {
		s.Name = name
	}
	if service != nil {
		var exec []execCommand
		var files []environmentFile
		errs = append(errs, property(name, service, "ExecStart", &exec),
			property(name, service, "EnvironmentFiles", &files),
			property(name, service, "Environment", &s.Environment))
		for _, e := range exec {
			if len(e.Argv) == 0 {
				e.Argv = []string{e.Path} // an empty argv runs the path
			}
			s.ExecStart = append(s.ExecStart, e.Argv)
		}
		for _, f := range files {
			// systemd reports the path without the unit file's "-"
			// marker; one is dropped here too, should it appear.
			s.EnvironmentFiles = append(s.EnvironmentFiles, strings.TrimPrefix(f.Path, "-"))
		}
	}
	return s, errors.Join(errs...)
}

// property stores props[prop] into dest. An array of structs that went
// through a generic []any (a variant re-stored) is stored one struct at a
// time: Store takes structs only from [][]any.
func property[T any](unit string, props map[string]any, prop string, dest *T) error {
	v, ok := props[prop]
	if !ok || v == nil {
		return nil
	}
	err := dbus.Store([]any{v}, dest)
	if l, generic := v.([]any); err != nil && generic {
		err = storeEach(l, dest)
	}
	if err != nil {
		return fmt.Errorf("systemd: unit %s: property %s is a %T that does not fit %T: %w", unit, prop, v, *dest, err)
	}
	return nil
}

// storeEach stores the items of l into the slice dest points to.
func storeEach(l []any, dest any) error {
	out := reflect.ValueOf(dest).Elem()
	if out.Kind() != reflect.Slice {
		return fmt.Errorf("not a list")
	}
	items := reflect.MakeSlice(out.Type(), len(l), len(l))
	for i, item := range l {
		if err := dbus.Store([]any{item}, items.Index(i).Addr().Interface()); err != nil {
			return err
		}
	}
	out.Set(items)
	return nil
}
