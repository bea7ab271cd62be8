"""The worker protocol: every line a worker could send is a message or a WireError, never
another exception (a test can write anything on the worker's descriptors)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_greenbudget.measure.probe import RunSample
from pytest_greenbudget.meters.base import ComponentReading, Reading
from pytest_greenbudget.paired.timeouts import AT_LEAST_S, FACTOR, FIRST_S, RunLimits
from pytest_greenbudget.paired.wire import (
    Outcome,
    Profiled,
    Ready,
    RunCommand,
    WireError,
    WorkerFailed,
    decode_command,
    decode_outcome,
    decode_profiled,
    decode_ready,
    failure,
    sample_to_dict,
)
from pytest_greenbudget.paired.worker_process import _last_words

SAMPLE = RunSample(Reading({"cpu": ComponentReading(1.5, "estimated", "cputime")}, 0.2, 0.1),
                   None, False)  # fmt: skip


def test_messages_survive_the_pipe() -> None:
    ready = Ready(("a", "b"), ("a",), ("collection error in c",))
    assert decode_ready(ready.encode()) == ready
    outcome = Outcome("passed", SAMPLE)
    assert decode_outcome(outcome.encode()) == outcome
    command = RunCommand("t::x", True, "same")
    assert decode_command(command.encode()) == command
    profiled = Profiled("passed", (("copy.py", 128, "deepcopy", 0.5),), (("a.py", 3, "f", 0.7),))
    assert decode_profiled(profiled.encode()) == profiled


def test_a_profile_answer_without_the_projects_functions_still_reads() -> None:
    # A base run by another Python may have an older release of this plugin: no "mine".
    old = '{"type": "profile", "outcome": "passed", "rows": [["a.py", 1, "f", 0.5]]}'
    assert decode_profiled(old) == Profiled("passed", (("a.py", 1, "f", 0.5),))
    with pytest.raises(WireError, match="a profile row is not"):
        decode_profiled(old.replace("}", ', "mine": [["a.py", "one", "f", 0.5]]}'))


@pytest.mark.parametrize(
    "line",
    ["hello from a test", "[1, 2]", "null", '{"type": "result"}',
     '{"type": "result", "outcome": "exploded", "message": ""}',
     '{"type": "result", "outcome": "passed", "message": 3}',
     '{"type": "ready", "collected": "abc"}', '{"type": "ready", "collected": [1]}',
     '{"type": "resu'],
)  # fmt: skip
def test_lines_that_are_not_messages_are_wire_errors(line: str) -> None:
    with pytest.raises(WireError):
        decode_outcome(line) if "ready" not in line else decode_ready(line)


@pytest.mark.parametrize(
    "change",
    [{"energy_j": float("nan")}, {"energy_j": -1.0}, {"energy_j": "1"}, {"energy_j": True},
     {"provenance": "guessed"}, {"meter": None}],
)  # fmt: skip
def test_a_sample_with_impossible_figures_is_refused(change: dict[str, object]) -> None:
    data = sample_to_dict(SAMPLE)
    data["reading"]["components"]["cpu"].update(change)
    line = json.dumps({"type": "result", "outcome": "passed", "sample": data, "message": ""})
    with pytest.raises(WireError):
        decode_outcome(line)


def test_a_workers_own_error_is_its_reason() -> None:
    with pytest.raises(WorkerFailed, match="did not collect t::x"):
        decode_outcome(failure("did not collect t::x"))


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["type", "outcome", "sample", "message", "collected", "budgeted", "reading"])


@settings(suppress_health_check=[HealthCheck.too_slow])  # a shared, busy VM
@given(st.dictionaries(KEYS, JSON, max_size=5), st.sampled_from(["result", "ready"]))
def test_any_json_is_a_message_or_a_wire_error(msg: dict[str, object], kind: str) -> None:
    msg.setdefault("type", kind)
    decode = decode_ready if kind == "ready" else decode_outcome
    with contextlib.suppress(WireError, WorkerFailed):
        decode(json.dumps(msg))


@given(st.text())
def test_any_text_is_a_command_or_a_wire_error(line: str) -> None:
    with contextlib.suppress(WireError):
        decode_command(line)


def test_a_run_limit_follows_the_heads_own_time() -> None:
    limits = RunLimits()
    assert not limits.knows("t") and limits.limit("t") == FIRST_S
    limits.record("t", "base", 100.0)  # the base's time never sets its own limit
    assert not limits.knows("t")
    limits.record("t", "head", 0.5)
    limits.record("t", "head", 20.0)
    limits.record("t", "head", 1.0)
    assert limits.limit("t") == FACTOR * 20.0  # the slowest head run
    limits.record("u", "head", 0.01)
    assert limits.limit("u") == AT_LEAST_S
    fixed = RunLimits(5.0)
    assert fixed.knows("t") and fixed.limit("t") == 5.0 and fixed.startup == FIRST_S


USAGE_LOG = """ERROR: usage: __main__.py [options] [file_or_dir] [file_or_dir] [...]
__main__.py: error: unrecognized arguments: --lf-typo
  inifile: /x/pytest.ini
  rootdir: /x
"""


@pytest.mark.parametrize(
    ("log", "reason"),
    [(USAGE_LOG, "__main__.py: error: unrecognized arguments: --lf-typo"),
     ("============\nplatform linux\nrootdir: /x\nE   ImportError: no module x\n==== 1 error\n",
      "ImportError: no module x"),
     ("header\nINTERNALERROR> Traceback\nINTERNALERROR> ValueError: bad\n", "INTERNALERROR> ValueError: bad")],
)  # fmt: skip
def test_a_workers_reason_is_its_error_not_pytests_context_lines(
    tmp_path: Path, log: str, reason: str
) -> None:
    (tmp_path / "w.log").write_text(log)
    assert _last_words(tmp_path / "w.log") == f": {reason}"
