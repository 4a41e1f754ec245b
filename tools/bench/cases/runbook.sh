#!/bin/bash
# Case (c): the manual runbook (../shared/FACTS.md), command by command, as
# an operator would paste it. The benchmark pipes it to `ssh guest bash -s`
# with the spare disk as $1.
set -euo pipefail
disk=$1
systemctl stop docker
pvcreate "$disk"
vgcreate docker "$disk"
lvcreate --wipesignatures y -n thinpool docker -l 95%VG
lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG
lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
cat > /etc/lvm/profile/docker-thinpool.profile <<'PROFILE'
activation {
  thin_pool_autoextend_threshold=80
  thin_pool_autoextend_percent=20
}
PROFILE
lvchange --metadataprofile docker-thinpool docker/thinpool
lvs -o+seg_monitor docker/thinpool
mkdir -p /var/lib/docker.bak
mv /var/lib/docker/* /var/lib/docker.bak/
cat > /etc/docker/daemon.json <<'JSON'
{
  "storage-driver": "devicemapper",
  "storage-opts": [
    "dm.thinpooldev=/dev/mapper/docker-thinpool",
    "dm.use_deferred_removal=true",
    "dm.use_deferred_deletion=true"
  ]
}
JSON
systemctl daemon-reload
systemctl start docker
docker info --format '{{.Driver}} {{json .DriverStatus}}'
