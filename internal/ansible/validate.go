package ansible

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// noLogMarker replaces a no_log option's value in the invocation, as in
// AnsibleModule.
const noLogMarker = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

// parsed is what parsing the user's options against a spec gives.
type parsed struct {
	params     Params
	problems   []string       // every validation failure, in a stable order
	secrets    []string       // text of every no_log value, given or coerced
	invocation map[string]any // module_args for the output, no_log values replaced
}

// parse coerces and checks the user's options (the arguments without the
// "_ansible_*" keys) the way AnsibleModule's validator does, collecting every
// problem instead of stopping at the first. moduleName appears in the
// unsupported-parameters message; ignoreUnknown drops unknown options
// silently (_ansible_ignore_unknown_opts).
func (c *compiledSpec) parse(user map[string]any, moduleName string, ignoreUnknown bool) parsed {
	out := parsed{
		params: Params{
			options: c.options,
			values:  map[string]any{},
			given:   map[string]bool{},
		},
		invocation: map[string]any{},
	}
	var problems []string

	// Unknown options first, with Ansible's exact wording.
	if p := c.unknownProblem(user, moduleName); p != "" && !ignoreUnknown {
		problems = append(problems, p)
	}

	for _, name := range c.names {
		if user[name] != nil {
			out.params.given[name] = true
			if c.options[name].NoLog {
				out.secrets = appendSecrets(out.secrets, user[name])
			}
		}
	}

	// Each option: default, required, type, choices.
	var missing, valueProblems []string
	for _, name := range c.names {
		opt := c.options[name]
		raw := user[name]
		if raw == nil {
			if opt.Required {
				missing = append(missing, name)
			}
			if opt.defValue != nil {
				out.params.values[name] = opt.defValue
			}
			continue
		}
		value, convErr := coerceOption(opt.Option, raw)
		if convErr != nil {
			valueProblems = append(valueProblems, conversionProblem(name, opt, convErr))
			out.invocation[name] = normalize(raw)
			continue
		}
		out.params.values[name] = value
		if bad := opt.notChosen(value); len(bad) > 0 {
			valueProblems = append(valueProblems, choiceProblem(name, opt, bad))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing required arguments: "+strings.Join(missing, ", "))
	}
	problems = append(problems, valueProblems...)

	// Relations judged on effective values, defaults included, as Ansible does.
	problems = append(problems, c.requiredIfProblems(out.params.values)...)

	for _, name := range c.names {
		value, ok := out.params.values[name]
		if ok && c.options[name].NoLog {
			out.secrets = appendSecrets(out.secrets, value)
		}
		if _, shown := out.invocation[name]; !shown {
			out.invocation[name] = value
		}
		if c.options[name].NoLog && out.invocation[name] != nil {
			out.invocation[name] = noLogMarker
		}
	}
	out.problems = problems
	return out
}

// conversionProblem words a conversion failure like AnsibleModule. For a
// no_log option the reason, which may quote part of the value, is left out.
func conversionProblem(name string, opt *compiledOption, e *conversionError) string {
	what := fmt.Sprintf("argument '%s'", name)
	if e.element > 0 {
		what += fmt.Sprintf(" item %d", e.element)
	}
	reason := e.reason
	if opt.NoLog {
		reason = "the value is not shown because the option is no_log"
	}
	return fmt.Sprintf("%s is of type %s and we were unable to convert to %s: %s", what, e.from, e.to, reason)
}

// choiceProblem words a value outside the choices like AnsibleModule.
func choiceProblem(name string, opt *compiledOption, bad []string) string {
	choices := make([]string, len(opt.choices))
	for i, c := range opt.choices {
		choices[i] = displayValue(c)
	}
	if opt.Type == TypeList {
		return fmt.Sprintf("value of %s must be one or more of: %s. Got no match for: %s",
			name, strings.Join(choices, ", "), strings.Join(bad, ", "))
	}
	return fmt.Sprintf("value of %s must be one of: %s, got: %s", name, strings.Join(choices, ", "), bad[0])
}

// notChosen returns, as text, the value (or the list elements) that are not
// among the option's choices; nil when all are or there are no choices.
func (co *compiledOption) notChosen(value any) []string {
	if len(co.choices) == 0 {
		return nil
	}
	values := []any{value}
	if co.Type == TypeList {
		values, _ = value.([]any)
	}
	var bad []string
	for _, v := range values {
		found := false
		for _, choice := range co.choices {
			if reflect.DeepEqual(v, choice) {
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, displayValue(v))
		}
	}
	return bad
}

// appendSecrets appends the text of every scalar inside v, a JSON-form or
// normalized value. Booleans, null and empty strings are no secrets.
func appendSecrets(secrets []string, v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			secrets = append(secrets, v)
		}
	case json.Number:
		secrets = append(secrets, v.String())
	case int64:
		secrets = append(secrets, strconv.FormatInt(v, 10))
	case float64:
		secrets = append(secrets, strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		for _, item := range v {
			secrets = appendSecrets(secrets, item)
		}
	case map[string]any:
		for _, item := range v {
			secrets = appendSecrets(secrets, item)
		}
	}
	return secrets
}

// requiredIfProblems says which required_if rules the effective values
// break, in Ansible's words.
func (c *compiledSpec) requiredIfProblems(values map[string]any) []string {
	var problems []string
	isSet := func(name string) bool { return values[name] != nil }
	for i, rule := range c.RequiredIf {
		if !reflect.DeepEqual(values[rule.Key], c.requiredIfs[i]) {
			continue
		}
		var absent []string
		for _, name := range rule.Requires {
			if !isSet(name) {
				absent = append(absent, name)
			}
		}
		word := "all"
		tooMany := len(absent) > 0
		if rule.AnyOf {
			word = "any"
			tooMany = len(absent) == len(rule.Requires)
		}
		if tooMany {
			problems = append(problems, fmt.Sprintf("%s is %s but %s of the following are missing: %s",
				rule.Key, displayValue(c.requiredIfs[i]), word, strings.Join(absent, ", ")))
		}
	}
	return problems
}

// unknownProblem names the options user gives that the spec lacks, in
// Ansible's words; "" when there are none.
func (c *compiledSpec) unknownProblem(user map[string]any, moduleName string) string {
	var unknown []string
	for name := range user {
		if c.options[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	sort.Strings(unknown)
	return fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s.",
		moduleName, strings.Join(unknown, ", "), strings.Join(c.names, ", "))
}
