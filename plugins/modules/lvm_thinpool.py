#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

# Documentation only. The module is a static Go binary (source: modules/lvm_thinpool,
# internal/); meta/runtime.yml routes lvm_thinpool to the action plugin
# directlvm.docker.binary_module, which runs binaries/linux_GOARCH/lvm_thinpool on
# the target. tools/collection's tests fail when the options below and the
# module's spec disagree, or when RETURN misses a key the module returns.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: lvm_thinpool
short_description: Turn spare disks into the LVM thin pool Docker's devicemapper driver uses
version_added: 0.1.0
description:
  - Makes the disks in O(devices) LVM physical volumes, puts them in the volume group O(vg) and creates the thin pool O(vg)/O(thinpool)
    in it, the way Docker's direct-lvm runbook does by hand (C(pvcreate), C(vgcreate), two C(lvcreate), C(lvconvert --thinpool)).
  - Every run reads the state first (one C(lvm fullreport), plus C(lsblk) and C(wipefs --no-act) for disks that are not physical volumes yet),
    plans the commands, runs them unless in check mode, and reads the state again to report it. A host that is already as requested costs
    one read-only LVM command and reports no change.
  - Disks that may hold data are refused before anything is changed. A disk that is mounted, or has a device stacked on it (a holder),
    is always refused. A disk with partitions or a filesystem, RAID, LVM or partition-table signature is refused unless O(force=true).
    A disk that is a physical volume of another volume group is always refused; it is never taken from that group.
  - The pool is grown when a disk is added to O(devices) (O(grow=true)) or when the volume group has room for a larger O(data_size) given in
    V(%VG). A pool is never shrunk, and a physical volume is never removed from the volume group.
  - The chunk size and zeroing of an existing pool cannot change; a pool that differs in them is reported and left alone.
  - A run interrupted at any step is finished by the next one; the logical volumes it creates are tagged C(directlvm.docker) so that
    its own half-finished volumes are told apart from someone else's.
  - With O(state=absent) an empty pool is removed, and with O(remove_vg=true) the volume group and the LVM labels of its disks too. A pool
    that holds anything is refused and kept. That covers LVM thin volumes, and data in thin devices LVM does not show, which is where
    Docker keeps its images and containers.
author:
  - directlvm maintainers (@directlvm)
requirements:
  - On the target, LVM2 with thin pool support (C(lvm2) and the thin provisioning tools, C(thin-provisioning-tools) on Debian and Ubuntu,
    C(device-mapper-persistent-data) on Fedora and RHEL), and C(lsblk) and C(wipefs) from util-linux
  - A Linux target on x86_64 or aarch64; the action plugin runs the module binary built for it (C(binaries/linux_amd64/), C(binaries/linux_arm64/)).
    No Python is needed on the target
  - Root privileges (C(become=true))
options:
  devices:
    description:
      - The disks the volume group is made of, as absolute paths. Give stable names such as C(/dev/disk/by-id/...); symbolic links are
        resolved, and each must end at a block device.
      - Required with O(state=present). Every physical volume already in O(vg) must be listed; the module refuses a volume group
        that has physical volumes not listed here rather than remove them.
      - A listed disk that is not in O(vg) yet is added to it, and the pool grows onto it, when O(grow=true).
      - Ignored with O(state=absent).
    type: list
    elements: path
  vg:
    description:
      - Name of the volume group that holds the pool; created when it does not exist.
      - The pool's device is C(/dev/mapper/VG-THINPOOL), each C(-) inside a name doubled (see RV(thinpool.dm_path)).
    type: str
    default: docker
  thinpool:
    description:
      - Name of the thin pool logical volume. Its metadata volume is called V(THINPOOLmeta) until the conversion into a pool.
      - An existing logical volume of this name that is not a thin pool and was not made by this module is refused, never converted.
    type: str
    default: thinpool
  data_size:
    description:
      - Size of the pool's data, as C(lvcreate) takes it. Either a percentage of the volume group's extents (V(95%VG)) or of its free
        extents (V(100%FREE)), or an absolute size with a binary unit (V(100G); K, M, G, T, P or B). A bare number is refused.
      - Only a V(%VG) size grows an existing pool (O(grow=true)); a pool larger than this, for example after autoextend, is left alone.
      - The default follows Docker's runbook. With V(95%VG) data, V(1%VG) metadata and LVM's spare copy of the metadata (as large as the
        metadata), about 3% of the volume group stays free, which is less than one 20% autoextend step; the module warns about that.
        A smaller size such as V(75%VG) leaves room for autoextend.
    type: str
    default: 95%VG
  metadata_size:
    description:
      - Size of the pool's metadata, in the same forms as O(data_size). An absolute size must be between V(2M) and V(16192M) (lvmthin(7)).
      - LVM also makes a hidden spare copy of the metadata of the same size (C([lvol0_pmspare])) with the first pool of a volume group;
        the module counts it when checking that the pool fits.
      - When the pool grows and this is a V(%VG) size, the metadata grows in proportion.
    type: str
    default: 1%VG
  chunk_size:
    description:
      - The pool's chunk size, a multiple of V(64K) from V(64K) to V(1G) (lvmthin(7)).
      - Fixed when the pool is created; an existing pool with another chunk size is refused, not changed.
    type: str
    default: 512K
  zero:
    description:
      - Zero each new block of the pool before first use (C(lvconvert --zero y)). Slower; Docker's runbook turns it off.
      - Fixed when the pool is created; an existing pool with other zeroing is refused, not changed.
    type: bool
    default: false
  wipe_signatures:
    description:
      - Wipe any filesystem or other signature found inside the new data and metadata volumes (C(lvcreate --wipesignatures y)).
    type: bool
    default: true
  force:
    description:
      - Take disks in O(devices) that have empty partitions or carry a filesystem or partition-table signature, erasing every signature
        with C(wipefs --all) first. Destroys what the disks hold; set it only after checking them (C(lsblk), C(blkid -p)).
      - Refused even with O(force=true), since another storage stack owns them or they cannot hold a pool for long. That covers mounted
        disks and disks with a device stacked on them. It covers a disk with a partition that carries anything (an LVM physical volume, a
        filesystem, RAID) or has a device stacked on it, and a disk with an LVM, RAID, LUKS or ZFS signature that LVM does not show as a
        physical volume of this host (a filter or devices file hides it, or its volume group is foreign). Physical volumes of other
        volume groups are refused, whatever name the device is given (C(/dev/mapper/NAME) or C(/dev/dm-N)). So are loop, ram, zram and
        nbd devices, whose content does not survive a reboot.
    type: bool
    default: false
  grow:
    description:
      - Add the disks in O(devices) that are not in O(vg) yet to it, make a disk of O(vg) that grew in place (a cloud volume resized)
        use its new space (C(pvresize)), and grow the pool (and its metadata, when sized in V(%VG)) to O(data_size) of the larger
        volume group.
      - With O(grow=false) such disks are left alone with a warning and an existing pool keeps its size.
    type: bool
    default: true
  state:
    description:
      - V(present) makes sure the pool exists as described.
      - V(absent) removes an empty pool (C(lvremove)), and the unconverted metadata volume an interrupted run may have left. It refuses,
        changing nothing, a pool that holds any thin volume (naming it; open ones first), a pool whose used data blocks show thin devices
        LVM does not know (Docker's own, read with C(dmsetup status)), a pool that is not active (what it holds cannot be read), and a
        logical volume of that name that is neither a thin pool nor made by this module. Move Docker off the pool first
        (M(directlvm.docker.docker_storage) with O(directlvm.docker.docker_storage#module:driver=overlay2)).
    type: str
    choices: [present, absent]
    default: present
  remove_vg:
    description:
      - With O(state=absent), also remove the volume group (C(vgremove)) and the LVM labels of its disks (C(pvremove)), so that the disks
        are blank again.
      - Refused when the volume group holds logical volumes other than the pool; only valid with O(state=absent).
    type: bool
    default: false
attributes:
  async:
    description:
      - Runs in the background with C(async), polled by C(poll) or M(ansible.builtin.async_status) (which needs Python on the target).
    support: full
  check_mode:
    description:
      - Reads the state and returns the commands it would run in RV(actions) without running any of them.
      - RV(thinpool) is then the pool as the plan would leave it, its device (RV(thinpool.dm_path)) included, so that later tasks
        (M(directlvm.docker.docker_storage)) can be checked against a pool that does not exist yet.
    support: full
  diff_mode:
    description:
      - Shows the pool before and after (present, devices, data and metadata size, chunk size, zeroing); usage figures are left out.
    support: full
  idempotent:
    description:
      - A second run with the same options changes nothing and reports no change; only a new disk in O(devices) or a larger volume
        group grows the pool.
    support: full
  facts:
    description: Sets the host fact C(directlvm_thinpool), the same as RV(thinpool).
    support: full
  platform:
    description: Linux targets only.
    support: full
    platforms: linux
notes:
  - Runs of this collection's modules on one host take turns, each holding an exclusive lock on C(/run/directlvm-docker/lock)
    from its first read to its last (in check mode too); another run waits up to 10 minutes, then fails naming the holder.
    The kernel releases the lock when a run dies, so an interrupted run never leaves it held.
  - The role C(directlvm.docker.direct_lvm) runs this module, then M(directlvm.docker.lvm_profile) and M(directlvm.docker.docker_storage).
  - LVM commands run with C(LC_ALL=C); C(/sbin) and C(/usr/sbin) are searched for them even when C(PATH) lacks them under become.
  - When a command fails, the error names the step, says how many steps completed before it, and RV(actions) lists those; fix the cause and
    run again, the module continues from the state it finds.
  - A pool only grows by itself once an autoextend profile is attached and dmeventd monitors it; see M(directlvm.docker.lvm_profile).
seealso:
  - module: directlvm.docker.lvm_profile
  - module: directlvm.docker.docker_storage
  - name: lvmthin(7)
    description: LVM thin provisioning, chunk and metadata sizes.
    link: https://man7.org/linux/man-pages/man7/lvmthin.7.html
  - name: Docker's devicemapper storage driver
    description: The direct-lvm runbook this module carries out.
    link: https://docs.docker.com/engine/storage/drivers/device-mapper-driver/
"""

EXAMPLES = r"""
- name: "Thin pool for Docker on a spare disk (Docker's runbook: 95%VG data, 1%VG metadata, 512K chunks, no zeroing)"
  directlvm.docker.lvm_thinpool:
    devices:
      - /dev/disk/by-id/virtio-data0
  register: pool

- name: Show the device Docker gets
  ansible.builtin.debug:
    msg: "{{ pool.thinpool.dm_path }}: {{ pool.thinpool.size_bytes }} bytes on {{ pool.thinpool.devices | join(', ') }}"

- name: Leave room in the volume group for autoextend steps
  directlvm.docker.lvm_thinpool:
    devices:
      - /dev/disk/by-id/virtio-data0
    data_size: 75%VG
    metadata_size: 1%VG

- name: Grow the pool onto a second disk (list every disk of the volume group)
  directlvm.docker.lvm_thinpool:
    devices:
      - /dev/disk/by-id/virtio-data0
      - /dev/disk/by-id/virtio-data1

- name: Take a disk that still carries an old filesystem, wiping it (checked by hand first)
  directlvm.docker.lvm_thinpool:
    devices:
      - /dev/disk/by-id/wwn-0x5000c500a1b2c3d4
    force: true

- name: Remove the pool, its volume group and the LVM labels (docker stopped first)
  directlvm.docker.lvm_thinpool:
    vg: docker
    thinpool: thinpool
    state: absent
    remove_vg: true
"""

RETURN = r"""
msg:
  description: What the run found or did, in one sentence.
  returned: always
  type: str
  sample: "thin pool /dev/mapper/docker-thinpool ready: 3.8 GiB data, 40.0 MiB metadata on /dev/vdb"
actions:
  description:
    - The commands run, in order, as an operator would type them; in check mode the commands that would run.
    - Empty when nothing needed to change. After a failed step, the steps that completed before it.
  returned: always
  type: list
  elements: str
  sample:
    - lvcreate -y --wipesignatures y -n thinpool -l 95%VG --addtag directlvm.docker docker
    - lvcreate -y --wipesignatures y -n thinpoolmeta -l 1%VG --addtag directlvm.docker docker
    - lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
thinpool:
  description:
    - The pool as LVM reports it after the run (in check mode, as the plan would leave it).
    - With O(state=absent), or while the pool does not exist, RV(thinpool.present) is false and the pool's own fields are empty or zero.
  returned: always
  type: dict
  contains:
    present:
      description: Whether O(vg)/O(thinpool) is a thin pool.
      type: bool
      returned: always
      sample: true
    vg:
      description: The volume group, as O(vg).
      type: str
      returned: always
      sample: docker
    name:
      description: The pool's logical volume name, as O(thinpool).
      type: str
      returned: always
      sample: thinpool
    dm_name:
      description: The pool's device-mapper name, which C(docker info) shows as its Pool Name.
      type: str
      returned: always
      sample: docker-thinpool
    dm_path:
      description: The pool's device, to give to O(directlvm.docker.docker_storage#module:thinpool_device).
      type: str
      returned: always
      sample: /dev/mapper/docker-thinpool
    size_bytes:
      description: Size of the pool's data, in bytes.
      type: int
      returned: always
      sample: 4072669184
    data_percent:
      description: Percentage of the pool's data in use; null when LVM reports none (an inactive pool, or none at all).
      type: float
      returned: always
      sample: 0.0
    metadata_percent:
      description: Percentage of the pool's metadata in use; null when LVM reports none.
      type: float
      returned: always
      sample: 10.09
    metadata_size_bytes:
      description: Size of the pool's metadata, in bytes.
      type: int
      returned: always
      sample: 41943040
    chunk_size_bytes:
      description: The pool's chunk size, in bytes.
      type: int
      returned: always
      sample: 524288
    zero:
      description: Whether the pool zeroes new blocks.
      type: bool
      returned: always
      sample: false
    devices:
      description: The physical volumes of the volume group, sorted; empty when it does not exist.
      type: list
      elements: str
      returned: always
      sample: [/dev/vdb]
    vg_free_bytes:
      description: Free space left in the volume group, in bytes, the room autoextend has to grow the pool.
      type: int
      returned: always
      sample: 134217728
    monitored:
      description: Whether dmeventd monitors the pool (C(lvs -o+seg_monitor) says C(monitored)); autoextend needs it.
      type: bool
      returned: always
      sample: true
    profile:
      description: The LVM metadata profile attached to the pool; empty when none is.
      type: str
      returned: always
      sample: docker-thinpool
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    directlvm_docker_goarch:
      description:
        - The Go architecture of the module binaries this host runs, set by the collection's action plugin from the
          C(architecture) fact or C(uname -m), so that later tasks on the host need not ask again.
      type: str
      returned: always
      sample: amd64
    directlvm_thinpool:
      description: The same as RV(thinpool).
      type: dict
      returned: always
      sample:
        present: true
        vg: docker
        name: thinpool
        dm_name: docker-thinpool
        dm_path: /dev/mapper/docker-thinpool
        size_bytes: 4072669184
        data_percent: 0.0
        metadata_percent: 10.09
        metadata_size_bytes: 41943040
        chunk_size_bytes: 524288
        zero: false
        devices: [/dev/vdb]
        vg_free_bytes: 134217728
        monitored: true
        profile: ""
diff:
  description:
    - The pool before and after, which Ansible shows under C(--diff) when the task changed something. Without a pool, a side holds only
      present (false); otherwise present, pool (VG/LV), devices, size_bytes, metadata_size_bytes, chunk_size_bytes and zero.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The pool before the run.
      type: dict
      returned: in diff mode
      sample: {present: false}
    after:
      description: The pool after the run (in check mode, as the plan would leave it).
      type: dict
      returned: in diff mode
      sample:
        present: true
        pool: docker/thinpool
        devices: [/dev/vdb]
        size_bytes: 4072669184
        metadata_size_bytes: 41943040
        chunk_size_bytes: 524288
        zero: false
    before_header:
      description: Label of the before side.
      type: str
      returned: in diff mode
      sample: docker/thinpool (before)
    after_header:
      description: Label of the after side.
      type: str
      returned: in diff mode
      sample: docker/thinpool (after)
"""
