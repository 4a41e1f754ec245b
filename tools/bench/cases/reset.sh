#!/bin/bash
# Between cases (not measured): docker back on overlay2 with an empty data
# root, no LVM left and no module binary cached, as on a host before any
# rollout. $1 is the disk the previous case used.
set -euo pipefail
systemctl stop docker docker.socket
vgremove -y -ff docker 2>/dev/null || true
[ -n "${1:-}" ] && pvremove -y -ff "$1" 2>/dev/null || true
rm -f /etc/docker/daemon.json /etc/lvm/profile/docker-thinpool.profile
rm -rf /var/lib/docker /var/lib/docker.bak /var/lib/docker.directlvm-* /root/.ansible/tmp /var/cache/directlvm-docker
systemctl start docker
docker info --format '{{.Driver}}' | grep -qx overlay2
