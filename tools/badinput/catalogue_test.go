package badinput

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/dockerstorage"
	"github.com/directlvm/docker/internal/lvmprofile"
	"github.com/directlvm/docker/internal/lvmthinpool"
	"github.com/directlvm/docker/internal/runner"
)

// The modules of the catalogue, by name.
const (
	modThinpool = lvmthinpool.Name   // lvm_thinpool
	modProfile  = lvmprofile.Name    // lvm_profile
	modStorage  = dockerstorage.Name // docker_storage
)

// badInput is one entry of the catalogue: a task the module must refuse
// with a message that names the problem and its fix, changing nothing.
type badInput struct {
	name   string // also the subtest's name: no "/"
	module string // modThinpool, modProfile or modStorage
	// args are the task's options. Every case runs for real, never in
	// check mode: run adds _ansible_check_mode: false.
	args map[string]any
	// setup puts the host into the bad state (guest cases only) and
	// registers, with t.Cleanup, what puts it back. It returns the parts of
	// the host it stands in for, if any.
	setup func(t *testing.T) standIns
	// problem and fix are substrings msg must contain: what is wrong (the
	// option, value, device or file) and what to do about it.
	problem []string
	fix     []string
	// fixGap says what the message lacks when it names no fix, or only a
	// vague one. Such messages are reported (t.Log), not changed here.
	fixGap string
}

// standIns are parts of the host a setup replaces for one case.
type standIns struct {
	// engine answers for the Docker Engine API in docker_storage's place
	// (see the Docker 25 case).
	engine dockerstorage.Engine
}

// forReal returns the arguments of a run that is not in check mode.
func forReal(args map[string]any) map[string]any {
	a := maps.Clone(args)
	if a == nil {
		a = map[string]any{}
	}
	a["_ansible_check_mode"] = false
	return a
}

// neverResolved is a device path for the cases that must fail before any
// device is looked at; it names no disk.
const neverResolved = "/dev/disk/by-id/virtio-badinput-never-resolved"

// aPool is a well-formed thinpool_device for the cases where it is not
// the problem.
const aPool = "/dev/mapper/docker-thinpool"

// tooLongPool is a pool name one character past what LVM takes in VG "dl":
// "dl" and the hidden "POOL_tdata" add up to 2 + 117 + 6 = 125 characters.
var tooLongPool = strings.Repeat("p", 117)

// derivedNameCases are names that pass LVM's own rules but make a name,
// derived from them, that LVM or device-mapper refuses: before they were
// checked, the run failed halfway with the VG and the data volume made.
func derivedNameCases(dev []string) []badInput {
	return []badInput{
		{
			name: "lvm_thinpool thinpool whose metadata volume name LVM reserves", module: modThinpool,
			args:    map[string]any{"devices": dev, "thinpool": "pool_t"},
			problem: []string{`thinpool="pool_t" makes the metadata volume "pool_tmeta", which contains "_tmeta"`},
			fix:     []string{"choose another thinpool name"},
		},
		{
			name: "lvm_thinpool names too long for LVM together", module: modThinpool,
			args:    map[string]any{"devices": dev, "vg": "dl", "thinpool": tooLongPool},
			problem: []string{`are too long together: LVM names the pool's hidden volumes dl/` + tooLongPool + `_tdata`, "(these add up to 125)"},
			fix:     []string{"choose shorter vg or thinpool names"},
		},
	}
}

// parameterCases are the bad options: each fails on any host, before the
// module reads anything of it.
func parameterCases() []badInput {
	dev := []string{neverResolved}
	return append([]badInput{
		// lvm_thinpool
		{
			name: "lvm_thinpool devices given as a number", module: modThinpool,
			args: map[string]any{"devices": 5},
			// Coerced the way Ansible does, to the one-element list ["5"].
			problem: []string{`devices: "5" is not an absolute path`},
			fix:     []string{"e.g. /dev/vdb or /dev/disk/by-id/"},
		},
		{
			name: "lvm_thinpool devices given as a dict", module: modThinpool,
			args:    map[string]any{"devices": map[string]any{"disk": "/dev/vdb"}},
			problem: []string{"argument 'devices' is of type dict"},
			fix:     []string{"unable to convert to list"},
			fixGap:  "Ansible's own wording: it names the type wanted (list), not how to write one",
		},
		{
			name: "lvm_thinpool unknown option", module: modThinpool,
			args:    map[string]any{"devices": dev, "size": "10G"},
			problem: []string{"Unsupported parameters for (lvm_thinpool) module: size."},
			fix:     []string{"Supported parameters include:", ", data_size,"},
		},
		{
			name: "lvm_thinpool state=present without devices", module: modThinpool,
			args:    map[string]any{"state": "present"},
			problem: []string{"state is present"},
			fix:     []string{"the following are missing: devices"},
		},
		{
			name: "lvm_thinpool relative device path", module: modThinpool,
			args:    map[string]any{"devices": []string{"vdb"}},
			problem: []string{`devices: "vdb" is not an absolute path`},
			fix:     []string{"e.g. /dev/vdb or /dev/disk/by-id/"},
		},
		{
			name: "lvm_thinpool data_size of 101%VG", module: modThinpool,
			args:    map[string]any{"devices": dev, "data_size": "101%VG"},
			problem: []string{`data_size: "101%VG" is not a size`},
			fix:     []string{"a percentage is 1-100 followed by %VG or %FREE, e.g. 95%VG"},
		},
		{
			name: "lvm_thinpool metadata_size of 1K", module: modThinpool,
			args:    map[string]any{"devices": dev, "metadata_size": "1K"},
			problem: []string{"metadata_size=1K is out of range"},
			fix:     []string{"2M to 16192M"},
		},
		{
			name: "lvm_thinpool metadata_size of 20G beyond the maximum", module: modThinpool,
			args:    map[string]any{"devices": dev, "metadata_size": "20G"},
			problem: []string{"metadata_size=20G is out of range"},
			fix:     []string{"2M to 16192M"},
		},
		{
			name: "lvm_thinpool chunk_size 100K not a multiple of 64K", module: modThinpool,
			args:    map[string]any{"devices": dev, "chunk_size": "100K"},
			problem: []string{"chunk_size=100K is not valid"},
			fix:     []string{"a multiple of 64K from 64K to 1G", "Docker's runbook uses 512K"},
		},
		{
			name: "lvm_thinpool chunk_size 2G above 1G", module: modThinpool,
			args:    map[string]any{"devices": dev, "chunk_size": "2G"},
			problem: []string{"chunk_size=2G is not valid"},
			fix:     []string{"a multiple of 64K from 64K to 1G"},
		},
		{
			name: "lvm_thinpool vg starting with a dash", module: modThinpool,
			args:    map[string]any{"devices": dev, "vg": "-bad"},
			problem: []string{`vg="-bad" is not a valid LVM name`},
			fix:     []string{"use letters, digits and + _ . - (not starting with -)"},
		},
		{
			name: "lvm_thinpool vg with a slash", module: modThinpool,
			args:    map[string]any{"devices": dev, "vg": "a/b"},
			problem: []string{`vg="a/b" is not a valid LVM name`},
			fix:     []string{"use letters, digits and + _ . -"},
		},
		{
			name: "lvm_thinpool thinpool named snapshot", module: modThinpool,
			args:    map[string]any{"devices": dev, "thinpool": "snapshot"},
			problem: []string{`thinpool="snapshot" starts with a prefix LVM reserves (snapshot, pvmove)`},
			fix:     []string{"choose another thinpool name"},
		},
		{
			name: "lvm_thinpool thinpool with LVM's _tmeta suffix", module: modThinpool,
			args:    map[string]any{"devices": dev, "thinpool": "pool_tmeta"},
			problem: []string{`thinpool="pool_tmeta" contains "_tmeta", which LVM reserves for its hidden volumes`},
			fix:     []string{"choose another thinpool name"},
		},

		// lvm_profile
		{
			name: "lvm_profile autoextend_threshold as a word", module: modProfile,
			args:    map[string]any{"autoextend_threshold": "eighty"},
			problem: []string{"argument 'autoextend_threshold' is of type str", `"eighty" is not an integer`},
			fix:     []string{"unable to convert to int"},
			fixGap:  "Ansible's own wording: it names the type wanted (int), not the range 50 to 100",
		},
		{
			name: "lvm_profile autoextend_threshold of 30", module: modProfile,
			args:    map[string]any{"autoextend_threshold": 30},
			problem: []string{"autoextend_threshold=30 is below 50", "LVM would silently use 50"},
			fix:     []string{"give 50 to 100 (100 disables autoextend)"},
		},
		{
			name: "lvm_profile autoextend_threshold of 101", module: modProfile,
			args:    map[string]any{"autoextend_threshold": 101},
			problem: []string{"autoextend_threshold=101 is above 100"},
			fix:     []string{"give 50 to 100"},
		},
		{
			name: "lvm_profile autoextend_percent of 0", module: modProfile,
			args:    map[string]any{"autoextend_percent": 0},
			problem: []string{"autoextend_percent=0"},
			fix:     []string{"must be greater than 0", "Docker's documentation uses 20"},
		},
		{
			name: "lvm_profile autoextend_percent of -5", module: modProfile,
			args:    map[string]any{"autoextend_percent": -5},
			problem: []string{"autoextend_percent=-5"},
			fix:     []string{"must be greater than 0"},
		},
		{
			name: "lvm_profile lv without its volume group", module: modProfile,
			args:    map[string]any{"lv": "thinpool"},
			problem: []string{`lv="thinpool" is not VG/LV`},
			fix:     []string{"give the thin pool as volume group and LV name, e.g. docker/thinpool"},
		},
		{
			name: "lvm_profile relative profile_dir", module: modProfile,
			args:    map[string]any{"profile_dir": "profiles"},
			problem: []string{`profile_dir="profiles" is not an absolute path`},
			fix:     []string{"leave it out to use LVM's own"},
		},
		{
			name: "lvm_profile name climbing out of the profile directory", module: modProfile,
			args:    map[string]any{"name": "../evil"},
			problem: []string{`name="../evil" is not a valid profile name`},
			fix:     []string{"use letters, digits and + _ . -"},
		},
		{
			name: "lvm_profile state outside its choices", module: modProfile,
			args:    map[string]any{"state": "gone"},
			problem: []string{"value of state", "got: gone"},
			fix:     []string{"must be one of: present, absent"},
		},
		{
			name: "lvm_profile unknown option", module: modProfile,
			args:    map[string]any{"threshold": 80},
			problem: []string{"Unsupported parameters for (lvm_profile) module: threshold."},
			fix:     []string{"Supported parameters include:", ", autoextend_threshold,"},
		},

		// docker_storage
		{
			name: "docker_storage restart as maybe", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "restart": "maybe"},
			problem: []string{"argument 'restart' is of type str", `"maybe" is not a valid boolean`},
			fix:     []string{"valid booleans are yes/no, true/false"},
		},
		{
			name: "docker_storage unknown option", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "storage_driver": "devicemapper"},
			problem: []string{"Unsupported parameters for (docker_storage) module: storage_driver."},
			fix:     []string{"Supported parameters include:", ", driver,"},
		},
		{
			name: "docker_storage devicemapper without thinpool_device", module: modStorage,
			args:    map[string]any{"driver": "devicemapper"},
			problem: []string{"driver is devicemapper"},
			fix:     []string{"the following are missing: thinpool_device"},
		},
		{
			name: "docker_storage thinpool_device that is no device path", module: modStorage,
			args:    map[string]any{"thinpool_device": "/tmp/x"},
			problem: []string{`thinpool_device: "/tmp/x" is neither /dev/mapper/NAME nor /dev/VG/LV`},
			fix:     []string{"give the thin pool's device, e.g. /dev/mapper/docker-thinpool"},
		},
		{
			name: "docker_storage thinpool_device with an empty mapper name", module: modStorage,
			args:    map[string]any{"thinpool_device": "/dev/mapper/"},
			problem: []string{`thinpool_device: "/dev/mapper/" is neither /dev/mapper/NAME nor /dev/VG/LV`},
			fix:     []string{"give the thin pool's device, e.g. /dev/mapper/docker-thinpool"},
		},
		{
			name: "docker_storage extra_storage_opts setting dm.thinpooldev", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "extra_storage_opts": []string{"dm.thinpooldev=/dev/mapper/other-thinpool"}},
			problem: []string{`extra_storage_opts: "dm.thinpooldev=/dev/mapper/other-thinpool" sets dm.thinpooldev`},
			fix:     []string{"which option thinpool_device sets: use that option"},
		},
		{
			name: "docker_storage extra_storage_opts with Docker's own direct-lvm", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "extra_storage_opts": []string{"dm.directlvm_device=/dev/vdb"}},
			problem: []string{`extra_storage_opts: "dm.directlvm_device=/dev/vdb" belongs to Docker's own direct-lvm setup`, "cannot be combined with dm.thinpooldev"},
			fix:     []string{`remove "dm.directlvm_device=/dev/vdb" from extra_storage_opts`},
		},
		{
			name: "docker_storage deferred_deletion without deferred_removal", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "deferred_removal": false, "deferred_deletion": true},
			problem: []string{"deferred_deletion=true needs deferred_removal=true"},
			fix:     []string{"set both, or deferred_deletion=false"},
		},
		{
			name: "docker_storage fs btrfs", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "fs": "btrfs"},
			problem: []string{"value of fs", "got: btrfs"},
			fix:     []string{"must be one of: xfs, ext4"},
		},
		{
			name: "docker_storage min_free_space without its percent sign", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "min_free_space": "10"},
			problem: []string{`min_free_space="10" is not valid`},
			fix:     []string{"a whole percentage below 100 with its % sign, e.g. 10%"},
		},
		{
			name: "docker_storage basesize that is no size", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "basesize": "big"},
			problem: []string{`basesize="big" is not a size`},
			fix:     []string{"use e.g. 20G"},
		},
		{
			name: "docker_storage overlay2 with a thinpool_device", module: modStorage,
			args:    map[string]any{"driver": "overlay2", "thinpool_device": aPool},
			problem: []string{"thinpool_device is an option of driver=devicemapper, not driver=overlay2"},
			fix:     []string{"leave thinpool_device out, or set driver=devicemapper"},
		},
		{
			name: "docker_storage relative config_path", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "config_path": "daemon.json"},
			problem: []string{`config_path="daemon.json" is not an absolute path`},
			fix:     []string{"give the file dockerd reads, /etc/docker/daemon.json"},
		},
		{
			name: "docker_storage restart_timeout of 0", module: modStorage,
			args:    map[string]any{"thinpool_device": aPool, "restart_timeout": 0},
			problem: []string{"restart_timeout=0"},
			fix:     []string{"must be a positive number of seconds"},
		},
	}, derivedNameCases(dev)...)
}

// checkRefusal fails the test unless res is a failure whose msg names the
// problem and the fix, and that reports no change and no action taken.
func checkRefusal(t *testing.T, c badInput, res map[string]any) {
	t.Helper()
	msg, _ := res["msg"].(string)
	t.Logf("%s: msg: %s", c.module, msg)
	if res["failed"] != true {
		t.Errorf("%s did not fail: %v", c.module, res)
		return
	}
	if res["changed"] == true {
		t.Errorf("%s failed but says it changed the host: %v", c.module, res)
	}
	if actions, _ := res["actions"].([]any); len(actions) > 0 {
		t.Errorf("%s failed after taking action(s): %v", c.module, actions)
	}
	for _, kind := range []struct {
		what  string
		words []string
	}{{"problem", c.problem}, {"fix", c.fix}} {
		for _, w := range kind.words {
			if !strings.Contains(msg, w) {
				t.Errorf("msg does not name the %s: it lacks %q\nmsg: %s", kind.what, w, msg)
			}
		}
	}
	if c.fixGap != "" {
		t.Logf("message names no (clear) fix: %s", c.fixGap)
	}
}

// fakeModule is the module on a host that answers nothing: any command,
// D-Bus connection or device lookup fails the test, since a bad parameter
// must be refused before the module reads the host.
func fakeModule(t *testing.T, name string) ansible.Module {
	t.Helper()
	fake := runner.NewFake(t) // no steps: every command is unexpected
	reached := func(what string) error {
		t.Errorf("the module %s: a bad parameter must be refused before the host is read", what)
		return errors.New("fake host: " + what)
	}
	switch name {
	case modThinpool:
		return lvmthinpool.Module(lvmthinpool.Host{Run: fake, Resolve: func(path string) (string, error) {
			return "", reached("resolved device " + path)
		}})
	case modProfile:
		return lvmprofile.Module(lvmprofile.Host{Run: fake, UnitTimeout: time.Second,
			Systemd: func(context.Context) (lvmprofile.Systemd, error) { return nil, reached("connected to systemd") }})
	case modStorage:
		return dockerstorage.Module(dockerstorage.Host{Run: fake, Now: time.Now, DataRoot: t.TempDir(),
			Connect: func(context.Context) (dockerstorage.Systemd, error) { return nil, reached("connected to systemd") }})
	}
	t.Fatalf("no module %q", name)
	return ansible.Module{}
}

// The parameter cases fail the same way on the build host, where nothing
// answers: validation comes before any command, D-Bus or device. (In the
// guest they run again against the real host; see catalogue_guest_test.go.)
func TestBadParametersAreRefusedBeforeTheHostIsRead(t *testing.T) {
	for _, c := range parameterCases() {
		t.Run(c.name, func(t *testing.T) {
			res := ansibletest.Run(t, fakeModule(t, c.module), forReal(c.args))
			checkRefusal(t, c, res)
		})
	}
}

// The catalogue covers every module with both kinds of case, and each
// entry is complete: a problem to name, a fix or the reason there is none.
func TestTheCatalogueIsWellFormed(t *testing.T) {
	params := parameterCases()
	hosts := hostStateCases(guestDisk{dev: "/dev/vdz", byID: "/dev/disk/by-id/virtio-data99"})
	all := append(slices.Clone(params), hosts...)
	if len(all) < 25 {
		t.Errorf("the catalogue has %d cases, want at least 25", len(all))
	}
	t.Logf("%d cases: %d parameter cases, %d host-state cases", len(all), len(params), len(hosts))

	names := map[string]bool{}
	covered := map[string]map[string]bool{}
	for i, c := range all {
		kind := "parameter"
		if i >= len(params) {
			kind = "host state"
		}
		switch {
		case c.name == "" || strings.Contains(c.name, "/"):
			t.Errorf("case %d: name %q: give one without a slash (it names a subtest)", i, c.name)
		case names[c.name]:
			t.Errorf("case %q is listed twice", c.name)
		}
		names[c.name] = true
		if !slices.Contains([]string{modThinpool, modProfile, modStorage}, c.module) {
			t.Errorf("case %q: unknown module %q", c.name, c.module)
		}
		if covered[c.module] == nil {
			covered[c.module] = map[string]bool{}
		}
		covered[c.module][kind] = true
		if len(c.problem) == 0 {
			t.Errorf("case %q: no problem words", c.name)
		}
		if len(c.fix) == 0 && c.fixGap == "" {
			t.Errorf("case %q: no fix words, and no fixGap saying why", c.name)
		}
		if _, ok := c.args["_ansible_check_mode"]; ok {
			t.Errorf("case %q sets _ansible_check_mode: every case runs for real, forReal sets it", c.name)
		}
		if kind == "parameter" && c.setup != nil {
			t.Errorf("case %q: a parameter case needs no setup: it must fail on any host", c.name)
		}
	}
	for _, m := range []string{modThinpool, modProfile, modStorage} {
		for _, kind := range []string{"parameter", "host state"} {
			if !covered[m][kind] {
				t.Errorf("no %s case for %s", kind, m)
			}
		}
	}
}

// section is one part of a host snapshot: its name and its normalised text.
type section struct{ name, text string }

// snapshot is what a refusal must leave as it was, in a fixed order.
type snapshot []section

// diffSnapshots shows every section that differs, line by line; "" when
// none does.
func diffSnapshots(before, after snapshot) string {
	var b strings.Builder
	text := func(s snapshot, name string) (string, bool) {
		for _, sec := range s {
			if sec.name == name {
				return sec.text, true
			}
		}
		return "", false
	}
	var names []string
	for _, s := range append(slices.Clone(before), after...) {
		if !slices.Contains(names, s.name) {
			names = append(names, s.name)
		}
	}
	for _, name := range names {
		a, inBefore := text(before, name)
		z, inAfter := text(after, name)
		if a == z && inBefore == inAfter {
			continue
		}
		fmt.Fprintf(&b, "--- %s (- before, + after)\n%s", name, lineDiff(a, z))
	}
	return b.String()
}

// lineDiff shows how b differs from a: removed lines with "-", added ones
// with "+", and two unchanged lines of context around each change.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	// common[i][j] is the length of the longest common subsequence of
	// x[i:] and y[j:].
	common := make([][]int, n+1)
	for i := range common {
		common[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				common[i][j] = common[i+1][j+1] + 1
			} else {
				common[i][j] = max(common[i+1][j], common[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	for i, j := 0, 0; i < n || j < m; {
		switch {
		case i < n && j < m && x[i] == y[j]:
			lines = append(lines, line{' ', x[i]})
			i, j = i+1, j+1
		case i < n && (j == m || common[i+1][j] >= common[i][j+1]):
			lines = append(lines, line{'-', x[i]})
			i++
		default:
			lines = append(lines, line{'+', y[j]})
			j++
		}
	}
	const context = 2
	keep := make([]bool, len(lines))
	for k, l := range lines {
		if l.op != ' ' {
			for c := max(0, k-context); c <= min(len(lines)-1, k+context); c++ {
				keep[c] = true
			}
		}
	}
	var out strings.Builder
	skipped := false
	for k, l := range lines {
		if !keep[k] {
			skipped = true
			continue
		}
		if skipped {
			out.WriteString("  ...\n")
			skipped = false
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
	}
	if skipped {
		out.WriteString("  ...\n")
	}
	return out.String()
}

// volatileLVMField says whether a field of `lvm fullreport` may change
// without anyone changing LVM: usage percentages of pools and snapshots,
// and whether some process holds an LV open at that moment. vg_seqno
// stays: it counts every metadata change.
func volatileLVMField(name string) bool {
	return strings.HasSuffix(name, "_percent") || name == "lv_device_open"
}

// normaliseLVMReport re-indents `lvm fullreport --reportformat json`
// output one field per line, keys sorted, without the volatile fields and
// without the command log section some LVM configurations add.
func normaliseLVMReport(raw []byte) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("decoding lvm fullreport JSON: %w", err)
	}
	if top, ok := v.(map[string]any); ok {
		delete(top, "log")
	}
	var drop func(any)
	drop = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if volatileLVMField(k) {
					delete(v, k)
				} else {
					drop(e)
				}
			}
		case []any:
			for _, e := range v {
				drop(e)
			}
		}
	}
	drop(v)
	b, err := json.MarshalIndent(v, "", "  ") // map keys come out sorted
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func TestTheLVMReportIsComparedWithoutItsVolatileFields(t *testing.T) {
	raw := `{"report": [{"vg": [{"vg_name":"docker", "vg_seqno":"5"}],
		"lv": [{"lv_name":"thinpool", "data_percent":"1.00", "metadata_percent":"10.09", "lv_device_open":"open", "lv_attr":"twi-a-t---"}]}],
		"log": [{"log_seq_num":"1"}]}`
	got, err := normaliseLVMReport([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"data_percent", "metadata_percent", "lv_device_open", "log_seq_num"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s was kept:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`"vg_seqno": "5"`, `"lv_attr": "twi-a-t---"`} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s was dropped:\n%s", kept, got)
		}
	}
	if _, err := normaliseLVMReport([]byte("  WARNING: not JSON")); err == nil {
		t.Error("text that is not JSON was accepted")
	}
}

func TestASnapshotDiffShowsTheChangedLinesInContext(t *testing.T) {
	before := snapshot{{"daemon.json", "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5,\n  \"f\": 6\n}"}, {"units", "ActiveState=active\nMainPID=41"}}
	after := snapshot{{"daemon.json", "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5,\n  \"f\": 7\n}"}, {"units", "ActiveState=active\nMainPID=41"}}
	want := "--- daemon.json (- before, + after)\n" +
		"  ...\n" +
		"    \"d\": 4,\n" +
		"    \"e\": 5,\n" +
		"-   \"f\": 6\n" +
		"+   \"f\": 7\n" +
		"  }\n"
	if got := diffSnapshots(before, after); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := diffSnapshots(before, before); got != "" {
		t.Errorf("equal snapshots differ:\n%s", got)
	}
	gone := snapshot{{"daemon.json", "(absent)"}}
	if got := diffSnapshots(gone, snapshot{{"daemon.json", "mode -rw-r--r--\n{}"}}); !strings.Contains(got, "- (absent)") || !strings.Contains(got, "+ {}") {
		t.Errorf("a file that appeared:\n%s", got)
	}
}

// The Docker 25 case's stand-in engine answers the module's own Engine API
// client as a real engine would.
func TestTheStandInEngineAnswersTheEngineClient(t *testing.T) {
	sock := filepath.Join(scratchDir(t), "docker.sock")
	serveEngine(t, sock, "25.0.3", "1.44")
	c := docker.NewClient(docker.ClientConfig{Socket: sock})
	ctx := context.Background()
	if err := c.WaitReady(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx)
	if err != nil || v.Version != "25.0.3" || v.APIVersion != "1.44" {
		t.Errorf("GET /version: %+v, %v", v, err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.Driver != "overlay2" || info.DockerRootDir != dataRoot {
		t.Errorf("GET /info: %+v, %v", info, err)
	}
	parsed, err := docker.ParseVersion(v.Version)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docker.CheckDevicemapper(parsed); !errors.Is(err, docker.ErrDevicemapperRemoved) {
		t.Errorf("the version gate lets %s through: %v", v.Version, err)
	}
}
