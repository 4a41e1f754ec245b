#!/bin/bash
# The carry case's starting host (not measured): docker on devicemapper
# loop-lvm, as the runbook finds it, holding $1 images of $2 MiB each (one
# layer of random bytes apiece, so that nothing compresses or is shared),
# tagged carry:1 .. carry:$1, and no LVM. $3 is the disk the previous case
# used.
set -euo pipefail
n=$1 mib=$2
systemctl stop docker docker.socket
vgremove -y -ff docker 2>/dev/null || true
[ -n "${3:-}" ] && pvremove -y -ff "$3" 2>/dev/null || true
rm -f /etc/lvm/profile/docker-thinpool.profile
rm -rf /var/lib/docker /var/lib/docker.directlvm-* /root/.ansible/tmp
printf '{"storage-driver": "devicemapper"}\n' > /etc/docker/daemon.json
systemctl start docker
docker info --format '{{range .DriverStatus}}{{index . 0}}={{index . 1}};{{end}}' | grep -q 'Data loop file='
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$n"); do
  rm -rf "$work/root" && mkdir -p "$work/root"
  tar -C "$work/root" -xf /usr/local/share/directlvm/tiny.tar
  head -c "$((mib << 20))" /dev/urandom > "$work/root/payload"
  tar -C "$work/root" -cf - . | docker import - "carry:$i" >/dev/null
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | sort
