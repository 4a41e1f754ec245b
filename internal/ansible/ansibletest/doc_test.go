package ansibletest

import (
	"slices"
	"strings"
	"testing"
)

// A result key RETURN does not document, at the top or inside a dict whose
// entry lists contains, is reported with its value; so is a documented key
// the result lacks. Keys the protocol owns are not RETURN's business.
func TestReturnDocsAreComparedWithAResultBothWays(t *testing.T) {
	documented := map[string]ReturnDoc{
		"msg":   {Description: "x", Returned: "always", Type: "str"},
		"stale": {Description: "x", Returned: "always", Type: "str"},
		"pool": {Description: "x", Returned: "always", Type: "dict", Contains: map[string]ReturnDoc{
			"name": {Description: "x", Returned: "always", Type: "str"},
		}},
		"status": {Description: "x", Returned: "always", Type: "dict"}, // free-form: not descended into
	}
	result := map[string]any{
		"changed": true, "invocation": map[string]any{}, "warnings": []any{"w"},
		"msg":    "done",
		"pool":   map[string]any{"name": "thinpool", "size_bytes": 4096},
		"status": map[string]any{"anything": "goes"},
		"extra":  true,
	}
	got := returnProblems("probe", documented, result)
	want := []string{
		"RETURN does not document extra, which probe returns (value true): add it with description, returned, type and sample",
		"RETURN does not document pool.size_bytes, which probe returns (value 4096): add it with description, returned, type and sample",
		"RETURN documents stale, but probe's result has no such key: remove it from RETURN, or return it",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
