"""Start-up: an unmarked suite builds no meter and imports only what reading the config needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EARLY = (
    "",
    ".plugin",
    ".hookspecs",
    ".startup",
    ".cmdline",  # the command-line checks at configure; it imports nothing of ours up front
    ".settings",
    ".settings.configfile",
)  # all an unmarked run imports
# Imported only when a test is measured (or a report, flag or config file asks for settings).
LATE = (
    "pytest_greenbudget.session",
    "pytest_greenbudget.gate.budget",
    "pytest_greenbudget.settings.plans",
    "pytest_greenbudget.report.model",
    "pytest_greenbudget.meters.auto",
    "pytest_greenbudget.meters.rapl",
    "pytest_greenbudget.meters.nvml",
)
PROBE = """
import json, sys
import pytest
rc = pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]])
loaded = sorted(m for m in sys.modules if m.startswith("pytest_greenbudget"))
print("GB-MODULES " + json.dumps(loaded))
raise SystemExit(rc)
"""
COUNTING = """
import pytest
from fakemeter import FakeMeter

BUILT = []

@pytest.hookimpl(optionalhook=True)
def pytest_greenbudget_make_meter(config, name):
    BUILT.append(name)
    print("GB-METER-BUILT", name)
    return FakeMeter()
"""


def loaded_modules(where: Path, *args: str) -> tuple[list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=where, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("GB-MODULES "))
    modules: list[str] = json.loads(line.removeprefix("GB-MODULES "))
    return modules, done.stdout


def test_an_unmarked_suite_imports_only_the_config_reader(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile("def test_a(): pass\ndef test_b(): pass\n")
    modules, out = loaded_modules(pytester.path)
    assert "2 passed" in out
    assert "pytest_greenbudget.settings.configfile" in modules
    assert set(LATE).isdisjoint(modules), sorted(set(LATE) & set(modules))
    assert set(modules) <= {f"pytest_greenbudget{m}" for m in EARLY}, modules


def test_a_marked_suite_loads_them(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile("import pytest\n@pytest.mark.greenbudget\ndef test_a(): pass\n")
    modules, out = loaded_modules(pytester.path, "--greenbudget-meter", "cputime")
    assert "1 passed" in out
    assert {"pytest_greenbudget.session", "pytest_greenbudget.gate.budget"} <= set(modules)


def test_no_meter_is_built_until_a_test_is_to_be_measured(gb: pytest.Pytester) -> None:
    gb.makeconftest(COUNTING)
    (gb.path / "greenbudget.yaml").unlink(missing_ok=True)
    gb.makepyfile(test_plain="def test_a(): pass\n")
    result = gb.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert "GB-METER-BUILT" not in result.stdout.str()
    gb.makepyfile(test_marked="import pytest\n@pytest.mark.greenbudget\ndef test_b(): pass\n")
    result = gb.runpytest("-s")
    result.assert_outcomes(passed=2)
    assert result.stdout.str().count("GB-METER-BUILT") == 1


def test_an_asked_for_report_is_written_even_when_nothing_is_measured(
    gb: pytest.Pytester,
) -> None:
    gb.makepyfile(test_plain="def test_a(): pass\n")
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    assert json.loads((gb.path / "r.json").read_text())["tests"] == []
