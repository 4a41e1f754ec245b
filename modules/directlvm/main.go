// Command directlvm is every module of the directlvm.docker collection in
// one static binary: lvm_thinpool, lvm_profile, docker_storage, lvm_volume
// and storage_info. A host is sent this one file once (the action plugin
// caches it by its SHA-256), whatever modules its tasks use; each run is
// the module its arguments name (ansible.Modules). Each module's code is
// in internal/: lvmthinpool, lvmprofile, dockerstorage, lvmvolume and
// storageinfo.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/dockerstorage"
	"github.com/directlvm/docker/internal/lvmprofile"
	"github.com/directlvm/docker/internal/lvmthinpool"
	"github.com/directlvm/docker/internal/lvmvolume"
	"github.com/directlvm/docker/internal/storageinfo"
)

func main() {
	ansible.MainOf(
		lvmthinpool.Module(lvmthinpool.RealHost()),
		lvmprofile.Module(lvmprofile.RealHost()),
		dockerstorage.Module(dockerstorage.RealHost()),
		lvmvolume.Module(lvmvolume.RealHost()),
		storageinfo.Module(storageinfo.RealHost()),
	)
}
