"""``--greenbudget-against``, the pytest side of setting it up: read the invocation and the
design from pytest's options, run the paired phase (pairing.py) and say what happened on the
terminal. The plugin's ``pytest_runtestloop`` hook calls ``measure`` before its own loop."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

import pytest

from ..invocation import write_line
from ..session import Run
from ..settings.plans import Plan
from ..settings.resolved import Settings
from ..units import count
from .controller import Invocation, Paired, measure_against
from .stats import DEFAULT_DESIGN, PairedDesign
from .worker_process import WorkerError
from .worktree import WorktreeError


def check_usage(config: pytest.Config) -> None:
    """Usage errors of --greenbudget-against, at configure, before anything starts."""
    if config.getoption("numprocesses", None):
        raise pytest.UsageError(
            "greenbudget: --greenbudget-against measures base and head one at a time on an "
            "otherwise idle machine; it cannot run with xdist's -n (drop -n for this run)"
        )
    if config.getoption("greenbudget_baseline"):
        raise pytest.UsageError(
            "greenbudget: give --greenbudget-against (paired, in this job) or "
            "--greenbudget-baseline (a stored report), not both"
        )


def design(config: pytest.Config) -> PairedDesign:
    """The defaults, with --greenbudget-against-rounds / -pairs where given."""
    d = DEFAULT_DESIGN
    rounds = config.getoption("greenbudget_against_rounds") or (d.rounds, d.max_rounds)
    pairs = config.getoption("greenbudget_against_pairs") or d.pairs
    return PairedDesign(rounds=rounds[0], max_rounds=rounds[1], pairs=pairs)


def measure(
    session: pytest.Session, ref: str, run: Run, settings: Settings
) -> tuple[Paired | None, str | None]:
    """The side-by-side verdicts, or why there are none (one line, also noted in the run).
    KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one) passes through."""
    config = session.config
    plans = selected_plans(session, run)
    if not plans:  # -k or -m left no budgeted test: nothing to compare, nothing to announce
        return None, None
    params = config.invocation_params
    inv = Invocation(
        tuple(params.args), params.dir, settings.file.source, ref,
        config.getoption("greenbudget_against_python"),
    )  # fmt: skip
    plan = design(config)
    write_line(  # the paired phase takes a while before the first test reports: say so
        session,
        f"greenbudget: measuring {count(len(plans), 'budgeted test')} side by side with {ref}, "
        f"{plan.rounds}-{plan.max_rounds} rounds of fresh base and head processes",
        red=False,
    )
    try:
        paired = measure_against(inv, plans, settings.carbon, plan)
    except (WorktreeError, WorkerError) as exc:
        error = f"greenbudget: no paired comparison: {exc}"
        run.notes.append(error)
        write_line(session, error)
        return None, error
    run.adopt_paired(paired.entries, paired.missing, paired.notes)
    for problem in paired.problems:  # e.g. the base failed to collect a file
        write_line(session, f"greenbudget: {problem}")
    return paired, None


def selected_plans(session: pytest.Session, run: Run) -> dict[str, Plan]:
    """The plans of the tests this session will run: plans are made at collection, before
    -k, -m and --deselect drop items, and a deselected test is neither measured nor counted."""
    return {
        item.nodeid: run.plans[item.nodeid] for item in session.items if item.nodeid in run.plans
    }


def paired_call(run: Run, paired: Paired, nodeid: str) -> Generator[None, object, object]:
    """The controller's own run of a test compared side by side: unmeasured (the workers
    measured it), so pytest reports its outcome; a regression fails it."""
    entry = paired.entries[nodeid]
    try:
        result = yield
    except BaseException:
        run.entries[nodeid] = replace(entry, outcome="failed")
        raise
    if run.fails(entry):
        pytest.fail(entry.message or entry.verdict or "", pytrace=False)
    return result
