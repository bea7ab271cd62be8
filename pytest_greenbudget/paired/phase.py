"""``--greenbudget-against``, the pytest side of setting it up: read the invocation and the
design from pytest's options, run the paired phase (controller.py) and say what happened on the
terminal. The plugin's ``pytest_runtestloop`` hook calls ``measure`` before its own loop."""

from __future__ import annotations

import os
import shutil
import sys
import types
from collections.abc import Generator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from ..invocation import stops_early, write_line
from ..session import Run
from ..settings.plans import Plan
from ..units import count
from .controller import Invocation, Paired, measure_against
from .progress import Watch
from .stats import DEFAULT_DESIGN, PairedDesign
from .worker_process import WorkerError
from .worktree import WorktreeError


def check_usage(config: pytest.Config) -> None:
    """Usage errors of --greenbudget-against, at configure, before anything starts."""
    problem = usage_problem(config)
    if problem:
        raise pytest.UsageError(f"greenbudget: {problem}")


def usage_problem(config: pytest.Config) -> str | None:
    """What makes the paired options unusable as given, in one line; None when usable."""
    if not config.getoption("greenbudget_against").strip():
        if config.getoption("greenbudget_against_skip_empty"):
            return None
        return (
            "--greenbudget-against is empty (an unset variable, as on a push event?); give a "
            "branch, tag or commit, or add --greenbudget-against-skip-empty to run ungated then"
        )
    if _distributed(config):
        return (
            "--greenbudget-against measures base and head one at a time on an otherwise idle "
            "machine; it cannot run with xdist's -n, --tx or --dist (drop them for this run)"
        )
    if config.getoption("greenbudget_baseline"):
        return (
            "give --greenbudget-against (paired, in this job) or --greenbudget-baseline "
            "(a stored report), not both"
        )
    return _python_problem(config.getoption("greenbudget_against_python"))


def _distributed(config: pytest.Config) -> bool:
    """Any active xdist distribution: -n N, or --tx with a --dist mode (xdist's own test)."""
    if config.getoption("numprocesses", None):
        return True
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def _python_problem(python: str | None) -> str | None:
    if python is None:
        return None
    where = f"--greenbudget-against-python={python!r}"
    if not python.strip():
        return f"{where} is empty; name the base's interpreter, e.g. /path/to/base-venv/bin/python"
    found = shutil.which(python) if os.sep not in python else python  # a bare name: PATH
    path = Path(found or python)
    if not path.exists():
        return f"{where}: no such file"
    if path.is_dir():
        return f"{where} is a folder; name the interpreter in it, e.g. {path / 'bin' / 'python'}"
    if not os.access(path, os.X_OK):
        return f"{where} is not executable"
    return None


SKIPPED = "--greenbudget-against was empty: no paired comparison (--greenbudget-against-skip-empty)"


def say_skipped(session: pytest.Session, run: Run | None) -> None:
    """An empty ref the user allowed: the run is ungated, and says so."""
    write_line(session, f"greenbudget: {SKIPPED}", red=False)
    if run is not None:
        run.notes.append(SKIPPED)


def cache_folder(config: pytest.Config) -> Path | None:
    """The session's cache folder (--lf, --ff, --sw and fixtures read it); None without the
    cacheprovider plugin."""
    cache = getattr(config, "cache", None)
    folder = getattr(cache, "_cachedir", None)
    return Path(folder) if folder is not None else None


def design(config: pytest.Config) -> PairedDesign:
    """The defaults, with --greenbudget-against-rounds / -pairs where given. Pairs given are
    used in every round: a quiet test then gets no fewer (PairedDesign.pairs_for)."""
    d = DEFAULT_DESIGN
    rounds = config.getoption("greenbudget_against_rounds") or (d.rounds, d.max_rounds)
    given = config.getoption("greenbudget_against_pairs")
    return replace(
        d, rounds=rounds[0], max_rounds=rounds[1], pairs=given or d.pairs,
        quiet_pairs=None if given else d.quiet_pairs,
    )  # fmt: skip


def module_imports(session: pytest.Session, plans: Mapping[str, Plan]) -> frozenset[str]:
    """The files of the modules the budgeted tests' modules import at collection, followed
    through the project's own modules (realpaths): a module a namespace holds, and the modules
    its functions and classes come from. Installed and standard modules are listed but not
    followed. A changed file found here ran while the tests were collected, which a trace
    would count for every test: the triage then pairs every test without tracing. Any module
    here was imported before the controller ran a test, so the list can only err towards
    pairing (a module another test file imported), never towards leaving a test out."""
    seen: dict[int, types.ModuleType] = {}
    todo = [m for item in session.items if item.nodeid in plans and (m := _module(item))]
    folders = {Path(os.path.realpath(m.__file__)).parent for m in todo if m.__file__}
    todo += _conftests(session, folders)
    while todo:
        module = todo.pop()
        if id(module) in seen:
            continue
        seen[id(module)] = module
        if _ours(module):
            todo += [m for m in _referenced(module) if id(m) not in seen]
    paths = (getattr(m, "__file__", None) for m in seen.values())
    return frozenset(os.path.realpath(path) for path in paths if isinstance(path, str))


def _conftests(session: pytest.Session, folders: set[Path]) -> list[types.ModuleType]:
    """The conftest.py modules of those folders and the folders above them: collection ran
    them too."""
    found = []
    for plugin in session.config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None) if isinstance(plugin, types.ModuleType) else None
        if not isinstance(path, str) or os.path.basename(path) != "conftest.py":
            continue
        here = Path(os.path.realpath(path)).parent
        if any(f == here or here in f.parents for f in folders):
            found.append(plugin)
    return found


def _module(item: pytest.Item) -> types.ModuleType | None:
    module = getattr(item, "module", None)
    return module if isinstance(module, types.ModuleType) else None


def _referenced(module: types.ModuleType) -> list[types.ModuleType]:
    """The modules a module's namespace holds, or holds a function or class from."""
    found = []
    for value in list(vars(module).values()):
        try:
            source = value if isinstance(value, types.ModuleType) else _home(value)
        except Exception:  # a lazy proxy may raise on any attribute: not a module then
            continue
        if isinstance(source, types.ModuleType):
            found.append(source)
    return found


INSTALLED = tuple(
    os.path.join(os.path.realpath(p), "") for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}
)


def _ours(module: types.ModuleType) -> bool:
    """A module of the project (or of another folder on the path), not an installed or
    standard one: worth following (torch's namespace alone holds thousands of names)."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return False
    real = os.path.realpath(path)
    parts = Path(real).parts
    return not real.startswith(INSTALLED) and not {"site-packages", "dist-packages"} & set(parts)


def _home(value: object) -> object:
    return sys.modules.get(getattr(value, "__module__", None) or "")


def _outputs(config: pytest.Config) -> tuple[Path, ...]:
    """The files this run writes, relative to where pytest started: not changes."""
    paths = [config.getoption(f"greenbudget_{name}") for name in ("report", "html")]
    return tuple(Path(config.invocation_params.dir, p) for p in paths if p)


def measure(session: pytest.Session, ref: str, run: Run | None) -> tuple[Paired | None, str | None]:
    """The side-by-side verdicts, or why there are none (one line, also noted in the run).
    Nothing when nothing is budgeted or collection failed; an empty ref the user allowed is
    said and skipped. KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one) passes through."""
    if not ref.strip():
        say_skipped(session, run)
        return None, None
    if run is None or not run.plans or stops_early(session):
        return None, None
    config, settings = session.config, run.settings
    plans = selected_plans(session, run)
    if not plans:  # -k or -m left no budgeted test: nothing to compare, nothing to announce
        return None, None
    params = config.invocation_params
    inv = Invocation(
        tuple(params.args), params.dir, settings.file.source, ref,
        config.getoption("greenbudget_against_python"),
        config.getoption("greenbudget_against_timeout"),
        config.getoption("greenbudget_against_git_timeout"),
        cache_folder(config),
    )  # fmt: skip
    watch = Watch(
        say=lambda line: write_line(session, line, red=False),
        quiet=config.get_verbosity() < 0,
        cap_s=config.getoption("greenbudget_against_time"),
        impact=not config.getoption("greenbudget_against_all"),
        ignore=settings.file.ignore,
        outputs=_outputs(config),
        imports=module_imports(session, plans),
        # report-only never fails a test, so pytest would not stop at a regression
        fail_after=0 if settings.options.report_only else config.getoption("maxfail") or 0,
    )
    # The plan may need a traced run first, which takes a while: say what happens meanwhile.
    # Not "then a first run of each": when nothing changed, no run follows.
    what = count(len(plans), "budgeted test")
    watch.say(f"greenbudget: {what}: finding what changed since {ref} and which tests it reaches")
    try:
        paired = measure_against(inv, plans, settings.carbon, design(config), watch)
    except (WorktreeError, WorkerError) as exc:
        error = f"greenbudget: no paired comparison: {exc}"
        run.notes.append(error)
        run.uncompared = error  # no test reads "ok" (session.py)
        write_line(session, error)
        return None, error
    run.adopt_paired(paired.entries, paired.missing, paired.notes, paired.impact, paired.settled)
    for problem in paired.problems:  # e.g. the base failed to collect a file
        write_line(session, f"greenbudget: {problem}")
    failure = paired.failure  # compared, but not every test: the run fails for it
    if failure:
        failure = f"greenbudget: not compared: {failure}"
        write_line(session, failure)
    return paired, failure


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
    if run.fails(entry):  # "failed", as pytest says and as a budget failure reads unpaired
        run.entries[nodeid] = replace(run.entries.get(nodeid, entry), outcome="failed")
        pytest.fail(entry.message or entry.verdict or "", pytrace=False)
    return result
