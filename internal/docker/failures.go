package docker

import (
	"strings"
)

// knownFailure is a text dockerd logs when it cannot start on a storage
// configuration, and what fixes it.
type knownFailure struct {
	text string // compared case-insensitively
	fix  string
}

// knownFailures are dockerd's own words (moby daemon/config and
// daemon/graphdriver/devmapper/deviceset.go) for the ways a storage switch
// goes wrong.
var knownFailures = []knownFailure{
	{"specified both as a flag and in the configuration file",
		"a storage option is given both on dockerd's command line (docker.service's ExecStart, a drop-in or an EnvironmentFile) and in daemon.json (moby#30726): remove it from the command line"},
	{"Base Device UUID and Filesystem verification failed",
		"the data root holds devicemapper metadata from another pool: move the data root (or its devicemapper directory) aside so that docker starts afresh on this pool"},
	{"Possibly using a different thin pool",
		"the data root holds devicemapper metadata from another pool: move the data root (or its devicemapper directory) aside so that docker starts afresh on this pool"},
	{"Unable to take ownership of thin-pool",
		"the thin pool is not empty (it has used data blocks or a non-zero transaction ID): give docker a fresh, empty pool of its own (e.g. directlvm.docker.lvm_thinpool with state=absent, then present; that destroys what the pool holds)"},
	{"is not a thin pool",
		"thinpool_device does not name a device-mapper thin pool: give /dev/mapper/VG-POOL of an LVM thin pool made for docker (a pool that holds LVM thin volumes shows up as VG-POOL-tpool and is not docker's to take)"},
	{"which is less than minimum required",
		"the thin pool has less free space than dm.min_free_space asks: grow the pool (add a disk, then directlvm.docker.lvm_thinpool) or lower min_free_space"},
	{"Base device size cannot be smaller",
		"dm.basesize can only grow: set basesize to at least the current base device size"},
	{"Unknown option",
		"dockerd does not know one of the storage options: check extra_storage_opts against the devicemapper options of this docker version"},
	{"driver not supported",
		"this dockerd has no such storage driver (built without devicemapper, or Docker 25 and later): use overlay2 or a docker build that has devicemapper"},
	{"devicemapper: usage of loopback devices",
		"docker fell back to loop files: dm.thinpooldev was not taken; check thinpool_device"},
}

// Diagnose returns the fixes for the known failures that log mentions, in
// a stable order and without repeats.
func Diagnose(log string) []string {
	lower := strings.ToLower(log)
	var fixes []string
	seen := map[string]bool{}
	for _, f := range knownFailures {
		if strings.Contains(lower, strings.ToLower(f.text)) && !seen[f.fix] {
			seen[f.fix] = true
			fixes = append(fixes, f.fix)
		}
	}
	return fixes
}
