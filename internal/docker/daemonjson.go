package docker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// The daemon.json keys this project reads or writes.
const (
	KeyStorageDriver = "storage-driver"
	KeyStorageOpts   = "storage-opts"
	KeyDataRoot      = "data-root"
	keyGraph         = "graph" // data-root's name before Docker 17.05
)

// DefaultDaemonJSON is where dockerd reads its configuration unless told
// otherwise (--config-file).
const DefaultDaemonJSON = "/etc/docker/daemon.json"

// DaemonJSON is a parsed daemon.json. It keeps the file's bytes, so that a
// merge can change the few keys it must and leave every other byte as it
// was.
type DaemonJSON struct {
	path    string
	data    []byte
	empty   bool // no object at all: a missing or blank file
	obj     object
	members map[string][]int // key -> indexes into obj.members
}

// object is where the top-level object and its members sit in the bytes.
type object struct {
	open, close int // offsets of '{' and '}'
	members     []member
}

// member is one top-level "key": value, by byte offsets.
type member struct {
	key                string
	keyStart, keyEnd   int // the key's string literal, quotes included
	valueStart, valEnd int // the value's text
}

// SyntaxError is a daemon.json that is not one JSON object.
type SyntaxError struct {
	Path   string
	Line   int // 1-based
	Column int // 1-based, in characters
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s; dockerd cannot read it either: fix it by hand (it was left untouched)", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s is not valid JSON: line %d, column %d: %s; dockerd cannot read it either: fix it by hand (it was left untouched)",
		e.Path, e.Line, e.Column, e.Msg)
}

// ParseDaemonJSON reads daemon.json's bytes; path is for messages. Empty
// or blank data is a file with no settings (as a missing file is).
func ParseDaemonJSON(path string, data []byte) (*DaemonJSON, error) {
	d := &DaemonJSON{path: path, data: data, members: map[string][]int{}}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		d.empty = true
		return d, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			offset := se.Offset
			if strings.Contains(se.Error(), "unexpected end") {
				offset++ // the missing character is after the last one
			}
			line, col := position(data, offset)
			return nil, &SyntaxError{Path: path, Line: line, Column: col, Msg: se.Error()}
		}
		return nil, &SyntaxError{Path: path, Msg: err.Error()}
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, &SyntaxError{Path: path, Msg: fmt.Sprintf("holds a JSON %s, not an object", jsonKind(v))}
	}
	d.obj = scanObject(data)
	for i, m := range d.obj.members {
		d.members[m.key] = append(d.members[m.key], i)
	}
	return d, nil
}

// position turns the offset of a json.SyntaxError (the bytes read when the
// error was found) into the line and column of the offending character.
func position(data []byte, offset int64) (line, col int) {
	pos := int(offset) - 1
	if pos < 0 {
		pos = 0
	}
	if pos > len(data) {
		pos = len(data)
	}
	lineStart := bytes.LastIndexByte(data[:pos], '\n') + 1
	return bytes.Count(data[:pos], []byte{'\n'}) + 1, utf8.RuneCount(data[lineStart:pos]) + 1
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// Keys returns the top-level keys in the file's order (a duplicated key as
// often as it appears).
func (d *DaemonJSON) Keys() []string {
	keys := make([]string, len(d.obj.members))
	for i, m := range d.obj.members {
		keys[i] = m.key
	}
	return keys
}

// Get decodes the value of a top-level key (the last one, as dockerd reads
// a duplicated key).
func (d *DaemonJSON) Get(key string) (any, bool) {
	idx := d.members[key]
	if len(idx) == 0 {
		return nil, false
	}
	m := d.obj.members[idx[len(idx)-1]]
	v, err := decodeValue(d.data[m.valueStart:m.valEnd])
	if err != nil { // cannot happen: the whole document decoded
		return nil, false
	}
	return v, true
}

// String returns a top-level string value, "" when absent or not a string.
func (d *DaemonJSON) String(key string) string {
	v, _ := d.Get(key)
	s, _ := v.(string)
	return s
}

// StringList returns a top-level list of strings; other elements are
// skipped.
func (d *DaemonJSON) StringList(key string) []string {
	v, _ := d.Get(key)
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// StorageDriver returns "storage-driver", "" when unset.
func (d *DaemonJSON) StorageDriver() string { return d.String(KeyStorageDriver) }

// StorageOpts returns "storage-opts".
func (d *DaemonJSON) StorageOpts() []string { return d.StringList(KeyStorageOpts) }

// DataRoot returns "data-root" (or its old name "graph"), "" when unset.
func (d *DaemonJSON) DataRoot() string {
	if s := d.String(KeyDataRoot); s != "" {
		return s
	}
	return d.String(keyGraph)
}

// Change is one edit of a top-level key: set it to Value (anything
// encoding/json encodes), or delete it.
type Change struct {
	Key    string
	Value  any
	Delete bool
}

// Storage is the storage part of daemon.json.
type Storage struct {
	Driver string   // "storage-driver"; empty removes the key
	Opts   []string // "storage-opts"; empty removes the key
}

// Changes returns the edits that make daemon.json hold exactly s.
func (s Storage) Changes() []Change {
	c := []Change{{Key: KeyStorageDriver, Value: s.Driver, Delete: s.Driver == ""}}
	return append(c, Change{Key: KeyStorageOpts, Value: s.Opts, Delete: len(s.Opts) == 0})
}

// MergeDaemonJSON returns daemon.json with changes applied. Every other
// key keeps its value, its place and its bytes (unicode, escapes, number
// spelling, layout); a changed value is replaced in place, a new key goes
// after the last one in the file's own indentation. When no value changes,
// the result is data itself, byte for byte. Malformed data, or a changed
// key that appears more than once, is an error and nothing is produced.
func MergeDaemonJSON(path string, data []byte, changes []Change) ([]byte, error) {
	d, err := ParseDaemonJSON(path, data)
	if err != nil {
		return nil, err
	}
	return d.Merge(changes)
}

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Merge is MergeDaemonJSON on a parsed file.
func (d *DaemonJSON) Merge(changes []Change) ([]byte, error) {
	style := d.style()
	edits, inserts, deleted, err := d.changeEdits(changes, style)
	if err != nil {
		return nil, err
	}
	if len(edits) == 0 && len(inserts) == 0 && len(deleted) == 0 {
		return d.data, nil
	}
	return d.rewrite(edits, inserts, deleted, style)
}

// changeEdits turns changes into edits of values in place, new keys to
// insert (in the order asked) and the indexes of members to delete.
func (d *DaemonJSON) changeEdits(changes []Change, style layout) (edits []edit, inserts []Change, deleted map[int]bool, err error) {
	deleted = map[int]bool{}
	seen := map[string]bool{}
	for _, c := range changes {
		if seen[c.Key] {
			return nil, nil, nil, fmt.Errorf("%s: key %q is changed twice in one merge", d.path, c.Key)
		}
		seen[c.Key] = true
		idx := d.members[c.Key]
		if len(idx) > 1 {
			return nil, nil, nil, fmt.Errorf("%s: key %q appears %d times; dockerd would read only the last one: remove the others by hand", d.path, c.Key, len(idx))
		}
		if c.Delete {
			if len(idx) == 1 {
				deleted[idx[0]] = true
			}
			continue
		}
		want, err := normalize(c.Value)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: value for %q: %w", d.path, c.Key, err)
		}
		if len(idx) == 0 {
			inserts = append(inserts, Change{Key: c.Key, Value: want})
			continue
		}
		m := d.obj.members[idx[0]]
		have, _ := decodeValue(d.data[m.valueStart:m.valEnd])
		if reflect.DeepEqual(have, want) {
			continue
		}
		// Keep the style of the value it replaces: a list written on one
		// line stays on one line.
		multiline := style.multiline && (!isList(have) || len(have.([]any)) == 0 || bytes.ContainsRune(d.data[m.valueStart:m.valEnd], '\n'))
		text, err := render(want, multiline, style.indent, style.itemSep())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: value for %q: %w", d.path, c.Key, err)
		}
		edits = append(edits, edit{m.valueStart, m.valEnd, style.lines(text)})
	}
	return edits, inserts, deleted, nil
}

// rewrite applies edits, deletes the members in deleted and inserts new
// members after the last one, in the file's own style.
func (d *DaemonJSON) rewrite(edits []edit, inserts []Change, deleted map[int]bool, style layout) ([]byte, error) {
	if len(deleted) == len(d.obj.members) && !d.empty {
		// Every existing member goes: write the object afresh.
		text, err := freshObject(inserts, style)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		return splice(d.data, []edit{{d.obj.open, d.obj.close + 1, text}}), nil
	}
	if d.empty {
		text, err := freshObject(inserts, style)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		return []byte(text + "\n"), nil
	}
	ms := d.obj.members
	firstKept := 0
	for deleted[firstKept] {
		firstKept++
	}
	if firstKept > 0 {
		// The leading members go up to the first one kept, which takes
		// the place (and the indentation) of the first.
		edits = append(edits, edit{ms[0].keyStart, ms[firstKept].keyStart, ""})
	}
	for i := range deleted {
		if i > firstKept {
			// A later member goes with the separator before it.
			edits = append(edits, edit{ms[i-1].valEnd, ms[i].valEnd, ""})
		}
	}
	if len(inserts) > 0 {
		var b strings.Builder
		for _, c := range inserts {
			text, err := renderMember(c, style)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.path, err)
			}
			b.WriteString(style.separator)
			b.WriteString(text)
		}
		last := d.obj.members[len(d.obj.members)-1]
		edits = append(edits, edit{last.valEnd, last.valEnd, b.String()})
	}
	return splice(d.data, edits), nil
}

// splice applies non-overlapping edits. An insertion at the end of a
// replaced or removed range lands after it.
func splice(data []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start > edits[j].start
		}
		return edits[i].end > edits[j].end
	})
	out := slices.Clone(data)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	return out
}

// layout is how a file writes its top-level object.
type layout struct {
	multiline bool   // one member per line
	indent    string // a member's indentation, and the unit for nesting
	colon     string // between a key and its value, e.g. ": "
	separator string // between one member's value and the next key
	newline   string // "\n", or "\r\n" in a file written on Windows
}

// style reads the layout of the file's top-level object; an empty object
// gets dockerd's documentation's: two spaces, one member per line.
func (d *DaemonJSON) style() layout {
	l := layout{multiline: true, indent: "  ", colon: ": ", separator: ",\n  ", newline: "\n"}
	ms := d.obj.members
	if d.empty || len(ms) == 0 {
		return l
	}
	lead := string(d.data[d.obj.open+1 : ms[0].keyStart])
	if nl := strings.LastIndexByte(lead, '\n'); nl >= 0 {
		l.indent = lead[nl+1:]
		if strings.HasSuffix(lead[:nl+1], "\r\n") {
			l.newline = "\r\n"
		}
		l.separator = "," + l.newline + l.indent
	} else {
		l.multiline = false
		l.indent = "  "
		l.separator = ", "
		if lead == "" {
			l.separator = ","
		}
	}
	if c := string(d.data[ms[0].keyEnd:ms[0].valueStart]); !strings.ContainsAny(c, "\r\n") {
		l.colon = c
	}
	if len(ms) > 1 {
		sep := string(d.data[ms[0].valEnd:ms[1].keyStart])
		if strings.Contains(sep, "\n") == l.multiline {
			l.separator = sep
		}
	}
	return l
}

// itemSep is what separates the elements of a list written on one line:
// a compact file gets a compact list.
func (l layout) itemSep() string {
	if l.multiline || strings.ContainsAny(l.separator, " \t") {
		return ", "
	}
	return ","
}

// freshObject writes an object holding only members, in the layout l.
func freshObject(members []Change, l layout) (string, error) {
	if len(members) == 0 {
		return "{}", nil
	}
	var b strings.Builder
	b.WriteString("{")
	if l.multiline {
		b.WriteString(l.newline + l.indent)
	}
	for i, c := range members {
		if i > 0 {
			b.WriteString(l.separator)
		}
		text, err := renderMember(c, l)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
	}
	if l.multiline {
		b.WriteString(l.newline)
	}
	b.WriteString("}")
	return b.String(), nil
}

func renderMember(c Change, l layout) (string, error) {
	key, err := render(c.Key, false, "", ", ")
	if err != nil {
		return "", err
	}
	value, err := render(c.Value, l.multiline, l.indent, l.itemSep())
	if err != nil {
		return "", fmt.Errorf("value for %q: %w", c.Key, err)
	}
	return key + l.colon + l.lines(value), nil
}

// lines gives rendered text the file's line endings.
func (l layout) lines(text string) string {
	if l.newline == "\n" {
		return text
	}
	return strings.ReplaceAll(text, "\n", l.newline)
}

// render writes a value as JSON without HTML escaping (so "<", ">" and
// "&" stay readable), keeping non-ASCII text as it is. A multiline list
// or object puts one element per line, indented by one more indent than
// the member; otherwise a list's elements are joined with itemSep.
func render(v any, multiline bool, indent, itemSep string) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if multiline {
		enc.SetIndent(indent, indent)
	}
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	text := strings.TrimSuffix(b.String(), "\n")
	if !multiline {
		// One line, with the spacing people write by hand: ["a", "b"].
		if l, ok := v.([]any); ok && len(l) > 0 {
			items := make([]string, len(l))
			for i, e := range l {
				s, err := render(e, false, "", itemSep)
				if err != nil {
					return "", err
				}
				items[i] = s
			}
			text = "[" + strings.Join(items, itemSep) + "]"
		}
	}
	return text, nil
}

// normalize turns a Go value into what decoding its JSON gives, so that it
// compares with decoded file values.
func normalize(v any) (any, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return decodeValue(b.Bytes())
}

// decodeValue decodes JSON keeping numbers as written (json.Number).
func decodeValue(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

// scanObject finds the members of the top-level object of data, which
// json.Unmarshal has already accepted: the scanner needs no error paths.
func scanObject(data []byte) object {
	s := scanner{data: data}
	s.space()
	o := object{open: s.pos}
	s.pos++ // '{'
	for {
		s.space()
		if s.data[s.pos] == '}' {
			o.close = s.pos
			return o
		}
		if s.data[s.pos] == ',' {
			s.pos++
			s.space()
		}
		var m member
		m.keyStart = s.pos
		s.str()
		m.keyEnd = s.pos
		_ = json.Unmarshal(data[m.keyStart:m.keyEnd], &m.key)
		s.space()
		s.pos++ // ':'
		s.space()
		m.valueStart = s.pos
		s.value()
		m.valEnd = s.pos
		o.members = append(o.members, m)
	}
}

// scanner walks valid JSON by byte offsets.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// str skips a string literal starting at its opening quote.
func (s *scanner) str() {
	s.pos++
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			s.pos += 2
		case '"':
			s.pos++
			return
		default:
			s.pos++
		}
	}
}

// value skips one value of any kind.
func (s *scanner) value() {
	switch s.data[s.pos] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.pos++
			if depth == 0 {
				return
			}
		}
	default: // number, true, false, null
		for s.pos < len(s.data) && !strings.ContainsRune(" \t\r\n,}]", rune(s.data[s.pos])) {
			s.pos++
		}
	}
}
