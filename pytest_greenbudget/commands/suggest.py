"""Write a first greenbudget.yaml from measured reports: one budget per measured test, at a
headroom over what it measured.

Run the suite with the tests marked ``@pytest.mark.greenbudget()`` (or using the
``greenbudget`` fixture) and ``--greenbudget-report=PATH``, once or better a few times, and
pass the reports. Each test's budget is HEADROOM (default 2) times the highest median it
measured in them, per unit where it declared units (``greenbudget.work``), rounded up to two
significant digits, and names the meter that measured it (a budget only holds for its meter).
Review the file, then commit it; ``--greenbudget-report-only`` keeps such budgets from failing
the build while a team gets used to them. Exit status: 0 written, 2 bad input or an existing
OUTPUT without --force.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..report.io import write_atomic
from ..report.model import Report, TestEntry
from ..units import count, format_energy, format_percent
from .common import CommandError, load_report

# 2x: the example suite's budgets keep about 2x headroom, and on a shared 2-vCPU VM their
# worst use over 8 sessions was 45% (README): a budget at 2x the highest median it measured
# leaves room for the session-to-session noise of the CPU-time model (about 26%) and more.
DEFAULT_HEADROOM = 2.0
ENERGY_UNITS = (("kJ", 1e3), ("J", 1.0), ("mJ", 1e-3), ("uJ", 1e-6))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reports", nargs="+", metavar="REPORT", help="measured reports (JSON)")
    parser.add_argument(
        "--headroom",
        type=_headroom,
        default=DEFAULT_HEADROOM,
        metavar="X",
        help="budget = X times the highest median measured, e.g. 1.5 or 2x (default 2)",
    )
    parser.add_argument("--output", default="greenbudget.yaml", metavar="OUT", help="file to write")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")


def _headroom(text: str) -> float:
    try:
        value = float(text.removesuffix("x"))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 1.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a factor from 1 to 100, e.g. 2 or 1.5x")
    return value


@dataclass(frozen=True)
class Suggestion:
    """One budget entry: the test, its budget in joules (per unit), and what it rests on."""

    nodeid: str
    energy_j: float
    per: str | None
    meter: str | None
    measured_j: float  # the highest median (per unit) it rests on
    spread: float | None  # the CV of that report's runs

    def yaml(self) -> list[str]:
        unit = f"/{self.per}" if self.per else ""
        spread = f", runs spread {format_percent(self.spread)}" if self.spread else ""
        lines = [
            f"  - match: {json.dumps(self.nodeid)}",
            f"    # measured {format_energy(self.measured_j)}{unit} (highest median){spread}",
            f"    energy: {budget_text(self.energy_j)}",
        ]
        if self.per:
            lines.append(f"    per: {json.dumps(self.per)}")
        if self.meter:
            lines.append(f"    meter: {self.meter}")
        return lines


def budget_text(joules: float) -> str:
    """Rounded up to two significant digits, in the unit that reads 1 to 999: 1.252 J ->
    '1.3 J', 0.000611 J -> '620 uJ'. Rounding up keeps at least the asked headroom."""
    unit, scale = next(((u, s) for u, s in ENERGY_UNITS if joules >= s), ENERGY_UNITS[-1])
    value = joules / scale
    step = 10.0 ** (math.floor(math.log10(value)) - 1) if value > 0 else 1.0
    rounded = math.ceil(round(value / step, 9)) * step
    return f"{rounded:.{max(0, -round(math.log10(step)))}f} {unit}"


def suggestions(reports: Sequence[Report], headroom: float) -> list[Suggestion]:
    """One budget per test that has a figure in some report, in the order first seen."""
    best: dict[str, tuple[float, TestEntry]] = {}
    for report in reports:
        for test in report.tests:
            figure = _figure(test)
            if figure is not None and figure > best.get(test.nodeid, (-1.0, test))[0]:
                best[test.nodeid] = (figure, test)
    return [
        Suggestion(
            nodeid,
            figure * headroom,
            test.work.unit if _per_unit(test) and test.work else None,
            _meter(test),
            figure,
            _cv(test.samples_j),
        )
        for nodeid, (figure, test) in best.items()
    ]


def _per_unit(test: TestEntry) -> bool:
    return test.work is not None and test.energy_per_unit_j is not None


def _figure(test: TestEntry) -> float | None:
    if test.outcome != "passed" or not test.energy_j:
        return None
    return test.energy_per_unit_j if _per_unit(test) else test.energy_j


def _meter(test: TestEntry) -> str | None:
    meters = sorted({c.meter for c in test.components.values()})
    return "+".join(meters) or None


def _cv(samples: Sequence[float]) -> float | None:
    if len(samples) < 2:
        return None
    mean = sum(samples) / len(samples)
    var = sum((s - mean) ** 2 for s in samples) / (len(samples) - 1)
    return math.sqrt(var) / mean if mean > 0 else None


def render(reports: Sequence[Report], found: Sequence[Suggestion], headroom: float) -> str:
    threads = {r.environment.threads for r in reports} - {None}
    lines = [
        "# Budgets suggested by `greenbudget suggest` from "
        f"{count(len(reports), 'report')}: each is {headroom:g}x the highest",
        "# median the test measured (per unit where it declared units), rounded up, for the",
        "# meter that measured it. Review them, then commit this file (README, First budgets).",
        "version: 1",
    ]
    if len(threads) == 1:  # the figures were measured under this limit: budgets assume it
        lines += ["defaults:", f"  threads: {threads.pop()}"]
    lines.append("budgets:")
    for suggestion in found:
        lines += suggestion.yaml()
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    reports = [load_report(path) for path in args.reports]
    found = suggestions(reports, args.headroom)
    if not found:
        raise CommandError(
            "no test in these reports has a figure to budget: mark the tests with "
            "@pytest.mark.greenbudget() and run pytest with --greenbudget-report=PATH"
        )
    if os.path.lexists(args.output) and not args.force:
        raise CommandError(f"{args.output} exists: give --output OTHER, or --force to replace it")
    try:
        write_atomic(args.output, render(reports, found, args.headroom))
    except OSError as exc:
        raise CommandError(f"could not write {args.output}: {exc}") from None
    print(
        f"wrote {args.output}: {count(len(found), 'budget')} at {args.headroom:g}x the "
        f"highest median of {count(len(reports), 'report')}"
    )
    return 0
