#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

# Documentation only. The module is a static Go binary (source: modules/docker_storage,
# internal/); meta/runtime.yml routes docker_storage to the action plugin
# directlvm.docker.binary_module, which runs binaries/linux_GOARCH/docker_storage on
# the target. tools/collection's tests fail when the options below and the
# module's spec disagree, or when RETURN misses a key the module returns.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: docker_storage
short_description: Point Docker's storage driver at an LVM thin pool (direct-lvm), or back to overlay2
version_added: 0.1.0
description:
  - Sets C(storage-driver) and C(storage-opts) in Docker's C(daemon.json) for the devicemapper driver on the thin pool O(thinpool_device)
    (C(dm.thinpooldev), C(dm.use_deferred_removal), C(dm.use_deferred_deletion) and the optional C(dm.*) settings), or for V(overlay2),
    then restarts C(docker.service) over D-Bus and checks through the Engine API (C(GET /info)) that Docker runs as asked.
  - Every other key of C(daemon.json) keeps its value, place and bytes; before the file changes, the previous one is copied to
    C(CONFIG_PATH.TIMESTAMP.bak) with the same mode. The file is replaced atomically and keeps what it is. A symlink stays a link and
    the file it names is written; the file keeps its mode, owner and group (a C(0600) file holding credentials stays C(0600)).
    A new C(daemon.json) gets mode C(0644).
  - Switching the storage driver hides every existing image and container from Docker. When the data root (C(/var/lib/docker)) holds
    the content of another driver or of another pool, it is moved aside to C(DATA_ROOT.directlvm-TIMESTAMP) with Docker stopped, never
    deleted, so that Docker starts afresh; remove it once all is well. C(daemon.json) is then written only once Docker is stopped and
    the old data root is durably aside, so that a power cut in between boots Docker as it was, never on the new storage over the
    old data root. C(docker.socket) is stopped before C(docker.service), so that
    no client starts Docker again meanwhile. The data root moves only once no C(dockerd), no container shim of Docker's and no mount is
    left below it, otherwise the run is rolled back. The rename is made durable before Docker starts again. Refused before anything
    changes are a filesystem Docker did not mount below the data root (it would move with it) and C(live-restore) with containers
    running (they would keep running on the old storage).
  - If Docker fails to start or to verify, every change is rolled back (O(rollback=true)) and the error quotes Docker's own log lines and
    the fix for the failures Docker is known for.
  - Nothing is changed, and the run fails with the reason, when Docker is 25.0 or later with O(driver=devicemapper) (the driver was
    removed in 25.0; 18.09 to 24 get a deprecation warning, 23 and 24 also one about upgrading), when C(docker.service) already passes
    storage flags to dockerd (on its command line, in a drop-in or through an EnvironmentFile such as C(/etc/sysconfig/docker-storage),
    which would make dockerd refuse to start), when dockerd reads another file than O(config_path) (C(--config-file)), or when
    O(thinpool_device) is missing or not a thin pool (C(dmsetup status)).
  - A host where Docker already runs as asked reports no change and is not restarted.
author:
  - directlvm maintainers (@directlvm)
requirements:
  - On the target, Docker Engine with the devicemapper driver (Docker 24 or older) for O(driver=devicemapper), run by systemd as
    C(docker.service)
  - systemd reachable over D-Bus (the system bus), and the Engine API on C(/var/run/docker.sock)
  - C(dmsetup) (LVM2 / device-mapper) for O(driver=devicemapper), and C(journalctl) to quote Docker's log on failure
  - A Linux target on x86_64 or aarch64; the action plugin runs the module binary built for it (C(binaries/linux_amd64/), C(binaries/linux_arm64/)).
    No Python is needed on the target
  - Root privileges (C(become=true))
options:
  driver:
    description:
      - The storage driver Docker should use. V(devicemapper) on the thin pool O(thinpool_device), or V(overlay2) (for example to move
        away from devicemapper before Docker 25).
      - With V(overlay2), the devicemapper options (O(thinpool_device), O(basesize), O(min_free_space), O(fs), O(deferred_removal),
        O(deferred_deletion)) must not be set.
    type: str
    choices: [devicemapper, overlay2]
    default: devicemapper
  thinpool_device:
    description:
      - The LVM thin pool Docker uses, as C(/dev/mapper/NAME) or C(/dev/VG/LV); it becomes C(dm.thinpooldev=/dev/mapper/NAME).
        RV(directlvm.docker.lvm_thinpool#module:thinpool.dm_path) gives it.
      - Required with O(driver=devicemapper). The pool must exist and be a thin pool; give Docker an empty pool of its own, since Docker
        refuses a pool that already holds data. In check mode a pool that does not exist yet is expected (an earlier task would create
        it), with a warning.
    type: path
  deferred_removal:
    description: C(dm.use_deferred_removal). Always set it with a pool (Docker's documentation); verified in C(GET /info).
    type: bool
    default: true
  deferred_deletion:
    description:
      - C(dm.use_deferred_deletion). Needs O(deferred_removal=true); verified in C(GET /info).
    type: bool
    default: true
  basesize:
    description:
      - C(dm.basesize), the size of each container's filesystem, for example V(20G). Docker's default is 10G.
      - It can only grow once Docker has used the pool; a smaller value makes Docker fail to start (and the run roll back).
    type: str
  min_free_space:
    description:
      - C(dm.min_free_space), the free space in the pool below which Docker refuses to create containers; a whole percentage under
        100 with its C(%), for example V(10%) (Docker's default).
    type: str
  fs:
    description: C(dm.fs), the filesystem of the containers' devices. Docker's default is V(xfs).
    type: str
    choices: [xfs, ext4]
  extra_storage_opts:
    description:
      - More storage options, each V(KEY=VALUE), for example V(dm.blkdiscard=false), appended to C(storage-opts).
      - Refused when they set what another option sets (C(dm.thinpooldev), C(dm.use_deferred_removal), C(dm.use_deferred_deletion),
        C(dm.basesize), C(dm.min_free_space), C(dm.fs)), when they are Docker's own direct-lvm options (C(dm.directlvm_device),
        C(dm.thinp_*)), which cannot be combined with a pool of your own, when one is given twice, or when a C(dm.*) option is given with
        O(driver=overlay2).
    type: list
    elements: str
  config_path:
    description:
      - The C(daemon.json) dockerd reads, an absolute path. Created when missing.
      - When C(docker.service) runs dockerd with C(--config-file), this must be that file; the module refuses otherwise.
    type: path
    default: /etc/docker/daemon.json
  backup_data_root:
    description:
      - Move the data root aside to C(DATA_ROOT.directlvm-TIMESTAMP) when it holds the images and containers of another driver or the
        devicemapper data of another pool, so that Docker starts on an empty one. When such a data root is a mount point (it cannot be
        renamed) the run is refused; move its content yourself, or set O(backup_data_root=false).
      - With O(backup_data_root=false) the data root stays in place with a warning; its old content keeps its space, and Docker may refuse
        to start on devicemapper data of another pool.
    type: bool
    default: true
  carry_images:
    description:
      - When the switch moves the data root aside, carry the user's work over to the new storage. Before Docker stops, the tagged
        images are exported through the Engine API (C(GET /images/get), streamed to
        C(DATA_ROOT.directlvm-carry/images.tar), never held in memory). Once Docker runs and is verified on the new storage they are
        loaded (C(POST /images/load)), their tags checked, and the export removed. The volumes directory (C(DATA_ROOT/volumes),
        which does not depend on the storage driver) is renamed into the new data root, not copied.
      - Containers are not carried; the result says how many stayed behind (their configuration stays in the old data root) and that
        they are recreated from the carried images and volumes (C(docker run), C(docker compose up -d)). Untagged images are not
        carried either.
      - When the filesystem beside the data root has no room for the export (the images' size plus a tenth and 64 MiB), nothing is
        carried, with a warning; the old data root is still moved aside intact.
      - A run cut while carrying leaves its work in C(DATA_ROOT.directlvm-carry), and the next run finishes it (places the volumes, loads
        the export) whatever this option says. A failed load rolls the switch back (with O(rollback=true)).
    type: bool
    default: true
  restart:
    description:
      - Restart C(docker.service) when its storage changes or it does not run as asked (stopping it and C(docker.socket) while the data
        root moves), and start it when it was stopped, so that a converged host is one whose Docker runs and is verified on the
        requested storage. A run cut after Docker was stopped is finished by the next one (data root moved aside, Docker started and
        verified).
      - With O(restart=false) only C(daemon.json) is written, with a warning; the new storage takes effect at the next restart, nothing is
        verified and the data root is not moved; a stopped Docker is left stopped.
    type: bool
    default: true
  restart_timeout:
    description: Seconds to wait for each stop, start or restart of the units, and for the Engine API to answer afterwards.
    type: int
    default: 180
  verify:
    description:
      - After the restart, check C(GET /info). Driver devicemapper, Pool Name the pool's device-mapper name, no loop files, udev sync
        supported, and deferred removal and deletion as asked (for V(overlay2), the driver only). A mismatch fails the run, which is
        then rolled back (O(rollback=true)).
      - The same checks decide whether a running Docker needs a restart at all; with O(verify=false) only the driver and the pool name do.
    type: bool
    default: true
  rollback:
    description:
      - When the restart or the verification fails, put C(daemon.json) and the data root back (a failed attempt's data root is kept
        at C(DATA_ROOT.directlvm-failed-TIMESTAMP)), start Docker again as it was, and say so in the error.
      - With O(rollback=false) the host is left as the failure found it, and the error says where the previous C(daemon.json) and data root
        are.
    type: bool
    default: true
  data_root_device:
    description:
      - With O(driver=overlay2), the block device that holds Docker's data root, for example the XFS volume
        M(directlvm.docker.lvm_volume) makes (V(/dev/mapper/docker-data)). overlay2 on a volume of its own works on every Docker
        version, Docker 25 and later included.
      - A systemd mount unit named after the data root (V(var-lib-docker.mount)) mounts it there with C(defaults,prjquota), so that
        C(overlay2.size) works, and the drop-in C(docker.service.d/directlvm-data-root.conf) makes C(docker.service) require that mount
        (C(RequiresMountsFor)), so Docker never starts on the filesystem below, at boot or after a failed mount. Both are written in
        C(/etc/systemd/system) and systemd is reloaded over D-Bus.
      - When the device is not mounted at the data root yet, Docker is stopped, the data root is moved aside as for a driver switch
        (the images exported and loaded back, the volumes copied onto the device with C(cp -a)), the device is mounted, and Docker
        starts on it and is verified (Backing Filesystem V(xfs), C(d_type) supported). A failure unmounts the device, removes the unit
        files and puts Docker back as it was.
      - Refused, changing nothing, when the device does not exist, when it is mounted elsewhere, or when something else is mounted at
        the data root.
    type: path
  state:
    description:
      - V(present) sets Docker's storage up as the other options ask.
      - V(released) only stops Docker off its storage, so that the storage under it can be replaced (the way off devicemapper, where the
        thin pool gives its space to the XFS volume, M(directlvm.docker.lvm_volume) O(directlvm.docker.lvm_volume#module:replaces_thinpool)).
        The tagged images are exported into C(DATAROOT.directlvm-carry) through the Engine API, then C(docker.socket) and
        C(docker.service) are stopped and stay stopped. The data root, the volumes and C(daemon.json) are left as they are, so a host
        released but not switched starts Docker on its old storage again.
      - The next run with V(present) finds the export and finishes the switch (the volumes moved, the images loaded); an enabled
        C(docker.socket) is started again then.
      - Unlike a switch, a release refuses when the images cannot be exported (not enough room beside the data root), since replacing
        the storage destroys them; O(carry_images=false) releases Docker without them. A release of a Docker already stopped changes
        nothing. Only O(carry_images), O(config_path) and O(restart_timeout) matter with V(released); give the O(driver) Docker moves to.
    type: str
    choices: [present, released]
    default: present
attributes:
  async:
    description:
      - Runs in the background with C(async), polled by C(poll) or M(ansible.builtin.async_status) (which needs Python on the target).
    support: full
  check_mode:
    description:
      - Reads the state (units, Engine API, C(daemon.json), command lines, pool) and returns in RV(actions) the steps it would take,
        without taking any; Docker is neither stopped nor restarted.
      - RV(docker_storage) then describes Docker as the plan would leave it, as the other modules of this collection do. Its driver
        and storage options are the requested ones, the backup names are the ones the run would use, and RV(docker_storage.running) and
        RV(docker_storage.restarted) are true when a restart is planned. RV(docker_storage.driver_status) is what a switched Docker
        would report as far as it is known ahead, only its pool name for devicemapper.
    support: full
  diff_mode:
    description: Shows C(daemon.json) before and after, when its content changes.
    support: full
  idempotent:
    description:
      - A second run with the same options changes nothing and restarts nothing; a C(daemon.json) that only gains an explicit name for
        the driver already in use is written without a restart.
    support: full
  facts:
    description: Sets the host fact C(directlvm_docker_storage), the same as RV(docker_storage).
    support: full
  platform:
    description: Linux targets with systemd.
    support: full
    platforms: linux
notes:
  - Runs of this collection's modules on one host take turns, each holding an exclusive lock on C(/run/directlvm-docker/lock)
    from its first read to its last (in check mode too); another run waits up to 10 minutes, then fails naming the holder.
    The kernel releases the lock when a run dies, so an interrupted run never leaves it held.
  - The role C(directlvm.docker.direct_lvm) runs this module after M(directlvm.docker.lvm_thinpool) and M(directlvm.docker.lvm_profile),
    with O(thinpool_device) taken from the pool's RV(directlvm.docker.lvm_thinpool#module:thinpool.dm_path).
  - Save what matters before the switch; images worth keeping should be pushed to a registry first. They stay in the moved data root,
    but Docker on the new driver does not see them.
  - Docker's own automatic direct-lvm setup (C(dm.directlvm_device)) is not used; the pool comes from M(directlvm.docker.lvm_thinpool)
    and grows through M(directlvm.docker.lvm_profile).
  - The module warns when the pool is not empty, since Docker takes only an empty pool, and passes on Docker's own warnings about
    devicemapper and loop devices.
seealso:
  - module: directlvm.docker.lvm_thinpool
  - module: directlvm.docker.lvm_profile
  - name: Docker's devicemapper storage driver
    description: The direct-lvm configuration this module applies, and the C(dm.*) options.
    link: https://docs.docker.com/engine/storage/drivers/device-mapper-driver/
"""

EXAMPLES = r"""
- name: Thin pool for Docker
  directlvm.docker.lvm_thinpool:
    devices:
      - /dev/disk/by-id/virtio-data0
  register: pool

- name: Docker on devicemapper with the pool (Docker's runbook settings)
  directlvm.docker.docker_storage:
    driver: devicemapper
    thinpool_device: "{{ pool.thinpool.dm_path }}"
  register: storage

- name: Tell where the old images went
  ansible.builtin.debug:
    msg: "Previous data root kept at {{ storage.docker_storage.data_root_backup }}"
  when: storage.docker_storage.data_root_backup | length > 0

- name: Larger container filesystems and a safety margin in the pool
  directlvm.docker.docker_storage:
    thinpool_device: /dev/mapper/docker-thinpool
    basesize: 20G
    min_free_space: 10%
    fs: xfs
    extra_storage_opts:
      - dm.blkdiscard=false

- name: Only write daemon.json; the switch happens at the next maintenance restart
  directlvm.docker.docker_storage:
    thinpool_device: /dev/mapper/docker-thinpool
    restart: false

- name: Back to overlay2 before upgrading to Docker 25
  directlvm.docker.docker_storage:
    driver: overlay2
"""

RETURN = r"""
msg:
  description: What the run found or did, where the previous C(daemon.json) and data root are, in a few sentences.
  returned: always
  type: str
  sample: >-
    docker switched to devicemapper with thin pool docker-thinpool (verified: Driver devicemapper, Pool Name docker-thinpool,
    no loop files, udev sync, deferred removal true, deferred deletion true); the previous data root is at
    /var/lib/docker.directlvm-20240506T101112: its images and containers are not visible to docker any more; remove it once all is well;
    the previous /etc/docker/daemon.json is at /etc/docker/daemon.json.20240506T101112.bak
actions:
  description:
    - The steps taken, in order; in check mode the steps that would be taken.
    - Empty when nothing needed to change. After a failure, the steps that completed before it.
  returned: always
  type: list
  elements: str
  sample:
    - stop docker.service and docker.socket
    - move the data root /var/lib/docker aside to /var/lib/docker.directlvm-20240506T101112 (it holds the images and containers of the
      overlay2 driver that docker runs on now)
    - copy /etc/docker/daemon.json to /etc/docker/daemon.json.20240506T101112.bak
    - "write /etc/docker/daemon.json: storage-driver devicemapper, storage-opts [dm.thinpooldev=/dev/mapper/docker-thinpool,
      dm.use_deferred_removal=true, dm.use_deferred_deletion=true]"
    - start docker.service
    - wait up to 3m0s for the Engine API
    - "verify GET /info: Driver devicemapper, Pool Name docker-thinpool, no loop files, udev sync, deferred removal true, deferred
      deletion true"
docker_storage:
  description: Docker's storage after the run (in check mode, as the plan would leave it).
  returned: always
  type: dict
  contains:
    docker_version:
      description: Docker's version, from the Engine API, or from C(dockerd --version) when Docker is not running.
      type: str
      returned: always
      sample: 20.10.24+dfsg1
    running:
      description: Whether Docker's Engine API answered.
      type: bool
      returned: always
      sample: true
    driver:
      description: The storage driver Docker runs on; when Docker does not run, the one C(daemon.json) names (empty if none).
      type: str
      returned: always
      sample: devicemapper
    driver_status:
      description:
        - C(GET /info)'s DriverStatus with snake_case keys (C(pool_name), C(data_space_used), C(data_space_total),
          C(metadata_space_used), C(deferred_removal_enabled), ...); the values are Docker's strings. Empty when Docker does not run.
      type: dict
      returned: always
      sample:
        pool_name: docker-thinpool
        pool_blocksize: 524.3kB
        base_device_size: 10.74GB
        backing_filesystem: xfs
        udev_sync_supported: "true"
        data_file: ""
        metadata_file: ""
        data_space_used: 19.92MB
        data_space_total: 4.072GB
        data_space_available: 4.052GB
        metadata_space_used: 151.6kB
        metadata_space_total: 41.94MB
        metadata_space_available: 41.79MB
        thin_pool_minimum_free_space: 407.1MB
        deferred_removal_enabled: "true"
        deferred_deletion_enabled: "true"
        deferred_deleted_device_count: "0"
        library_version: 1.02.185 (2022-05-18)
    data_root:
      description: Docker's data root.
      type: str
      returned: always
      sample: /var/lib/docker
    data_root_device:
      description: O(data_root_device) when it is mounted at the data root (in check mode, when the plan mounts it); empty otherwise.
      type: str
      returned: always
      sample: /dev/mapper/docker-data
    config_path:
      description: The C(daemon.json) managed, as O(config_path).
      type: str
      returned: always
      sample: /etc/docker/daemon.json
    storage_opts:
      description: The C(storage-opts) of C(daemon.json) after the run.
      type: list
      elements: str
      returned: always
      sample:
        - dm.thinpooldev=/dev/mapper/docker-thinpool
        - dm.use_deferred_removal=true
        - dm.use_deferred_deletion=true
    config_backup:
      description: Where this run copied the previous C(daemon.json); empty when it did not.
      type: str
      returned: always
      sample: /etc/docker/daemon.json.20240506T101112.bak
    data_root_backup:
      description: Where this run moved the previous data root; empty when it did not. Remove it once all is well.
      type: str
      returned: always
      sample: /var/lib/docker.directlvm-20240506T101112
    restarted:
      description: Whether this run started or restarted C(docker.service).
      type: bool
      returned: always
      sample: true
    rolled_back:
      description: Whether this run rolled its changes back after a failure (the run then fails).
      type: bool
      returned: always
      sample: false
    carried:
      description: What the run carried across the switch (O(carry_images)); in check mode, what it would carry.
      type: dict
      returned: always
      contains:
        images:
          description: The image tags carried (loaded into the new storage and checked).
          type: list
          elements: str
          sample: [tiny:1, web:2.4]
        bytes:
          description: The size of the export in bytes.
          type: int
          sample: 5734400
        seconds:
          description: The time the export and the load took, in seconds.
          type: float
          sample: 4.2
        volumes:
          description: The volume directories moved into the new data root.
          type: list
          elements: str
          sample: [keep]
        not_carried:
          description: What stayed behind (containers, untagged images, everything when there was no room), and how to get it back.
          type: list
          elements: str
          sample:
            - "2 container(s): containers are not carried; recreate them from the carried images and volumes (docker run ...,
              docker compose up -d); their configuration stays in /var/lib/docker.directlvm-20240506T101112/containers"
        pending:
          description: The carry directory while it still holds work (a failed load); the next run finishes it. Empty otherwise.
          type: str
          sample: ""
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
    directlvm_docker_storage:
      description: The same as RV(docker_storage).
      type: dict
      returned: always
      sample:
        docker_version: 20.10.24+dfsg1
        running: true
        driver: devicemapper
        driver_status: {pool_name: docker-thinpool, deferred_removal_enabled: "true", deferred_deletion_enabled: "true"}
        data_root: /var/lib/docker
        data_root_device: ""
        config_path: /etc/docker/daemon.json
        storage_opts: [dm.thinpooldev=/dev/mapper/docker-thinpool, dm.use_deferred_removal=true, dm.use_deferred_deletion=true]
        config_backup: ""
        data_root_backup: ""
        restarted: false
        rolled_back: false
diff:
  description: C(daemon.json) before and after, which Ansible shows under C(--diff) when the task changed something.
  returned: in diff mode, when the content of C(daemon.json) changes
  type: dict
  contains:
    before:
      description: The file's content before the run; empty when there was no file.
      type: str
      returned: in diff mode, when the content of C(daemon.json) changes
      sample: "{\n  \"log-driver\": \"journald\"\n}\n"
    after:
      description: The file's content after the run.
      type: str
      returned: in diff mode, when the content of C(daemon.json) changes
      sample: "{\n  \"log-driver\": \"journald\",\n  \"storage-driver\": \"devicemapper\",\n  \"storage-opts\": [\n\
        \    \"dm.thinpooldev=/dev/mapper/docker-thinpool\",\n    \"dm.use_deferred_removal=true\",\n\
        \    \"dm.use_deferred_deletion=true\"\n  ]\n}\n"
    before_header:
      description: The file's path, as O(config_path).
      type: str
      returned: in diff mode, when the content of C(daemon.json) changes
      sample: /etc/docker/daemon.json
    after_header:
      description: The file's path, as O(config_path).
      type: str
      returned: in diff mode, when the content of C(daemon.json) changes
      sample: /etc/docker/daemon.json
"""
