// Package docker reads the Docker engine and its configuration:
//
//   - the Engine API over its unix socket (GET /version, GET /info,
//     GET /_ping), read only, with bounded timeouts: [Client];
//   - engine versions as packagers spell them, and whether a version can
//     still run the devicemapper driver: [ParseVersion], [CheckDevicemapper];
//   - daemon.json, whose storage keys [MergeDaemonJSON] sets while keeping
//     every other byte of the file as it was;
//   - the storage flags that docker.service's command lines and
//     EnvironmentFiles pass to dockerd, which conflict with daemon.json:
//     [ScanCommands];
//   - dockerd's own failure texts and their fixes: [Diagnose].
//
// It changes nothing on the host: it never runs a command, and returns
// bytes for its callers to write.
package docker
