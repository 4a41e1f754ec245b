package docker

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// FuzzMergeDaemonJSON checks the merge's promises on any input: valid
// JSON in, valid JSON out; no key lost or reordered and no other value
// changed; the storage keys hold what was asked; merging again changes
// nothing; asking for what is there returns the input byte for byte.
func FuzzMergeDaemonJSON(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "daemon-json", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/daemon-json: %v", err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "devicemapper", "dm.thinpooldev=/dev/mapper/docker-thinpool", uint8(3))
		f.Add(data, "overlay2", "", uint8(0))
	}
	f.Add([]byte(`{"storage-driver":"x","storage-driver":"y"}`), "devicemapper", "a", uint8(1))
	f.Add([]byte(`{"a":[1,{"b":"}"}],"c":"\"{"}`), "", "é\u2028<>&", uint8(2))

	f.Fuzz(func(t *testing.T, data []byte, driver, opt string, nOpts uint8) {
		s := Storage{Driver: driver}
		for i := 0; i < int(nOpts%4); i++ {
			s.Opts = append(s.Opts, opt)
		}
		out, err := mergeStorage("daemon.json", data, s)
		if err != nil {
			if mergeable(data) {
				t.Fatalf("a valid object without duplicated storage keys was refused: %v\n%q", err, data)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out:\n%q\nfrom\n%q", out, data)
		}
		inKeys, inValues := topLevel(t, data)
		outKeys, outValues := topLevel(t, out)
		managed := func(k string) bool { return k == KeyStorageDriver || k == KeyStorageOpts }
		if a, b := slices.DeleteFunc(slices.Clone(inKeys), managed), slices.DeleteFunc(slices.Clone(outKeys), managed); !slices.Equal(a, b) {
			t.Fatalf("keys changed: %q -> %q", a, b)
		}
		for k, v := range inValues {
			if !managed(k) && !reflect.DeepEqual(v, outValues[k]) {
				t.Fatalf("value of %q changed: %v -> %v", k, v, outValues[k])
			}
		}
		want := map[string]any{}
		for _, c := range s.Changes() {
			if !c.Delete {
				want[c.Key], _ = normalize(c.Value)
			}
		}
		for _, k := range []string{KeyStorageDriver, KeyStorageOpts} {
			if !reflect.DeepEqual(outValues[k], want[k]) {
				t.Fatalf("%s = %v, want %v", k, outValues[k], want[k])
			}
		}
		again, err := mergeStorage("daemon.json", out, s)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v\n%q\n%q", err, out, again)
		}
		if reflect.DeepEqual(inValues[KeyStorageDriver], want[KeyStorageDriver]) &&
			reflect.DeepEqual(inValues[KeyStorageOpts], want[KeyStorageOpts]) && !bytes.Equal(out, data) {
			t.Fatalf("nothing to change, but the bytes changed:\n%q\n%q", data, out)
		}
	})
}

// mergeable says whether data is blank or a JSON object with each storage
// key at most once that dockerd can read: the inputs the merge must accept.
// dockerd decodes daemon.json into a map[string]interface{}, so a number
// out of float64's range (1e400) makes it refuse the file, and the merge
// refuses it too (testdata/daemon-json/out-of-range-number.json).
func mergeable(data []byte) bool {
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return true
	}
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil || obj == nil { // "null" decodes into a nil map
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	count := map[string]int{}
	keys, _ := tokenKeys(dec)
	for _, k := range keys {
		count[k]++
	}
	return count[KeyStorageDriver] <= 1 && count[KeyStorageOpts] <= 1
}

// topLevel lists the top-level keys in order (with encoding/json's
// tokenizer, independently of the merge's own scanner) and decodes the
// values (the last of a duplicated key, as dockerd reads it).
func topLevel(t *testing.T, data []byte) ([]string, map[string]any) {
	t.Helper()
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return nil, map[string]any{}
	}
	keys, err := tokenKeys(json.NewDecoder(bytes.NewReader(data)))
	if err != nil {
		t.Fatalf("tokenizing %q: %v", data, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
	return keys, values
}

func tokenKeys(dec *json.Decoder) ([]string, error) {
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
