package ansible

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

// leakyModule puts the value of its no_log option "password" everywhere a
// module could: msg, values, nested values, keys, diff, facts, warnings
// and the error. The runtime must mask all of it.
func leakyModule(passwordType Type, how string) Module {
	password := Option{Type: passwordType, NoLog: true}
	if passwordType == TypeList {
		password.Elements = TypeStr
	}
	return Module{
		Name: "leaky",
		Spec: Spec{
			Options: map[string]Option{
				"password": password,
				"comment":  {},
				"token":    {Type: TypeList, Elements: TypeStr, NoLog: true},
			},
			SupportsCheckMode: true,
		},
		Run: func(ctx context.Context, req *Request) (*Result, error) {
			secret := fmt.Sprint(req.Params.values["password"])
			if l, ok := req.Params.values["password"].([]any); ok {
				words := make([]string, len(l))
				for i, w := range l {
					words[i] = fmt.Sprint(w)
				}
				secret = strings.Join(words, "+")
			}
			req.Warn("warning about " + secret)
			res := &Result{
				Changed: true,
				Msg:     "msg with " + secret,
				Diff:    &Diff{Before: "password=" + secret + "\n", After: map[string]any{"password": secret}},
				Facts:   map[string]any{"fact_" + secret: secret},
				Values: map[string]any{
					"echo":   secret,
					"nested": map[string]any{"list": []any{"x", "pre-" + secret + "-post"}},
					secret:   "as a key",
				},
			}
			switch how {
			case "error":
				return res, fmt.Errorf("chpasswd failed for %s: %w", secret, errors.New("exit status 1"))
			case "panic":
				panic("panic holding " + secret)
			}
			return res, nil
		},
	}
}

func TestNoLogValuesNeverReachStdout(t *testing.T) {
	tests := []struct {
		name    string
		module  Module
		args    map[string]any
		secrets []string // none of these may appear in stdout, raw or JSON-escaped
	}{
		{
			name:    "a str secret returned everywhere",
			module:  leakyModule(TypeStr, "ok"),
			args:    map[string]any{"password": "hunter2-s3cret"},
			secrets: []string{"hunter2-s3cret"},
		},
		{
			name:    "a secret inside the msg of an error",
			module:  leakyModule(TypeStr, "error"),
			args:    map[string]any{"password": "hunter2-s3cret"},
			secrets: []string{"hunter2-s3cret"},
		},
		{
			name:    "a secret inside a panic",
			module:  leakyModule(TypeStr, "panic"),
			args:    map[string]any{"password": "hunter2-s3cret"},
			secrets: []string{"hunter2-s3cret"},
		},
		{
			name:    "a secret with characters JSON escapes",
			module:  leakyModule(TypeStr, "error"),
			args:    map[string]any{"password": `p"<&>\w0rd`},
			secrets: []string{`p"<&>\w0rd`},
		},
		{
			name:    "an int secret given as a string",
			module:  leakyModule(TypeInt, "error"),
			args:    map[string]any{"password": "918273645"},
			secrets: []string{"918273645"},
		},
		{
			name:    "a list secret, element by element",
			module:  leakyModule(TypeList, "error"),
			args:    map[string]any{"password": "alpha-s3cret,beta-s3cret"},
			secrets: []string{"alpha-s3cret", "beta-s3cret"},
		},
		{
			name:    "a secret that does not convert is not quoted in the error",
			module:  leakyModule(TypeInt, "ok"),
			args:    map[string]any{"password": "not-a-number-s3cret"},
			secrets: []string{"not-a-number-s3cret"},
		},
		{
			name:    "a no_log list option given as a comma-separated string",
			module:  leakyModule(TypeStr, "ok"),
			args:    map[string]any{"password": "x-s3cret", "token": "tok-one,tok-two"},
			secrets: []string{"x-s3cret", "tok-one", "tok-two"},
		},
		{
			name:    "another option repeating the secret",
			module:  leakyModule(TypeStr, "ok"),
			args:    map[string]any{"password": "hunter2-s3cret", "comment": "set to hunter2-s3cret"},
			secrets: []string{"hunter2-s3cret"},
		},
		{
			name:    "diff mode and check mode",
			module:  leakyModule(TypeStr, "ok"),
			args:    map[string]any{"password": "hunter2-s3cret", "_ansible_diff": true, "_ansible_check_mode": true},
			secrets: []string{"hunter2-s3cret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, stdout := execute(t, tt.module, tt.args)
			for _, secret := range tt.secrets {
				if strings.Contains(stdout, secret) || strings.Contains(stdout, jsonEscaped(t, secret)) {
					t.Errorf("secret %q reached stdout:\n%s", secret, stdout)
				}
			}
			if !strings.Contains(stdout, maskText) && out["failed"] != true {
				t.Errorf("expected masked values (%s) in the output:\n%s", maskText, stdout)
			}
			if got := moduleArgs(t, out)["password"]; got != noLogMarker {
				t.Errorf("invocation shows password = %v, want %s", got, noLogMarker)
			}
		})
	}
}

func TestMaskingKeepsTheRestOfTheOutput(t *testing.T) {
	out, code, _ := execute(t, leakyModule(TypeStr, "error"), map[string]any{"password": "hunter2-s3cret", "comment": "plain"})
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	want := map[string]string{
		"msg":           `"chpasswd failed for ********: exit status 1"`,
		"echo":          `"********"`,
		"nested":        `{"list":["x","pre-********-post"]}`,
		"********":      `"as a key"`,
		"ansible_facts": `{"fact_********":"********"}`,
		"warnings":      `["warning about ********"]`,
		"invocation":    `{"module_args":{"comment":"plain","password":"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER","token":null}}`,
	}
	for key, w := range want {
		if got := jsonText(t, out[key]); got != w {
			t.Errorf("%s = %s, want %s", key, got, w)
		}
	}
}

func TestNoLogTaskHidesTheInvocation(t *testing.T) {
	out, _, stdout := execute(t, leakyModule(TypeStr, "ok"), map[string]any{"comment": "private-comment", "_ansible_no_log": true})
	if strings.Contains(stdout, "private-comment") {
		t.Errorf("with _ansible_no_log the arguments must not be echoed:\n%s", stdout)
	}
	if got := jsonText(t, out["invocation"]); got != jsonText(t, map[string]any{"module_args": noLogInvocation}) {
		t.Errorf("invocation = %s", got)
	}
}

func TestMaskerReplacesLongestSecretsFirst(t *testing.T) {
	m := newMasker([]string{"abc", "abcdef", "", "abc"})
	if got := m.text("x abcdef y abc"); got != "x ******** y ********" {
		t.Errorf("masked text = %q", got)
	}
}

// jsonEscaped returns s as it appears inside a JSON string in the output.
func jsonEscaped(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	quoted := strings.TrimSpace(buf.String())
	return quoted[1 : len(quoted)-1]
}
