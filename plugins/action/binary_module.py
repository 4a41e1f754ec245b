# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a directlvm.docker Go module built for the target's CPU.

meta/runtime.yml routes every module of this collection here. Each module is
documented by a doc-only plugins/modules/NAME.py (what ansible-doc and Galaxy
read) and ships as one static binary per architecture:

    binaries/linux_<goarch>/NAME

This plugin learns the target's architecture from gathered facts or, when
facts were not gathered, from `uname -m` run without Python (once per host:
it sets the fact directlvm_docker_goarch for later tasks), then runs the
matching binary the way ansible-core runs any binary module: it copies the
binary and a JSON arguments file into the remote temporary directory, runs
`BINARY ARGS_FILE` (with become and the task's environment), reads the one
JSON object the binary prints, and removes the directory.

It relies only on ActionBase helpers whose signatures are the same from
ansible-core 2.15 to 2.21 (_make_tmp_path, _transfer_file, _transfer_data,
_fixup_perms2, _compute_environment_string, _low_level_execute_command,
_remove_tmp_path), never on how ansible-core builds modules internally.
"""

from __future__ import annotations

import datetime
import json
import os

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display

DOCUMENTATION = r"""
name: binary_module
short_description: Run the directlvm.docker module binary built for the target's architecture
description:
  - Internal action plugin. meta/runtime.yml routes the modules of this collection to it.
  - It picks the module binary from the target's C(uname -m) and needs no Python on the target.
author: directlvm maintainers (@directlvm)
"""

display = Display()

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

# The installed collection's root: plugins/action/binary_module.py is three
# levels below it.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def goarch_for(machine):
    """Map a `uname -m` answer to the GOARCH of the binary to run, or None."""
    return GOARCH_BY_MACHINE.get((machine or "").strip().lower())


def binary_for(module, goarch, root=COLLECTION_ROOT):
    """Path of module's binary for goarch in the collection at root."""
    return os.path.join(root, "binaries", "linux_" + goarch, module)


class Refusal(Exception):
    """A failed task with its message: raised inside the plugin and turned
    into the task's result by run(). (AnsibleActionFail's result no longer
    carries failed and msg from ansible-core 2.19 on, so it is not used to
    carry them here.)"""

    def __init__(self, msg, **fields):
        super().__init__(msg)
        self.msg = msg
        self.fields = fields

    def result(self):
        return dict(self.fields, failed=True, msg=self.msg)


def missing_binary_message(action, module, goarch, root=COLLECTION_ROOT):
    """What to tell a user whose installed collection lacks a binary."""
    return (
        "%s: the linux/%s module binary %s is missing from the installed collection at %s. "
        "The binaries are built, not kept in git, so a collection installed from git or from a source directory has none. "
        "Install a release tarball instead (ansible-galaxy collection install directlvm-docker-VERSION.tar.gz, or from a Galaxy server), "
        "or build one in a checkout of the repository with `make collection` (needs Go and ansible-core) and install "
        "bin/directlvm-docker-VERSION.tar.gz with ansible-galaxy collection install."
        % (action, goarch, os.path.join("binaries", "linux_" + goarch, module), root)
    )


def _json_default(value):
    """Encode what json cannot: dates as ISO 8601, sets as lists, the rest as text."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def parse_module_output(stdout):
    """The one JSON object a module printed, ignoring anything printed before
    it (a login banner, a shell profile's noise) and after it. None when there
    is no JSON object."""
    decoder = json.JSONDecoder()
    start = stdout.find("{")
    while start != -1:
        try:
            data = decoder.raw_decode(stdout, start)[0]
        except ValueError:
            start = stdout.find("{", start + 1)
            continue
        if isinstance(data, dict):
            return data
        start = stdout.find("{", start + 1)
    return None


class ActionModule(ActionBase):
    # The modules implement check mode themselves (_ansible_check_mode).
    _supports_check_mode = True
    # The binaries are copied to the host: ActionBase.run makes the
    # remote temporary directory first.
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            module = self._module_name()
            goarch = self._target_goarch(task_vars)
            binary = binary_for(module, goarch)
            if not os.path.isfile(binary):
                raise Refusal(missing_binary_message(self._task.action, module, goarch))
            result.update(self._run_binary(module, binary, task_vars))
            # Later tasks on this host need not ask again.
            facts = result.get("ansible_facts")
            result["ansible_facts"] = dict(facts) if isinstance(facts, dict) else {}
            result["ansible_facts"][GOARCH_FACT] = goarch
        except Refusal as e:
            result.update(e.result())
        finally:
            # remove a temporary path we created
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _module_name(self):
        """The module's short name (lvm_thinpool, ...), whether the task named
        it in full or through the collections keyword. (Not resolved_action:
        on 2.16 and 2.17 that names this action plugin, not the module.)"""
        return self._task.action.rsplit(".", 1)[-1]

    def _target_goarch(self, task_vars):
        facts = task_vars.get("ansible_facts", {})
        if facts.get(GOARCH_FACT) in set(GOARCH_BY_MACHINE.values()):
            return facts[GOARCH_FACT]
        machine = facts.get("architecture")
        source = "the architecture fact"
        if not machine:
            res = self._low_level_execute_command("uname -m", sudoable=False)
            if res.get("rc") != 0:
                raise Refusal(
                    "%s: could not learn the target's architecture: `uname -m` exited %s: %s"
                    % (self._task.action, res.get("rc"), (res.get("stderr") or res.get("stdout") or "").strip())
                )
            machine = res.get("stdout", "")
            source = "uname -m"
        goarch = goarch_for(machine)
        if goarch is None:
            raise Refusal(
                "%s has no binary for this target's architecture %r (from %s); this collection ships linux %s. "
                "Run the task on a supported host, or build the collection with a binary for this architecture."
                % (self._task.action, machine.strip(), source, ", ".join(sorted(set(GOARCH_BY_MACHINE.values()))))
            )
        return goarch

    def _module_args(self, tmpdir):
        """The task's options plus the internal keys ansible-core gives every
        module (the binaries accept any _ansible_* key)."""
        args = dict(self._task.args)
        args.update(
            _ansible_check_mode=bool(self._task.check_mode),
            _ansible_diff=bool(self._task.diff),
            _ansible_no_log=bool(self._task.no_log),
            _ansible_verbosity=display.verbosity,
            _ansible_version=ansible_version,
            _ansible_module_name=self._task.action,
            _ansible_tmpdir=tmpdir,
            _ansible_keep_remote_files=bool(C.DEFAULT_KEEP_REMOTE_FILES),
        )
        return args

    def _run_binary(self, module, binary, task_vars):
        shell = self._connection._shell
        tmpdir = shell.tmpdir or self._make_tmp_path()
        remote_binary = shell.join_path(tmpdir, module)
        remote_args = shell.join_path(tmpdir, "args")
        display.vvv("directlvm.docker: running %s on the target as %s" % (binary, remote_binary), host=self._host_name(task_vars))
        self._transfer_file(binary, remote_binary)
        self._transfer_data(remote_args, json.dumps(self._module_args(tmpdir), default=_json_default))
        self._fixup_perms2([tmpdir, remote_binary, remote_args], execute=True)
        cmd = shell.build_module_command(self._compute_environment_string(), "", remote_binary, arg_path=shell.quote(remote_args))
        res = self._low_level_execute_command(cmd, sudoable=True)
        data = parse_module_output(res.get("stdout") or "")
        if data is None:
            raise Refusal(
                self._no_result_message(module, remote_binary, tmpdir, res),
                module_stdout=res.get("stdout", ""),
                module_stderr=res.get("stderr", ""),
                rc=res.get("rc"),
            )
        # The protocol's own keys are never the module's to set.
        return {k: v for k, v in data.items() if not k.startswith("_ansible_")}

    def _no_result_message(self, module, remote_binary, tmpdir, res):
        rc = res.get("rc")
        stderr = (res.get("stderr") or "").strip()
        msg = "MODULE FAILURE: %s (%s on the target) exited %s without printing its JSON result" % (self._task.action, remote_binary, rc)
        if rc == 126 or "Permission denied" in stderr:
            msg += (
                "; the target could not execute it: the remote temporary directory %s is probably on a filesystem mounted noexec. "
                "Set remote_tmp (ansible_remote_tmp) to a directory on an executable filesystem" % tmpdir
            )
        elif rc == 127 or "not found" in stderr:
            msg += "; the binary did not reach the target, or the target's shell could not find it"
        elif (rc is not None and rc < 0) or rc in (137, 143):
            msg += "; it was killed by a signal (out of memory, or a timeout)"
        if stderr:
            msg += ". stderr: " + stderr[-2000:]
        return msg

    def _host_name(self, task_vars):
        return task_vars.get("inventory_hostname")
