"""A stored baseline measured on another GPU than the head's: the comparison allows for the
level two GPUs of one model differ by (docs/meters.md), and says so."""

from __future__ import annotations

import pytest

from pytest_greenbudget.report.io import read_report

# The fake GPU counter is exact; the jitter gives the runs a 1-2% spread, as a GPU's have.
SUITE = """
from fakemeter import burn
import pytest

CALLS = []

@pytest.mark.greenbudget(repeats=5, warmup=0)
def test_train():
    CALLS.append(1)
    burn({joules} * (1 + 0.01 * (len(CALLS) % 3)))
"""


def measure(gb: pytest.Pytester, joules: float, uuid: str, *args: str) -> pytest.RunResult:
    gb.makepyfile(test_train=SUITE.format(joules=joules))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAKE_GPU_UUID", uuid)
        return gb.runpytest("--greenbudget-meter=fakegpu", *args)


def test_the_same_gpu_catches_6_percent_and_another_gpu_cannot(gb: pytest.Pytester) -> None:
    measure(gb, 252.0, "GPU-aaaa1111-0000", "--greenbudget-report=base.json")
    base = read_report(gb.path / "base.json")
    assert base.environment.devices == {"gpu:0": "GPU-aaaa1111-0000"}

    same = measure(gb, 267.0, "GPU-aaaa1111-0000", "--greenbudget-baseline=base.json",
                   "--greenbudget-report=same.json")  # fmt: skip
    same.assert_outcomes(failed=1)
    assert "other hardware" not in same.stdout.str()

    other = measure(gb, 267.0, "GPU-bbbb2222-0000", "--greenbudget-baseline=base.json",
                    "--greenbudget-report=other.json")  # fmt: skip
    other.assert_outcomes(passed=1)
    other.stdout.fnmatch_lines(
        ["*baseline measured on other hardware (gpu:0: GPU-aaaa1111 -> GPU-bbbb2222)*"]
    )
    (entry,) = read_report(gb.path / "other.json").tests
    assert entry.verdict == "inconclusive"
    assert entry.session_noise == pytest.approx(0.03)
    assert entry.noise_source == "meter default (nvml), another GPU than the baseline's"
