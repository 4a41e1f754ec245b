package storageinfo

// Storage is what the module reports: the `storage` result and the
// `directlvm_storage` fact.
type Storage struct {
	// Pools are every thin pool LVM reports, in its order.
	Pools []Pool `json:"pools"`
	// LVMError says why LVM's state could not be read; empty when it was.
	LVMError string `json:"lvm_error"`
	Docker   Docker `json:"docker"`
	// Pool is the device-mapper name of the pool the host is checked for:
	// docker's own Pool Name, or else vg-thinpool from the options.
	// Empty for driver=overlay2.
	Pool string `json:"pool"`
	// Flags are what needs a fix, each in a few words; empty when the host
	// is fine for the driver it is checked for.
	Flags []string `json:"flags"`
}

// Pool is one thin pool.
type Pool struct {
	VG   string `json:"vg"`
	Name string `json:"name"`
	// DMName is the pool's device-mapper name (VG-LV, each "-" inside a
	// name doubled): what docker calls its Pool Name.
	DMName          string   `json:"dm_name"`
	SizeBytes       int64    `json:"size_bytes"`
	MetadataBytes   int64    `json:"metadata_size_bytes"`
	DataPercent     *float64 `json:"data_percent"`
	MetadataPercent *float64 `json:"metadata_percent"`
	// Monitor is LVM's seg_monitor: "monitored", "not monitored", or ""
	// when the pool is inactive.
	Monitor   string `json:"monitor"`
	Monitored bool   `json:"monitored"`
	// Profile is the metadata profile attached to the pool; empty when none.
	Profile    string     `json:"profile"`
	Autoextend Autoextend `json:"autoextend"`
	// UsedByDocker says that docker's Pool Name is this pool.
	UsedByDocker bool `json:"used_by_docker"`
}

// Autoextend is how the pool grows when it fills, and how far it can.
type Autoextend struct {
	// ThresholdPercent and StepPercent are LVM's
	// thin_pool_autoextend_threshold and thin_pool_autoextend_percent in
	// effect for the pool (its profile's, else lvm.conf's); 0 when LVM
	// could not tell (Error says why).
	ThresholdPercent int64 `json:"threshold_percent"`
	StepPercent      int64 `json:"step_percent"`
	// Enabled: a threshold under 100 and a step over 0.
	Enabled bool `json:"enabled"`
	// VGFreeBytes is the free space of the pool's VG; NextStepBytes what
	// the next step takes from it; StepsLeft how many steps in a row it
	// has room for.
	VGFreeBytes   int64  `json:"vg_free_bytes"`
	NextStepBytes int64  `json:"next_step_bytes"`
	StepsLeft     int64  `json:"steps_left"`
	Error         string `json:"error"`
}

// Docker is docker's side: its service, and what its /info says.
type Docker struct {
	// Service is docker.service's ActiveState (active, inactive, failed,
	// ...); empty when systemd could not be asked.
	Service string `json:"service"`
	// Answering says that the Engine API answered GET /info; Error says
	// why it did not, or why it was not asked.
	Answering bool   `json:"answering"`
	Error     string `json:"error"`
	Version   string `json:"version"`
	Driver    string `json:"driver"`
	RootDir   string `json:"root_dir"`
	// PoolName is devicemapper's Pool Name; empty on other drivers.
	PoolName string `json:"pool_name"`
	// RootMount is what is mounted at the data root; nil when the data
	// root is not a mount point of its own.
	RootMount *Mount `json:"root_mount"`
}

// Mount is a mounted filesystem.
type Mount struct {
	Source string `json:"source"`
	FSType string `json:"fstype"`
}
