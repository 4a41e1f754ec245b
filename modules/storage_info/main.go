// Command storage_info is the directlvm.docker.storage_info Ansible module.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/storageinfo"
)

func main() { ansible.Main(storageinfo.Module(storageinfo.RealHost())) }
