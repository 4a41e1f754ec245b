#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

# Documentation only. The module is a static Go binary (source: modules/storage_info,
# internal/storageinfo); meta/runtime.yml routes storage_info to the action plugin
# directlvm.docker.binary_module, which runs binaries/linux_GOARCH/storage_info on
# the target. tools/collection's tests fail when the options below and the
# module's spec disagree, or when RETURN misses a key the module returns.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: storage_info
short_description: Report a host's thin pools and Docker's storage, and flag what needs a fix
version_added: 0.3.0
description:
  - Reads, in one run on the target, every LVM thin pool (size, data and metadata use, whether C(dmeventd) monitors it, its profile,
    the autoextend settings in effect for it and how many autoextend steps its volume group has room for), and Docker's storage driver,
    thin pool and data root as the Docker Engine API reports them.
  - Flags, in RV(storage.flags), what needs a fix on a host checked for O(driver), the way the fleet report
    (C(directlvm.docker.verify)) shows it.
  - Changes nothing, in check mode or not. A docker.service that systemd reports as not running is not asked, since asking a
    socket-activated Docker would start it.
author:
  - directlvm maintainers (@directlvm)
requirements:
  - On the target, LVM2 (C(lvm2)) for the thin pools
  - A Linux target on x86_64 or aarch64; the action plugin runs the module binary built for it. No Python is needed on the target
  - Root privileges (C(become=true)) to read LVM's state and Docker's socket
options:
  driver:
    description:
      - The storage driver Docker should be on. With V(devicemapper), the host is flagged when Docker is on another driver, or its
        pool is missing, not monitored, or used over O(max_percent); with V(overlay2), when Docker is on another driver or its data
        root is not a mount of its own.
    type: str
    choices: [devicemapper, overlay2]
    default: devicemapper
  max_percent:
    description:
      - The data or metadata use of the pool, in percent, above which the host is flagged (1 to 100).
    type: int
    default: 80
  vg:
    description:
      - The volume group of the pool to check when Docker names none (Docker is stopped, or on another driver).
    type: str
    default: docker
  thinpool:
    description:
      - The thin pool to check when Docker names none; with O(vg), C(/dev/mapper/VG-THINPOOL).
    type: str
    default: thinpool
attributes:
  async:
    description:
      - Runs in the background with C(async), polled by C(poll) or M(ansible.builtin.async_status) (which needs Python on the target).
    support: full
  check_mode:
    description: Reads and reports the same as without check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  idempotent:
    description: Changes nothing.
    support: full
  facts:
    description: Sets the host fact C(directlvm_storage), the same as RV(storage).
    support: full
  platform:
    description: Linux targets only.
    support: full
    platforms: linux
notes:
  - The module does not take the lock the changing modules of this collection take, so it reports while a rollout runs.
  - The autoextend room counts steps of RV(storage.pools[].autoextend.step_percent) of the pool's size in a row, each rounded up to
    whole extents, in the free space of the pool's volume group. Docker's documented layout (data 95%VG, metadata 1%VG) leaves room
    for none; a host is flagged for it only once its pool is over O(max_percent).
seealso:
  - module: directlvm.docker.lvm_thinpool
  - module: directlvm.docker.lvm_profile
  - module: directlvm.docker.docker_storage
"""

EXAMPLES = r"""
- name: Read the storage of the docker hosts
  directlvm.docker.storage_info:
  become: true
  register: storage

- name: Fail when a pool is nearly full, unmonitored, or docker is not on it
  ansible.builtin.assert:
    that: storage.storage.flags | length == 0
    fail_msg: "{{ inventory_hostname }}: {{ storage.storage.flags | join(', ') }}"

- name: Check a host moved onto overlay2
  directlvm.docker.storage_info:
    driver: overlay2
  become: true
"""

RETURN = r"""
msg:
  description: Docker's version, driver and pool, and the flags, in one sentence.
  returned: always
  type: str
  sample: "docker 20.10.24+dfsg1 on devicemapper, pool docker-thinpool: data over 80%, unmonitored"
storage:
  description: The host's thin pools and Docker's storage.
  returned: always
  type: dict
  contains:
    pools:
      description: Every thin pool LVM reports.
      type: list
      elements: dict
      contains:
        vg:
          description: Its volume group.
          type: str
          sample: docker
        name:
          description: Its name.
          type: str
          sample: thinpool
        dm_name:
          description: Its device-mapper name, what Docker calls its Pool Name.
          type: str
          sample: docker-thinpool
        size_bytes:
          description: The size of its data, in bytes.
          type: int
          sample: 4072669184
        metadata_size_bytes:
          description: The size of its metadata, in bytes.
          type: int
          sample: 41943040
        data_percent:
          description: How much of its data is used, in percent; null when LVM reports none (the pool is inactive).
          type: float
          sample: 12.5
        metadata_percent:
          description: How much of its metadata is used, in percent; null when LVM reports none.
          type: float
          sample: 10.1
        monitor:
          description: LVM's C(seg_monitor), C(monitored) or C(not monitored); empty when the pool is inactive.
          type: str
          sample: monitored
        monitored:
          description: Whether C(dmeventd) monitors the pool, which autoextend needs.
          type: bool
          sample: true
        profile:
          description: The metadata profile attached to the pool; empty when none.
          type: str
          sample: docker-thinpool
        used_by_docker:
          description: Whether Docker's Pool Name is this pool.
          type: bool
          sample: true
        autoextend:
          description: How the pool grows when it fills, and how far it can.
          type: dict
          contains:
            threshold_percent:
              description: C(thin_pool_autoextend_threshold) in effect (its profile's, else C(lvm.conf)'s); 100 means off; 0 when LVM could not tell.
              type: int
              sample: 80
            step_percent:
              description: C(thin_pool_autoextend_percent) in effect; 0 when LVM could not tell.
              type: int
              sample: 20
            enabled:
              description: Whether the settings grow the pool at all (a threshold under 100 and a step over 0).
              type: bool
              sample: true
            vg_free_bytes:
              description: The free space of its volume group, in bytes.
              type: int
              sample: 134217728
            next_step_bytes:
              description: What the next autoextend step takes, in bytes; 0 when autoextend is off.
              type: int
              sample: 817889280
            steps_left:
              description: How many autoextend steps in a row the volume group has room for.
              type: int
              sample: 0
            error:
              description: Why LVM could not tell the settings (e.g. the profile file is missing); empty when it could.
              type: str
              sample: ""
    lvm_error:
      description: Why LVM's state could not be read; empty when it was.
      type: str
      sample: ""
    docker:
      description: Docker's storage as the Docker Engine API reports it.
      type: dict
      contains:
        service:
          description: docker.service's state in systemd (C(active), C(inactive), C(failed), ...); empty when systemd could not be asked.
          type: str
          sample: active
        answering:
          description: Whether Docker answered.
          type: bool
          sample: true
        error:
          description: Why Docker did not answer, or was not asked; empty when it answered.
          type: str
          sample: ""
        version:
          description: Docker's version.
          type: str
          sample: 20.10.24+dfsg1
        driver:
          description: The storage driver Docker is on.
          type: str
          sample: devicemapper
        root_dir:
          description: Docker's data root.
          type: str
          sample: /var/lib/docker
        pool_name:
          description: devicemapper's Pool Name; empty on other drivers.
          type: str
          sample: docker-thinpool
        root_mount:
          description: What is mounted at the data root; null when it is not a mount point of its own.
          type: dict
          contains:
            source:
              description: The mounted device.
              type: str
              sample: /dev/mapper/docker-data
            fstype:
              description: Its filesystem.
              type: str
              sample: xfs
    pool:
      description: The device-mapper name of the pool the host is checked for (Docker's Pool Name, else O(vg)-O(thinpool)); empty for
        O(driver=overlay2).
      type: str
      sample: docker-thinpool
    flags:
      description: What needs a fix, each in a few words; empty when the host is fine for O(driver).
      type: list
      elements: str
      sample: ["data over 80%", "no room to autoextend (VG docker: 128.0 MiB free, a step is 780.0 MiB)"]
"""
