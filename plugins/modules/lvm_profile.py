#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

# Documentation only. The module is a static Go binary (source: modules/lvm_profile,
# internal/); meta/runtime.yml routes lvm_profile to the action plugin
# directlvm.docker.binary_module, which runs binaries/linux_GOARCH/lvm_profile on
# the target. tools/collection's tests fail when the options below and the
# module's spec disagree, or when RETURN misses a key the module returns.

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
module: lvm_profile
short_description: Make an LVM thin pool grow by itself, with an autoextend profile monitored by dmeventd
version_added: 0.1.0
description:
  - Writes the LVM metadata profile C(NAME.profile) that sets C(thin_pool_autoextend_threshold) and C(thin_pool_autoextend_percent),
    attaches it to the thin pool O(lv) (C(lvchange --metadataprofile)), has dmeventd monitor the pool (C(lvchange --monitor y)), and
    enables and starts C(dm-event.socket) and C(lvm2-monitor.service) over D-Bus so that the pool stays monitored after a reboot.
    Without monitoring LVM never extends a pool, which is the usual reason pools fill up and Docker stops.
  - The profile is checked by LVM (C(lvmconfig --validate)) before it is written, and written atomically with mode C(0644); its
    content depends only on the two values, so every run writes the same bytes. A file with other values or another mode is rewritten,
    but only a file this module wrote or one that sets nothing but the two autoextend settings (the profile Docker's runbook has
    operators write by hand). A profile with other settings, such as those LVM ships (C(thin-performance), C(cache-smq), ...), is
    neither rewritten nor removed, and the run fails naming it.
  - Every run reads the state first (the profile directory and file, one C(lvm fullreport), the units), plans, applies unless in check
    mode, reads the state again and verifies it. A host that is already as requested reports no change.
  - With O(state=absent) the profile is detached from O(lv) and its file removed; monitoring and the services are left as they are,
    since other pools may rely on them.
author:
  - directlvm maintainers (@directlvm)
requirements:
  - On the target, LVM2 (C(lvmconfig), C(lvchange), C(lvm)) and dmeventd (C(dmeventd) on Debian and Ubuntu, C(device-mapper-event) on
    Fedora and RHEL)
  - systemd reachable over D-Bus (the system bus) when O(monitor=true) and O(state=present)
  - A Linux target on x86_64 or aarch64; the action plugin runs the module binary built for it (C(binaries/linux_amd64/), C(binaries/linux_arm64/)).
    No Python is needed on the target
  - Root privileges (C(become=true))
options:
  name:
    description:
      - Name of the profile; its file is C(NAME.profile) in the profile directory, and LVM stores the name with the pool.
      - Letters, digits and C(+ _ . -), not starting with C(-).
    type: str
    default: docker-thinpool
  autoextend_threshold:
    description:
      - C(thin_pool_autoextend_threshold), the percentage of the pool's data or metadata in use at which LVM grows the pool.
      - From V(50) to V(100). V(100) disables autoextend (with a warning). Values under V(50) are refused, because LVM would silently
        use V(50) instead.
    type: int
    default: 80
  autoextend_percent:
    description:
      - C(thin_pool_autoextend_percent), how much of its current size the pool grows by each time; must be greater than V(0).
      - Each step needs that much free space in the volume group. When O(lv) is given the module warns if the volume group cannot
        hold one step, since autoextend would then fail; see RV(profile.autoextend_possible).
    type: int
    default: 20
  profile_dir:
    description:
      - Absolute path of the directory LVM reads profiles from. Created with mode C(0755) when missing.
      - Leave it out to use LVM's own C(config/profile_dir), asked with C(lvmconfig --typeconfig full config/profile_dir)
        (C(/etc/lvm/profile) unless configured otherwise; used with a warning when LVM cannot tell). A directory LVM does not read
        would leave the profile unused.
    type: path
  lv:
    description:
      - The thin pool to attach the profile to and have monitored, as V(VG/LV), for example V(docker/thinpool).
      - Refused when it does not exist (create it first with M(directlvm.docker.lvm_thinpool)) or is not a thin pool, and, with
        O(monitor=true), when it is not active. A different profile attached to it is replaced.
      - In check mode a pool that does not exist yet is expected (an earlier task would create it), with a warning, not refused.
      - Without it only the profile file (and, with O(monitor=true), the services) is managed.
    type: str
  monitor:
    description:
      - Have dmeventd monitor O(lv), and enable and start C(dm-event.socket) and C(lvm2-monitor.service) (which monitors every
        active pool again at boot). Needs systemd over D-Bus; a unit that is masked or not installed is refused with the package to install.
      - With O(monitor=false), monitoring and the services are left alone and systemd is not contacted.
      - Only used with O(state=present).
    type: bool
    default: true
  state:
    description:
      - V(present) makes sure the profile file holds the settings, is attached to O(lv) and that O(lv) is monitored.
      - V(absent) detaches the profile from O(lv) (C(lvchange --detachprofile)) when it is attached, then removes the file. It refuses
        while any other logical volume still uses the profile, since LVM reads the file whenever it acts on such a volume; detach it from
        those first or give that pool as O(lv).
    type: str
    choices: [present, absent]
    default: present
attributes:
  async:
    description:
      - Runs in the background with C(async), polled by C(poll) or M(ansible.builtin.async_status) (which needs Python on the target).
    support: full
  check_mode:
    description:
      - Reads the state (and the units, over D-Bus) and returns in RV(actions) what it would do, without doing any of it.
      - RV(profile) is then the profile as the plan would leave it.
    support: full
  diff_mode:
    description: Shows the profile file's content before and after.
    support: full
  idempotent:
    description: A second run with the same options changes nothing and reports no change.
    support: full
  facts:
    description: Sets the host fact C(directlvm_profile), the same as RV(profile).
    support: full
  platform:
    description: Linux targets with systemd.
    support: full
    platforms: linux
notes:
  - Runs of this collection's modules on one host take turns, each holding an exclusive lock on C(/run/directlvm-docker/lock)
    from its first read to its last (in check mode too); another run waits up to 10 minutes, then fails naming the holder.
    The kernel releases the lock when a run dies, so an interrupted run never leaves it held.
  - The role C(directlvm.docker.direct_lvm) runs this module after M(directlvm.docker.lvm_thinpool) and before
    M(directlvm.docker.docker_storage).
  - The settings only take effect while dmeventd monitors the pool; check with C(lvs -o+seg_monitor) (RV(profile.monitored)), and
    C(journalctl -u dm-event.service) shows the extensions.
  - Autoextend needs free extents in the volume group. With Docker's runbook sizes (95%VG data, 1%VG metadata) the first step fails
    until a disk is added; the module warns about it.
  - After every change the module re-reads the state and fails when the file, the attachment, the monitoring or the units are not as
    asked. When a step fails, the error names it and says how many steps completed before it; run again once the cause is fixed.
seealso:
  - module: directlvm.docker.lvm_thinpool
  - module: directlvm.docker.docker_storage
  - name: lvm.conf(5)
    description: Profiles, C(config/profile_dir) and the C(thin_pool_autoextend_*) settings.
    link: https://man7.org/linux/man-pages/man5/lvm.conf.5.html
  - name: lvmthin(7)
    description: Automatic extension of thin pools.
    link: https://man7.org/linux/man-pages/man7/lvmthin.7.html
"""

EXAMPLES = r"""
- name: Grow docker/thinpool by 20% once it is 80% full, monitored by dmeventd
  directlvm.docker.lvm_profile:
    lv: docker/thinpool
  register: profile

- name: Say when the volume group has no room for the next extension
  ansible.builtin.debug:
    msg: "{{ profile.profile.vg_free_bytes }} bytes free, {{ profile.profile.autoextend_step_bytes }} needed per step"
  when: profile.profile.autoextend_possible is false

- name: Earlier, larger steps, in a profile of its own
  directlvm.docker.lvm_profile:
    name: docker-thinpool-fast
    autoextend_threshold: 70
    autoextend_percent: 30
    lv: docker/thinpool

- name: Only write the profile, leaving monitoring and its services alone
  directlvm.docker.lvm_profile:
    name: docker-thinpool
    monitor: false

- name: Detach the profile and remove its file
  directlvm.docker.lvm_profile:
    name: docker-thinpool
    lv: docker/thinpool
    state: absent
"""

RETURN = r"""
msg:
  description: What the run found or did, in one sentence.
  returned: always
  type: str
  sample: "profile /etc/lvm/profile/docker-thinpool.profile in place: grow by 20% past 80% used; attached to docker/thinpool, monitored by dmeventd"
actions:
  description:
    - What was done, in order, as an operator would type it (LVM commands, files written or removed, units enabled or started); in check
      mode what would be done.
    - Empty when nothing needed to change. After a failed step, the steps that completed before it.
  returned: always
  type: list
  elements: str
  sample:
    - "lvmconfig --validate --config '# Managed by directlvm.docker.lvm_profile: thin pool autoextend for Docker.\nactivation {\n\t\
      thin_pool_autoextend_threshold=80\n\tthin_pool_autoextend_percent=20\n}\n'"
    - write /etc/lvm/profile/docker-thinpool.profile
    - lvchange --metadataprofile docker-thinpool docker/thinpool
    - systemctl enable dm-event.socket
    - lvchange --monitor y docker/thinpool
profile:
  description: The profile as the file and LVM show it after the run (in check mode, as the plan would leave it).
  returned: always
  type: dict
  contains:
    present:
      description: Whether the profile file exists.
      type: bool
      returned: always
      sample: true
    name:
      description: The profile's name, as O(name).
      type: str
      returned: always
      sample: docker-thinpool
    path:
      description: The profile file's path.
      type: str
      returned: always
      sample: /etc/lvm/profile/docker-thinpool.profile
    threshold:
      description: C(thin_pool_autoextend_threshold) as the file says; null without a file or without the setting.
      type: int
      returned: always
      sample: 80
    percent:
      description: C(thin_pool_autoextend_percent) as the file says; null without a file or without the setting.
      type: int
      returned: always
      sample: 20
    attached_to:
      description: Every logical volume (VG/LV) that uses the profile, sorted.
      type: list
      elements: str
      returned: always
      sample: [docker/thinpool]
    monitored:
      description: Whether dmeventd monitors O(lv); null without O(lv), or when O(lv) is not (yet) a thin pool.
      type: bool
      returned: always
      sample: true
    autoextend_possible:
      description:
        - Whether the volume group has room for one extension of O(lv) (RV(profile.vg_free_bytes) at least
          RV(profile.autoextend_step_bytes)); null without O(lv), when O(lv) is not (yet) a thin pool, or without RV(profile.percent).
        - When false, autoextend will fail once the pool reaches the threshold; add a disk to the volume group.
      type: bool
      returned: always
      sample: false
    autoextend_step_bytes:
      description: One extension of O(lv), its data size times RV(profile.percent) / 100, in bytes; null when RV(profile.autoextend_possible) is.
      type: int
      returned: always
      sample: 814533836
    vg_free_bytes:
      description: Free space in O(lv)'s volume group, in bytes; null when RV(profile.autoextend_possible) is.
      type: int
      returned: always
      sample: 134217728
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
    directlvm_profile:
      description: The same as RV(profile).
      type: dict
      returned: always
      sample:
        present: true
        name: docker-thinpool
        path: /etc/lvm/profile/docker-thinpool.profile
        threshold: 80
        percent: 20
        attached_to: [docker/thinpool]
        monitored: true
        autoextend_possible: false
        autoextend_step_bytes: 814533836
        vg_free_bytes: 134217728
diff:
  description: The profile file's content before and after (empty for no file), which Ansible shows under C(--diff) when the task changed something.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The file's content before the run.
      type: str
      returned: in diff mode
      sample: "activation { thin_pool_autoextend_threshold=70 }\n"
    after:
      description: The content the profile should have; empty with O(state=absent).
      type: str
      returned: in diff mode
      sample: "# Managed by directlvm.docker.lvm_profile: thin pool autoextend for Docker.\nactivation {\n\tthin_pool_autoextend_threshold=80\n\t\
        thin_pool_autoextend_percent=20\n}\n"
    before_header:
      description: The profile file's path.
      type: str
      returned: in diff mode
      sample: /etc/lvm/profile/docker-thinpool.profile
    after_header:
      description: The profile file's path.
      type: str
      returned: in diff mode
      sample: /etc/lvm/profile/docker-thinpool.profile
"""
