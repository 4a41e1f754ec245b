package dockerstorage

// state=released: docker stopped off its storage, so that what lies under
// it can be replaced (the way off devicemapper: its thin pool gives its
// space to the XFS volume overlay2 runs on). The images are exported to
// the carry directory first, as for a switch, and docker.service and
// docker.socket stay stopped. Nothing else moves: the data root, the
// volumes and daemon.json stay as they are, so that a host released but
// not switched still starts docker on its old storage. The next run with
// state=present finds the export and finishes the switch.
//
// Unlike a switch, a release refuses when the images cannot be exported:
// whatever replaces the storage destroys them, and no moved-aside data
// root would keep them.

import (
	"fmt"
	"path/filepath"
	"strings"
)

// planRelease plans state=released.
func (j *job) planRelease() error {
	c, obs, p := j.c, j.obs, j.plan
	socketActive := obs.Socket.ActiveState == "active"
	if !obs.Running && !socketActive {
		j.summary = "docker is stopped"
		if obs.Carry.Export {
			j.summary += fmt.Sprintf(", its %d image(s) exported to %s", len(obs.Carry.Manifest.Tags), obs.Carry.Dir)
		} else if c.CarryImages && obs.DataRootHasContent {
			p.Warn("docker.service is %s and no export waits in %s: docker's images could not be exported, so they are not carried; start docker and run again to carry them", obs.Service.ActiveState, obs.Carry.Dir)
		}
		return nil
	}
	if obs.Info != nil && obs.Info.LiveRestoreEnabled && obs.Info.ContainersRunning > 0 {
		return refuse("docker runs with live-restore and %d container(s) running: they would keep running through the stop, on the storage about to be replaced; stop them first (docker ps, docker stop), or set live-restore to false, and run again",
			obs.Info.ContainersRunning)
	}
	cp := &carryPlan{dir: obs.Carry.Dir}
	j.carry = cp
	switch {
	case obs.Carry.Export:
		// An export of an earlier, cut run: after a power cut the docker
		// that came back may not hold everything it held.
		cp.tags, cp.untagged = obs.Carry.Manifest.Tags, obs.Carry.Manifest.Untagged
	case !c.CarryImages:
		cp.notCarried = append(cp.notCarried, "carry_images=false: the images are not exported, and replacing the storage destroys them")
		p.Warn("%s", cp.notCarried[0])
	case obs.Running:
		cp.tags, cp.untagged = imageTags(obs.Images)
		if len(cp.tags) > 0 {
			need := exportRoom(obs.Images)
			if obs.CarryRoom < need {
				return refuse("exporting docker's %d image(s) needs about %s in %s, which has %s free, and the storage under docker is to be replaced, which destroys them: free space there and run again, or set carry_images=false to release docker without its images",
					len(cp.tags), humanBytes(need), filepath.Dir(cp.dir), humanBytes(obs.CarryRoom))
			}
			cp.export = true
		}
	}
	if cp.untagged > 0 {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("%d untagged image(s): only tagged images are exported", cp.untagged))
	}
	if obs.Info != nil && obs.Info.Containers > 0 {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("%d container(s): containers are not carried; recreate them from the carried images and volumes once docker runs on its new storage", obs.Info.Containers))
	}
	j.addExport()
	j.add(stepStop, dockerService, "", "stop %s and %s (they stay stopped until the storage is switched)", dockerService, dockerSocket)
	j.summary = "docker stopped off its storage"
	if len(cp.tags) > 0 {
		j.summary += fmt.Sprintf(", its %d image(s) (%s) exported to %s", len(cp.tags), strings.Join(cp.tags, ", "), filepath.Join(cp.dir, carryImages))
	}
	return nil
}

// FaultName is how the fault hook knows a release: as
// docker_storage@released, apart from the switch that follows it.
func (j *job) FaultName() string {
	if j.c.Released {
		return Name + "@released"
	}
	return Name
}
