package dockerstorage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/systemd"
)

// unitCommands returns docker.service's command lines as systemd holds them
// (over D-Bus), each attributed to the unit file or drop-in that set it,
// and the environment systemd gives dockerd: Environment= first, then each
// EnvironmentFile= in order, later settings winning (systemd.exec(5)).
func unitCommands(u systemd.UnitState) ([]docker.Command, *docker.Environment, error) {
	files := append([]string{u.FragmentPath}, u.DropInPaths...)
	var execSources []string          // one per effective ExecStart= line
	envSources := map[string]string{} // variable -> file of its Environment=
	unreadable := false               // a file the parser refused: attribute to the unit as a whole
	for _, path := range files {
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		opts, err := serviceOptions(path, data)
		if err != nil {
			// systemd read it (the commands come from systemd itself); only
			// which file set what is lost, e.g. to a line over the
			// parser's 2048 bytes.
			unreadable = true
			continue
		}
		for _, o := range opts {
			switch o.Name {
			case "ExecStart":
				if o.Value == "" {
					execSources = nil // an empty ExecStart= resets the list
				} else {
					execSources = append(execSources, path)
				}
			case "Environment":
				for _, w := range unitWords(o.Value) {
					if name, _, ok := strings.Cut(w, "="); ok {
						envSources[name] = path
					}
				}
			}
		}
	}
	unitName := u.FragmentPath
	if len(u.DropInPaths) > 0 {
		unitName += " or its drop-ins (" + strings.Join(u.DropInPaths, ", ") + ")"
	}
	cmds := make([]docker.Command, len(u.ExecStart))
	for i, argv := range u.ExecStart {
		source := unitName
		if !unreadable && len(execSources) == len(u.ExecStart) {
			source = execSources[i]
		}
		cmds[i] = docker.Command{Argv: argv, Source: source}
	}

	env := &docker.Environment{}
	for _, kv := range u.Environment {
		name, value, _ := strings.Cut(kv, "=")
		source := envSources[name]
		if source == "" || unreadable {
			source = unitName
		}
		env.Set(name, value, "Environment= in "+source)
	}
	for _, path := range u.EnvironmentFiles {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // an optional file ("-" prefix); a required one would have kept docker from starting
		} else if err != nil {
			return nil, nil, err
		}
		if err := env.AddFile(path, data); err != nil {
			return nil, nil, err
		}
	}
	return cmds, env, nil
}

// serviceOptions reads the [Service] section of a unit file
// (systemd.syntax(7)) with go-systemd's unit parser.
func serviceOptions(path string, data []byte) ([]*unit.UnitOption, error) {
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading unit file %s: %w", path, err)
	}
	opts = slices.DeleteFunc(opts, func(o *unit.UnitOption) bool { return o.Section != "Service" })
	for _, o := range opts {
		// The parser keeps continuations as written; systemd reads each
		// backslash-newline as a space.
		o.Value = strings.ReplaceAll(o.Value, "\\\n", " ")
	}
	return opts, nil
}

// unitWords splits an Environment= value into its words: whitespace
// separates them, double or single quotes group.
func unitWords(s string) []string {
	var out []string
	var b strings.Builder
	var quote byte
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, b.String())
	}
	return out
}
