package docker

import (
	"fmt"
	"regexp"
	"strings"
)

// A flag given both on dockerd's command line and in daemon.json makes
// dockerd refuse to start: "the following directives are specified both
// as a flag and in the configuration file" (moby#30726). This file finds
// the storage flags of docker.service's command lines, including those
// that arrive through variables of an EnvironmentFile such as
// /etc/sysconfig/docker-storage (DOCKER_STORAGE_OPTIONS="--storage-driver
// devicemapper ...").

// Command is one ExecStart= command line of docker.service as systemd
// holds it: words split, environment variables not yet expanded.
type Command struct {
	Argv []string
	// Source is the unit file or drop-in that set it.
	Source string
}

// Environment holds the variables systemd passes to dockerd, each with
// the file that set it. Later settings override earlier ones, as in
// systemd: add Environment= first, then each EnvironmentFile= in order.
type Environment struct {
	vars map[string]envVar
}

type envVar struct {
	value  string
	source string
}

// Set sets one variable.
func (e *Environment) Set(name, value, source string) {
	if e.vars == nil {
		e.vars = map[string]envVar{}
	}
	e.vars[name] = envVar{value: value, source: source}
}

// Lookup returns a variable's value and where it was set.
func (e *Environment) Lookup(name string) (value, source string, ok bool) {
	v, ok := e.vars[name]
	return v.value, v.source, ok
}

// AddFile adds the variables of an EnvironmentFile; path is for messages
// and attribution.
func (e *Environment) AddFile(path string, data []byte) error {
	vars, err := ParseEnvironmentFile(data)
	if err != nil {
		return fmt.Errorf("EnvironmentFile %s: %w", path, err)
	}
	for _, kv := range vars {
		e.Set(kv[0], kv[1], path)
	}
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseEnvironmentFile reads a systemd EnvironmentFile (systemd.exec(5)):
// one NAME=VALUE per line; blank lines and lines starting with # or ; are
// skipped; a value may be 'single-quoted' (literal) or "double-quoted"
// (where \" \\ \$ and \` are escapes); outside single quotes a backslash
// at the end of a line continues the value on the next; unquoted trailing
// blanks are dropped. A leading "export " is accepted, for files that a
// shell also sources. Lines that do not assign a valid name are skipped,
// as systemd does. It returns the assignments in order.
func ParseEnvironmentFile(data []byte) ([][2]string, error) {
	var out [][2]string
	s := string(data)
	line := 1
	for i := 0; i < len(s); {
		// Start of a line.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '\n' {
			i++
			line++
			continue
		}
		if s[i] == '#' || s[i] == ';' {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		start := line
		eq := strings.IndexAny(s[i:], "=\n")
		if eq < 0 || s[i+eq] == '\n' {
			// No assignment on this line: skipped.
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		name := strings.TrimSpace(s[i : i+eq])
		name = strings.TrimSpace(strings.TrimPrefix(name, "export "))
		i += eq + 1
		value, next, lines, err := envValue(s, i)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s %w", start, name, err)
		}
		i, line = next, line+lines
		if envName.MatchString(name) {
			out = append(out, [2]string{name, value})
		}
	}
	return out, nil
}

// envValue reads a value starting at s[i] up to the end of its (logical)
// line; it returns the value, where the next line starts and how many
// newlines it consumed.
func envValue(s string, i int) (value string, next, lines int, err error) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	var b strings.Builder
	keep := 0 // length of b without unquoted trailing blanks
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n':
			return b.String()[:keep], i + 1, lines + 1, nil
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
			lines++
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			keep = b.Len()
			i += 2
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", 0, 0, fmt.Errorf("has an unterminated single quote")
			}
			quoted := s[i+1 : i+1+end]
			lines += strings.Count(quoted, "\n")
			b.WriteString(quoted)
			keep = b.Len()
			i += end + 2
		case c == '"':
			i++
			closed := false
			for i < len(s) && !closed {
				switch {
				case s[i] == '"':
					closed = true
				case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\n':
					i++
					lines++
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
					i++
					b.WriteByte(s[i])
				default:
					if s[i] == '\n' {
						lines++
					}
					b.WriteByte(s[i])
				}
				i++
			}
			if !closed {
				return "", 0, 0, fmt.Errorf("has an unterminated double quote")
			}
			keep = b.Len()
		default:
			b.WriteByte(c)
			if c != ' ' && c != '\t' && c != '\r' {
				keep = b.Len()
			}
			i++
		}
	}
	return b.String()[:keep], i, lines, nil
}

// word is one argument after expansion, with where it came from.
type word struct {
	text     string
	variable string // the variable it came from, if any
	source   string // the file that set that variable
}

var bracedVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func expand(argv []string, env *Environment) []word {
	if env == nil {
		env = &Environment{}
	}
	var out []word
	for _, a := range argv {
		if strings.HasPrefix(a, "$") && envName.MatchString(a[1:]) {
			value, source, _ := env.Lookup(a[1:])
			for _, f := range strings.Fields(value) {
				out = append(out, word{text: f, variable: a[1:], source: source})
			}
			continue
		}
		w := word{}
		// Split at "$$" first so that an escaped dollar never starts a
		// reference.
		parts := strings.Split(a, "$$")
		for i, p := range parts {
			parts[i] = bracedVar.ReplaceAllStringFunc(p, func(ref string) string {
				name := ref[2 : len(ref)-1]
				value, source, ok := env.Lookup(name)
				if ok && w.variable == "" {
					w.variable, w.source = name, source
				}
				return value
			})
		}
		w.text = strings.Join(parts, "$")
		out = append(out, w)
	}
	return out
}

// StorageFlag is a storage option given to dockerd on its command line.
type StorageFlag struct {
	// Flag is the long name: "--storage-driver" or "--storage-opt".
	Flag string
	// Value is the flag's value; empty when argv ends without it.
	Value string
	// Written is the flag as written, e.g. "-s devicemapper".
	Written string
	// Source is the file it came from: the unit file or drop-in of the
	// command line, or the EnvironmentFile of Variable.
	Source string
	// Variable is the environment variable it came through, if any.
	Variable string
}

func (f StorageFlag) String() string {
	s := fmt.Sprintf("%q in %s", f.Written, f.Source)
	if f.Variable != "" {
		s = fmt.Sprintf("%q in %s (through $%s)", f.Written, f.Source, f.Variable)
	}
	return s
}

// DaemonFlags is what docker.service's command lines say about storage.
type DaemonFlags struct {
	// Storage lists every storage flag: each one conflicts with
	// daemon.json's storage keys.
	Storage []StorageFlag
	// DataRoot is --data-root (or -g/--graph) when given, with its source.
	DataRoot, DataRootSource string
	// ConfigFile is --config-file when given: dockerd then reads that file
	// instead of /etc/docker/daemon.json.
	ConfigFile, ConfigFileSource string
}

// dockerd's single-letter flags (dockerd --help): those that are booleans
// may be grouped ("-Ds overlay2"); the others take the rest of the word or
// the next word as their value.
var (
	shortBool  = "Dhv"
	shortValue = "GHbglp"
)

// ScanCommands finds the storage, data-root and config-file flags in
// docker.service's command lines after expanding env. It reads argv the
// way dockerd's flag parser (spf13/pflag) does: --name value,
// --name=value, -s value, -svalue, -s=value, grouped booleans, and "--"
// ending the flags.
func ScanCommands(cmds []Command, env *Environment) DaemonFlags {
	var out DaemonFlags
	for _, cmd := range cmds {
		words := expand(cmd.Argv, env)
		if len(words) > 0 {
			words = words[1:] // the program
		}
		sourceOf := func(w word) (string, string) {
			if w.variable != "" {
				return w.source, w.variable
			}
			return cmd.Source, ""
		}
		for i := 0; i < len(words); i++ {
			w := words[i]
			a := w.text
			if a == "--" {
				break
			}
			// value reads a flag's value: from "=value", else the next word.
			value := func(inline string, hasInline bool) (string, string) {
				if hasInline {
					return inline, a
				}
				if i+1 < len(words) {
					i++
					return words[i].text, a + " " + words[i].text
				}
				return "", a
			}
			var long, val, written string
			switch {
			case strings.HasPrefix(a, "--"):
				name, inline, has := strings.Cut(a[2:], "=")
				switch name {
				case "storage-driver", "storage-opt", "data-root", "graph", "config-file":
					long = "--" + name
					val, written = value(inline, has)
				}
			case len(a) > 1 && a[0] == '-':
				for j := 1; j < len(a); j++ {
					c := a[j]
					if strings.IndexByte(shortBool, c) >= 0 {
						continue
					}
					if strings.IndexByte(shortValue, c) < 0 && c != 's' {
						break // not a flag dockerd knows: leave the word alone
					}
					rest := a[j+1:]
					has := rest != ""
					rest = strings.TrimPrefix(rest, "=")
					switch c {
					case 's':
						long = "--storage-driver"
					case 'g':
						long = "--data-root"
					}
					val, written = value(rest, has)
					break
				}
			}
			source, variable := sourceOf(w)
			switch long {
			case "--storage-driver", "--storage-opt":
				out.Storage = append(out.Storage, StorageFlag{Flag: long, Value: val, Written: written, Source: source, Variable: variable})
			case "--data-root", "--graph":
				out.DataRoot, out.DataRootSource = val, source
			case "--config-file":
				out.ConfigFile, out.ConfigFileSource = val, source
			}
		}
	}
	return out
}
