# ruff: noqa: UP010, UP001, UP008  (Ansible plugin boilerplate)
# A minimal stdout callback for the tests: every task result as one JSON document at the end.
# (ansible-core's own json callback lives in the ansible.posix collection, which is not on PyPI
# by itself; this keeps the tests to ansible-core.)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: rtkdump_test_json
type: stdout
short_description: task results as one JSON document (tests only)
description: [task results as one JSON document (tests only)]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "rtkdump_test_json"

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = []
        self.plays = 0

    def v2_playbook_on_play_start(self, play):
        self.plays += 1

    def _record(self, status, result):
        self.results.append(
            {
                "play": self.plays,
                "task": result._task.get_name(),
                "host": result._host.get_name(),
                "status": status,
                "result": result._result,
            }
        )

    def v2_runner_on_ok(self, result, **kwargs):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed.keys())}
        self._display.display(
            json.dumps({"plays": self.plays, "results": self.results, "stats": summary}, default=str)
        )
