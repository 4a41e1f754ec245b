module github.com/directlvm/docker

go 1.24

require github.com/goccy/go-json v0.10.5
