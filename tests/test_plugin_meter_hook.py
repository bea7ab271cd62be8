"""Meters supplied through the hook: the ones that misbehave get a message, not a traceback."""

from __future__ import annotations

import pytest

CONFTEST = """
import pytest
from fakemeter import FakeMeter

class Broken(FakeMeter):
    def stop(self, token):
        raise RuntimeError("plug unreachable")

class Mute(FakeMeter):
    def describe(self):
        raise OSError("no such device")

@pytest.hookimpl(optionalhook=True)
def pytest_greenbudget_make_meter(config, name):
    return {"broken": Broken(), "junk": "not a meter", "mute": Mute()}.get(name)
"""
TEST = "import pytest\n@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_x():\n    pass\n"


@pytest.fixture
def hooked(gb: pytest.Pytester) -> pytest.Pytester:
    gb.makeconftest(CONFTEST)
    gb.makepyfile(TEST)
    return gb


def test_a_meter_failing_mid_test_fails_that_test_with_its_message(hooked: pytest.Pytester) -> None:
    result = hooked.runpytest("--greenbudget-meter", "broken", "--greenbudget-report", "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["greenbudget: meter 'fake' failed to stop a window: RuntimeError('plug unreachable')"]
    )
    assert "Traceback" not in result.stdout.str() and (hooked.path / "r.json").exists()


def test_a_hook_returning_no_meter_is_a_usage_error(hooked: pytest.Pytester) -> None:
    result = hooked.runpytest("--greenbudget-meter", "junk")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: greenbudget: pytest_greenbudget_make_meter returned 'not a meter' for meter 'junk', which is not a meter*"
        ]
    )


def test_a_meter_that_cannot_describe_itself_is_a_usage_error(hooked: pytest.Pytester) -> None:
    result = hooked.runpytest("--greenbudget-meter", "mute")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: greenbudget: meter 'mute' failed: OSError('no such device')"]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
