#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

# Documentation only. The module is a static Go binary (source: modules/lvm_volume,
# internal/lvmvolume); meta/runtime.yml routes lvm_volume to the action plugin
# directlvm.docker.binary_module, which runs binaries/linux_GOARCH/lvm_volume on
# the target. tools/collection's tests fail when the options below and the
# module's spec disagree, or when RETURN misses a key the module returns.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: lvm_volume
short_description: An LVM volume with an XFS filesystem for Docker's overlay2 data root, on spare disks
version_added: 0.2.0
description:
  - Makes the disks in O(devices) LVM physical volumes in the volume group O(vg), creates the plain logical volume O(vg)/O(lv) in it
    and makes an XFS filesystem with C(ftype=1) on it. overlay2 needs that C(d_type) support, and XFS mounted with C(prjquota) lets
    Docker enforce C(overlay2.size). Unlike devicemapper, overlay2 works on every Docker version, Docker 25 and later included.
  - Disks are taken with the same safety rules as M(directlvm.docker.lvm_thinpool); a disk that may hold data is refused before
    anything is changed.
  - The volume grows when the volume group does (a disk added to O(devices), or a disk of the group grown in place), to O(size) of the
    larger group when O(size) is given in V(%VG), and its XFS filesystem grows with it, online where it is mounted (C(xfs_growfs)). Where
    it is not mounted, it is mounted in a directory of its own under C(/run) for the time of C(xfs_growfs). A volume is never shrunk.
  - The module does not mount the filesystem; Docker's data root on it is set up by M(directlvm.docker.docker_storage).
  - A run interrupted at any step is finished by the next one. The volume is tagged C(directlvm.docker), so that a volume of its own
    that an interrupted run left without a filesystem gets one, and someone else's volume does not (unless O(force=true)).
author:
  - directlvm maintainers (@directlvm)
requirements:
  - On the target, LVM2 (C(lvm2)), C(xfsprogs), and C(lsblk) and C(wipefs) from util-linux
  - A Linux target on x86_64 or aarch64; the action plugin runs the module binary built for it. No Python is needed on the target
  - Root privileges (C(become=true))
options:
  devices:
    description:
      - The disks the volume group is made of, as absolute paths. Give stable names such as C(/dev/disk/by-id/...); symbolic links are
        resolved, and each must end at a block device.
      - Every physical volume already in O(vg) must be listed; the module refuses a volume group that has physical volumes not listed
        here rather than remove them.
    type: list
    elements: path
    required: true
  vg:
    description: Name of the volume group; created when it does not exist.
    type: str
    default: docker
  lv:
    description:
      - Name of the logical volume. An existing logical volume of this name that is not a plain volume is refused, and so is one that
        carries a filesystem other than XFS, or an XFS without C(ftype=1).
    type: str
    default: data
  size:
    description:
      - Size of the volume, as C(lvcreate) takes it. Either a percentage of the volume group's extents (V(100%VG)) or of its free extents
        (V(100%FREE)), or an absolute size with a binary unit (V(100G)). A bare number is refused, and so is a size under 300 MiB,
        which C(mkfs.xfs) refuses.
      - Only a V(%VG) size grows an existing volume (O(grow=true)).
    type: str
    default: 100%VG
  fstype:
    description: The filesystem made on the volume. Only XFS, which overlay2 supports with project quotas.
    type: str
    choices: [xfs]
    default: xfs
  wipe_signatures:
    description: Wipe any signature found inside the new volume (C(lvcreate --wipesignatures y)).
    type: bool
    default: true
  force:
    description:
      - Take disks in O(devices) that have empty partitions or carry a filesystem or partition-table signature, erasing every signature
        with C(wipefs --all) first, as M(directlvm.docker.lvm_thinpool) does (the same refusals hold even with O(force=true)).
      - Also make XFS on an existing, empty volume O(vg)/O(lv) that this module did not create.
    type: bool
    default: false
  grow:
    description:
      - Add the disks in O(devices) that are not in O(vg) yet to it, make a disk of O(vg) that grew in place use its new space
        (C(pvresize)), and grow the volume to O(size) of the larger volume group, and its filesystem with it.
      - With O(grow=false) such disks are left alone with a warning and the volume keeps its size.
    type: bool
    default: true
  replaces_thinpool:
    description:
      - The thin pool in O(vg) whose place the volume takes, when a host leaves devicemapper (e.g. V(thinpool), the pool
        M(directlvm.docker.lvm_thinpool) made). While it exists it is removed, with the devicemapper data docker left in it, and
        its space goes to the volume.
      - It is removed only once docker no longer uses it. The module refuses while C(docker.service) or C(docker.socket) is active
        or any thin device of the pool is active (read with C(dmsetup)), and for a pool holding LVM thin volumes. In check mode
        these are warnings, since an earlier task stops docker in a real run.
      - Export docker's images and stop docker first with M(directlvm.docker.docker_storage) O(directlvm.docker.docker_storage#module:state=released);
        the role's overlay2 mode does both in order. Remove the pool's profile afterwards with M(directlvm.docker.lvm_profile)
        O(directlvm.docker.lvm_profile#module:state=absent).
      - Once the pool is gone the option does nothing, so later runs stay idempotent.
    type: str
attributes:
  async:
    description:
      - Runs in the background with C(async), polled by C(poll) or M(ansible.builtin.async_status) (which needs Python on the target).
    support: full
  check_mode:
    description: Reads the state and returns the commands it would run in RV(actions) without running any of them.
    support: full
  diff_mode:
    description: Shows the volume before and after (present, devices, size, filesystem type and size).
    support: full
  idempotent:
    description: A second run with the same options changes nothing and reports no change.
    support: full
  facts:
    description: Sets the host fact C(directlvm_volume), the same as RV(volume).
    support: full
  platform:
    description: Linux targets only.
    support: full
    platforms: linux
notes:
  - Runs of this collection's modules on one host take turns, each holding an exclusive lock on C(/run/directlvm-docker/lock).
  - XFS leaves up to 16 MiB of a device unused (it makes no allocation group smaller than that), so the filesystem counts as filling
    the volume when it is less than 16 MiB smaller.
seealso:
  - module: directlvm.docker.docker_storage
  - module: directlvm.docker.lvm_thinpool
  - name: Docker's overlay2 storage driver
    description: overlay2 on XFS needs d_type (ftype=1); overlay2.size needs an XFS mounted with pquota.
    link: https://docs.docker.com/engine/storage/drivers/overlayfs-driver/
"""

EXAMPLES = r"""
- name: A volume with XFS for Docker's data root on a spare disk
  directlvm.docker.lvm_volume:
    devices:
      - /dev/disk/by-id/virtio-data0
  register: volume

- name: Grow it onto a second disk (list every disk of the volume group)
  directlvm.docker.lvm_volume:
    devices:
      - /dev/disk/by-id/virtio-data0
      - /dev/disk/by-id/virtio-data1
"""

RETURN = r"""
msg:
  description: What the run found or did, in one sentence.
  returned: always
  type: str
  sample: "volume /dev/mapper/docker-data ready: 8.0 GiB, XFS 8.0 GiB, mounted at /var/lib/docker, on /dev/vdb"
actions:
  description:
    - The commands run, in order, as an operator would type them; in check mode the commands that would run.
    - Empty when nothing needed to change. After a failed step, the steps that completed before it.
  returned: always
  type: list
  elements: str
  sample:
    - pvcreate /dev/vdb
    - vgcreate docker /dev/vdb
    - lvcreate -y --wipesignatures y -n data -l 100%VG --addtag directlvm.docker docker
    - mkfs.xfs -q -n ftype=1 /dev/docker/data
volume:
  description:
    - The volume as LVM and its filesystem report it after the run (in check mode, as the plan would leave it).
  returned: always
  type: dict
  contains:
    present:
      description: Whether O(vg)/O(lv) exists.
      type: bool
      returned: always
      sample: true
    vg:
      description: The volume group, as O(vg).
      type: str
      returned: always
      sample: docker
    name:
      description: The logical volume's name, as O(lv).
      type: str
      returned: always
      sample: data
    dm_path:
      description: The volume's device; empty in check mode before it exists.
      type: str
      returned: always
      sample: /dev/mapper/docker-data
    size_bytes:
      description: Size of the volume, in bytes.
      type: int
      returned: always
      sample: 8585740288
    fstype:
      description: The filesystem on the volume (V(xfs)); empty when it has none.
      type: str
      returned: always
      sample: xfs
    fs_size_bytes:
      description: Size of the XFS data section, in bytes.
      type: int
      returned: always
      sample: 8585740288
    ftype:
      description: Whether the XFS records file types in directory entries (C(d_type)), which overlay2 requires.
      type: bool
      returned: always
      sample: true
    mountpoints:
      description: Where the volume is mounted; empty when it is not.
      type: list
      elements: str
      returned: always
      sample: [/var/lib/docker]
    devices:
      description: The physical volumes of the volume group, sorted.
      type: list
      elements: str
      returned: always
      sample: [/dev/vdb]
    vg_free_bytes:
      description: Free space left in the volume group, in bytes.
      type: int
      returned: always
      sample: 0
    replaces_thinpool:
      description: The thin pool O(replaces_thinpool) names (VG/POOL) while it still exists; empty once it is gone.
      type: str
      returned: always
      sample: ""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    directlvm_docker_goarch:
      description:
        - The Go architecture of the module binaries this host runs, set by the collection's action plugin.
      type: str
      returned: always
      sample: amd64
    directlvm_volume:
      description: The same as RV(volume).
      type: dict
      returned: always
      sample:
        present: true
        vg: docker
        name: data
        dm_path: /dev/mapper/docker-data
        size_bytes: 8585740288
        fstype: xfs
        fs_size_bytes: 8585740288
        ftype: true
        mountpoints: []
        devices: [/dev/vdb]
        vg_free_bytes: 0
        replaces_thinpool: ""
diff:
  description:
    - The volume before and after. Without a volume, a side holds only present (false); otherwise present, volume (VG/LV), devices,
      size_bytes, fstype and fs_size_bytes, and the thin pool to replace while it exists.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The volume before the run.
      type: dict
      returned: in diff mode
      sample: {present: false}
    after:
      description: The volume after the run (in check mode, as the plan would leave it).
      type: dict
      returned: in diff mode
      sample:
        present: true
        volume: docker/data
        devices: [/dev/vdb]
        size_bytes: 8585740288
        fstype: xfs
        fs_size_bytes: 8585740288
    before_header:
      description: Label of the before side.
      type: str
      returned: in diff mode
      sample: docker/data (before)
    after_header:
      description: Label of the after side.
      type: str
      returned: in diff mode
      sample: docker/data (after)
"""
