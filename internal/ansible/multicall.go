package ansible

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Modules are several modules in one binary (a collection ships one file
// per architecture, sent to a host once, instead of one per module). Each
// run is the module its arguments name in _ansible_module_name, which
// ansible-core and the collection's action plugin set to the task's
// module, in full (directlvm.docker.lvm_profile) or short; without it, the
// module the program is named after (ansible-core names the binary it
// copies after the module).
type Modules []Module

// ExecuteContext runs the module that the arguments or program (the path
// the binary was run by, os.Args[0]) name, as the package's
// ExecuteContext runs one module.
func (ms Modules) ExecuteContext(ctx context.Context, program string, args []string, stdin io.Reader, stdout io.Writer) int {
	name := filepath.Base(program)
	return runAndWrite(ctx, name, func(obj map[string]any) (Module, error) { return ms.pick(obj, name) }, args, stdin, stdout)
}

func (ms Modules) pick(args map[string]any, program string) (Module, error) {
	asked, _ := args["_ansible_module_name"].(string)
	if asked != "" {
		short := asked[strings.LastIndex(asked, ".")+1:]
		if m, ok := ms.named(short); ok {
			return m, nil
		}
		return Module{}, fmt.Errorf("%s holds the modules %s; it has no module %s (_ansible_module_name): the collection's action plugin runs the binary of the collection the task names",
			program, ms.names(), asked)
	}
	if m, ok := ms.named(program); ok {
		return m, nil
	}
	return Module{}, fmt.Errorf("%s holds the modules %s, and the arguments do not say which to run: give _ansible_module_name, or run it by a name among those (a link named after the module)", program, ms.names())
}

func (ms Modules) named(name string) (Module, bool) {
	for _, m := range ms {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}

func (ms Modules) names() string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}
