#!/bin/bash
# The matrix's starting host, before each row: docker on overlay2 holding
# the image tiny:1, a stopped container that wrote a file into its layer
# and into the volume "keep", and nothing of a previous row (no thin pool,
# volume, VG, profile, daemon.json, data root mount or moved-aside data
# root). The overlay2 journey then runs the role to make it direct-lvm. Made durable before
# the row starts, since the row may cut the power.
set -euo pipefail
systemctl stop docker.socket docker.service
systemctl reset-failed docker.service docker.socket 2>/dev/null || true
# The overlay2 journey's data root: its mount, its unit files.
systemctl stop var-lib-docker.mount 2>/dev/null || true
if mountpoint -q /var/lib/docker; then umount /var/lib/docker; fi
rm -f /etc/systemd/system/var-lib-docker.mount /etc/systemd/system/docker.service.d/directlvm-data-root.conf
systemctl daemon-reload
# docker's thin devices hold the pool; then the VG and its PVs go.
dmsetup ls --target thin | awk 'NF == 2 {print $1}' | while read -r dev; do dmsetup remove --retry "$dev"; done
if vgs docker >/dev/null 2>&1; then vgremove -y -ff docker; fi
pvs --noheadings -o pv_name | while read -r pv; do pvremove -y -ff "$pv"; done
rm -f /etc/docker/daemon.json /etc/docker/daemon.json.*.bak /etc/lvm/profile/docker-thinpool.profile
rm -rf /var/lib/docker /var/lib/docker.directlvm-* /root/.ansible/tmp
systemctl start docker.service
[ "$(docker info --format '{{.Driver}}')" = overlay2 ]
/usr/local/sbin/directlvm-tiny-image >/dev/null
docker run --name keepme --volume keep:/data tiny:1 /bin/sh -c 'echo kept > /kept.txt && echo kept > /data/kept.txt'
sync
