module github.com/directlvm/docker

go 1.24

require (
	github.com/Masterminds/semver/v3 v3.3.1
	github.com/coreos/go-systemd/v22 v22.5.0
	github.com/goccy/go-json v0.10.5
)

require github.com/godbus/dbus/v5 v5.0.4
