"""Meters supplied through the hook: the ones that misbehave get a message, not a traceback."""

from __future__ import annotations

import pytest

CONFTEST = """
from dataclasses import replace

import pytest
from fakemeter import FakeMeter

class Broken(FakeMeter):
    def stop(self, token):
        raise RuntimeError("plug unreachable")

class Bad(FakeMeter):
    # Energy, wall or CPU seconds as a buggy meter might answer them.

    def __init__(self, **fields):
        self.fields = fields

    def stop(self, token):
        reading = super().stop(token)
        comp = replace(reading.components["cpu"], energy_j=self.fields.pop("energy_j", 1.0))
        return replace(reading, components={"cpu": comp}, **self.fields)

class Mute(FakeMeter):
    def describe(self):
        raise OSError("no such device")

@pytest.hookimpl(optionalhook=True)
def pytest_greenbudget_make_meter(config, name):
    bad = {
        "nan": Bad(energy_j=float("nan")),
        "negative": Bad(energy_j=-2.0),
        "absurd": Bad(energy_j=2e15),
        "infinite-wall": Bad(wall_s=float("inf")),
        "nan-cpu": Bad(cpu_s=float("nan")),
    }
    return {"broken": Broken(), "junk": "not a meter", "mute": Mute(), **bad}.get(name)
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


@pytest.mark.parametrize(
    ("meter", "said"),
    [
        ("nan", "'cpu' energy nan J (valid: a finite number, 0 to 1e+15)"),
        ("negative", "'cpu' energy -2 J (valid: a finite number, 0 to 1e+15)"),
        ("absurd", "'cpu' energy 2e+15 J (valid: a finite number, 0 to 1e+15)"),
        ("infinite-wall", "wall_s inf (valid: a finite number of seconds)"),
        ("nan-cpu", "cpu_s nan (valid: a finite number of seconds)"),
    ],
)
def test_a_meter_reading_no_sample_can_hold_fails_that_test_and_keeps_the_report(
    hooked: pytest.Pytester, meter: str, said: str
) -> None:
    hooked.makepyfile(test_other="def test_plain():\n    pass\n")
    result = hooked.runpytest("--greenbudget-meter", meter, "--greenbudget-report", "r.json")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([f"greenbudget: meter 'fake' returned an unusable reading: {said}"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert (hooked.path / "r.json").exists()


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
