"""Noise that fits: the meter defaults, a baseline's history of runs, and the comparison
against it. Pure units, with synthetic samples; the CLI through its entry point."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_one_line_error, run
from scipy import stats as scipy_stats

from pytest_greenbudget.gate.compare import compare_reports
from pytest_greenbudget.gate.history import history_change, runs_of
from pytest_greenbudget.gate.merge import MergeError, with_history
from pytest_greenbudget.gate.noise import meter_noise
from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.report.model import (
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

ENV = Environment("AMD EPYC 7763", 2, meters={"cpu": ComponentMeter("cputime", "estimated")})
METER = "meter default (cputime)"


def entry(nodeid: str, samples: tuple[float, ...], **fields: Any) -> TestEntry:
    energy = statistics.median(samples) if samples else None
    return replace(TestEntry(nodeid, "passed", energy, samples, verdict="ok"), **fields)


def report(when: str, *tests: TestEntry, env: Environment = ENV) -> Report:
    return Report(when, env, CarbonSettings(475.0, "world", 1.2), tests)


def around(median: float) -> tuple[float, ...]:
    return (median * 0.99, median, median * 1.01)


# --- meter defaults -------------------------------------------------------------------------


def test_each_meter_has_its_own_default() -> None:
    def alone(meter: str) -> float:
        return meter_noise({"x": Component(1.0, "measured", meter)})[0]

    assert alone("nvml") < alone("rapl") < alone("cputime")
    assert alone("a-plugins-meter") == alone("cputime")  # unknown: the conservative 25%
    assert meter_noise({"cpu": Component(1.0, "estimated", "cputime")}) == (0.25, METER)


def test_threaded_cpu_time_gets_the_threaded_default() -> None:
    cpu = {"cpu": Component(1.0, "estimated", "cputime")}
    assert meter_noise(cpu, cpu_s=1.0, wall_s=1.0)[0] == 0.25
    assert meter_noise(cpu, cpu_s=3.0, wall_s=1.0)[0] == 0.45  # BLAS threads spinning


def test_components_combine_by_their_share_of_the_energy() -> None:
    # A GPU test: the steady counter dominates, the CPU model's noise counts by its share.
    comps = {
        "gpu:0": Component(90.0, "measured", "nvml"),
        "cpu": Component(10.0, "estimated", "cputime"),
    }
    cv, source = meter_noise(comps)
    assert cv == pytest.approx(math.hypot(0.9 * 0.005, 0.1 * 0.25))
    assert source == "meter default (cputime, nvml)"
    assert meter_noise({}) == (0.25, "meter default (unknown meter)")


def test_a_gpu_the_baseline_did_not_use_gets_another_devices_figure() -> None:
    comps = {
        "gpu:0": Component(90.0, "measured", "nvml"),
        "cpu": Component(10.0, "estimated", "cputime"),
    }
    cv, source = meter_noise(comps, moved={"gpu:0"})
    assert cv == pytest.approx(math.hypot(0.9 * 0.03, 0.1 * 0.25))
    assert source == "meter default (cputime, nvml), another GPU than the baseline's"
    assert meter_noise(comps, moved={"cpu"}) == meter_noise(comps)  # no device figure for CPUs


# --- the comparison against a history -------------------------------------------------------


def test_history_change_is_a_prediction_t_test_on_the_run_medians() -> None:
    runs = [1.00, 1.03, 0.98, 1.01, 0.99]
    change, cv = history_change(runs, [1.20, 1.21, 1.19], 0.05) or pytest.fail("no test")
    logs = [math.log(r) for r in runs]
    s = statistics.stdev(logs)
    # The runs' prediction variance, plus the head's own: its log median's, pi/2 var / n.
    runs_part = s * s * (1 + 1 / 5)
    head_part = math.pi / 2 * statistics.variance([math.log(v) for v in (1.20, 1.21, 1.19)]) / 3
    dof = (runs_part + head_part) ** 2 / (runs_part**2 / 4 + head_part**2 / 2)
    t = (math.log(1.20) - statistics.fmean(logs)) / math.sqrt(runs_part + head_part)
    assert change.p_value == pytest.approx(scipy_stats.t.sf(t, dof))
    assert change.method == "history" and change.verdict == "regressed"
    assert change.ratio == pytest.approx(1.20 / math.exp(statistics.fmean(logs)))
    assert cv == pytest.approx(math.sqrt(math.expm1(s * s)))


def test_history_holds_false_alarms_at_alpha_and_says_what_it_could_see() -> None:
    rng = random.Random(9)
    sigma = math.sqrt(math.log1p(0.05**2))
    alarms, verdicts = 0, set()
    for _ in range(2000):
        runs = [math.exp(rng.gauss(0, sigma)) for _ in range(5)]
        found = history_change(runs, [math.exp(rng.gauss(0, sigma))], 0.0)
        assert found is not None
        alarms += found[0].verdict == "regressed"
        verdicts.add(found[0].verdict)
    assert alarms / 2000 <= 0.015  # nominal 1%; Monte Carlo sd 0.22%
    # 5 runs at 5% noise cannot resolve a 0% tolerance: never "unchanged".
    assert "unchanged" not in verdicts


def test_a_steady_history_resolves_the_tolerance_and_a_short_one_does_not() -> None:
    steady = history_change([1.0, 1.002, 0.998, 1.001, 0.999, 1.0], [1.0], 0.05)
    assert steady is not None and steady[0].verdict == "unchanged"
    assert steady[0].detectable is not None and steady[0].detectable < 0.05
    noisy = history_change([1.0, 1.2, 0.85], [1.0], 0.05)
    assert noisy is not None and noisy[0].verdict == "inconclusive"
    assert history_change([1.0, 1.1], [1.0], 0.05) is None  # too few runs
    assert history_change([1.0, 1.0, 1.0], [1.0], 0.05) is None  # no spread to learn from


def _history_base(*medians: float) -> Report:
    return report("2026-11-22T16:00:00Z", entry("t", around(medians[0]), runs_j=medians))


def test_compare_uses_the_history_unless_the_user_set_the_noise() -> None:
    base = _history_base(1.0, 1.01, 0.99, 1.0, 1.005)
    head = report("h", entry("t", around(1.3), session_noise=0.25, noise_source=METER))
    test = compare_reports(base, head).report.tests[0]
    assert test.verdict == "regressed" and test.baseline is not None
    assert test.baseline.method == "history"
    assert test.noise_source == "history of 5 runs" and test.session_noise < 0.02
    assert test.baseline.energy_j == pytest.approx(1.3 / test.baseline.ratio)
    # The setting wins: 25% noise says a +30% could be a slow session.
    said = replace(head.tests[0], noise_source="setting")
    test = compare_reports(base, report("h", said)).report.tests[0]
    assert test.verdict == "inconclusive" and test.baseline is not None
    assert test.baseline.method == "welch" and test.noise_source == "setting"


def test_an_inconclusive_message_names_the_limit_and_its_reason() -> None:
    base = _history_base(1.0, 1.2, 0.85)
    head = report("h", entry("t", around(1.05), session_noise=0.25, noise_source=METER))
    test = compare_reports(base, head).report.tests[0]
    assert test.verdict == "inconclusive" and test.baseline is not None
    detectable = test.baseline.detectable
    assert detectable is not None and detectable > 0.05
    assert test.message is not None
    assert test.message.endswith(f"could see ≥ +{detectable:.0%}")
    # The reason is a method detail: the report's noise_source, and the terminal's -v
    assert test.noise_source == "history of 3 runs"


# --- a history of reports -------------------------------------------------------------------


def test_with_history_keeps_the_newest_report_and_each_tests_runs_newest_first() -> None:
    old = report("2026-11-20T00:00:00Z", entry("a", around(1.0)), entry("b", around(5.0)))
    mid = report("2026-11-21T00:00:00Z", entry("a", around(1.1)))
    new = report("2026-11-22T00:00:00Z", entry("a", around(1.2)), entry("b", around(5.5)))
    merged = with_history([old, new, mid], ["old", "new", "mid"], keep=10)
    assert merged.created_utc == new.created_utc
    assert {t.nodeid: t.runs_j for t in merged.tests} == {
        "a": pytest.approx((1.2, 1.1, 1.0)),
        "b": pytest.approx((5.5, 5.0)),
    }
    assert any("baseline history of 3 reports (newest new" in n for n in merged.environment.notes)
    chained = with_history([merged, report("2026-11-23T00:00:00Z", entry("a", around(1.3)))],
                           ["hist", "newer"], keep=3)  # fmt: skip
    assert chained.tests[0].runs_j == pytest.approx((1.3, 1.2, 1.1))
    assert runs_of(entry("c", ())) == ()


def test_runs_from_another_machine_are_left_out_and_noted() -> None:
    other = replace(ENV, cpu_model="Intel Xeon Platinum 8370C")
    runs = [
        report("2026-11-20T00:00:00Z", entry("a", around(1.0))),
        report("2026-11-21T00:00:00Z", entry("a", around(1.4)), env=other),
        report("2026-11-22T00:00:00Z", entry("a", around(1.1))),
    ]
    merged = with_history(runs, ["r1", "r2", "r3"])
    assert merged.tests[0].runs_j == pytest.approx((1.1, 1.0))
    assert any(
        n.startswith("r2: left out of the history: CPU model differs")
        for n in merged.environment.notes
    )
    assert any("baseline history of 2 reports" in n for n in merged.environment.notes)


def test_a_history_names_its_gpu_only_when_every_run_used_that_one() -> None:
    def run(when: str, uuid: str) -> Report:
        return report(when, entry("a", around(1.0)), env=replace(ENV, devices={"gpu:0": uuid}))

    one = [run("2026-11-20T00:00:00Z", "GPU-aaaa"), run("2026-11-21T00:00:00Z", "GPU-aaaa")]
    assert with_history(one, ["r1", "r2"]).environment.devices == {"gpu:0": "GPU-aaaa"}
    two = [*one, run("2026-11-22T00:00:00Z", "GPU-bbbb")]
    assert with_history(two, ["r1", "r2", "r3"]).environment.devices == {"gpu:0": "several"}


def test_the_same_run_twice_is_refused() -> None:
    run_ = report("2026-11-22T00:00:00Z", entry("a", around(1.0)))
    with pytest.raises(MergeError, match=r"b\.json is the same run as a\.json"):
        with_history([run_, run_], ["a.json", "b.json"])


def test_a_history_round_trips_through_json(tmp_path: Path) -> None:
    merged = with_history(
        [report(f"2026-11-2{d}T00:00:00Z", entry("a", around(1 + d / 100))) for d in (1, 2)],
        ["1", "2"],
    )
    write_report(merged, tmp_path / "h.json")
    assert read_report(tmp_path / "h.json") == merged


# --- the CLI --------------------------------------------------------------------------------


def _write_runs(tmp_path: Path, *medians: float) -> list[str]:
    paths = []
    for day, median in enumerate(medians, start=1):
        path = tmp_path / f"run{day}.json"
        write_report(report(f"2026-11-{day:02d}T00:00:00Z", entry("t", around(median))), path)
        paths.append(str(path))
    return paths


def test_merge_keep_runs_writes_a_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write_runs(tmp_path, 1.0, 1.01, 0.99, 1.02)
    out = str(tmp_path / "base.json")
    code, stdout, _ = run(capsys, "merge", "--keep-runs", "3", out, *paths)
    assert code == 0
    assert "merged 4 runs, keeping up to 3 per test, 1 test," in stdout
    assert read_report(out).tests[0].runs_j == pytest.approx((1.02, 0.99, 1.01))


def test_merge_keep_runs_rejects_a_bad_count_and_a_repeated_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write_runs(tmp_path, 1.0)
    with pytest.raises(SystemExit):
        run(capsys, "merge", "--keep-runs", "0", "out.json", *paths)
    assert "must be a whole number >= 1, not '0'" in capsys.readouterr().err
    code, _, err = run(capsys, "merge", "--keep-runs", "3", "o.json", paths[0], paths[0])
    assert code == 2
    assert_one_line_error(err, "is the same run as")


def test_compare_shows_an_inconclusive_test_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.json"
    write_report(report("b", entry("t", (1.0, 1.01, 0.99))), base)
    head = tmp_path / "head.json"
    said = entry("t", (1.3, 1.31, 1.29), session_noise=0.25, noise_source=METER)
    write_report(report("h", said), head)
    code, out, _ = run(capsys, "compare", str(base), str(head))
    assert code == 0
    assert "inconclusive (sees only >+" in out.splitlines()[1]
    assert out.splitlines()[-1] == "1 inconclusive"


@pytest.mark.parametrize(
    ("cv", "runs", "shown"),
    [(0.03, 5, 0.19), (0.03, 10, 0.14), (0.05, 10, 0.25), (0.25, 3, 11.38), (0.25, 10, 1.96)],
)
def test_the_documented_history_table(cv: float, runs: int, shown: float) -> None:
    # docs/regressions.md, "Several base runs": the detectable change of a history of `runs`
    # medians whose logs spread exactly as a between-session CV of `cv` gives.
    sigma = math.sqrt(math.log1p(cv * cv))
    z = [sigma * x for x in _unit_spread(runs)]
    found = history_change([math.exp(v) for v in z], [1.0], 0.05)
    assert found is not None and found[0].detectable is not None
    assert found[0].detectable == pytest.approx(shown, abs=0.005)


def _unit_spread(k: int) -> list[float]:
    """k values with mean 0 and sample standard deviation exactly 1."""
    raw = [i - (k - 1) / 2 for i in range(k)]
    sd = statistics.stdev(raw)
    return [r / sd for r in raw]
