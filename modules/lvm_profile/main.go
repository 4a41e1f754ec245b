// Command lvm_profile is the directlvm.docker.lvm_profile Ansible module.
package main

import (
	"github.com/directlvm/docker/internal/ansible"
	"github.com/directlvm/docker/internal/lvmprofile"
)

func main() { ansible.Main(lvmprofile.Module(lvmprofile.RealHost())) }
