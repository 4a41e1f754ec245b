# -*- coding: utf-8 -*-
# Copyright: directlvm maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The POSIX sh scripts the action plugin runs on the target, and how their
answers are read.

A module binary is kept on the host in a root-owned cache directory (mode
0700), named by its SHA-256. A task on a warm host is one command, one SSH
round trip: WARM checks the cached file's SHA-256 (sha256sum of the 9.5 MB
binary: about 50 ms on this project's machine, 0.22 to 0.27 s in its
emulated guest) and execs it with the task's arguments on stdin. A file that is missing, not root's, or whose content no longer
matches its name (corrupted, replaced) is not run: WARM says so on stdout
and the plugin sends the binary, which INSTALL checks against the same
SHA-256 before it moves it into place and runs it. Nothing runs a file whose
hash was not checked in the same command.

The scripts take their values as positional parameters (never pasted into
the script text), so no value is ever parsed by the shell.
"""

from __future__ import annotations

import hashlib
import re
import shlex

# What the plugin reads from WARM's and INSTALL's output. A module prints
# one JSON object and never these lines.
MARKER = re.compile(r"^DIRECTLVM-(MISS|BAD|ARCH|STANDARD) (\S*)(?: ([^\n]*))?$", re.MULTILINE)
GOARCH_LINE = re.compile(r"^DIRECTLVM-GOARCH (\S+)\s*$", re.MULTILINE)

# WARM: $1 cache directory, $2 the host's GOARCH when the plugin knows it
# (warm() leaves uname -m out then), $3 the amd64 binary's SHA-256, $4 the
# arm64 one's. Runs the cached binary with the arguments on stdin, or
# prints why not:
#   DIRECTLVM-ARCH <uname -m>   no binary for this architecture
#   DIRECTLVM-STANDARD <goarch> <why>  the cache cannot serve: not root
#                               (the cache is root's), or no sha256sum
#   DIRECTLVM-MISS <goarch>     not cached yet
#   DIRECTLVM-BAD <goarch>      cached, but not root's or its content changed
WARM = r"""
d=$1 s=
case $m in
  x86_64|amd64) a=amd64 s=$3 ;;
  aarch64|arm64) a=arm64 s=$4 ;;
  *) echo "DIRECTLVM-ARCH $m"; exit 0 ;;
esac
echo "DIRECTLVM-GOARCH $a" >&2
[ "$(id -u)" = 0 ] || { echo "DIRECTLVM-STANDARD $a not root"; exit 0; }
command -v sha256sum > /dev/null 2>&1 || { echo "DIRECTLVM-STANDARD $a no sha256sum"; exit 0; }
f=$d/$s
[ -e "$f" ] || { echo "DIRECTLVM-MISS $a"; exit 0; }
if [ -O "$d" ] && [ -O "$f" ] && [ -f "$f" ] && [ ! -L "$f" ]; then
  set -- $(sha256sum "$f" 2>/dev/null)
  [ "$1" = "$s" ] && exec "$f" -
fi
echo "DIRECTLVM-BAD $a"
"""


def warm(cache, goarch, sha_amd64, sha_arm64):
    """The command that runs the cached binary (WARM); it asks uname -m
    only when goarch is not known."""
    ask = "m=$2" if goarch else "m=$(uname -m)"
    return command(ask + "\n" + WARM.strip(), cache, goarch or "", sha_amd64, sha_arm64)


# INSTALL: $1 cache directory, $2 the binary's SHA-256, $3 where the plugin
# sent it, then the SHA-256s of the collection's binaries for this
# architecture (kept when old cached files are pruned). The sent file is
# checked and moved into the cache, then run with the arguments on stdin.
# When the cache cannot take it (not root, no sha256sum, a full disk), the
# sent file runs where it is, after the same check. Cached files of other
# collection versions untouched for 30 days are removed.
INSTALL = r"""
d=$1 s=$2 src=$3
shift 3
keep=" $* "
ok() { set -- $(sha256sum "$1" 2>/dev/null); [ "$1" = "$s" ]; }
chmod 0700 "$src" || exit 1
ok "$src" || { echo "DIRECTLVM-BAD sent"; exit 0; }
if [ "$(id -u)" = 0 ] && mkdir -p "$d" 2>/dev/null && chown 0:0 "$d" && chmod 0700 "$d"; then
  for f in "$d"/* "$d"/.[!.]*; do
    [ -f "$f" ] || continue
    case $keep in *" ${f##*/} "*) continue ;; esac
    [ -n "$(find "$f" -prune -mtime +30 2>/dev/null)" ] && rm -f "$f"
  done
  t=$d/.$s.$$
  if cp "$src" "$t" 2>/dev/null && chmod 0700 "$t" && ok "$t" && mv -f "$t" "$d/$s"; then
    rm -f "$src"
    exec "$d/$s" -
  fi
  rm -f "$t"
fi
exec "$src" -
"""

# ASYNC: $1 the job file (in ansible's async_dir), $2 the job ID, $3 the
# time limit in seconds, $4 the binary, $5 its arguments file, $6 the
# remote temporary directory to remove at the end. The job runs in a
# session of its own (the SSH connection may go); its result replaces the
# job file async_status reads, once the temporary directory is gone.
ASYNC = r"""
jf=$1 jid=$2
mkdir -p "${jf%/*}" || exit 1
printf '{"started": 1, "finished": 0, "ansible_job_id": "%s"}\n' "$jid" > "$jf" || exit 1
chmod 0700 "$4" || exit 1
setsid /bin/sh -c '
  jf=$1 to=$2 bin=$3 args=$4 tmp=$5
  timeout -k 30 "$to" "$bin" "$args" > "$jf.tmp" 2>/dev/null
  rc=$?
  if ! grep -q "{" "$jf.tmp" 2>/dev/null; then
    if [ "$rc" = 124 ]; then why="was stopped at the async time limit of $to seconds"; else why="exited $rc"; fi
    printf "{\"failed\": true, \"rc\": %s, \"msg\": \"%s %s without printing its JSON result\"}\n" "$rc" "$bin" "$why" > "$jf.tmp"
  fi
  rm -rf "$tmp"
  mv -f "$jf.tmp" "$jf"
' directlvm-async "$jf" "$3" "$4" "$5" "$6" < /dev/null > /dev/null 2>&1 &
printf '{"started": 1, "finished": 0, "ansible_job_id": "%s", "results_file": "%s"}\n' "$jid" "$jf"
"""


def command(script, *args):
    """The shell command that runs script with args as its positional
    parameters ($1...)."""
    return "/bin/sh -c %s directlvm %s" % (shlex.quote(script.strip() + "\n"), " ".join(shlex.quote(str(a)) for a in args))


def file_sha256(path):
    """The SHA-256 of the file at path, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def marker(stdout):
    """(kind, value, why) of the first marker line WARM or INSTALL printed,
    or None when the module ran."""
    m = MARKER.search(stdout or "")
    return (m.group(1), m.group(2), (m.group(3) or "").strip()) if m else None


def goarch_said(stderr):
    """The GOARCH WARM settled on, from its stderr, or None."""
    m = GOARCH_LINE.search(stderr or "")
    return m.group(1) if m else None
