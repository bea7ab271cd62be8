"""The paired worker protocol, the one place that knows it: both ends import it.

The controller (worker_process.py) writes commands as JSON lines on the worker's fd R; the
worker (worker_session.py) answers on fd W: first ``ready`` (what it collected), then one
``result`` per ``run`` command. A run's ``next`` is the test the worker runs after it, or
``SAME`` when it runs this one again (what gets torn down depends on it).

Every line is validated when it is read. A test runs inside the worker process and can write
to any of its descriptors (``-s`` lets it): a line that is not one of these messages is that
worker's failure, reported in one line, never a traceback in the controller. Pure: no pytest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..measure.probe import RunSample
from ..meters.base import ComponentReading, Reading
from ..report.model import Work

WORKER_OPTION = "--greenbudget-paired-worker"
FILES_OPTION = "--greenbudget-paired-files"  # a JSON list: collect only these test files
SAME = "same"  # ``next``: this worker runs the same test again
TRACE_ENV = "GREENBUDGET_TRACE"  # set for the traced scout: it switches contexts per test
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "error")  # xpassed reads as passed
PROVENANCES = ("measured", "estimated")


class WireError(ValueError):
    """A line that is not a message of this protocol; the text says what was wrong."""


@dataclass(frozen=True)
class RunCommand:
    """Run ``nodeid`` once (measured or not); ``next_id`` as the module docstring says."""

    nodeid: str
    measured: bool
    next_id: str | None
    profile: bool = False  # "profile": once, unmeasured, under cProfile (paired/profiling.py)

    def encode(self) -> str:
        cmd = "profile" if self.profile else "run"
        return _line({"cmd": cmd, "id": self.nodeid, "measured": self.measured,
                      "next": self.next_id})  # fmt: skip


QUIT = '{"cmd": "quit"}\n'


def decode_command(line: str) -> RunCommand | None:
    """The controller's command; None for ``quit``."""
    msg = _object(line)
    if msg.get("cmd") == "quit":
        return None
    if msg.get("cmd") not in ("run", "profile"):
        raise WireError(f"unknown command {_short(msg.get('cmd'))}")
    profile = msg["cmd"] == "profile"
    return RunCommand(_str(msg, "id"), _bool(msg, "measured"), _optional_str(msg, "next"), profile)


@dataclass(frozen=True)
class Ready:
    """What a worker collected: every node id, and those it would measure (budgeted)."""

    collected: tuple[str, ...]
    budgeted: tuple[str, ...]
    errors: tuple[str, ...] = ()

    def encode(self) -> str:
        return _line({"type": "ready", "collected": list(self.collected),
                      "budgeted": list(self.budgeted), "errors": list(self.errors)})  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """One run of one test in a worker; ``sample`` for a measured run that passed."""

    outcome: str  # one of OUTCOMES
    sample: RunSample | None
    message: str = ""

    def encode(self) -> str:
        sample = sample_to_dict(self.sample) if self.sample is not None else None
        return _line({"type": "result", "outcome": self.outcome, "sample": sample,
                      "message": self.message})  # fmt: skip


ProfileRow = tuple[str, int, str, float]  # file, line, qualified name, seconds


@dataclass(frozen=True)
class Profiled:
    """The answer to a ``profile`` command: the outcome and, per function, [file, line,
    qualified name, own seconds]; ``mine``: the project's own functions (paired/profiling.py)
    with their inclusive seconds, the function and everything it called."""

    outcome: str
    rows: tuple[ProfileRow, ...]
    mine: tuple[ProfileRow, ...] = ()

    def encode(self) -> str:
        return _line({"type": "profile", "outcome": self.outcome, "rows": list(self.rows),
                      "mine": list(self.mine)})  # fmt: skip


def decode_profiled(line: str) -> Profiled:
    msg = _answer(line, "profile")
    # "mine" may be missing: a base run by another Python (--greenbudget-against-python) may
    # have an older release of this plugin installed.
    mine = _profile_rows(msg, "mine") if "mine" in msg else ()
    return Profiled(_outcome(msg), _profile_rows(msg, "rows"), mine)


def _profile_rows(msg: dict[str, Any], key: str) -> tuple[ProfileRow, ...]:
    raw = msg.get(key)
    if not isinstance(raw, list):
        raise WireError(f"{key} is not a list")
    rows = []
    for row in raw:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[1], int)):
            raise WireError(f"a profile row is not [file, line, name, seconds]: {_short(row)}")
        seconds = _figure({"seconds": row[3]}, "seconds")
        rows.append((_text(row[0]), row[1], _text(row[2]), seconds))
    return tuple(rows)


def failure(message: str) -> str:
    """A worker that cannot go on (an unknown test id, say) says why before it stops."""
    return _line({"type": "error", "message": message})


class WorkerFailed(Exception):
    """The worker's own ``error`` message."""


def decode_ready(line: str) -> Ready:
    msg = _answer(line, "ready")
    return Ready(_strings(msg, "collected"), _strings(msg, "budgeted"), _strings(msg, "errors"))


def decode_outcome(line: str) -> Outcome:
    msg = _answer(line, "result")
    outcome = _outcome(msg)
    raw = msg.get("sample")
    sample = None if raw is None else sample_from_dict(raw)
    return Outcome(outcome, sample, _str(msg, "message"))


def _outcome(msg: Mapping[str, Any]) -> str:
    outcome = _str(msg, "outcome")
    if outcome not in OUTCOMES:
        raise WireError(f"unknown outcome {_short(outcome)}")
    return outcome


# --- the sample's shape ----------------------------------------------------------------------


def sample_to_dict(sample: RunSample) -> dict[str, Any]:
    reading = sample.reading
    return {
        "reading": {
            "components": {n: vars(c) for n, c in reading.components.items()},
            "wall_s": reading.wall_s,
            "cpu_s": reading.cpu_s,
        },
        "work": vars(sample.work) if sample.work else None,
        "explicit": sample.explicit,
    }


def sample_from_dict(data: object) -> RunSample:
    """A sample as a worker sent it; WireError for anything but finite, non-negative figures."""
    if not isinstance(data, dict):
        raise WireError("the sample is not an object")
    raw = data.get("reading")
    if not isinstance(raw, dict) or not isinstance(raw.get("components"), dict):
        raise WireError("the sample has no reading with components")
    comps = {_text(n): _component(c) for n, c in raw["components"].items()}
    if not comps:
        raise WireError("the sample's reading has no components")
    reading = Reading(comps, _figure(raw, "wall_s"), _figure(raw, "cpu_s"))
    work = data.get("work")
    if work is not None:
        if not isinstance(work, dict):
            raise WireError("the sample's work is not an object")
        work = Work(_figure(work, "units"), _str(work, "unit"))
    return RunSample(reading, work, _bool(data, "explicit"))


def _component(raw: object) -> ComponentReading:
    if not isinstance(raw, dict):
        raise WireError("a component is not an object")
    provenance = raw.get("provenance")
    if provenance not in PROVENANCES:
        raise WireError(f"unknown provenance {_short(provenance)}")
    note = _optional_str(raw, "note")
    count = raw.get("processes")  # the CPU-time model's; absent from other meters and old sides
    processes = count if type(count) is int and count >= 0 else None
    energy = _figure(raw, "energy_j")
    return ComponentReading(energy, provenance, _str(raw, "meter"), note, processes)


# --- checks -----------------------------------------------------------------------------------


def _line(msg: Mapping[str, Any]) -> str:
    return json.dumps(msg) + "\n"


def _object(line: str) -> dict[str, Any]:
    try:
        msg = json.loads(line)
    except ValueError:
        raise WireError(f"not a protocol message: {_short(line.strip())}") from None
    if not isinstance(msg, dict):
        raise WireError(f"not a protocol message: {_short(line.strip())}")
    return msg


def _answer(line: str, kind: str) -> dict[str, Any]:
    msg = _object(line)
    if msg.get("type") == "error":
        # the worker's own reason, e.g. the head's file it imported: room for a long path
        raise WorkerFailed(_short(msg.get("message"), quote=False, limit=600))
    if msg.get("type") != kind:
        raise WireError(f"expected a {kind!r} message, got {_short(line.strip())}")
    return msg


def _str(msg: Mapping[str, Any], key: str) -> str:
    return _text(msg.get(key), key)


def _text(value: object, key: str = "a name") -> str:
    if not isinstance(value, str):
        raise WireError(f"{key} is not a string: {_short(value)}")
    return value


def _optional_str(msg: Mapping[str, Any], key: str) -> str | None:
    return None if msg.get(key) is None else _str(msg, key)


def _bool(msg: Mapping[str, Any], key: str) -> bool:
    value = msg.get(key)
    if not isinstance(value, bool):
        raise WireError(f"{key} is not true or false: {_short(value)}")
    return value


def _strings(msg: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = msg.get(key, [])
    if not isinstance(value, list):
        raise WireError(f"{key} is not a list")
    return tuple(_text(v, key) for v in value)


def _figure(msg: Mapping[str, Any], key: str) -> float:
    value = msg.get(key)
    number = float(value) if isinstance(value, (int, float)) and value is not True else -1.0
    if value is False or not math.isfinite(number) or number < 0:
        raise WireError(f"{key} is not a finite, non-negative number: {_short(value)}")
    return number


def _short(value: object, quote: bool = True, limit: int = 80) -> str:
    text = repr(value) if quote else str(value)
    text = "".join(c if c.isprintable() else "?" for c in text)  # the terminal's safety
    return text[:limit] + ("..." if len(text) > limit else "")
