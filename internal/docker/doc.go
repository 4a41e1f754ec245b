// Package docker reads the Docker engine: its version and storage driver
// over the Engine API's unix socket, and its configuration files.
package docker

import (
	_ "github.com/Masterminds/semver/v3" // pinned here until the package grows
)
