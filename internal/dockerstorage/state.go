package dockerstorage

import (
	"strings"

	"github.com/directlvm/docker/internal/docker"
)

// StorageState is what the module reports: the `docker_storage` result
// and the `directlvm_docker_storage` fact.
type StorageState struct {
	DockerVersion string `json:"docker_version"`
	Running       bool   `json:"running"`
	// Driver is the storage driver docker runs on; when docker does not
	// run, the one daemon.json names.
	Driver string `json:"driver"`
	// DriverStatus is GET /info's DriverStatus with snake_case keys:
	// pool_name, data_space_used, data_space_total, metadata_space_used,
	// metadata_space_total, deferred_removal_enabled, ...
	DriverStatus map[string]string `json:"driver_status"`
	DataRoot     string            `json:"data_root"`
	// DataRootDevice is data_root_device when it is mounted at the data
	// root; empty otherwise.
	DataRootDevice string   `json:"data_root_device"`
	ConfigPath     string   `json:"config_path"`
	StorageOpts    []string `json:"storage_opts"`
	// ConfigBackup and DataRootBackup are where this run put the previous
	// daemon.json and data root; empty when it did not.
	ConfigBackup   string `json:"config_backup"`
	DataRootBackup string `json:"data_root_backup"`
	Restarted      bool   `json:"restarted"`
	RolledBack     bool   `json:"rolled_back"`
	// Carried is what the run carried across the switch (carry.go).
	Carried CarryReport `json:"carried"`
}

// stateOf builds the report from what is known: info is GET /info (nil
// when docker does not run), config the daemon.json in effect.
func stateOf(c Config, obs *Observed, info *docker.Info, config *docker.DaemonJSON) StorageState {
	s := StorageState{
		DockerVersion: obs.Version.Raw,
		DriverStatus:  map[string]string{},
		DataRoot:      obs.DataRoot,
		ConfigPath:    c.ConfigPath,
		StorageOpts:   config.StorageOpts(),
		Driver:        config.StorageDriver(),
	}
	if s.StorageOpts == nil {
		s.StorageOpts = []string{}
	}
	if obs.Mount != nil && obs.Mount.OnDevice {
		s.DataRootDevice = c.DataRootDevice
	}
	s.Carried = CarryReport{Images: []string{}, Volumes: []string{}, NotCarried: []string{}}
	if info != nil {
		s.Running = true
		s.Driver = info.Driver
		if info.DockerRootDir != "" {
			s.DataRoot = info.DockerRootDir
		}
		for _, kv := range info.DriverStatus {
			s.DriverStatus[snake(kv[0])] = kv[1]
		}
	}
	return s
}

// snake turns a DriverStatus label into a key: "Pool Name" -> pool_name.
func snake(label string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(label) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
	}
	return b.String()
}
