package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	json "github.com/goccy/go-json"
)

// Values travel in two forms inside this package:
//
//   - JSON form, as decoded with UseNumber: nil, bool, string, json.Number,
//     []any and map[string]any. Coercion reads this form, so "3" and 3.0 keep
//     the text they were written with.
//   - normalized form, handed to modules: numbers become int64 when they are
//     whole and float64 otherwise.

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
// Anything after the value but white space is an error.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return v, nil
	case err == nil:
		return nil, errors.New("unexpected data after the JSON value")
	default:
		return nil, fmt.Errorf("unexpected data after the JSON value: %w", err)
	}
}

// toJSONValue turns any Go value into its JSON form by a JSON round trip, so
// that []string, map[string]int or structs look like decoded arguments.
func toJSONValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(data)
}

// normalize turns a JSON-form value into the normalized form, copying lists
// and maps.
func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(v.String(), 64); err == nil {
			return f
		}
		return v.String()
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = normalize(item)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = normalize(item)
		}
		return out
	}
	return v
}

// displayValue writes a normalized scalar the way Python's str() would, for
// messages such as "value of state must be one of: present, absent".
func displayValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return pyBool(v)
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}
