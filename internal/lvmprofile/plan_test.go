package lvmprofile

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/systemd"
)

const (
	dir     = "/etc/lvm/profile"
	path    = dir + "/docker-thinpool.profile"
	attach  = "lvchange --metadataprofile docker-thinpool docker/thinpool"
	monitor = "lvchange --monitor y docker/thinpool"
	detach  = "lvchange --detachprofile docker/thinpool"
)

var onThePool = map[string]any{"lv": "docker/thinpool"}

// observed is a host with the profile directory, the file (nil: none), the
// LVM state s and the units of sd.
func observed(t *testing.T, file *FileState, s string, sd *fakeSystemd) *Observed {
	t.Helper()
	obs := &Observed{Dir: dir, DirExists: true, Path: path, File: file, LVM: report(t, s)}
	if sd != nil {
		obs.Units = sd.units
	}
	return obs
}

func profileFile(content []byte, mode uint32) *FileState {
	return &FileState{Content: content, Mode: fsMode(mode), Regular: true}
}

func TestTheFileIsWrittenOnlyWhenItDiffers(t *testing.T) {
	for _, tc := range []struct {
		name string
		file *FileState
		want []string
	}{
		{"missing", nil, []string{validate(t), "write " + path}},
		{"different", profileFile([]byte("activation { thin_pool_autoextend_threshold=70 }\n"), 0o644), []string{validate(t), "write " + path}},
		{"same text, mode 0600", profileFile(golden(t), 0o600), []string{validate(t), "write " + path}},
		{"same", profileFile(golden(t), 0o644), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanPresent(config(t, map[string]any{"monitor": false}), observed(t, tc.file, raw(t, lvmtest.Pool), nil))
			if err != nil {
				t.Fatal(err)
			}
			assertActions(t, p, tc.want...)
		})
	}
}

func TestAMissingProfileDirectoryIsCreated(t *testing.T) {
	obs := observed(t, nil, raw(t, lvmtest.Pool), nil)
	obs.DirExists = false
	p, err := PlanPresent(config(t, map[string]any{"monitor": false}), obs)
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, p, validate(t), "create directory "+dir+" (mode 0755)", "write "+path)
}

func TestSomethingElseAtTheProfilesPathIsLeftAlone(t *testing.T) {
	obs := observed(t, &FileState{Mode: fsMode(0o755) | dirBit}, raw(t, lvmtest.Pool), nil)
	p, err := PlanPresent(config(t, map[string]any{"monitor": false}), obs)
	assertRefused(t, p, err, path, "is not a regular file")
}

func TestTheProfileIsAttachedAndThePoolMonitored(t *testing.T) {
	file := profileFile(golden(t), 0o644)
	for _, tc := range []struct {
		name  string
		state string
		want  []string
	}{
		{"not attached, monitored", raw(t, lvmtest.Pool), []string{attach}},
		{"attached, monitored", attached(raw(t, lvmtest.Pool)), nil},
		{"attached, not monitored", unmonitored(attached(raw(t, lvmtest.Pool))), []string{monitor}},
		{"not attached, not monitored", unmonitored(raw(t, lvmtest.Pool)), []string{attach, monitor}},
		{"another profile attached", edit(raw(t, lvmtest.Pool), poolRow, "lv_profile", "old"), []string{attach}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanPresent(config(t, onThePool), observed(t, file, tc.state, servicesUp()))
			if err != nil {
				t.Fatal(err)
			}
			assertActions(t, p, tc.want...)
		})
	}
}

func TestMonitoringIsLeftAloneWithMonitorFalse(t *testing.T) {
	obs := observed(t, profileFile(golden(t), 0o644), unmonitored(attached(raw(t, lvmtest.Pool))), nil)
	p, err := PlanPresent(config(t, map[string]any{"lv": "docker/thinpool", "monitor": false}), obs)
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, p)
}

func TestAnInactivePoolCannotBeMonitored(t *testing.T) {
	s := edit(unmonitored(attached(raw(t, lvmtest.Pool))), poolRow, "lv_active", "")
	p, err := PlanPresent(config(t, onThePool), observed(t, profileFile(golden(t), 0o644), s, servicesUp()))
	assertRefused(t, p, err, "docker/thinpool is not active", "lvchange -ay docker/thinpool")
}

func TestTheServicesAreEnabledAndStartedSocketFirst(t *testing.T) {
	file := profileFile(golden(t), 0o644)
	disabled := func(u *systemd.UnitState) { u.UnitFileState = "disabled" }
	inactive := func(u *systemd.UnitState) { u.ActiveState = "inactive" }
	for _, tc := range []struct {
		name string
		sd   *fakeSystemd
		want []string
	}{
		{"enabled and active", servicesUp(), nil},
		{"both disabled", servicesUp().with("dm-event.socket", disabled).with("lvm2-monitor.service", disabled),
			[]string{"systemctl enable dm-event.socket lvm2-monitor.service"}},
		{"enabled for this boot only", servicesUp().with("lvm2-monitor.service", func(u *systemd.UnitState) { u.UnitFileState = "enabled-runtime" }),
			[]string{"systemctl enable lvm2-monitor.service"}},
		{"both stopped", servicesUp().with("lvm2-monitor.service", inactive).with("dm-event.socket", inactive),
			[]string{"systemctl start dm-event.socket", "systemctl start lvm2-monitor.service"}},
		{"socket disabled and stopped", servicesUp().with("dm-event.socket", disabled).with("dm-event.socket", inactive),
			[]string{"systemctl enable dm-event.socket", "systemctl start dm-event.socket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanPresent(config(t, onThePool), observed(t, file, attached(raw(t, lvmtest.Pool)), tc.sd))
			if err != nil {
				t.Fatal(err)
			}
			assertActions(t, p, tc.want...)
		})
	}
}

func TestTheServicesComeBeforeTheMonitoringCommand(t *testing.T) {
	sd := servicesUp().with("dm-event.socket", func(u *systemd.UnitState) { u.ActiveState = "inactive" })
	p, err := PlanPresent(config(t, onThePool), observed(t, nil, unmonitored(raw(t, lvmtest.Pool)), sd))
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, p, validate(t), "write "+path, attach, "systemctl start dm-event.socket", monitor)
}

func TestMissingOrMaskedServicesAreRefused(t *testing.T) {
	file := profileFile(golden(t), 0o644)
	missing := servicesUp()
	delete(missing.units, "dm-event.socket")
	missing.units["dm-event.socket"] = systemd.UnitState{Name: "dm-event.socket", LoadState: "not-found"}
	masked := servicesUp().with("lvm2-monitor.service", func(u *systemd.UnitState) { u.LoadState, u.UnitFileState = "masked", "masked" })

	p, err := PlanPresent(config(t, onThePool), observed(t, file, attached(raw(t, lvmtest.Pool)), missing))
	assertRefused(t, p, err, "no usable unit dm-event.socket", "dmeventd on Debian", "monitor=false")
	p, err = PlanPresent(config(t, onThePool), observed(t, file, attached(raw(t, lvmtest.Pool)), masked))
	assertRefused(t, p, err, "lvm2-monitor.service is masked", "systemctl unmask lvm2-monitor.service")
}

func TestOnlyAnExistingThinPoolTakesTheProfile(t *testing.T) {
	file := profileFile(golden(t), 0o644)
	p, err := PlanPresent(config(t, map[string]any{"lv": "docker/nosuch"}), observed(t, file, raw(t, lvmtest.Pool), servicesUp()))
	assertRefused(t, p, err, "lv=docker/nosuch: there is no such logical volume")
	p, err = PlanPresent(config(t, map[string]any{"lv": "docker/vol1"}), observed(t, file, raw(t, lvmtest.PoolInUseOther), servicesUp()))
	assertRefused(t, p, err, "lv=docker/vol1 is not a thin pool", "Vwi-a-t---", "segment type thin")
}

func TestThreshold100Warns(t *testing.T) {
	p, err := PlanPresent(config(t, map[string]any{"autoextend_threshold": 100, "monitor": false}), observed(t, nil, raw(t, lvmtest.Pool), nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "disables autoextend") {
		t.Errorf("warnings: %q", p.Warnings)
	}
}

func TestAbsentDetachesThenRemoves(t *testing.T) {
	p, err := PlanAbsent(config(t, map[string]any{"lv": "docker/thinpool", "state": "absent"}),
		observed(t, profileFile(golden(t), 0o644), raw(t, lvmtest.PoolInUseOther), nil))
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, p, detach, "remove "+path)
}

func TestAbsentOnAHostWithoutTheProfileDoesNothing(t *testing.T) {
	p, err := PlanAbsent(config(t, map[string]any{"lv": "docker/thinpool", "state": "absent"}), observed(t, nil, raw(t, lvmtest.Pool), nil))
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, p)
}

func TestAbsentIsRefusedWhileAnotherLVUsesTheProfile(t *testing.T) {
	file := profileFile(golden(t), 0o644)
	// Without lv, the pool that uses it is another LV.
	p, err := PlanAbsent(config(t, map[string]any{"state": "absent"}), observed(t, file, raw(t, lvmtest.PoolInUseOther), nil))
	assertRefused(t, p, err, "still attached to docker/thinpool", "lvchange --detachprofile docker/thinpool")

	// With lv, any other LV still using it blocks the removal.
	s := edit(raw(t, lvmtest.PoolInUseOther), `"lv_name":"vol1"`, "lv_profile", "docker-thinpool")
	p, err = PlanAbsent(config(t, map[string]any{"lv": "docker/thinpool", "state": "absent"}), observed(t, file, s, nil))
	assertRefused(t, p, err, "still attached to docker/vol1", "so it is kept")
	if strings.Contains(err.Error(), "docker/thinpool,") {
		t.Errorf("the LV being detached is not an obstacle: %v", err)
	}
}

func TestCheckModeBeforeThePoolExistsPlansWhatARealRunWouldDo(t *testing.T) {
	c := config(t, onThePool)
	obs := observed(t, profileFile(golden(t), 0o644), raw(t, lvmtest.Empty), servicesUp())
	if _, err := PlanPresent(c, obs); err == nil {
		t.Fatal("outside check mode a missing pool must be refused")
	}
	c.CheckMode = true
	p, err := PlanPresent(c, obs)
	if err != nil {
		t.Fatalf("check mode must not refuse a pool an earlier task would create: %v", err)
	}
	got := strings.Join(p.Actions(), "\n")
	for _, want := range []string{attach, monitor} {
		if strings.Count(got, want) != 1 {
			t.Errorf("want %q once in the plan:\n%s", want, got)
		}
	}
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "does not exist yet") {
		t.Errorf("warnings: %q", p.Warnings)
	}
}
