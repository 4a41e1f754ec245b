# Test-only stdout callback for internal/ansible/conformance_test.go and the
# version matrix (tools/collection/cores_test.go). It records every task
# result as Ansible received it and, when the playbook ends, writes them all
# as one JSON document to the file named by $PROBE_RESULTS_FILE. ansible-core
# has no JSON stdout callback of its own (that one lives in ansible.posix).
# Only the standard json module is used: the encoder ansible-core offered
# (AnsibleJSONEncoder) is deprecated from 2.19 on.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: probe_results
type: stdout
short_description: write task results to a JSON file (test only)
description:
  - Records each task result and writes them all to $PROBE_RESULTS_FILE.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "probe_results"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._results = []

    def _record(self, status, result):
        self._results.append(
            {"task": result.task_name, "status": status, "result": result._result}
        )

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["PROBE_RESULTS_FILE"], "w", encoding="utf-8") as out:
            json.dump(
                {"results": self._results}, out, default=str, sort_keys=True
            )
