// Command lvm_thinpool is the directlvm.docker.lvm_thinpool Ansible module.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvmthinpool"
)

func main() { ansible.Main(lvmthinpool.Module(lvmthinpool.RealHost())) }
