package dockerstorage

import (
	"errors"
	"io/fs"
	"os"
	"strings"

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
		for _, a := range serviceAssignments(data) {
			switch a.key {
			case "ExecStart":
				if a.value == "" {
					execSources = nil // an empty ExecStart= resets the list
				} else {
					execSources = append(execSources, path)
				}
			case "Environment":
				for _, w := range unitWords(a.value) {
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
		if len(execSources) == len(u.ExecStart) {
			source = execSources[i]
		}
		cmds[i] = docker.Command{Argv: argv, Source: source}
	}

	env := &docker.Environment{}
	for _, kv := range u.Environment {
		name, value, _ := strings.Cut(kv, "=")
		source := envSources[name]
		if source == "" {
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

// assignment is one Key=Value of a unit file's [Service] section.
type assignment struct{ key, value string }

// serviceAssignments reads the [Service] section of a unit file
// (systemd.syntax(7)): comments start with # or ;, a backslash at the end
// of a line continues it, whitespace around "=" is dropped.
func serviceAssignments(data []byte) []assignment {
	var out []assignment
	section := ""
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if strings.HasPrefix(next, "#") || strings.HasPrefix(next, ";") {
				continue // comment lines inside a continuation are skipped
			}
			line = strings.TrimSuffix(line, `\`) + " " + next
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		case section == "Service":
			if k, v, ok := strings.Cut(line, "="); ok {
				out = append(out, assignment{strings.TrimSpace(k), strings.TrimSpace(v)})
			}
		}
	}
	return out
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
