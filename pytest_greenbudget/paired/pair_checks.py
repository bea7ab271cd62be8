"""What a pair of runs must be to compare: both passed and were measured, by the same meters.
Pure: the schedule (schedule.py) asks after every run."""

from __future__ import annotations

from ..measure.probe import RunSample
from .worker_process import Outcome, WorkerError


def problem_of(outcome: Outcome, side: str, measured: bool) -> str | None:
    """Why a side's run leaves the test not compared (one line), or None when it may be."""
    if outcome.outcome == "passed":
        if measured and outcome.sample is None:  # another plugin ran the call phase
            return f"was not measured on the {side} side; not compared"
        return None
    verb = "was skipped" if outcome.outcome == "skipped" else "fails"
    detail = f": {outcome.message}" if outcome.message else ""
    return f"{verb} on the {side} side{detail}; not compared"


def same_meters(head: RunSample, base: RunSample) -> None:
    """Both sides run the head's settings, but a side's own conftest.py or plugins may answer
    pytest_greenbudget_make_meter: figures of different meters are not comparable (a plugin
    meter on the base read an unchanged test as +1560%), so the whole comparison stops, as
    the unpaired gate refuses a baseline from another meter."""
    meters = [_meters(head), _meters(base)]
    if all(meters) and meters[0] != meters[1]:
        raise WorkerError(
            f"the sides measured with different meters: {meters[1]!r} on the base side, "
            f"{meters[0]!r} on the head side (a conftest.py or plugin of one side answers "
            "pytest_greenbudget_make_meter); their figures are not comparable"
        )


def _meters(sample: RunSample) -> str:
    """'cputime', 'rapl+nvml': the meters behind a sample, as a budget's meter: names them."""
    names = {c.meter or "" for c in sample.reading.components.values()}
    return "+".join(sorted(names - {""}))
