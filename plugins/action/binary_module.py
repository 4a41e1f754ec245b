# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a directlvm.docker Go module built for the target's CPU.

meta/runtime.yml routes every module of this collection here. Each module is
documented by a doc-only plugins/modules/NAME.py (what ansible-doc and Galaxy
read); all of them are one static binary per architecture:

    binaries/linux_<goarch>/directlvm

which runs the module the arguments name (_ansible_module_name, the task's
module). The binary reaches a host once, whatever modules its tasks use. It
is kept there in a root-owned cache directory, named by its SHA-256
(directlvm_docker_module_cache, default /var/cache/directlvm-docker/modules). A task on a host that has it is one
command, one SSH round trip: the command checks the cached file's SHA-256,
runs it with the task's arguments on stdin, and the result comes back on
stdout (plugin_utils/remote_scripts.py holds the scripts). A host that lacks
it, or whose copy no longer matches its hash, is sent the binary, which is
checked, cached and run in the same way. The host's architecture comes from
the gathered facts, from an earlier task (the fact directlvm_docker_goarch
this plugin sets), or from `uname -m` inside that same command.

The standard way, as ansible-core runs any binary module, remains for what
needs it: async tasks, ANSIBLE_KEEP_REMOTE_FILES, a connection or become
method that cannot pass stdin (su, for one), a become user other than root,
a sudo that wants a tty, and directlvm_docker_module_cache set to "". It
copies the binary and a JSON arguments file into the remote temporary
directory, runs `BINARY ARGS_FILE` and removes the directory. An async task
runs the binary in a session of its own and leaves its result where
async_status reads it.

It relies only on ActionBase helpers whose signatures are the same from
ansible-core 2.15 to 2.21 (_make_tmp_path, _transfer_file, _transfer_data,
_fixup_perms2, _compute_environment_string, _low_level_execute_command,
_remote_expand_user, _remove_tmp_path), never on how ansible-core builds
modules internally.
"""

from __future__ import annotations

import datetime
import json
import os
import random

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display
from ansible_collections.directlvm.docker.plugins.plugin_utils import remote_scripts
from ansible_collections.directlvm.docker.plugins.plugin_utils.remote_scripts import file_sha256

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

# The variable that names the host's cache directory of module binaries,
# and its default. "" sends the binary with every task.
CACHE_VAR = "directlvm_docker_module_cache"
DEFAULT_CACHE_DIR = "/var/cache/directlvm-docker/modules"

# The installed collection's root: plugins/action/binary_module.py is three
# levels below it.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def goarch_for(machine):
    """Map a `uname -m` answer to the GOARCH of the binary to run, or None."""
    return GOARCH_BY_MACHINE.get((machine or "").strip().lower())


# The one binary that holds every module of the collection.
BINARY_NAME = "directlvm"


def binary_for(goarch, root=COLLECTION_ROOT):
    """Path of the modules' binary for goarch in the collection at root."""
    return os.path.join(root, "binaries", "linux_" + goarch, BINARY_NAME)


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


def missing_binary_message(action, goarch, root=COLLECTION_ROOT):
    """What to tell a user whose installed collection lacks a binary."""
    return (
        "%s: the linux/%s module binary %s is missing from the installed collection at %s. "
        "The binaries are built, not kept in git, so a collection installed from git or from a source directory has none. "
        "Install a release tarball instead (ansible-galaxy collection install directlvm-docker-VERSION.tar.gz, or from a Galaxy server), "
        "or build one in a checkout of the repository with `make collection` (needs Go and ansible-core) and install "
        "bin/directlvm-docker-VERSION.tar.gz with ansible-galaxy collection install."
        % (action, goarch, os.path.join("binaries", "linux_" + goarch, BINARY_NAME), root)
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
    # An async task runs the binary in a session of its own (_run_async).
    _supports_async = True
    # The remote temporary directory is made only when something is sent:
    # a task on a warm host needs none.
    TRANSFERS_FILES = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ansible-core 2.15 sets these per instance in ActionBase.__init__.
        self._supports_check_mode = True
        self._supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            module = self._module_name()
            goarch = self._known_goarch(task_vars)
            cache = self._cache_dir(task_vars)
            if self._task.async_val:
                run = self._run_async(module, goarch or self._ask_goarch(), task_vars)
            elif cache and self._can_pipe():
                run = self._run_cached(module, goarch, cache, task_vars)
            else:
                run = self._run_standard(module, goarch or self._ask_goarch(), task_vars)
            goarch = run.pop("_directlvm_goarch", None) or goarch
            result.update(run)
            if goarch:
                # Later tasks on this host need not ask again.
                facts = result.get("ansible_facts")
                result["ansible_facts"] = dict(facts) if isinstance(facts, dict) else {}
                result["ansible_facts"][GOARCH_FACT] = goarch
        except Refusal as e:
            result.update(e.result())
        finally:
            # None once an async job took it over.
            tmpdir = self._connection._shell.tmpdir
            if tmpdir:
                self._remove_tmp_path(tmpdir)
        return result

    def _module_name(self):
        """The module's short name (lvm_thinpool, ...), whether the task named
        it in full or through the collections keyword. (Not resolved_action:
        on 2.16 and 2.17 that names this action plugin, not the module.)"""
        return self._task.action.rsplit(".", 1)[-1]

    def _cache_dir(self, task_vars):
        """The host's cache directory of module binaries; "" for none."""
        value = task_vars.get(CACHE_VAR, DEFAULT_CACHE_DIR)
        if self._templar is not None:
            value = self._templar.template(value)
        value = "" if value is None else str(value).strip()
        if value and not value.startswith("/"):
            raise Refusal(
                "%s=%r is not an absolute path: give a directory such as %s, or \"\" to send the binary with every task"
                % (CACHE_VAR, value, DEFAULT_CACHE_DIR))
        return value

    def _can_pipe(self):
        """Whether a command can get the arguments on stdin: the connection
        passes stdin, the become method (if any) does too, and runs as root
        (the cache is root's)."""
        conn = self._connection
        if not conn.has_pipelining or C.DEFAULT_KEEP_REMOTE_FILES:
            return False
        if conn.become:
            return bool(getattr(conn.become, "pipelining", True)) and not self._is_become_unprivileged()
        return True

    def _known_goarch(self, task_vars):
        """The host's GOARCH from this plugin's fact or the gathered facts,
        None when neither says. An architecture the collection has no
        binary for is refused here, before anything is sent."""
        facts = task_vars.get("ansible_facts", {})
        if facts.get(GOARCH_FACT) in set(GOARCH_BY_MACHINE.values()):
            return facts[GOARCH_FACT]
        machine = facts.get("architecture")
        if not machine:
            return None
        return self._goarch_or_refuse(machine, "the architecture fact")

    def _goarch_or_refuse(self, machine, source):
        goarch = goarch_for(machine)
        if goarch is None:
            raise Refusal(
                "%s has no binary for this target's architecture %r (from %s); this collection ships linux %s. "
                "Run the task on a supported host, or build the collection with a binary for this architecture."
                % (self._task.action, (machine or "").strip(), source, ", ".join(sorted(set(GOARCH_BY_MACHINE.values()))))
            )
        return goarch

    def _ask_goarch(self):
        """The host's GOARCH from `uname -m`: a round trip of its own, for the
        ways that send the binary first."""
        res = self._low_level_execute_command("uname -m", sudoable=False)
        if res.get("rc") != 0:
            raise Refusal(
                "%s: could not learn the target's architecture: `uname -m` exited %s: %s"
                % (self._task.action, res.get("rc"), (res.get("stderr") or res.get("stdout") or "").strip())
            )
        return self._goarch_or_refuse(res.get("stdout", ""), "uname -m")

    def _binary(self, goarch):
        binary = binary_for(goarch)
        if not os.path.isfile(binary):
            raise Refusal(missing_binary_message(self._task.action, goarch))
        return binary

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

    def _args_json(self, tmpdir):
        return json.dumps(self._module_args(tmpdir), default=_json_default)

    def _run_cached(self, module, goarch, cache, task_vars):
        """One command: the cached binary, checked, run with the arguments on
        stdin. A host without it (or with a changed copy) is sent it."""
        # The SHA-256 of each binary the host may need: only its own when
        # its architecture is known ("-" matches no cached file).
        shas = {}
        for arch in ("amd64", "arm64"):
            path = binary_for(arch)
            shas[arch] = file_sha256(path) if goarch in (None, arch) and os.path.isfile(path) else "-"
        env = self._compute_environment_string()
        cmd = env + " " + remote_scripts.warm(cache, goarch, shas["amd64"], shas["arm64"])
        res = self._low_level_execute_command(cmd, sudoable=True, in_data=self._args_json(None).encode("utf-8"))
        if self._wants_tty(res):
            return self._run_standard(module, goarch or self._ask_goarch(), task_vars)
        said = remote_scripts.marker(res.get("stdout"))
        if said is None:
            ran = goarch or remote_scripts.goarch_said(res.get("stderr"))
            cached = self._connection._shell.join_path(cache, shas.get(ran, "<sha256>"))
            display.vvv("directlvm.docker: running %s, cached on the host as %s" % (binary_for(ran or "?"), cached), host=self._host_name(task_vars))
            data = self._result_of(module, cached, None, res)
            data["_directlvm_goarch"] = ran
            return data
        kind, value, why = said
        if kind == "ARCH":
            # WARM names only a machine no binary is built for: this raises.
            self._goarch_or_refuse(value, "uname -m")
        goarch = value
        if kind == "STANDARD":
            display.vvv("directlvm.docker: the host's module cache cannot serve (%s): sending the binary with the task" % why, host=self._host_name(task_vars))
            return self._run_standard(module, goarch, task_vars)
        binary = self._binary(goarch)
        display.vvv("directlvm.docker: running %s, sent to the host's cache %s (%s)" % (
            binary, cache, "not cached yet" if kind == "MISS" else "the cached copy did not match its SHA-256"), host=self._host_name(task_vars))
        tmpdir = self._make_tmp_path()
        remote_binary = self._connection._shell.join_path(tmpdir, module)
        self._transfer_file(binary, remote_binary)
        cmd = env + " " + remote_scripts.command(remote_scripts.INSTALL, cache, shas[goarch], remote_binary, shas[goarch])
        res = self._low_level_execute_command(cmd, sudoable=True, in_data=self._args_json(tmpdir).encode("utf-8"))
        sent = remote_scripts.marker(res.get("stdout"))
        if sent is not None:
            raise Refusal(
                "%s: the binary sent to %s does not match its SHA-256 %s on the host: the transfer corrupted it; run the task again"
                % (self._task.action, remote_binary, shas[goarch]),
                module_stdout=res.get("stdout", ""), module_stderr=res.get("stderr", ""), rc=res.get("rc"))
        data = self._result_of(module, remote_binary, tmpdir, res)
        if kind == "BAD":
            data.setdefault("warnings", [])
            if isinstance(data["warnings"], list):
                data["warnings"].append(
                    "%s/%s, the cached %s binary, was not root's or no longer matched its SHA-256 (corrupted or replaced); "
                    "it was not run, and a checked copy replaced it" % (cache, shas[goarch], module))
        data["_directlvm_goarch"] = goarch
        return data

    def _wants_tty(self, res):
        """A sudo configured with requiretty refuses a command without a
        terminal, and only a command with stdin runs without one."""
        return res.get("rc") != 0 and "must have a tty" in (res.get("stderr") or "") + (res.get("stdout") or "")

    def _send(self, module, goarch, task_vars):
        """The binary and its arguments file, in a new remote temporary
        directory."""
        binary = self._binary(goarch)
        shell = self._connection._shell
        tmpdir = shell.tmpdir or self._make_tmp_path()
        remote_binary = shell.join_path(tmpdir, module)
        remote_args = shell.join_path(tmpdir, "args")
        display.vvv("directlvm.docker: running %s on the target as %s" % (binary, remote_binary), host=self._host_name(task_vars))
        self._transfer_file(binary, remote_binary)
        self._transfer_data(remote_args, self._args_json(tmpdir))
        self._fixup_perms2([tmpdir, remote_binary, remote_args], execute=True)
        return tmpdir, remote_binary, remote_args

    def _run_standard(self, module, goarch, task_vars):
        """The binary and an arguments file sent with the task, run as
        `BINARY ARGS_FILE`."""
        tmpdir, remote_binary, remote_args = self._send(module, goarch, task_vars)
        shell = self._connection._shell
        cmd = shell.build_module_command(self._compute_environment_string(), "", remote_binary, arg_path=shell.quote(remote_args))
        res = self._low_level_execute_command(cmd, sudoable=True)
        data = self._result_of(module, remote_binary, tmpdir, res)
        data["_directlvm_goarch"] = goarch
        return data

    def _run_async(self, module, goarch, task_vars):
        """The binary started in a session of its own, its result left in
        ansible's async directory, where async_status reads it. The remote
        temporary directory goes when the job ends."""
        tmpdir, remote_binary, remote_args = self._send(module, goarch, task_vars)
        async_dir = self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))
        jid = "%d.%d" % (random.randint(0, 999999999999), os.getpid())
        job_file = self._connection._shell.join_path(async_dir, jid)
        cmd = self._compute_environment_string() + " " + remote_scripts.command(
            remote_scripts.ASYNC, job_file, jid, int(self._task.async_val), remote_binary, remote_args, tmpdir)
        res = self._low_level_execute_command(cmd, sudoable=True)
        data = parse_module_output(res.get("stdout") or "")
        if res.get("rc") != 0 or not data or data.get("ansible_job_id") != jid:
            raise Refusal(
                "%s: could not start the async job (%s exited %s): %s"
                % (self._task.action, job_file, res.get("rc"), ((res.get("stderr") or "") + (res.get("stdout") or "")).strip()[-2000:]),
                rc=res.get("rc"))
        # The directory is the job's now: later tasks on this connection
        # (async_status polling it) make their own.
        self._connection._shell.tmpdir = None
        data["_directlvm_goarch"] = goarch
        return data

    def _result_of(self, module, remote_binary, tmpdir, res):
        """The module's result from a command's output, or a failure that
        says why there is none."""
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
        stderr = remote_scripts.GOARCH_LINE.sub("", res.get("stderr") or "").strip()
        msg = "MODULE FAILURE: %s (%s on the target) exited %s without printing its JSON result" % (self._task.action, remote_binary, rc)
        if "Exec format error" in stderr:
            msg += (
                "; the host cannot execute this binary: it is built for another CPU than the host's. "
                "The plugin took the host's architecture from the fact %s or the gathered facts (architecture): "
                "if they are stale or wrong, gather facts again or clear the fact" % GOARCH_FACT
            )
        elif rc == 126 or "Permission denied" in stderr:
            where = ("the remote temporary directory %s" % tmpdir) if tmpdir else ("the directory of %s" % remote_binary)
            msg += (
                "; the target could not execute it: %s is probably on a filesystem mounted noexec. "
                "Set remote_tmp (ansible_remote_tmp), or %s, to a directory on an executable filesystem" % (where, CACHE_VAR)
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
