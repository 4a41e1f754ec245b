package dockerstorage

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/module"
)

// stepKind is what a step of a plan does.
type stepKind int

// The steps, in the order a plan lists them.
const (
	stepExportImages    stepKind = iota // export the images to the carry directory
	stepStop                            // stop docker.service and docker.socket
	stepStageVolumes                    // move the volumes to the carry directory
	stepMoveDataRoot                    // rename the data root to a sibling
	stepMountDataRoot                   // mount data_root_device at the data root
	stepWriteMountUnits                 // rewrite the mount unit and drop-in only
	stepPlaceVolumes                    // move the volumes into the new data root
	stepBackupConfig                    // copy daemon.json beside itself
	stepWriteConfig                     // write the merged daemon.json
	stepStart                           // start docker.service
	stepRestart                         // restart docker.service
	stepWait                            // wait for the Engine API
	stepVerify                          // check GET /info against the request
	stepLoadImages                      // load the carried images
)

// Plan is what a run will do (or, in check mode, would do): its steps,
// and the storage before and after them.
type Plan = module.Plan[StorageState]

// storagePlan is what planning decides beside the steps.
type storagePlan struct {
	// configBefore and configAfter are daemon.json's bytes now and as the
	// plan writes them (for diff mode).
	configBefore, configAfter []byte
	// configBackup and dataRootBackup are where the previous daemon.json
	// and data root go; empty when they stay.
	configBackup, dataRootBackup string
	// restarts says that the plan (re)starts docker.
	restarts bool
	// summary says in a few words what the plan achieves.
	summary string
	// configSummary describes daemon.json's new storage settings; empty
	// when the file stays as it is.
	configSummary string
	// carry is what the switch carries over (carry.go); nil when nothing.
	carry *carryPlan
}

func refuse(format string, args ...any) error {
	return module.Refuse("%s; nothing was changed", fmt.Sprintf(format, args...))
}

// stamp is the timestamp of backup names: 20240506T101112.
func stamp(t time.Time) string { return t.Format("20060102T150405") }

// makePlan plans the storage configuration c on the observed host; the run's
// start names the backups.
func (j *job) makePlan() error {
	c, obs, now := j.c, j.obs, j.start
	if c.Released {
		j.configBefore, j.configAfter = obs.ConfigBytes, obs.ConfigBytes
		j.plan = &Plan{Rollback: c.Rollback}
		return j.planRelease()
	}
	if err := refusals(c, obs); err != nil {
		return err
	}
	want := c.Storage()
	after, err := obs.Config.Merge(want.Changes())
	if err != nil {
		return refuse("%v", err)
	}
	j.configBefore, j.configAfter = obs.ConfigBytes, after
	p := &Plan{Rollback: c.Rollback}
	j.plan = p
	if c.Driver == Devicemapper && obs.Pool != nil && !obs.Pool.Exists {
		p.Warnings = append(p.Warnings, fmt.Sprintf("check mode: thinpool_device %s does not exist yet (a real run creates it in an earlier task, e.g. directlvm.docker.lvm_thinpool); it is checked once it exists", c.ThinpoolDevice))
	}
	configChanged := string(after) != string(obs.ConfigBytes)

	var mismatch []string
	if obs.Running {
		mismatch = checkEngine(c, *obs.Info, c.Verify)
	}
	// A (re)start is needed when the engine does not run as asked, when it
	// does not run at all (converged means running and verified: a run cut
	// after docker was stopped is finished by the next), or when
	// daemon.json's storage settings change (a file that only gains an
	// explicit name for the driver already in use needs none).
	// data_root_device not mounted at the data root yet needs docker
	// stopped around the mount.
	mountNeeded := obs.Mount != nil && !obs.Mount.OnDevice
	restart := len(mismatch) > 0 || !obs.Running || mountNeeded ||
		configChanged && !(obs.Running && sameStorage(obs, want))
	if obs.Running && len(mismatch) == 0 && !configChanged && !mountNeeded {
		j.summary = fmt.Sprintf("docker runs on %s as requested", describe(c))
		if obs.Mount != nil && !obs.Mount.unitsCurrent() {
			j.add(stepWriteMountUnits, "", "", "write %s and %s (they take effect at the next mount)", obs.Mount.UnitPath, obs.Mount.DropInPath)
		}
		if obs.Carry.pending() {
			return j.planFinishCarry()
		}
		return nil
	}
	if !obs.Running && !configChanged && !c.Restart {
		j.summary = fmt.Sprintf("%s already asks for %s", c.ConfigPath, describe(c))
		p.Warnings = append(p.Warnings, fmt.Sprintf("docker.service is not running (%s): the storage configuration takes effect when it starts", obs.Service.ActiveState))
		return nil
	}

	if configChanged {
		if obs.ConfigExists {
			j.configBackup = fmt.Sprintf("%s.%s.bak", c.ConfigPath, stamp(now))
		}
		j.configSummary = describeStorage(want)
	}
	move, why := needsFreshDataRoot(c, obs)
	if !c.Restart {
		j.addConfigSteps()
		if restart {
			p.Warnings = append(p.Warnings, "restart=false: docker keeps its current storage until docker.service restarts; nothing was verified")
		}
		if move {
			p.Warnings = append(p.Warnings, fmt.Sprintf("restart=false: the data root %s was not moved aside although %s; run again with restart=true to switch cleanly", obs.DataRoot, why))
		}
		if mountNeeded {
			p.Warnings = append(p.Warnings, fmt.Sprintf("restart=false: data_root_device %s was not mounted at the data root %s (docker must stop for that); run again with restart=true", c.DataRootDevice, obs.DataRoot))
		}
		j.summary = fmt.Sprintf("%s asks for %s; docker was not restarted", c.ConfigPath, describe(c))
		return nil
	}
	if !restart {
		j.addConfigSteps()
		j.summary = fmt.Sprintf("%s names %s explicitly; docker already runs on it", c.ConfigPath, describe(c))
		return nil
	}
	return j.planRestart(move, why)
}

// planRestart (re)starts docker on the new storage, with the data root
// moved aside first when move says so (why), then waits for it and
// verifies it.
func (j *job) planRestart(move bool, why string) error {
	c, obs, p := j.c, j.obs, j.plan
	if move && !c.BackupDataRoot {
		p.Warnings = append(p.Warnings, fmt.Sprintf("backup_data_root=false: the data root %s stays in place although %s; its old content is hidden from docker and keeps its space", obs.DataRoot, why))
		move = false
	}
	if move && len(obs.ForeignMounts) > 0 {
		return refuse("docker's data root %s must be moved aside (%s), but filesystems docker did not mount are mounted below it and would move with it: %s; unmount them (and move their content where it belongs), or set backup_data_root=false to leave the data root in place",
			obs.DataRoot, why, strings.Join(obs.ForeignMounts, ", "))
	}
	if obs.Running && obs.Info != nil && obs.Info.LiveRestoreEnabled && obs.Info.ContainersRunning > 0 {
		return refuse("docker runs with live-restore and %d container(s) running: they would keep running through the stop, on the old storage and holding the data root %s; stop them first (docker ps, docker stop), or set live-restore to false, and run again",
			obs.Info.ContainersRunning, obs.DataRoot)
	}
	if move && obs.DataRootIsMount {
		return refuse("docker's data root %s must be moved aside (%s), but it is a mount point and cannot be renamed: move its content away yourself, or set backup_data_root=false to leave it in place", obs.DataRoot, why)
	}
	if move {
		// daemon.json is written only once docker is stopped and its old
		// data root durably aside: a power cut before that boots docker
		// on its old storage and data root, never the new storage over
		// the old data root (which then would never be moved aside).
		j.dataRootBackup = fmt.Sprintf("%s.directlvm-%s", filepath.Clean(obs.DataRoot), stamp(j.start))
		j.planCarry()
		j.addExport()
		j.add(stepStop, dockerService, "", "stop %s and %s", dockerService, dockerSocket)
		j.addStage()
		j.add(stepMoveDataRoot, obs.DataRoot, j.dataRootBackup, "move the data root %s aside to %s (%s)", obs.DataRoot, j.dataRootBackup, why)
		j.addMount()
		j.addPlace()
		j.addConfigSteps()
		j.add(stepStart, dockerService, "", "start %s", dockerService)
	} else {
		// Volumes an earlier run left in transit go in while docker is
		// stopped.
		j.planPendingCarry()
		stopFirst := j.carry != nil && j.carry.place || j.mountNeeded()
		if obs.Running && stopFirst {
			j.add(stepStop, dockerService, "", "stop %s and %s", dockerService, dockerSocket)
		}
		j.addMount()
		j.addPlace()
		j.addConfigSteps()
		if obs.Running && !stopFirst {
			j.add(stepRestart, dockerService, "", "restart %s", dockerService)
		} else {
			j.add(stepStart, dockerService, "", "start %s", dockerService)
		}
	}
	j.restarts = true
	if pool := obs.Pool; pool != nil && (pool.UsedDataBlocks > 0 || pool.TransactionID > 0) && (move || !obs.DataRootHasContent) {
		// docker starts without devicemapper metadata of its own and
		// takes only an empty pool (checkThinPool in moby's deviceset.go).
		p.Warnings = append(p.Warnings, fmt.Sprintf("thin pool %s is not empty (%d used data blocks, transaction ID %d): docker takes only an empty pool and will likely refuse it (\"Unable to take ownership of thin-pool\"), which rolls this run back",
			c.PoolDMName, pool.UsedDataBlocks, pool.TransactionID))
	}
	j.add(stepWait, "", "", "wait up to %s for the Engine API", c.RestartTimeout)
	if c.Verify {
		j.add(stepVerify, "", "", "verify GET /info: %s", expectation(c))
	}
	j.addLoad()
	j.summary = fmt.Sprintf("docker switched to %s", describe(c))
	return nil
}

// planFinishCarry finishes what an earlier, cut run left in the carry
// directory while docker runs as requested: it loads the export; volumes
// still in transit need docker stopped, so docker restarts around them.
func (j *job) planFinishCarry() error {
	j.planPendingCarry()
	if j.carry.place {
		return j.planRestart(false, "")
	}
	j.addLoad()
	j.summary = fmt.Sprintf("docker runs on %s as requested; finished carrying the images an earlier run exported", describe(j.c))
	return nil
}

// mountNeeded says data_root_device is not mounted at the data root yet.
func (j *job) mountNeeded() bool { return j.obs.Mount != nil && !j.obs.Mount.OnDevice }

// addMount appends the mount of data_root_device at the (empty) data root.
func (j *job) addMount() {
	if m := j.obs.Mount; j.mountNeeded() {
		j.add(stepMountDataRoot, "", "", "mount %s at %s with %s (%s, and the drop-in %s that makes %s require it)",
			j.c.DataRootDevice, j.obs.DataRoot, mountOptions, m.UnitPath, m.DropInPath, dockerService)
	}
}

// addConfigSteps appends the backup and the write of daemon.json when it
// changes.
func (j *job) addConfigSteps() {
	c := j.c
	if j.configSummary == "" {
		return
	}
	if j.configBackup != "" {
		j.add(stepBackupConfig, c.ConfigPath, j.configBackup, "copy %s to %s", c.ConfigPath, j.configBackup)
	}
	j.add(stepWriteConfig, c.ConfigPath, "", "write %s: %s", c.ConfigPath, j.configSummary)
}

// add appends the step of kind k, on path (moved to to), described by format.
func (j *job) add(k stepKind, path, to, format string, args ...any) {
	j.plan.Add(j.step(k, path, to, fmt.Sprintf(format, args...)))
}

// refusals are the reasons not to touch the host at all.
func refusals(c Config, obs *Observed) error {
	if len(obs.Flags.Storage) > 0 {
		var found []string
		for _, f := range obs.Flags.Storage {
			found = append(found, f.String())
		}
		return refuse("docker.service already passes storage flags to dockerd: %s; dockerd refuses to start when a flag is also set in %s (\"specified both as a flag and in the configuration file\", moby#30726): remove the flag(s) there (then systemctl daemon-reload) and run again",
			strings.Join(found, "; "), c.ConfigPath)
	}
	if f := obs.Flags.ConfigFile; f != "" && filepath.Clean(f) != filepath.Clean(c.ConfigPath) {
		return refuse("docker.service runs dockerd with --config-file %s (in %s), so dockerd never reads config_path %s: set config_path to %s", f, obs.Flags.ConfigFileSource, c.ConfigPath, f)
	}
	if err := mountRefusals(c, obs); err != nil {
		return err
	}
	if c.Driver == Devicemapper {
		pool := obs.Pool
		switch {
		case !pool.Exists && c.CheckMode:
			return nil // makePlan warns; the checks run once it exists
		case !pool.Exists:
			return refuse("thinpool_device %s does not exist (dmsetup status %s: no such device): create the thin pool first (directlvm.docker.lvm_thinpool) and make sure it is active", c.ThinpoolDevice, c.PoolDMName)
		case pool.Target != "thin-pool" && pool.TpoolTarget == "thin-pool":
			return refuse("thinpool_device %s is a %s device, not a thin pool; its pool is %s-tpool, which LVM shows only for a pool that holds LVM thin volumes: such a pool is not docker's to take; give docker an empty pool of its own", c.ThinpoolDevice, pool.Target, c.PoolDMName)
		case pool.Target != "thin-pool":
			return refuse("thinpool_device %s is a %s device, not a thin pool (docker would fail with \"is not a thin pool\"): give the device of an LVM thin pool, e.g. /dev/mapper/docker-thinpool", c.ThinpoolDevice, pool.Target)
		}
	}
	return nil
}

// sameStorage says whether daemon.json already gives docker, in effect,
// the storage it runs with and is asked for: the same options, and the
// same driver named or (unnamed) in use.
func sameStorage(obs *Observed, want docker.Storage) bool {
	driver := obs.Config.StorageDriver()
	if driver == "" && obs.Info != nil {
		driver = obs.Info.Driver
	}
	return driver == want.Driver && slices.Equal(obs.Config.StorageOpts(), want.Opts)
}

// needsFreshDataRoot says whether docker must start on an empty data root:
// its content belongs to another driver (invisible to the new one) or to
// another thin pool (devicemapper refuses to start: "Base Device UUID and
// Filesystem verification failed").
func needsFreshDataRoot(c Config, obs *Observed) (bool, string) {
	if !obs.DataRootHasContent {
		return false, ""
	}
	if obs.Mount != nil && !obs.Mount.OnDevice {
		return true, fmt.Sprintf("data_root_device %s is mounted there next", c.DataRootDevice)
	}
	if obs.Running {
		info := obs.Info
		if info.Driver != c.Driver {
			return true, fmt.Sprintf("it holds the images and containers of the %s driver that docker runs on now", info.Driver)
		}
		if pool, _ := info.Status("Pool Name"); c.Driver == Devicemapper && pool != c.PoolDMName {
			return true, fmt.Sprintf("its devicemapper data belongs to pool %s", pool)
		}
		return false, ""
	}
	for _, d := range obs.DataRootDrivers {
		if d != c.Driver {
			return true, fmt.Sprintf("it holds images of the %s driver", d)
		}
	}
	if c.Driver == Devicemapper && slices.Contains(obs.DataRootDrivers, Devicemapper) {
		prev := ""
		for _, o := range obs.Config.StorageOpts() {
			if v, ok := strings.CutPrefix(o, "dm.thinpooldev="); ok {
				prev = v
			}
		}
		if prev != c.PoolDevice {
			return true, fmt.Sprintf("its devicemapper data belongs to another pool (%s)", orNone(prev, "loop files"))
		}
	}
	return false, ""
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// checkEngine compares the running engine with the request and lists
// every difference. Without full checks (verify=false) only the driver
// and the pool count.
func checkEngine(c Config, info docker.Info, full bool) []string {
	var bad []string
	if info.Driver != c.Driver {
		return []string{fmt.Sprintf("the storage driver is %q, not %q", info.Driver, c.Driver)}
	}
	status := func(label string) string { v, _ := info.Status(label); return v }
	if c.Driver != Devicemapper {
		if c.DataRootDevice != "" && full {
			if v := status("Backing Filesystem"); v != "xfs" {
				bad = append(bad, fmt.Sprintf("Backing Filesystem is %q, not \"xfs\" (data_root_device's filesystem)", v))
			}
			if v := status("Supports d_type"); v != "true" {
				bad = append(bad, fmt.Sprintf("Supports d_type is %q, not \"true\"", v))
			}
		}
		return bad
	}
	if pool := status("Pool Name"); pool != c.PoolDMName {
		bad = append(bad, fmt.Sprintf("Pool Name is %q, not %q", pool, c.PoolDMName))
	}
	if !full {
		return bad
	}
	for _, label := range []string{"Data file", "Metadata file", "Data loop file", "Metadata loop file"} {
		if v := status(label); v != "" {
			bad = append(bad, fmt.Sprintf("%q is %q: docker uses loop files, not the pool", label, v))
		}
	}
	if v := status("Udev Sync Supported"); v != "true" {
		bad = append(bad, fmt.Sprintf("Udev Sync Supported is %q, not \"true\" (a dockerd built statically cannot sync with udev)", v))
	}
	if v, want := status("Deferred Removal Enabled"), fmt.Sprint(c.DeferredRemoval); v != want {
		bad = append(bad, fmt.Sprintf("Deferred Removal Enabled is %q, not %q", v, want))
	}
	if v, want := status("Deferred Deletion Enabled"), fmt.Sprint(c.DeferredDeletion); v != want {
		bad = append(bad, fmt.Sprintf("Deferred Deletion Enabled is %q, not %q", v, want))
	}
	return bad
}

// describe names the requested storage in a few words.
func describe(c Config) string {
	if c.Driver == Devicemapper {
		return fmt.Sprintf("devicemapper with thin pool %s", c.PoolDMName)
	}
	if c.DataRootDevice != "" {
		return fmt.Sprintf("%s with its data root on %s", c.Driver, c.DataRootDevice)
	}
	return c.Driver
}

func describeStorage(s docker.Storage) string {
	return fmt.Sprintf("storage-driver %s, storage-opts [%s]", s.Driver, strings.Join(s.Opts, ", "))
}

// expectation says what verification checks.
func expectation(c Config) string {
	if c.Driver != Devicemapper && c.DataRootDevice != "" {
		return fmt.Sprintf("Driver %s, Backing Filesystem xfs with d_type, on %s", c.Driver, c.DataRootDevice)
	}
	if c.Driver != Devicemapper {
		return "Driver " + c.Driver
	}
	return fmt.Sprintf("Driver devicemapper, Pool Name %s, no loop files, udev sync, deferred removal %t, deferred deletion %t",
		c.PoolDMName, c.DeferredRemoval, c.DeferredDeletion)
}
