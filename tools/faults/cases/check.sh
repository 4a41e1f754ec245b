#!/bin/bash
# What the host looks like after a row's runs, one "key: value" line each;
# the matrix compares them with what converged means. $1 is the disk that
# holds a filesystem and must be untouched.
set -uo pipefail
echo "pool: $(lvs --noheadings -o lv_layout,seg_monitor,lv_profile docker/thinpool 2>&1 | xargs)"
echo "lvs: $(lvs -a --noheadings -o lv_name docker 2>&1 | xargs)"
echo "vg free extents: $(vgs --noheadings -o vg_free_count docker 2>&1 | xargs)"
echo "profile file: $([ -e /etc/lvm/profile/docker-thinpool.profile ] && echo present || echo absent)"
echo "data root: $(findmnt -n -o SOURCE,FSTYPE /var/lib/docker | xargs) $(findmnt -n -o OPTIONS /var/lib/docker | tr ',' '\n' | grep -x prjquota)"
echo "docker: $(docker info --format '{{.Driver}} {{range .DriverStatus}}{{if eq (index . 0) "Pool Name"}}{{index . 1}}{{end}}{{end}}' 2>&1)"
# tiny:1 was carried over from overlay2 (before anything imports it again).
echo "image: $(docker image inspect --format '{{join .RepoTags ","}}' tiny:1 2>&1)"
[ -e /var/lib/docker.directlvm-carry ] && echo "carry left: $(ls -A /var/lib/docker.directlvm-carry | xargs)"
/usr/local/sbin/directlvm-tiny-image >/dev/null 2>&1
# tiny:1 has a shell and no other program: the shell reads the mounts.
echo "container: $(docker run --rm tiny:1 /bin/sh -c 'while read -r dev dir rest; do [ "$dir" = / ] && echo "ran on $dev"; done < /proc/mounts' 2>&1)"
# The data from before the run: the volume's file (carried into the new
# data root) and the container's layer (in the moved-aside one), wherever
# they are now.
for f in /var/lib/docker*/volumes/keep/_data/kept.txt /var/lib/docker*/overlay2/*/diff/kept.txt; do
  [ -e "$f" ] && echo "kept: $f"
done
echo "other disk: $(sha256sum < "$1" | cut -d' ' -f1)"
