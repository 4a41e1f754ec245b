// Package ansible runs a Go program as an Ansible binary module.
//
// ansible-core copies a binary module to the target host and runs it as
// "<binary> <args-file>", where the file holds one JSON object: the user's
// options plus internal "_ansible_*" keys (check mode, diff mode, no_log,
// verbosity, ...). The module must print exactly one JSON object on stdout;
// when that object parses, Ansible ignores stderr and the exit code.
//
// A module declares its options in a [Spec] and its work in a Run function:
//
//	func main() {
//		ansible.Main(ansible.Module{
//			Name: "thinpool",
//			Spec: ansible.Spec{
//				Options: map[string]ansible.Option{
//					"vg":    {Type: ansible.TypeStr, Required: true},
//					"state": {Type: ansible.TypeStr, Default: "present", Choices: []any{"present", "absent"}},
//				},
//				SupportsCheckMode: true,
//			},
//			Run: run,
//		})
//	}
//
// The package does what AnsibleModule does for Python modules: it coerces
// option values the way Ansible does (so ad-hoc "k=v" arguments and AWX survey
// answers such as "3" or "yes" work), reports every invalid option at once,
// skips modules that do not support check mode, emits the diff only in diff
// mode, hides no_log values everywhere in the output, turns errors and panics
// into failure JSON, and guarantees that nothing but that one JSON object
// reaches stdout. Run reads the options once, into a struct of its own, with
// [Params.Decode].
package ansible
