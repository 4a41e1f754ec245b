# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a directlvm.docker Go module built for the target's CPU.

meta/runtime.yml routes every module of this collection here. The
collection ships one static binary per architecture:

    plugins/modules/NAME              linux/amd64 (what ansible-doc reads)
    binaries/linux_<goarch>/NAME      every other architecture

This plugin learns the target's architecture from gathered facts or, when
facts were not gathered, from `uname -m` run without Python (once per host:
it sets the fact directlvm_docker_goarch for later tasks), and then lets
ansible-core transfer and run the matching binary exactly as it runs any
binary module (args file, check mode, diff, become, cleanup).
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

DOCUMENTATION = r"""
name: binary_module
short_description: Run the directlvm.docker module binary built for the target's architecture
description:
  - Internal action plugin. meta/runtime.yml routes the modules of this collection to it.
  - It picks the module binary from the target's C(uname -m) and needs no Python on the target.
author: directlvm maintainers
"""

# uname -m (or the architecture fact) -> GOARCH of the binary to run.
GOARCH_BY_MACHINE = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
}

# The fact this plugin sets on each host it ran on: the GOARCH of the
# binaries that host runs, so that only the first task asks `uname -m`.
GOARCH_FACT = "directlvm_docker_goarch"

# The architecture whose binaries live in plugins/modules/.
DEFAULT_GOARCH = "amd64"


def goarch_for(machine):
    """Map a `uname -m` answer to the GOARCH of the binary to run, or None."""
    return GOARCH_BY_MACHINE.get((machine or "").strip().lower())


def binary_for(module_path, goarch):
    """Path of the binary for goarch, given the path of the amd64 module."""
    if goarch == DEFAULT_GOARCH:
        return module_path
    root = os.path.dirname(os.path.dirname(os.path.dirname(module_path)))
    return os.path.join(root, "binaries", "linux_" + goarch, os.path.basename(module_path))


class ActionModule(ActionBase):
    # The modules implement check mode themselves (_ansible_check_mode).
    _supports_check_mode = True
    _goarch = DEFAULT_GOARCH

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            self._goarch = self._target_goarch(task_vars)
            result = merge_hash(result, self._execute_module(task_vars=task_vars))
            # Later tasks on this host need not ask again.
            result.setdefault("ansible_facts", {})[GOARCH_FACT] = self._goarch
        except AnsibleActionFail as e:
            result.update(e.result)
            # The message says it all; a traceback of this plugin would not help.
            result.pop("exception", None)
        finally:
            # remove a temporary path we created
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _target_goarch(self, task_vars):
        facts = task_vars.get("ansible_facts", {})
        if facts.get(GOARCH_FACT) in set(GOARCH_BY_MACHINE.values()):
            return facts[GOARCH_FACT]
        machine = facts.get("architecture")
        source = "the architecture fact"
        if not machine:
            res = self._low_level_execute_command("uname -m", sudoable=False)
            if res.get("rc") != 0:
                raise AnsibleActionFail(
                    "%s: could not learn the target's architecture: `uname -m` exited %s: %s"
                    % (self._task.action, res.get("rc"), (res.get("stderr") or res.get("stdout") or "").strip())
                )
            machine = res.get("stdout", "")
            source = "uname -m"
        goarch = goarch_for(machine)
        if goarch is None:
            raise AnsibleActionFail(
                "%s has no binary for this target's architecture %r (from %s); this collection ships linux %s. "
                "Run the task on a supported host, or build the collection with a binary for this architecture."
                % (self._task.action, machine.strip(), source, ", ".join(sorted(set(GOARCH_BY_MACHINE.values()))))
            )
        return goarch

    def _configure_module(self, module_name, module_args, task_vars):
        style, shebang, data, module_path = super()._configure_module(module_name, module_args, task_vars)
        path = binary_for(module_path, self._goarch)
        if not os.path.isfile(path):
            raise AnsibleActionFail(
                "%s: the linux/%s binary %s is missing from the installed collection; "
                "reinstall directlvm.docker from a tarball built with `make collection`."
                % (module_name, self._goarch, path)
            )
        return style, shebang, data, path
