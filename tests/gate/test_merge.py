from __future__ import annotations

from dataclasses import replace

import pytest

from pytest_greenbudget.gate.merge import MergeError, merge_reports
from pytest_greenbudget.report.model import (
    SCHEMA_VERSION,
    CarbonSettings,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

ENV = Environment(
    cpu_model="AMD EPYC 7763",
    cpu_count=2,
    meters={"cpu": ComponentMeter("cputime", "estimated")},
    notes=("cpu: no RAPL on this VM",),
)
CARBON = CarbonSettings(475.0, "world", 1.2)


def report(*nodeids: str, env: Environment = ENV, version: str = SCHEMA_VERSION) -> Report:
    tests = tuple(TestEntry(n, "passed", 1.0, (1.0, 1.1, 0.9), verdict="ok") for n in nodeids)
    return Report("2026-11-22T16:00:00Z", env, CARBON, tests, version)


def test_joins_tests_in_input_order_and_keeps_the_first_environment() -> None:
    other = replace(ENV, cpu_model="Intel Xeon Platinum 8370C", notes=())
    merged = merge_reports([report("a", "b"), report("c", env=other)], ["py310.json", "py311.json"])
    assert [t.nodeid for t in merged.tests] == ["a", "b", "c"]
    assert merged.environment.cpu_model == "AMD EPYC 7763"
    assert merged.environment.notes == (
        "cpu: no RAPL on this VM",
        "merged from 2 reports: py310.json (2 tests), py311.json (1 test); "
        "environment of py310.json",
        "py311.json: CPU model differs: 'AMD EPYC 7763' vs 'Intel Xeon Platinum 8370C' "
        "(py310.json vs py311.json)",
    )
    assert merged.schema_version == SCHEMA_VERSION
    assert merged.carbon == CARBON


def test_a_single_report_is_merged_with_a_note() -> None:
    merged = merge_reports([report("a")])
    assert merged.tests == report("a").tests
    assert merged.environment.notes[-1] == (
        "merged from 1 report: report 1 (1 test); environment of report 1"
    )


def test_shards_on_different_gpus_name_no_single_gpu() -> None:
    def on(uuid: str, *nodeids: str) -> Report:
        return report(*nodeids, env=replace(ENV, devices={"gpu:0": uuid}))

    same = merge_reports([on("GPU-aaaa", "a"), on("GPU-aaaa", "b")])
    assert same.environment.devices == {"gpu:0": "GPU-aaaa"}
    mixed = merge_reports([on("GPU-aaaa", "a"), on("GPU-bbbb", "b")])
    assert mixed.environment.devices == {"gpu:0": "several"}  # compared as another GPU


def test_different_carbon_settings_are_noted() -> None:
    france = replace(report("b"), carbon=CarbonSettings(56.0, "FRA", 1.2, "FRA"))
    merged = merge_reports([report("a"), france], ["a.json", "b.json"])
    assert (
        "b.json: carbon settings differ; its tests' gCO2e use its own" in merged.environment.notes
    )


def test_duplicate_node_ids_are_an_error_naming_them() -> None:
    with pytest.raises(MergeError) as info:
        merge_reports(
            [report("a", "b"), report("b", "c"), report("c")], ["1.json", "2.json", "3.json"]
        )
    assert str(info.value) == (
        "2 test id(s) appear more than once, so the inputs overlap: "
        "b (1.json, 2.json); c (2.json, 3.json)"
    )


def test_many_duplicates_are_cut_short() -> None:
    ids = [f"t{i}" for i in range(8)]
    with pytest.raises(MergeError, match=r"t4 \(x, x\) and 3 more$"):
        merge_reports([report(*ids), report(*ids)], ["x", "x"])


def test_mixed_schema_majors_are_refused() -> None:
    current = SCHEMA_VERSION.replace(".", r"\.")
    with pytest.raises(
        MergeError, match=rf"major versions: {current} \(a\.json\), 2\.0 \(b\.json\)"
    ):
        merge_reports([report("a"), report("b", version="2.0")], ["a.json", "b.json"])
    minors = merge_reports([report("a"), report("b", version="1.1")])
    assert minors.schema_version == SCHEMA_VERSION


def test_nothing_to_merge() -> None:
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_reports([])
    with pytest.raises(MergeError, match="one source name per report"):
        merge_reports([report("a")], ["a.json", "b.json"])


def test_one_incomplete_shard_makes_the_merge_incomplete() -> None:
    cut = replace(report("c"), incomplete=True, incomplete_reason="interrupted")
    merged = merge_reports([report("a"), cut], ["py310.json", "py311.json"])
    assert merged.incomplete
    assert merged.incomplete_reason == "py311.json: interrupted"
    assert not merge_reports([report("a"), report("b")]).incomplete
