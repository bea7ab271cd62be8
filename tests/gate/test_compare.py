from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_greenbudget.gate.compare import compare_reports, fingerprint_differences
from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.report.model import (
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

ENV = Environment(
    cpu_model="AMD EPYC 7763",
    cpu_count=2,
    meters={"cpu": ComponentMeter("cputime", "estimated")},
    meter="cputime",
)
BASE = (3.10, 3.11, 3.09, 3.10, 3.12)
SLOWER = (3.81, 3.80, 3.83, 3.79, 3.82)  # +23%
SAME = (3.11, 3.09, 3.10, 3.12, 3.10)


def entry(nodeid: str, samples: tuple[float, ...], **fields: Any) -> TestEntry:
    energy = sorted(samples)[len(samples) // 2] if samples else None
    return replace(TestEntry(nodeid, "passed", energy, samples, verdict="ok"), **fields)


def report(*tests: TestEntry, env: Environment = ENV) -> Report:
    return Report("2026-11-22T16:00:00Z", env, CarbonSettings(475.0, "world", 1.2), tests)


def compared(base: tuple[float, ...], head: tuple[float, ...], **options: Any) -> TestEntry:
    result = compare_reports(report(entry("t", base)), report(entry("t", head)), **options)
    return result.report.tests[0]


def test_without_a_baseline_the_head_is_returned_as_it_is() -> None:
    head = report(entry("t", SLOWER, verdict="over-budget"))
    result = compare_reports(None, head)
    assert (result.report, result.comparable, result.warnings) == (head, True, ())
    assert not result.gate_failed


def test_a_regression_names_both_energies_and_the_p_value() -> None:
    result = compare_reports(report(entry("t", BASE)), report(entry("t", SLOWER)))
    test = result.report.tests[0]
    assert test.verdict == "regressed"
    assert test.message is not None
    assert re.fullmatch(
        r"regressed: \+23% \(3\.10 -> 3\.81 J medians\), p(=0\.\d+|<0\.001), 5 runs a side",
        test.message,
    )
    assert test.baseline is not None
    assert test.baseline.energy_j == 3.10
    assert test.baseline.samples_j == BASE
    assert test.baseline.ratio == pytest.approx(3.81 / 3.10)
    assert test.baseline.method == "welch"
    assert test.baseline.p_value is not None and test.baseline.p_value < 0.01
    assert test.baseline.comparable
    assert result.gate_failed and result.count("regressed") == 1


def test_improved_and_unchanged() -> None:
    improved = compared(SLOWER, BASE)
    assert improved.verdict == "improved"
    assert improved.message is not None and improved.message.startswith("improved: -19%")
    unchanged = compared(BASE, SAME)
    assert unchanged.verdict == "unchanged"
    assert unchanged.message is not None and "within ±5%" in unchanged.message


def test_too_few_samples_fall_back_to_the_ratio_and_say_so() -> None:
    test = compared((3.10,), (3.81,))
    assert test.verdict == "regressed"
    assert test.message == (
        "regressed: +23% (3.10 -> 3.81 J medians), ratio only, 1 run a side "
        "(too few samples for a significance test)"
    )
    assert test.baseline is not None
    assert (test.baseline.method, test.baseline.p_value) == ("ratio-only", None)


def test_new_missing_and_unmeasured_tests() -> None:
    base = report(entry("kept", BASE), entry("gone", BASE, budget=Budget("marker", 40.0)))
    skipped = TestEntry("skipped", "skipped", None, message="skipped: no GPU")
    head = report(entry("kept", SAME), entry("added", BASE), skipped)
    result = compare_reports(base, head)
    by_id = result.report.by_nodeid()
    assert [t.nodeid for t in result.report.tests] == ["kept", "added", "skipped", "gone"]
    assert by_id["added"].verdict == "new"
    assert by_id["added"].baseline is None
    assert by_id["skipped"] is skipped
    gone = by_id["gone"]
    assert (gone.verdict, gone.outcome, gone.samples_j, gone.baseline) == (
        "missing",
        "not-run",
        (),
        None,
    )
    assert gone.energy_j == 3.10  # the renderers show it in the base column
    assert gone.budget == Budget("marker", 40.0)
    assert result.count("missing") == 1 and not result.gate_failed


def test_a_baseline_without_samples_makes_the_test_new() -> None:
    base = report(TestEntry("t", "failed", None, message="boom"))
    test = compare_reports(base, report(entry("t", BASE))).report.tests[0]
    assert test.verdict == "new"
    assert test.message == "baseline has no samples of this test"


def test_each_test_uses_its_own_tolerance_unless_overridden() -> None:
    plus_eight = tuple(round(s * 1.08, 4) for s in BASE)
    base = report(entry("loose", BASE), entry("tight", BASE))
    head = report(entry("loose", plus_eight, tolerance=0.10), entry("tight", plus_eight))
    own = compare_reports(base, head).report.by_nodeid()
    assert (own["loose"].verdict, own["tight"].verdict) == ("unchanged", "regressed")
    overridden = compare_reports(base, head, tolerance=0.20).report.by_nodeid()
    assert (overridden["loose"].verdict, overridden["tight"].verdict) == ("unchanged",) * 2
    assert overridden["tight"].tolerance == 0.20  # the report says what it was held to
    strict = compare_reports(base, head, tolerance=0.05).report.by_nodeid()
    assert strict["loose"].verdict == "regressed"


def test_over_budget_is_kept_with_its_message_and_the_baseline_filled() -> None:
    message = "energy budget exceeded: 3.81 J > 3.50 J (greenbudget.yaml:7)"
    head = report(entry("t", SLOWER, verdict="over-budget", message=message))
    new_head = report(entry("u", SLOWER, verdict="over-budget", message=message))
    result = compare_reports(report(entry("t", BASE)), head)
    test = result.report.tests[0]
    assert (test.verdict, test.message) == ("over-budget", message)
    assert test.baseline is not None and test.baseline.ratio == pytest.approx(3.81 / 3.10)
    assert (
        not result.gate_failed
    )  # the budget already failed the test; compare gates on regressions
    unseen = compare_reports(report(entry("t", BASE)), new_head).report.by_nodeid()["u"]
    assert unseen.verdict == "over-budget"


def test_an_incomparable_baseline_is_reported_but_does_not_gate() -> None:
    other = replace(ENV, cpu_model="Intel Xeon Platinum 8370C")
    base, head = report(entry("t", BASE), env=other), report(entry("t", SLOWER))
    result = compare_reports(base, head)
    test = result.report.tests[0]
    assert test.verdict == "regressed"
    assert test.baseline is not None and not test.baseline.comparable
    assert test.message is not None and test.message.endswith("not gated")
    assert not result.comparable and not result.gate_failed
    assert len(result.warnings) == 1
    assert "CPU model differs: 'Intel Xeon Platinum 8370C' vs 'AMD EPYC 7763'" in result.warnings[0]
    assert "do not gate" in result.warnings[0]
    forced = compare_reports(base, head, gate_incomparable=True)
    assert forced.gate_failed and not forced.comparable
    assert forced.report.tests[0].message is not None
    assert "not gated" not in forced.report.tests[0].message


def test_fingerprint_differences_name_cpu_meter_per_component_and_gpus() -> None:
    assert fingerprint_differences(ENV, replace(ENV, python="3.12", commit="abc")) == []
    rapl = replace(ENV, meters={"cpu": ComponentMeter("rapl", "measured")})
    assert fingerprint_differences(ENV, rapl) == ["cpu meter differs: 'cputime' vs 'rapl'"]
    gpu = replace(
        ENV,
        gpus=("NVIDIA H100",),
        meters={**ENV.meters, "gpu:0": ComponentMeter("nvml", "measured")},
    )
    assert fingerprint_differences(ENV, gpu) == [
        "gpu:0 meter differs: none vs 'nvml'",
        "GPUs differ: none vs NVIDIA H100",
    ]
    two = replace(gpu, gpus=("NVIDIA H100", "NVIDIA A10"))
    assert fingerprint_differences(two, replace(two, gpus=("NVIDIA A10", "NVIDIA H100"))) == []


GPU_ENV = replace(
    ENV,
    meters={"gpu:0": ComponentMeter("nvml", "measured")},
    meter="nvml",
    gpus=("gpu:0: NVIDIA H200",),
)
GPU_BASE = (252.0, 252.4, 251.7)  # a training test's joules on one H200 (docs/meters.md)
GPU_HEAD = (267.3, 267.0, 267.6)  # +6%


def gpu_entry(samples: tuple[float, ...]) -> TestEntry:
    return entry(
        "t", samples, components={"gpu:0": Component(samples[0], "measured", "nvml")},
        session_noise=0.005, noise_source="meter default (nvml)",
    )  # fmt: skip


def gpu_report(samples: tuple[float, ...], uuid: str | None) -> Report:
    devices = {"gpu:0": uuid} if uuid else {}
    return report(gpu_entry(samples), env=replace(GPU_ENV, devices=devices))


def test_a_baseline_from_another_gpu_allows_for_its_level() -> None:
    """Two H200s read the same test 5.6% apart: 0.5% between sessions holds on one GPU only."""
    same = compare_reports(
        gpu_report(GPU_BASE, "GPU-aaaa1111-0"), gpu_report(GPU_HEAD, "GPU-aaaa1111-0")
    )
    assert same.report.tests[0].verdict == "regressed"
    assert same.warnings == ()
    other = compare_reports(
        gpu_report(GPU_BASE, "GPU-aaaa1111-0"), gpu_report(GPU_HEAD, "GPU-bbbb2222-0")
    )
    test = other.report.tests[0]
    assert test.verdict == "inconclusive"  # +6% is within what another GPU's level can move
    assert (test.session_noise, test.noise_source) == (
        pytest.approx(0.03),
        "meter default (nvml), another GPU than the baseline's",
    )
    assert other.comparable and not other.gate_failed
    assert other.warnings == (
        "baseline measured on other hardware (gpu:0: GPU-aaaa1111 -> GPU-bbbb2222): two GPUs "
        "of one model differ in level; tests without a history of runs allow for another "
        "device's level (nvml 3%)",
    )
    # unknown on one side (a report before schema 1.7): not taken as another GPU
    older = compare_reports(gpu_report(GPU_BASE, None), gpu_report(GPU_HEAD, "GPU-bbbb2222-0"))
    assert older.report.tests[0].verdict == "regressed"
    # the user's own session_noise applies as set
    setting = compare_reports(gpu_report(GPU_BASE, "GPU-aaaa1111-0"),
                              gpu_report(GPU_HEAD, "GPU-bbbb2222-0"), session_noise=0.001)  # fmt: skip
    assert setting.report.tests[0].verdict == "regressed"
    assert "your session_noise applies as set" in setting.warnings[0]


def test_another_gpu_that_no_compared_test_used_is_not_worth_a_warning() -> None:
    def cpu_only(uuid: str) -> Report:
        return report(entry("t", BASE), env=replace(ENV, devices={"gpu:0": uuid}))

    result = compare_reports(cpu_only("GPU-aaaa1111-0"), cpu_only("GPU-bbbb2222-0"))
    assert result.warnings == ()
    assert "another GPU" not in result.report.tests[0].noise_source


def test_reports_without_per_component_meters_compare_the_single_meter() -> None:
    legacy = replace(ENV, meters={}, meter="codecarbon")
    assert fingerprint_differences(legacy, replace(legacy, meter="cputime")) == [
        "energy meter differs: 'codecarbon' vs 'cputime'"
    ]


def test_a_zero_baseline_is_left_alone_with_a_warning() -> None:
    base = report(entry("t", (0.0, 0.0, 0.0)))
    head = report(entry("t", SLOWER))
    result = compare_reports(base, head)
    assert result.report.tests == head.tests
    assert result.warnings == (
        "t: not compared with the baseline: base median is zero: no ratio to compare with",
    )


def test_the_compared_report_round_trips_through_json(tmp_path: Path) -> None:
    base = report(entry("a", BASE), entry("b", (3.1,)), entry("gone", BASE))
    head = report(entry("a", SLOWER), entry("b", (3.2,)), entry("new", SAME))
    result = compare_reports(base, head)
    write_report(result.report, tmp_path / "compared.json")
    assert read_report(tmp_path / "compared.json") == result.report


def test_xdist_workers_and_thread_limits_are_part_of_the_fingerprint() -> None:
    assert fingerprint_differences(ENV, replace(ENV, workers=2)) == [
        "xdist workers differ: none (serial) vs 2"
    ]
    assert fingerprint_differences(replace(ENV, workers=2), replace(ENV, workers=4)) == [
        "xdist workers differ: 2 vs 4"
    ]
    assert fingerprint_differences(ENV, replace(ENV, threads=1)) == [
        "thread limit differs: none vs 1"
    ]
    serial, parallel = (
        report(entry("t", BASE)),
        report(entry("t", SLOWER), env=replace(ENV, workers=2)),
    )
    result = compare_reports(serial, parallel)
    assert not result.comparable and not result.gate_failed
    assert "xdist workers differ" in result.warnings[0]


def test_a_per_test_thread_limit_that_differs_is_reported_not_gated() -> None:
    base = report(entry("t", BASE), entry("u", BASE, threads=1))
    head = report(entry("t", SLOWER, threads=1), entry("u", SLOWER, threads=1))
    result = compare_reports(base, head)
    tests = result.report.by_nodeid()
    assert tests["t"].verdict == tests["u"].verdict == "regressed"
    assert tests["t"].baseline is not None and not tests["t"].baseline.comparable
    assert (tests["t"].message or "").endswith(
        "thread limit differs (none vs 1, base vs head): not gated"
    )
    assert tests["u"].baseline is not None and tests["u"].baseline.comparable
    assert result.comparable and result.gate_failed  # u regressed on a comparable footing
    only_t = compare_reports(report(entry("t", BASE)), report(entry("t", SLOWER, threads=1)))
    assert not only_t.gate_failed
    assert compare_reports(
        report(entry("t", BASE)), report(entry("t", SLOWER, threads=1)), gate_incomparable=True
    ).gate_failed
