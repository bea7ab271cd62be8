"""Bad input inside a pytest run: non-finite or out-of-range numbers, report paths that would
lose data (FIFOs, devices, one file for both), caps on repeats, a baseline that moves the
rootdir, and a crashed xdist worker: each one line, never a lost report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_greenbudget.report.io import read_report

SUITE = """
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(repeats=2, warmup=0)
def test_fit():
    burn(1.0)
"""


def _usage_error(result: pytest.RunResult, *fragments: str) -> str:
    """The run stopped with one pytest usage-error line naming the problem; that line."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stderr.str()
    lines = [line for line in result.stderr.lines if line.startswith("ERROR: greenbudget: ")]
    assert len(lines) == 1, result.stderr.str()
    assert all(fragment in lines[0] for fragment in fragments), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("greenbudget.yaml", "defaults:\n  pue: .nan\n", ("greenbudget.yaml:2", "pue", "nan")),
        ("greenbudget.yaml", "defaults:\n  intensity: .inf\n", ("defaults.intensity", "inf")),
        ("greenbudget.yaml", "defaults:\n  watts_per_vcpu: .inf\n", ("watts_per_vcpu",)),
        (
            "pyproject.toml",
            "[tool.greenbudget.defaults]\nintensity = nan\n",
            ("pyproject.toml:2", "intensity"),
        ),
        ("pyproject.toml", "[tool.greenbudget.defaults]\npue = inf\n", ("defaults.pue",)),
    ],
)
def test_non_finite_config_numbers_are_usage_errors(
    gb: pytest.Pytester, name: str, text: str, fragments: tuple[str, ...]
) -> None:
    (gb.path / name).write_text(text)
    gb.makepyfile(test_suite=SUITE)
    _usage_error(gb.runpytest("--greenbudget-report", "r.json"), *fragments)
    assert not (gb.path / "r.json").exists()


@pytest.mark.parametrize("energy", ["1e-320 J", "1e400 J", "1e300 kWh", "1 " + " " * 200 + "J x"])
def test_out_of_range_marker_budgets_are_usage_errors(gb: pytest.Pytester, energy: str) -> None:
    gb.makepyfile(
        test_suite=f"import pytest\n@pytest.mark.greenbudget(energy={energy!r})\n"
        "def test_x():\n    pass\n"
    )
    _usage_error(gb.runpytest(), "test_suite.py::test_x", "'energy'", energy[:8])


def test_a_baseline_number_of_1e400_is_a_usage_error(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    gb.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=1)
    text = (gb.path / "base.json").read_text()
    (gb.path / "base.json").write_text(text.replace('"energy_j": 1.0', '"energy_j": 1e400', 1))
    _usage_error(gb.runpytest("--greenbudget-baseline=base.json"), "base.json", "out of range")


def test_a_hostile_baseline_stays_inert_in_the_pytest_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    gb.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=1)
    data = json.loads((gb.path / "base.json").read_text())
    hostile = dict(data["tests"][0], nodeid="gone.py::t\n::error::pwned\n::add-mask::x")
    data["tests"].append(hostile)
    data["incomplete"], data["incomplete_reason"] = True, "x\n::error::pwned"
    (gb.path / "base.json").write_text(json.dumps(data))
    result = gb.runpytest("--greenbudget-baseline=base.json")
    result.assert_outcomes(passed=1)
    out = result.stdout.str() + result.stderr.str()
    assert "py::t\\x0a%3A:error::pwned" in out or "py::t\\x0a::error::pwned" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::")]


def test_a_crashed_xdist_worker_keeps_what_it_measured(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    paths = [str(Path(__file__).parents[1] / "support"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))  # for the workers
    tests = "".join(
        f"@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_{i:02d}():\n    burn(1.0)\n\n"
        for i in range(11)
    )
    crash = (
        "@pytest.mark.greenbudget(repeats=1, warmup=0)\n"
        "def test_crash():\n    burn(1.0)\n    os._exit(1)\n"
    )
    gb.makepyfile(
        test_suite=f"import os\nimport pytest\nfrom fakemeter import burn\n\n{tests}{crash}"
    )
    result = gb.runpytest_subprocess("-n", "2", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=11, failed=1)
    measured = {t.nodeid for t in read_report(gb.path / "r.json").tests}
    assert measured == {f"test_suite.py::test_{i:02d}" for i in range(11)}


def test_a_symlinked_report_is_written_through_to_its_target(
    gb: pytest.Pytester,
) -> None:
    gb.makepyfile(test_suite=SUITE)
    (gb.path / "kept").mkdir()
    (gb.path / "r.json").symlink_to(gb.path / "kept" / "real.json")  # dangling until written
    (gb.path / "p.html").symlink_to(gb.path / "kept" / "page.html")
    result = gb.runpytest("--greenbudget-report", "r.json", "--greenbudget-html", "p.html")
    result.assert_outcomes(passed=1)
    assert (gb.path / "r.json").is_symlink() and (gb.path / "p.html").is_symlink()
    assert read_report(gb.path / "kept" / "real.json").tests[0].nodeid == "test_suite.py::test_fit"
    assert "<html" in (gb.path / "kept" / "page.html").read_text()


@pytest.mark.parametrize("flag", ["--greenbudget-report", "--greenbudget-html"])
def test_a_fifo_at_the_report_path_is_refused(gb: pytest.Pytester, flag: str) -> None:
    gb.makepyfile(test_suite=SUITE)
    os.mkfifo(gb.path / "pipe")
    _usage_error(gb.runpytest(flag, "pipe"), "pipe is a FIFO, not a regular file")
    assert (gb.path / "pipe").is_fifo()


def test_a_device_is_never_replaced() -> None:
    from pytest_greenbudget.report.io import NotRegularFile, resolve_target

    with pytest.raises(NotRegularFile, match="a character device"):
        resolve_target("/dev/null")


def test_the_same_path_for_json_and_html_is_refused(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite=SUITE)
    (gb.path / "alias.json").symlink_to(gb.path / "r.json")
    for other in ("r.json", "alias.json", "./sub/../r.json"):
        result = gb.runpytest("--greenbudget-report", "r.json", "--greenbudget-html", other)
        _usage_error(result, "both name r.json", "two different files")


@pytest.mark.parametrize(
    ("args", "config", "fragments"),
    [
        (("--greenbudget-repeats", str(10**12)), None, ("repeats must be from 1 to 1000",)),
        (("--greenbudget-warmup", "101"), None, ("warmup must be from 0 to 100",)),
        ((), "defaults:\n  repeats: 1001\n", ("greenbudget.yaml:2", "from 1 to 1000")),
        ((), "budgets:\n  - match: '*'\n    warmup: 1000\n", ("budgets[0].warmup", "to 100")),
    ],
)
def test_repeats_and_warmup_are_capped(
    gb: pytest.Pytester, args: tuple[str, ...], config: str | None, fragments: tuple[str, ...]
) -> None:
    gb.makepyfile(test_suite=SUITE)
    if config:
        (gb.path / "greenbudget.yaml").write_text(config)
    result = gb.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert all(f in result.stderr.str() for f in fragments), result.stderr.str()


def test_a_marker_over_the_cap_is_a_usage_error(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_suite="import pytest\n@pytest.mark.greenbudget(repeats=10**12)\n"
        "def test_x():\n    pass\n"
    )
    _usage_error(gb.runpytest(), "test_x", "repeats must be from 1 to 1000")


def _outside_baseline(gb: pytest.Pytester, prefix: str) -> Path:
    """A baseline of this suite kept outside the project, its ids given ``prefix``."""
    gb.makepyfile(test_suite=SUITE)
    gb.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=1)
    data = json.loads((gb.path / "base.json").read_text())
    for test in data["tests"]:
        test["nodeid"] = prefix + test["nodeid"]
    outside = gb.path.parent / f"{gb.path.name}-artifacts" / "base.json"
    outside.parent.mkdir(exist_ok=True)
    outside.write_text(json.dumps(data))
    return outside


def test_a_baseline_that_moves_the_rootdir_is_refused_with_the_fix(
    gb: pytest.Pytester,
) -> None:
    outside = _outside_baseline(gb, "")
    line = _usage_error(
        gb.runpytest("--greenbudget-baseline", str(outside)), "moved pytest's rootdir"
    )
    assert f"--greenbudget-baseline={outside}" in line and "--rootdir" not in line
    gb.runpytest(f"--greenbudget-baseline={outside}").assert_outcomes(passed=1)
    fixed = gb.runpytest("--greenbudget-baseline", str(outside), f"--rootdir={gb.path}")
    fixed.assert_outcomes(passed=1)


def test_a_baseline_matching_no_test_is_warned_with_an_id_from_each_side(
    gb: pytest.Pytester,
) -> None:
    outside = _outside_baseline(gb, "elsewhere/")
    result = gb.runpytest(f"--greenbudget-baseline={outside}", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*the baseline matches none of this run's 1 test (baseline id "
            "'elsewhere/test_suite.py::test_fit',",
            "    this run's 'test_suite.py::test_fit')*",  # wrapped: the summary fits 100 columns
        ]
    )
    notes = read_report(gb.path / "r.json").environment.notes
    assert any("matches none of this run's" in note for note in notes)
