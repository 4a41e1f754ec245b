package docker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dm is the runbook's devicemapper storage configuration.
var dm = Storage{Driver: "devicemapper", Opts: []string{
	"dm.thinpooldev=/dev/mapper/docker-thinpool",
	"dm.use_deferred_removal=true",
	"dm.use_deferred_deletion=true",
}}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "daemon-json", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMergeStorageKeepsEverythingElseAsWritten(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		s    Storage
		want string
	}{
		{
			name: "no file yet: the documentation's layout",
			in:   nil,
			s:    dm,
			want: string(fixture(t, "converged.json")),
		},
		{
			name: "two-space file: keys, order, unicode, HTML characters and number spelling untouched; new keys appended in its indentation",
			in:   fixture(t, "two-spaces.json"),
			s:    dm,
			want: `{
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  },
  "registry-mirrors": ["https://mirror.example.org"],
  "labels": ["région=île-de-france", "emoji=🐳", "html=<a&b>"],
  "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}},
  "max-concurrent-downloads": 1.50e1,
  "storage-driver": "devicemapper",
  "storage-opts": [
    "dm.thinpooldev=/dev/mapper/docker-thinpool",
    "dm.use_deferred_removal=true",
    "dm.use_deferred_deletion=true"
  ]
}
`,
		},
		{
			name: "tab file with overlay2: values replaced where they stand, a one-line list stays on one line",
			in:   fixture(t, "tabs-with-overlay2.json"),
			s:    dm,
			want: "{\n\t\"debug\": true,\n\t\"storage-driver\": \"devicemapper\",\n\t\"storage-opts\": [\"dm.thinpooldev=/dev/mapper/docker-thinpool\", \"dm.use_deferred_removal=true\", \"dm.use_deferred_deletion=true\"],\n\t\"live-restore\": true\n}\n",
		},
		{
			name: "compact file without a final newline stays compact",
			in:   fixture(t, "compact.json"),
			s:    dm,
			want: `{"debug":true,"log-level":"warn","storage-driver":"devicemapper","storage-opts":["dm.thinpooldev=/dev/mapper/docker-thinpool","dm.use_deferred_removal=true","dm.use_deferred_deletion=true"]}`,
		},
		{
			name: "CRLF file with four spaces keeps both",
			in:   fixture(t, "four-spaces-crlf.json"),
			s:    Storage{Driver: "devicemapper", Opts: []string{"dm.thinpooldev=/dev/mapper/docker-thinpool"}},
			want: "{\r\n    \"bip\": \"172.26.0.1/16\",\r\n    \"mtu\": 1450,\r\n    \"storage-driver\": \"devicemapper\",\r\n    \"storage-opts\": [\r\n        \"dm.thinpooldev=/dev/mapper/docker-thinpool\"\r\n    ]\r\n}\r\n",
		},
		{
			name: "empty object",
			in:   fixture(t, "empty-object.json"),
			s:    Storage{Driver: "overlay2"},
			want: "{\n  \"storage-driver\": \"overlay2\"\n}\n",
		},
		{
			name: "escapes elsewhere untouched; an empty storage-opts list goes when no options are asked",
			in:   fixture(t, "escapes.json"),
			s:    Storage{Driver: "overlay2"},
			want: `{"caf\u00e9": "cr\u00e8me", "tab\tkey": "a\"b\\c", "n": -0.0e+00, "nested": [[], {}, [{"x": null}]], "storage-driver": "overlay2"}` + "\n",
		},
		{
			name: "back to overlay2: the devicemapper options go",
			in:   fixture(t, "converged.json"),
			s:    Storage{Driver: "overlay2"},
			want: "{\n  \"storage-driver\": \"overlay2\"\n}\n",
		},
		{
			name: "removing every storage key of a storage-only file leaves an empty object",
			in:   fixture(t, "converged.json"),
			s:    Storage{},
			want: "{}\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeStorage("/etc/docker/daemon.json", tc.in, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("merged:\n%s\nwant:\n%s", got, tc.want)
			}
			again, err := mergeStorage("/etc/docker/daemon.json", got, tc.s)
			if err != nil || string(again) != string(got) {
				t.Errorf("a second merge must change nothing: %v\n%s", err, again)
			}
		})
	}
}

func TestMergeOfAConvergedFileIsByteIdentical(t *testing.T) {
	for _, name := range []string{"converged.json", "two-spaces.json", "compact.json"} {
		in := fixture(t, name)
		d, err := ParseDaemonJSON(name, in)
		if err != nil {
			t.Fatal(err)
		}
		// Ask for what the file already says.
		s := Storage{Driver: d.StorageDriver(), Opts: d.StorageOpts()}
		got, err := mergeStorage(name, in, s)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(in) {
			t.Errorf("%s: asking for what is there changed the bytes:\n%s", name, got)
		}
	}
}

func TestMalformedDaemonJSONIsRefusedWithItsPosition(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		line, col int
		want      string
	}{
		{"trailing comma", "{\n  \"debug\": true,\n}\n", 3, 1, "invalid character '}'"},
		{"comment", "{\n  // no comments in JSON\n  \"debug\": true\n}\n", 2, 3, "invalid character '/'"},
		{"cut short", "{\n  \"labels\": [\"é\",", 2, 18, "unexpected end of JSON input"},
		{"two objects", "{}\n{}\n", 2, 1, "after top-level value"},
		{"a list", `["storage-driver"]`, 0, 0, "holds a JSON array, not an object"},
		{"null", "null\n", 0, 0, "holds a JSON null, not an object"},
		{"byte order mark", "\xef\xbb\xbf{}", 1, 1, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeStorage("/etc/docker/daemon.json", []byte(tc.in), dm)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SyntaxError, got %q, %v", got, err)
			}
			if se.Line != tc.line || se.Column != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", se.Line, se.Column, tc.line, tc.col, err)
			}
			for _, w := range []string{"/etc/docker/daemon.json", tc.want, "left untouched"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestADuplicatedStorageKeyIsRefused(t *testing.T) {
	in := `{"storage-driver": "overlay2", "debug": true, "storage-driver": "aufs"}`
	_, err := mergeStorage("daemon.json", []byte(in), dm)
	if err == nil || !strings.Contains(err.Error(), `key "storage-driver" appears 2 times`) {
		t.Fatalf("want a refusal naming the duplicated key, got %v", err)
	}
	// A duplicated key that the merge does not touch is left as it is.
	in = `{"debug": true, "debug": false}`
	got, err := mergeStorage("daemon.json", []byte(in), Storage{Driver: "overlay2"})
	if err != nil || string(got) != `{"debug": true, "debug": false, "storage-driver": "overlay2"}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestDaemonJSONReadsTheKeysDockerdReads(t *testing.T) {
	d, err := ParseDaemonJSON("x", []byte(`{"graph": "/srv/old", "storage-driver": "overlay2", "storage-opts": ["a", 1, "b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.DataRoot() != "/srv/old" || d.StorageDriver() != "overlay2" || strings.Join(d.StorageOpts(), ",") != "a,b" {
		t.Errorf("data root %q, driver %q, opts %q", d.DataRoot(), d.StorageDriver(), d.StorageOpts())
	}
	if strings.Join(d.Keys(), ",") != "graph,storage-driver,storage-opts" {
		t.Errorf("keys %q", d.Keys())
	}
	d, _ = ParseDaemonJSON("x", []byte(`{"data-root": "/srv/docker", "graph": "/srv/old"}`))
	if d.DataRoot() != "/srv/docker" {
		t.Errorf("data-root wins over graph: %q", d.DataRoot())
	}
}

// mergeStorage returns daemon.json (data; path for messages) with its
// storage keys set to s and everything else byte for byte as it was.
func mergeStorage(path string, data []byte, s Storage) ([]byte, error) {
	return MergeDaemonJSON(path, data, s.Changes())
}
