"""The summary table, the JSON report, carbon, switches, and the default meter for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inner_runs import isolate

from pytest_greenbudget.meters.cputime import CpuInfo, watts_for
from pytest_greenbudget.report.io import read_report
from pytest_greenbudget.report.model import SCHEMA_VERSION

GOLDEN = Path(__file__).parents[1] / "data" / "golden-report.json"
SUITE = """
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=1)
def test_fit():
    burn(2.0)

@pytest.mark.greenbudget(energy="2 mJ", per="sample", repeats=2, warmup=0)
def test_infer(greenbudget):
    burn(0.1)
    greenbudget.work(100, "sample")

@pytest.mark.greenbudget(energy="1 J", repeats=1, warmup=0)
def test_broken():
    burn(0.5)
    assert False, "model diverged"

def test_unbudgeted():
    burn(9.0)
"""


def _normalised(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    data["created_utc"] = "<time>"
    env = data["environment"]
    for key in ("cpu_model", "cpu_count", "python", "pytest", "plugin", "platform", "commit"):
        env[key] = f"<{key}>"
    return data


def test_report_matches_golden_json(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    result = gb.runpytest("--greenbudget-report", "out/report.json", "--greenbudget-region", "FRA")
    result.assert_outcomes(passed=3, failed=1)
    produced = _normalised(gb.path / "out" / "report.json")
    assert produced == json.loads(GOLDEN.read_text())
    assert read_report(gb.path / "out" / "report.json").schema_version == SCHEMA_VERSION
    assert not list((gb.path / "out").glob("*.tmp")), "no temporary file is left behind"


def test_summary_table_lists_every_measured_test(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    result = gb.runpytest("--greenbudget-region", "FRA")
    result.stdout.fnmatch_lines(
        [
            "*= greenbudget =*",
            "test * energy * runs * spread * budget used * verdict",
            "test_suite.py::test_infer * 1.00 mJ/sample * 2 * ±0.0% * 50% energy * ok",
            "test_suite.py::test_fit * 2.00 J * 3 * ±0.0% * 40% energy * ok",
            "test_suite.py::test_broken * not measured * — * — * — * failed",
            "energy: median run · spread: CV of the runs · budget used: share of its budget",
            "total: 2 tests, 2.10 J",
            "meter: cpu fake (measured); -v says why",
            "carbon: 32.7 µgCO2e at 56.039 gCO2e/kWh (FRA), PUE 1",
        ]
    )
    summary = result.stdout.str().split("= greenbudget =")[1]
    assert "test_unbudgeted" not in summary and "vs base" not in summary  # no empty column


def test_verbose_summary_adds_each_tests_details(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    result = gb.runpytest("--greenbudget-region", "FRA", "-v")
    result.stdout.fnmatch_lines(
        [
            "meter: cpu fake (measured)",
            "  cpu: test double",
            "carbon: 32.7 µgCO2e at 56.039 gCO2e/kWh (FRA), PUE 1; intensity: France 2023*",
            "test_suite.py::test_infer: total 100 mJ*budget 2.00 mJ per sample from *",
            "    at test_suite.py:8; cpu 100 mJ fake (measured); carbon 1.56 µgCO2e",
            "test_suite.py::test_fit: total 2.00 J, runs 2.00 J..2.00 J; budget 5.00 J from *",
            "  failed on measured run 1 of 1; not measured",
        ]
    )


def test_pue_and_intensity_from_config(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    (gb.path / "greenbudget.yaml").write_text("defaults:\n  intensity: 100\n  pue: 1.5\n")
    gb.runpytest("--greenbudget-report", "r.json", "-k", "fit")
    report = read_report(gb.path / "r.json")
    assert report.carbon.intensity_g_per_kwh == 100 and report.carbon.pue == 1.5
    # 2 J = 2/3.6e6 kWh; x 1.5 x 100 g/kWh
    assert report.tests[0].carbon_g == pytest.approx(2 / 3.6e6 * 1.5 * 100)


def test_disable_flag_runs_tests_without_measuring(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE.replace('energy="5 J"', 'energy="1 uJ"'))
    result = gb.runpytest(
        "--greenbudget-disable", "--greenbudget-report", "r.json", "-k", "fit or infer"
    )
    result.assert_outcomes(passed=2)
    assert "= greenbudget =" not in result.stdout.str()
    assert not (gb.path / "r.json").exists()


def test_plugin_can_be_removed(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE.replace('energy="5 J"', 'energy="1 uJ"'))
    result = gb.runpytest("-p", "no:greenbudget", "-k", "fit")
    result.assert_outcomes(passed=1)
    assert "greenbudget" not in result.stdout.str()


def test_skip_inside_measured_body(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        "import pytest\n@pytest.mark.greenbudget(energy='1 J')\ndef test_s():\n    pytest.skip('no GPU')\n"
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(skipped=1)
    assert read_report(gb.path / "r.json").tests[0].outcome == "skipped"


def test_unwritable_report_path_fails_the_run_with_a_message(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    (gb.path / "blocker").write_text("a file, not a folder")
    result = gb.runpytest("--greenbudget-report", "blocker/r.json", "-k", "fit")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*greenbudget: could not write report blocker/r.json*"])
    assert "Traceback" not in result.stdout.str()
    assert "written:" not in result.stdout.str()  # only files that were written are named


def test_the_summary_names_the_files_it_wrote(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    result = gb.runpytest(
        "--greenbudget-report", "r.json", "--greenbudget-html", "r.html", "-k", "fit"
    )
    result.stdout.fnmatch_lines(["carbon: *", "written: r.json, r.html", "*1 passed*"])
    assert (gb.path / "r.json").is_file() and (gb.path / "r.html").is_file()


def test_no_network_is_touched(gb: pytest.Pytester) -> None:
    gb.makeconftest(
        """
import socket
pytest_plugins = ['fakemeter']
SAVED = (socket.socket.connect, socket.create_connection, socket.getaddrinfo)

def _refuse(*args, **kwargs):
    raise AssertionError("greenbudget opened a network connection")

socket.socket.connect = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse

def pytest_unconfigure(config):
    # This run is in-process: later tests (the GitHub double's loopback) need the network.
    socket.socket.connect, socket.create_connection, socket.getaddrinfo = SAVED
"""
    )
    gb.makepyfile(test_suite=SUITE)
    result = gb.runpytest("--greenbudget-region", "USA", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=3, failed=1)
    assert read_report(gb.path / "r.json").carbon.intensity_g_per_kwh == pytest.approx(369.473)


def test_default_meter_is_the_cpu_time_model(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")
    isolate(monkeypatch)
    pytester.makepyfile(
        """
import pytest
@pytest.mark.greenbudget(energy="1 kJ", repeats=2, warmup=0)
def test_spin():
    sum(i * i for i in range(300_000))
"""
    )
    result = pytester.runpytest("--greenbudget-meter", "cputime", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = read_report(pytester.path / "r.json").tests[0]
    cpu = entry.components["cpu"]
    assert (cpu.meter, cpu.provenance) == ("cputime", "estimated")
    assert entry.energy_j is not None and entry.energy_j > 0
    watts, _ = watts_for(CpuInfo.from_proc())  # this machine's CPU (3.5 W when unknown)
    # The component and cpu_s are the same run's (the lower median); energy_j is the median
    # of the two runs, their mean, which a loaded machine can put 20% off either one.
    assert entry.cpu_s is not None and cpu.energy_j == pytest.approx(entry.cpu_s * watts, rel=0.2)


def test_meter_notes_become_one_warning(gb: pytest.Pytester) -> None:
    gb.makeconftest(
        """
import pytest
from fakemeter import FakeMeter
from pytest_greenbudget.meters.base import MeterDescription

class NotedMeter(FakeMeter):
    def describe(self):
        return MeterDescription("noted", super().describe().components, ("rapl unreadable: fix it",))

@pytest.hookimpl(optionalhook=True)
def pytest_greenbudget_make_meter(config, name):
    return NotedMeter()
"""
    )
    gb.makepyfile("import pytest\n@pytest.mark.greenbudget(repeats=1)\ndef test_x():\n    pass\n")
    result = gb.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*PytestConfigWarning: rapl unreadable: fix it*"])
