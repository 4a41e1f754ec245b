// Command lvm_volume is the directlvm.docker.lvm_volume Ansible module.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvmvolume"
)

func main() { ansible.Main(lvmvolume.Module(lvmvolume.RealHost())) }
