// Command docker_storage is the directlvm.docker.docker_storage Ansible module.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/dockerstorage"
)

func main() { ansible.Main(dockerstorage.Module(dockerstorage.RealHost())) }
