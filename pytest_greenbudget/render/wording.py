"""Words every format shares for what a test's verdict means: its status, its budget use, its
energy as the budget holds it, a comparison's change and evidence (gate/lines.py words the one
line per verdict, which a test's failure says too), a paired comparison, an incomplete run.

Kept apart from view.py (which builds rows and totals) so the terminal, the PR comment and the
HTML page say these things the same way. Pure: strings in, strings out; nothing escaped here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence

from ..gate.compare import percent_change
from ..gate.lines import COMPARED, change_part, evidence_part, p_text, verdict_line
from ..gate.stats import detectable_change, session_variance
from ..report.model import Report, TestEntry
from ..units import count, format_carbon, format_energy

# Outcomes that say more than a budget verdict could: an expected failure is not "failed".
OUTCOMES = ("xfailed", "xpassed", "skipped", "error")
FLAGGED = ("regressed", "over-budget")


def status(test: TestEntry) -> str:
    """The one word a row shows: a flagged verdict first, then pytest's own outcome when it
    is not a plain pass or fail, then the verdict, then the outcome. An accepted regression
    reads "accepted": its verdict is still "regressed" in the report."""
    if test.verdict == "regressed" and test.accepted:
        return "accepted"
    if test.verdict in FLAGGED:
        return test.verdict or ""
    if test.outcome in OUTCOMES:
        return test.outcome
    # A compared test pytest never reached (-x) keeps its side-by-side verdict: "not-run" in
    # its place hid an "unchanged" in a torch-optimizer trial; not_run_line says it once.
    return test.verdict or test.outcome


def counted(test: TestEntry) -> str:
    """The key a test counts under: an accepted regression is not one that needs action."""
    return "accepted" if test.verdict == "regressed" and test.accepted else test.verdict or ""


def budget_quantity(test: TestEntry) -> str | None:
    """Which budget ``budget_used`` is a share of: 'energy' or 'carbon' (the binding one of
    two). gate/budget.py takes the larger share, so the one whose own share matches is it."""
    budget = test.budget
    if budget is None or test.budget_used is None:
        return None
    if budget.energy_j is None or budget.carbon_g is None:
        return "energy" if budget.energy_j is not None else "carbon"
    energy = test.energy_per_unit_j if budget.per else test.energy_j
    share = (energy or 0.0) / budget.energy_j
    return "energy" if abs(share - test.budget_used) <= 1e-9 * max(share, 1.0) else "carbon"


def budget_use(test: TestEntry) -> str:
    """'35% energy' / '80% carbon': a share that names its budget."""
    quantity = budget_quantity(test)
    if quantity is None or test.budget_used is None:
        return "—"
    return f"{test.budget_used * 100:.0f}% {quantity}"


def budget_share(test: TestEntry) -> str:
    """'32% of 2.00 J', '35% of 3.00 µJ/sample': the share and the budget it is a share of."""
    quantity, budget = budget_quantity(test), test.budget
    if quantity is None or budget is None or test.budget_used is None:
        return "—"
    limit = budget.energy_j if quantity == "energy" else budget.carbon_g
    shown = format_energy(limit or 0.0) if quantity == "energy" else format_carbon(limit or 0.0)
    per = f"/{budget.per}" if budget.per else ""
    return f"{test.budget_used * 100:.0f}% of {shown}{per}"


def run_count(test: TestEntry) -> int:
    """The runs a figure is the median of: pairs when measured side by side with a base."""
    base = test.baseline
    return len(base.pairs) if base is not None and base.mode == "paired" else len(test.samples_j)


def energy_cell(test: TestEntry) -> str:
    """The figure the budget holds, as every format shows it: the median run, per unit when
    the test declared work (a per-sample budget sits beside a per-sample figure)."""
    if test.energy_j is None:
        return "not measured"
    if test.energy_per_unit_j is not None and test.work is not None:
        return f"{format_energy(test.energy_per_unit_j)}/{test.work.unit}"
    return format_energy(test.energy_j)


def change_cell(test: TestEntry) -> str:
    """'+24% (190 -> 227 mJ floors)', 'new', 'removed (was 190 mJ)', or '—'."""
    if test.verdict == "missing":
        return f"removed (was {format_energy(test.energy_j)})" if test.energy_j else "removed"
    if test.baseline is None:
        return "new" if test.verdict == "new" else "—"
    return change_part(test) or percent_change(test.baseline.ratio)


def evidence(test: TestEntry) -> str:
    """What a comparison's verdict rests on ('p<0.001, 10 rounds', 'could see ≥ +15%')."""
    base = test.baseline
    if base is None:
        return "—"
    if not base.comparable:
        return "not comparable"
    return evidence_part(test) or ("ratio only" if base.p_value is None else p_text(base.p_value))


def verdict_lines(tests: Iterable[TestEntry], every: bool = False) -> list[str]:
    """'test_x.py::test_y: regressed: +24% (190 -> 227 mJ floors), p<0.001, 10 rounds' for
    each comparison a reader must look at (all of them with ``every``)."""
    wanted = COMPARED if every else ("regressed", "improved", "inconclusive")
    return [
        f"{test.nodeid}: {line}"
        for test in tests
        if test.verdict in wanted and not test.accepted and (line := verdict_line(test))
    ]


def test_notes(tests: Iterable[TestEntry]) -> list[str]:
    """Each test's advice that is no verdict (spinning thread pools, say), naming the test:
    'test_x.py::test_y: 3 threads spun ...'."""
    return [f"{test.nodeid}: {note}" for test in tests for note in test.notes]


def paired_base(tests: Iterable[TestEntry]) -> str | None:
    """'main@abc1234' when any test was measured side by side with a base in this job."""
    for test in tests:
        base = test.baseline
        if base is not None and base.mode == "paired":
            commit = (base.commit or "")[:7]
            ref = base.ref or "base"
            return f"{ref}@{commit}" if commit else ref
    return None


def side_by_side(tests: Iterable[TestEntry]) -> str | None:
    """The sentence each format shows once when results are paired."""
    base = paired_base(tests)
    return f"measured side by side with {base} in this job" if base else None


def pairs_of(test: TestEntry) -> int:
    return len(test.baseline.pairs) if test.baseline is not None else 0


def gate_rule(tests: Iterable[TestEntry]) -> str | None:
    """How regressions were judged, so a reader knows what a passing change could still hide.
    Every figure is the tests' own (a range when they differ), as their verdicts used it."""
    judged = [t for t in tests if t.baseline is not None]
    if not judged:
        return None
    tolerance = spread_of([t.tolerance for t in judged], "{:.0%}".format)
    paired = [t for t in judged if t.baseline is not None and t.baseline.mode == "paired"]
    if paired:
        many = spread_of([pairs_of(t) for t in paired], str)
        return (
            f"regressions: {many} head/base pairs per test in rounds of fresh processes, a "
            "paired test on each round's log ratio of the sides' floors (the lowest quarter of "
            f"their runs), regressed above {tolerance} tolerance and p < 0.01; both sides "
            "measured alternately in this job, so noise between sessions and machines cancels"
        )
    rule = f"regressions: above {tolerance} tolerance and p < 0.01"
    noises = [t.session_noise for t in judged]
    if max(noises) == 0:
        rule += ", on the repeats alone (no noise between sessions allowed for)"
    else:
        rule += f", allowing {spread_of(noises, '{:.0%}'.format)} noise between sessions"
    floors = [t.baseline.detectable for t in judged if t.baseline and t.baseline.detectable]
    if not floors:  # ratio-only comparisons: no test, so no smallest change it could see
        return rule
    shown = spread_of(floors, lambda f: percent_change(1.0 + f), " to ")
    return f"{rule} (changes below about {shown} are not reliably seen)"


def spread_of(values: Sequence[float], form: Callable[[float], str], between: str = "-") -> str:
    """'5%' when the tests agree, '5%-10%' (smallest to largest) when they differ."""
    low, high = form(min(values)), form(max(values))
    return low if low == high else f"{low}{between}{high}"


def noise_floor(test: TestEntry) -> float:
    """The smallest rise the gate finds 9 times in 10 (90% power, as verdicts use): the test's
    own comparison's figure when it has one, else what its session noise alone allows."""
    base = test.baseline
    if base is not None and base.detectable is not None:
        return base.detectable
    return session_floor(test.session_noise)


def session_floor(session_noise: float) -> float:
    """What the session noise alone lets the gate find 9 times in 10, however many repeats:
    the z-test on the known between-session variance that verdicts fall back to."""
    return detectable_change(math.sqrt(session_variance(session_noise)), math.inf)


def incomplete_banner(report: Report) -> str | None:
    """A run that did not finish is no full baseline; every format says so first."""
    if not report.incomplete:
        return None
    reason = report.incomplete_reason or "the run did not finish"
    if not_run_line(report):  # a paired run whose rounds compared tests pytest never reached
        return (f"Incomplete run: {reason}. The head's own figures cover only the tests pytest "
                "ran; not a full baseline.")  # fmt: skip
    return f"Incomplete run: {reason}. Figures cover only what ran; not a full baseline."


def tests_word(n: int) -> str:
    """'1 test', '2 tests'."""
    return count(n, "test")


def short_id(nodeid: str, width: int) -> str:
    """The id in at most ``width`` characters, shortened in the middle: the folders go first,
    then classes, so the file name and the test name (with its parameters) stay. When those
    two alone are too long, the file gives way before the test name: a reader looks for the
    test (the full id is in ``-v`` and the report), and a name cut in its middle and a file
    cut to a few letters told a newcomer neither."""
    if len(nodeid) <= width:
        return nodeid
    path, _, rest = nodeid.partition("::")
    folders, _, file = path.rpartition("/")
    name = rest.rpartition("::")[2]
    tries = [
        f"…/{file}::{rest}" if folders else "",
        f"{'…/' if folders else ''}{file}::…::{name}" if name != rest else "",
        f"{file}::{name}" if rest else "",
    ]
    for shorter in tries:
        if shorter and len(shorter) <= width:
            return shorter
    if not rest or width < 16:
        return _middle(f"{file}::{name}" if rest else nodeid, width)
    if len(name) + 2 + 10 <= width:  # the whole test name, and enough of the file to know it
        return f"{_middle(file, width - len(name) - 2)}::{name}"
    if len(name) + 3 <= width:  # the whole test name; too little room for a useful file part
        return f"…::{name}"
    room = min(len(file), max(8, (width - 2) // 3))
    return f"{_middle(file, room)}::{_middle(name, width - room - 2)}"


def elide_shared(ids: Sequence[str]) -> list[str]:
    """Rows of one parametrized test with the start they all share replaced by "…", cut where
    the parameters begin: ``…[AggMo-rosenbrock]`` and ``…[NovoGrad-beale]`` instead of the
    same ``tests/test_basic.py::test_benchmark_function[`` on every row (a torch-optimizer
    trial's table at 80 columns read ``test…c.py::test_benc… (1, 1))]`` on all six). Ids
    that share only a file keep it: short_id cuts them file first."""
    if len(ids) < 2:
        return list(ids)
    shared = os.path.commonprefix(list(ids))  # noqa: RUF071 characters: the cut picks the boundary
    cut = shared.rfind("[")
    return [f"…{i[cut:]}" for i in ids] if cut > shared.rfind("::") > 0 else list(ids)


def _middle(text: str, width: int) -> str:
    """``text`` in ``width`` characters, its start and end kept around an ellipsis."""
    if len(text) <= width:
        return text
    keep = max(width - 1, 2)
    front = (keep + 1) // 2
    return f"{text[:front]}…{text[len(text) - (keep - front) :]}"


def not_run_line(report: Report) -> tuple[str, ...]:
    """'4 tests not run here: pytest stopped before them (-x, --maxfail); their verdicts are
    from the side-by-side rounds', once, for the compared tests pytest never reached."""
    n = sum(1 for t in report.tests if t.outcome == "not-run" and t.verdict != "missing")
    if not n:
        return ()
    them = "them" if n > 1 else "it"
    its = "their verdicts are" if n > 1 else "its verdict is"
    return (
        f"{tests_word(n)} not run here: pytest stopped before {them} (-x, --maxfail or an "
        f"interrupt); {its} from the side-by-side rounds",
    )


def unaffected_line(report: Report) -> tuple[str, ...]:
    """'2 tests unaffected: no file they run changed since main@abc1234 (not paired, not
    measured)': paired runs count the tests no change reached in one line, never a row each."""
    n = sum(1 for t in report.tests if t.verdict == "unaffected")
    if not n:
        return ()
    impact = report.impact
    since = f" since {impact.ref}@{impact.commit[:7]}" if impact else ""
    they = "they run" if n > 1 else "it runs"
    return (
        f"{tests_word(n)} unaffected: no file {they} changed{since} (not paired, not measured)",
    )
