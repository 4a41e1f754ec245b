module github.com/directlvm/docker

go 1.24
