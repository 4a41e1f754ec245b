package ansible

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/directlvm/docker/internal/fault"
)

// Request is what a module's Run receives: its options and the settings
// Ansible passed in the "_ansible_*" keys. Warn may be called from several
// goroutines.
type Request struct {
	// Params holds the options, coerced, with defaults filled in.
	Params Params
	// CheckMode is set by --check (or check_mode: true, or an AWX check job):
	// report what would change, change nothing.
	CheckMode bool
	// Diff is set by --diff (AWX "Show Changes"); Result.Diff is emitted only then.
	Diff bool
	// NoLog is set by the task's no_log: true.
	NoLog bool
	// Verbosity counts the -v flags.
	Verbosity int
	// ModuleName is the name the task used, or Module.Name when Ansible did not say.
	ModuleName string
	// AnsibleVersion is the controller's ansible-core version, when given.
	AnsibleVersion string
	// TmpDir is a directory Ansible made for this task and removes after it;
	// empty when Ansible did not give one.
	TmpDir string
	// Fault ends the run right after one of its steps, for the
	// fault-injection tests; nil (never fires) unless the module's
	// environment names a point (see package fault).
	Fault *fault.Point

	mu       sync.Mutex
	warnings []string
}

// Warn adds a warning that Ansible shows after the task.
func (r *Request) Warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

// Warnings returns the warnings added so far.
func (r *Request) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.warnings)
}

// NewRequest builds the Request that ExecuteContext would give m.Run for these
// arguments, for module tests. args holds options and may hold "_ansible_*"
// keys; any Go values that encode to JSON will do. The error lists every
// problem, as the module's failure message would.
func NewRequest(m Module, args map[string]any) (*Request, error) {
	spec, err := m.Spec.compile()
	if err != nil {
		return nil, fmt.Errorf("module %s has an invalid argument spec: %w", m.Name, err)
	}
	j, err := toJSONValue(args)
	if err != nil {
		return nil, fmt.Errorf("arguments cannot be encoded as JSON: %w", err)
	}
	obj, _ := j.(map[string]any)
	s := newSession(m, spec, obj)
	if len(s.problems) > 0 {
		return nil, errors.New(strings.Join(s.problems, "; "))
	}
	return s.req, nil
}

// session is what one run of a module learns from its arguments.
type session struct {
	name       string // the module name for messages
	req        *Request
	invocation map[string]any // module_args for the output
	mask       masker
	problems   []string // invalid arguments; Run is not called when there are any
}

// newSession splits the arguments into Ansible's internal keys and the
// user's options, and parses both.
func newSession(m Module, spec *compiledSpec, args map[string]any) *session {
	user := map[string]any{}
	internal := map[string]any{}
	for k, v := range args {
		if strings.HasPrefix(k, "_ansible_") {
			internal[k] = v
		} else {
			user[k] = v
		}
	}
	var problems []string
	flag := func(key string) bool {
		v := internal[key]
		if v == nil {
			return false
		}
		b, reason := toBool(v)
		if reason != "" {
			problems = append(problems, fmt.Sprintf("internal argument '%s' is not a boolean: %s", key, reason))
			return false
		}
		return b.(bool)
	}
	text := func(key string) string {
		s, _ := internal[key].(string)
		return s
	}
	req := &Request{
		CheckMode:      flag("_ansible_check_mode"),
		Diff:           flag("_ansible_diff"),
		NoLog:          flag("_ansible_no_log"),
		ModuleName:     text("_ansible_module_name"),
		AnsibleVersion: text("_ansible_version"),
		TmpDir:         text("_ansible_tmpdir"),
	}
	if v := internal["_ansible_verbosity"]; v != nil {
		n, reason := toInt(v)
		if reason != "" {
			problems = append(problems, fmt.Sprintf("internal argument '_ansible_verbosity' is not an integer: %s", reason))
		} else {
			req.Verbosity = int(n.(int64))
		}
	}
	if req.ModuleName == "" {
		req.ModuleName = m.Name
	}
	var err error
	if req.Fault, err = fault.Parse(os.Getenv(fault.EnvVar)); err != nil {
		problems = append(problems, err.Error())
	}
	p := spec.parse(user, req.ModuleName, flag("_ansible_ignore_unknown_opts"))
	req.Params = p.params
	return &session{
		name:       req.ModuleName,
		req:        req,
		invocation: p.invocation,
		mask:       newMasker(p.secrets),
		problems:   append(problems, p.problems...),
	}
}
