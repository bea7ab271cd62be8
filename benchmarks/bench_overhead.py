"""Overhead of the pytest-greenbudget core, measured side by side in one run.

Run: ``python benchmarks/bench_overhead.py`` (1-2 minutes on a 2-vCPU VM). Exit status 1 when
a target is missed, so CI can run it as a smoke check.

What it measures (benchmarks/README.md says more):
1. import cost of the plugin module, and that no heavy dependency is imported at start-up;
2. a 300-test unmarked suite with the plugin installed vs ``-p no:greenbudget``, no flags and
   no config (what a user who installed the plugin and marked nothing pays): CPU time ratio
   (target <= 1.03x) and peak memory (target <= +1 MB), and which plugin modules it imports
   (no meter is built and nothing past the config reader is imported);
3. the extra cost per measured test: 300 marked tests vs the same 300 unmarked;
4. one ``CpuTimeMeter`` start/stop pair vs a bare clock pair and a bare getrusage pair.

Every pytest run is a fresh subprocess, and variants are interleaved round by round, so a
noisy neighbour on a shared VM slows both sides of a comparison alike; medians, not means,
so one stalled round does not move the figure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from machine import cpu_model, print_machine

HEAVY = ("codecarbon", "pandas", "numpy", "requests", "pynvml")
ROUNDS = 9
ROUND_COUNT = [ROUNDS]  # --rounds
SECTIONS = ("imports", "unmarked", "marked", "sklearn", "meter")
# Section 3 again with scikit-learn imported: 130,000 tracked objects, which a full
# gc.collect() before every run would walk (82 ms a run on the reference VM).
SKLEARN = "import sklearn.ensemble, sklearn.linear_model, sklearn.model_selection\n"
UNMARKED_N = 300
UNMARKED_RATIO_TARGET = 1.03
UNMARKED_MEMORY_TARGET_KB = 1024
# What an unmarked run may import: the plugin, its hook specs, what decides what to build
# (startup) and the config reader.
STARTUP_MODULES = {
    "pytest_greenbudget",
    "pytest_greenbudget.plugin",
    "pytest_greenbudget.hookspecs",
    "pytest_greenbudget.startup",
    "pytest_greenbudget.settings.configfile",
}
MARKED_N = 300
PAIRS = 100_000
IMPORT_RUNS = 7
PER_TEST_TARGET_MS = 0.5
PAIR_TARGET_US = 50.0
BASE_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
MARK = '@pytest.mark.greenbudget(energy="1 kJ", repeats=1, warmup=0)'


@dataclass(frozen=True)
class Row:
    """One line of the closing markdown table."""

    what: str
    figure: str
    target: str
    verdict: str


# ---------------------------------------------------------------- machine


# ---------------------------------------------------------------- helpers


PYCACHE: dict[str, str] = {}  # set by main(): where subprocesses keep their bytecode


def env() -> dict[str, str]:
    """The caller's environment minus what would change pytest's behaviour under us.

    Bytecode caching is forced on, into a temporary prefix: with PYTHONDONTWRITEBYTECODE set
    (as on some CI images and this VM) every run would recompile the plugin and the test
    files, which is a cost of that setting, not of the plugin; users normally have .pyc files.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    clean.update(PYCACHE)
    clean["PYTHONHASHSEED"] = "0"  # same set/dict orders in every run
    return clean


def run_python(args: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, *args]
    return subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class Timing:
    """One pytest run: wall seconds, CPU seconds (user + sys) and peak resident memory (KB)
    of that process alone. CPU time is the primary figure: on a shared VM a neighbour moves
    wall time by tens of percent but the run's own CPU time by a few (docs/architecture.md)."""

    wall: float
    cpu: float
    maxrss_kb: int = 0


def timed_pytest(suite: Path, extra: Sequence[str]) -> Timing:
    """One fresh ``python -m pytest`` over the suite; fails loudly if pytest fails. The
    child is reaped with wait4, so its rusage (CPU, peak memory) is its own, not a running
    maximum over every child so far."""
    cmd = [sys.executable, "-m", "pytest", *BASE_ARGS, *extra]
    with tempfile.TemporaryFile("w+") as out:
        wall0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=suite, env=env(), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - wall0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out.seek(0)
            tail = out.read()[-2000:]
            raise SystemExit(f"pytest failed in {suite} with {list(extra)}:\n{tail}")
    return Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


Variants = dict[str, tuple[Path, Sequence[str]]]


def interleave(variants: Variants, rounds: int) -> dict[str, list[Timing]]:
    """Run every variant once per round, alternating the order each round so neither side
    always runs on a freshly idle (or freshly busy) machine. Round 0 is a warm-up that
    fills the bytecode and assertion-rewrite caches and is thrown away."""
    times: dict[str, list[Timing]] = {name: [] for name in variants}
    names = list(variants)
    for index in range(rounds + 1):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            suite, extra = variants[name]
            timing = timed_pytest(suite, extra)
            if index:
                times[name].append(timing)
    return times


# Times each test's whole runtest protocol (setup, call with the plugin's measuring, teardown,
# reporting) in CPU seconds and appends the run's median to per_test.jsonl. A per-test median
# inside one process shrugs off the bursts that move a whole run by tens of percent.
_TIMING_CONFTEST = """
import json, statistics, time
from pathlib import Path
import pytest

_times = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.process_time()
    try:
        return (yield)
    finally:
        _times.append(time.process_time() - start)


def pytest_sessionfinish(session):
    if _times:
        with open(Path(__file__).with_name("per_test.jsonl"), "a") as out:
            out.write(json.dumps(statistics.median(_times)) + "\\n")
"""


def write_suite(
    root: Path,
    count: int,
    marked: bool,
    per_file: int = 50,
    timing: bool = False,
    preamble: str = "",
) -> Path:
    """``count`` trivial tests in files of ``per_file``, with a pytest.ini so the temporary
    folder is its own rootdir (no repository config leaks in)."""
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    if timing:
        (root / "conftest.py").write_text(_TIMING_CONFTEST)
    mark = f"{MARK}\n" if marked else ""
    for first in range(0, count, per_file):
        tests = "".join(
            f"{mark}def test_{i}():\n    assert True\n\n\n"
            for i in range(first, min(first + per_file, count))
        )
        text = f"{preamble}import pytest\n\n\n{tests}"
        (root / f"test_{first // per_file:03d}.py").write_text(text)
    return root


def cpu(times: list[Timing]) -> list[float]:
    return [t.cpu for t in times]


def spread(times: list[Timing]) -> str:
    walls, cpus = [t.wall for t in times], cpu(times)
    return (
        f"CPU median {statistics.median(cpus):.3f} s (min {min(cpus):.3f}, max {max(cpus):.3f})"
        f"   wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}, "
        f"max {max(walls):.3f})"
    )


def paired(a: list[Timing], b: list[Timing], op: Callable[[float, float], float]) -> float:
    """Median over rounds of op(a, b) on CPU seconds; each round's two runs ran back to back,
    so a busy spell on the machine tends to hit both."""
    return statistics.median(op(x.cpu, y.cpu) for x, y in zip(a, b, strict=True))


def quartiles(values: list[float]) -> tuple[float, float]:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def ok(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


# ---------------------------------------------------------------- 1. imports


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
_IMPORT_BOTH = "import pytest; import pytest_greenbudget.plugin"


def import_times() -> tuple[float, float, list[tuple[str, int]]]:
    """Median ms to import pytest, then the plugin on top of it (pytest is always imported
    first in real life), and the plugin's own modules by self time from the last run. The
    first run only fills the bytecode cache and is not counted."""
    pytest_ms: list[float] = []
    plugin_ms: list[float] = []
    own: list[tuple[str, int]] = []
    for index in range(IMPORT_RUNS + 1):
        done = run_python(["-X", "importtime", "-c", _IMPORT_BOTH])
        lines = [m for m in map(_IMPORT_LINE.match, done.stderr.splitlines()) if m]
        top = {m.group(4): int(m.group(2)) for m in lines if len(m.group(3)) == 1}
        if index:
            pytest_ms.append(top["pytest"] / 1000)
            plugin_ms.append(top["pytest_greenbudget.plugin"] / 1000)
        own = [(m.group(4), int(m.group(1))) for m in lines if m.group(4).startswith("pytest_gre")]
    own.sort(key=lambda item: -item[1])
    return statistics.median(pytest_ms), statistics.median(plugin_ms), own


_PROBE = """
import json, sys
{before}
json.dump(sorted(m for m in {heavy!r} if m in sys.modules), sys.stdout)
"""

_COLLECT = """
import pytest
rc = pytest.main(["--co", "-q", "-p", "no:cacheprovider", *{extra!r}])
if rc != 0:
    raise SystemExit(rc)
"""


def heavy_loaded(before: str, cwd: Path | None = None) -> list[str]:
    done = run_python(["-c", _PROBE.format(before=before, heavy=HEAVY)], cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"probe failed:\n{done.stderr[-2000:]}")
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def print_import_times() -> Row:
    pytest_ms, plugin_ms, own = import_times()
    print(f"import pytest:                        {pytest_ms:7.1f} ms (median of {IMPORT_RUNS})")
    print(
        f"+ import pytest_greenbudget.plugin:   {plugin_ms:7.1f} ms "
        f"({plugin_ms / pytest_ms:.0%} of pytest's own import)"
    )
    heaviest = ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in own[:4])
    print(f"  heaviest plugin modules, self time: {heaviest}")
    return Row(
        "plugin import on top of pytest",
        f"{plugin_ms:.0f} ms (pytest itself: {pytest_ms:.0f} ms)",
        "-",
        "info",
    )


def check_heavy(tiny: Path) -> Row:
    after_import = heavy_loaded("import pytest_greenbudget.plugin")
    with_plugin = heavy_loaded(_COLLECT.format(extra=["--greenbudget-meter", "cputime"]), tiny)
    without = heavy_loaded(_COLLECT.format(extra=["-p", "no:greenbudget"]), tiny)
    # Other installed plugins may load some of these themselves; only the difference is ours.
    blamed = sorted(set(with_plugin) - set(without))
    checks = [
        ("after `import pytest_greenbudget.plugin`", after_import),
        ("after `pytest --co` with the plugin, beyond what it loads without", blamed),
    ]
    for label, loaded in checks:
        found = f": {loaded}" if loaded else ""
        print(f"{ok(not loaded)}  none of {', '.join(HEAVY)} {label}{found}")
    if without:
        print(f"note  other installed plugins load {without} even with -p no:greenbudget")
    loaded_any = ", ".join(after_import + blamed) or "none"
    return Row("heavy modules imported at start-up", loaded_any, "none", ok(loaded_any == "none"))


def bench_imports(tiny: Path) -> list[Row]:
    print("## 1. Import cost and heavy dependencies")
    rows = [print_import_times(), check_heavy(tiny)]
    print()
    return rows


# ---------------------------------------------------------------- 2. unmarked suite


def bench_unmarked(suite: Path) -> list[Row]:
    print(
        f"## 2. Unmarked suite: {UNMARKED_N} trivial tests, plugin installed (no flags, no "
        f"config) vs -p no:greenbudget, {ROUND_COUNT[0]} interleaved rounds"
    )
    variants: Variants = {"plugin": (suite, []), "no plugin": (suite, ["-p", "no:greenbudget"])}
    times = interleave(variants, ROUND_COUNT[0])
    for name, values in times.items():
        rss = statistics.median(t.maxrss_kb for t in values) / 1024
        print(f"{name:10s} {spread(values)}   peak RSS median {rss:.1f} MB")
    on, off = times["plugin"], times["no plugin"]
    ratio = paired(on, off, lambda a, b: a / b)
    low, high = quartiles([x.cpu / y.cpu for x, y in zip(on, off, strict=True)])
    extra_ms = paired(on, off, lambda a, b: (a - b) * 1000)
    extra_kb = statistics.median(x.maxrss_kb - y.maxrss_kb for x, y in zip(on, off, strict=True))
    print(
        f"CPU ratio plugin / no plugin: {ratio:.3f} (median of per-round ratios; "
        f"interquartile range {low:.3f} to {high:.3f})"
    )
    print(f"fixed cost per session: {extra_ms:+.0f} ms CPU (median of per-round differences)")
    print(f"peak memory: {extra_kb / 1024:+.2f} MB (median of per-round differences)")
    modules = startup_modules(suite)
    beyond = sorted(set(modules) - STARTUP_MODULES)
    print(f"plugin modules imported: {', '.join(modules)}")
    print()
    return [
        Row(
            f"{UNMARKED_N} unmarked tests, plugin / no plugin (CPU time)",
            f"{ratio:.3f}x (IQR {low:.2f}-{high:.2f}), {extra_ms:+.0f} ms per session",
            f"<= {UNMARKED_RATIO_TARGET}x",
            ok(ratio <= UNMARKED_RATIO_TARGET),
        ),
        Row(
            f"{UNMARKED_N} unmarked tests, extra peak memory",
            f"{extra_kb / 1024:+.2f} MB",
            f"<= +{UNMARKED_MEMORY_TARGET_KB / 1024:.0f} MB",
            ok(extra_kb <= UNMARKED_MEMORY_TARGET_KB),
        ),
        Row(
            "plugin modules imported by an unmarked run",
            ", ".join(m.removeprefix("pytest_greenbudget.") for m in modules),
            "plugin, hookspecs, startup, configfile",
            ok(not beyond),
        ),
    ]


_MODULES = """
import json, sys
import pytest
rc = pytest.main([*{args!r}])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("pytest_greenbudget"))))
"""


def startup_modules(suite: Path) -> list[str]:
    done = run_python(["-c", _MODULES.format(args=[*BASE_ARGS])], cwd=suite)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


# ---------------------------------------------------------------- 3. marked suite


def bench_marked(marked: Path, unmarked: Path, imported: str = "") -> list[Row]:
    print(
        f"## 3. Per measured test: {MARKED_N} marked vs {MARKED_N} unmarked tests, plugin on, "
        f"{ROUND_COUNT[0]} interleaved rounds{imported}"
    )
    args = ["--greenbudget-meter", "cputime"]
    times = interleave({"marked": (marked, args), "unmarked": (unmarked, args)}, ROUND_COUNT[0])
    for name, values in times.items():
        print(f"{name:10s} {spread(values)}")
    per_test = paired(times["marked"], times["unmarked"], lambda a, b: (a - b) / MARKED_N * 1e3)
    protocol = in_protocol_ms(marked) - in_protocol_ms(unmarked)
    print(
        f"extra per measured test, whole run: {per_test:.3f} ms CPU (median of per-round "
        "differences; includes collection and the one summary line per test)"
    )
    print(
        f"extra per measured test, inside its runtest protocol: {protocol:.3f} ms CPU "
        f"(per-test medians; marked {in_protocol_ms(marked):.3f} ms, "
        f"unmarked {in_protocol_ms(unmarked):.3f} ms)"
    )
    print()
    what = f"extra cost per measured test (CPU time, repeats=1, warmup=0){imported}"
    figure = f"{per_test:.3f} ms whole run; {protocol:.3f} ms in the test's protocol"
    return [Row(what, figure, f"< {PER_TEST_TARGET_MS} ms", ok(per_test < PER_TEST_TARGET_MS))]


def in_protocol_ms(suite: Path) -> float:
    """Median over timed runs (the warm-up's line dropped) of each run's per-test median."""
    lines = (suite / "per_test.jsonl").read_text().split()[1:]
    return statistics.median(float(line) for line in lines) * 1000


# ---------------------------------------------------------------- 4. meter pair


def per_pair_us(pair: Callable[[], object], count: int = PAIRS) -> float:
    """Best of three loops, in µs per pair: the minimum is the figure least disturbed by
    other processes, which is what a per-call cost should describe."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            pair()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def bench_meter() -> list[Row]:
    from pytest_greenbudget.meters.cputime import CpuTimeMeter

    print(f"## 4. Meter start/stop pair, in-process, best of 3 x {PAIRS:,} pairs")
    meter = CpuTimeMeter()
    clock = time.perf_counter
    usage = resource.getrusage
    me = resource.RUSAGE_SELF
    figures = {
        "CpuTimeMeter start()/stop()": per_pair_us(lambda: meter.stop(meter.start())),
        "time.perf_counter() pair": per_pair_us(lambda: (clock(), clock())),
        "resource.getrusage(SELF) pair": per_pair_us(lambda: (usage(me), usage(me))),
    }
    meter_us = figures["CpuTimeMeter start()/stop()"]
    for name, us in figures.items():
        print(f"{name:30s} {us:7.2f} µs/pair   meter is {meter_us / us:5.1f}x this")
    print()
    return [
        Row(
            "CpuTimeMeter start/stop pair",
            f"{meter_us:.1f} µs "
            f"({meter_us / figures['resource.getrusage(SELF) pair']:.1f}x a getrusage pair)",
            f"< {PAIR_TARGET_US:.0f} µs",
            ok(meter_us < PAIR_TARGET_US),
        )
    ]


# ---------------------------------------------------------------- main


def print_table(rows: list[Row]) -> None:
    print("## Summary (paste into the README)")
    print()
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pytest {pytest.__version__}, {dt.date.today():%Y-%m-%d}."
    )
    print()
    print("| What | Measured | Target | |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.what} | {row.figure} | {row.target} | {row.verdict} |")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="pytest-greenbudget overhead benchmark")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run these sections")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds")
    args = parser.parse_args(argv)
    only = set(args.only or SECTIONS)
    ROUND_COUNT[0] = args.rounds
    started = time.perf_counter()
    print_machine()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="gb-bench-") as tmp:
        root = Path(tmp)
        PYCACHE["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        if "imports" in only:
            rows += bench_imports(write_suite(root / "tiny", 5, marked=True))
        if "unmarked" in only:
            rows += bench_unmarked(write_suite(root / "unmarked300", UNMARKED_N, marked=False))
        if "marked" in only:
            marked = write_suite(root / "marked", MARKED_N, marked=True, timing=True)
            unmarked = write_suite(root / "unmarked", MARKED_N, marked=False, timing=True)
            rows += bench_marked(marked, unmarked)
        if "sklearn" in only:
            suites = [
                write_suite(
                    root / name, MARKED_N, name == "skmarked", timing=True, preamble=SKLEARN
                )
                for name in ("skmarked", "skunmarked")
            ]
            rows += bench_marked(*suites, imported=", scikit-learn imported")
    if "meter" in only:
        rows += bench_meter()
    print_table(rows)
    print(f"\n(total benchmark time {time.perf_counter() - started:.0f} s)")
    return 1 if any(row.verdict == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
