package ansible

import (
	"os"
	"os/user"
	"strings"
)

// expandPath expands a path option the way Ansible does:
// os.path.expanduser(os.path.expandvars(value)).
func expandPath(p string) string {
	return expandUser(expandVars(p))
}

// expandVars replaces $NAME and ${NAME} with the variable's value, like
// Python's posixpath.expandvars: NAME is made of ASCII letters, digits and
// underscores, and a variable that is not set is left as written.
func expandVars(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		name, end := varName(s, i)
		if value, ok := os.LookupEnv(name); ok && name != "" {
			b.WriteString(value)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

// varName reads the variable reference starting at s[dollar] == '$' and
// returns its name and the index just after it. A reference without a name
// ("$", "$-", "${" without "}") spans only the dollar sign.
func varName(s string, dollar int) (string, int) {
	start := dollar + 1
	if start < len(s) && s[start] == '{' {
		if closing := strings.IndexByte(s[start:], '}'); closing >= 0 {
			return s[start+1 : start+closing], start + closing + 1
		}
		return "", start
	}
	end := start
	for end < len(s) && isWordByte(s[end]) {
		end++
	}
	return s[start:end], end
}

func isWordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// expandUser replaces a leading "~" with $HOME (or the current user's home
// directory when HOME is not set) and "~name" with that user's home
// directory, like Python's posixpath.expanduser. An unknown user leaves the
// path as written.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	end := strings.IndexByte(p, '/')
	if end < 0 {
		end = len(p)
	}
	var home string
	if end == 1 {
		if h, ok := os.LookupEnv("HOME"); ok {
			home = h
		} else if u, err := user.Current(); err == nil {
			home = u.HomeDir
		} else {
			return p
		}
	} else {
		u, err := user.Lookup(p[1:end])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if out := strings.TrimRight(home, "/") + p[end:]; out != "" {
		return out
	}
	return "/"
}
