"""`greenbudget render --html` and `pytest --greenbudget-html`: both write the page."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run
from github_double import entry, report

from pytest_greenbudget.cli import main
from pytest_greenbudget.report.io import write_report

SLOW = (3.81, 3.80, 3.83, 3.79, 3.82)
FAST = (3.10, 3.11, 3.09, 3.10, 3.12)


def saved(path: Path, nodeid: str, samples: tuple[float, ...]) -> str:
    test = replace(entry(nodeid, sorted(samples)[2], budget=5.0), samples_j=samples)
    write_report(report(test), path)
    return str(path)


def test_render_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = saved(tmp_path / "head.json", "t.py::test_fit", SLOW)
    out = tmp_path / "site" / "report.html"
    code, stdout, err = run(capsys, "render", "--html", str(out), head)
    assert (code, err) == (0, "")
    assert stdout == f"greenbudget: wrote {out} (1 test)\n"
    page = out.read_text(encoding="utf-8")
    assert "t.py::test_fit" in page and 'id="change"' not in page


def test_a_baseline_is_compared_first_and_charted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = saved(tmp_path / "base.json", "t.py::test_fit", FAST)
    head = saved(tmp_path / "head.json", "t.py::test_fit", SLOW)
    out = tmp_path / "report.html"
    code, _, err = run(capsys, "render", "--html", str(out), head, "--baseline", base)
    assert (code, err) == (0, "")
    page = out.read_text(encoding="utf-8")
    assert 'id="change"' in page and "▲ +23% (" in page


def test_a_bad_report_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.0", "tests": 3}', encoding="utf-8")
    out = tmp_path / "report.html"
    code, _, err = run(capsys, "render", "--html", str(out), str(bad))
    assert code == 2
    assert_one_line_error(err, "bad.json")
    assert not out.exists()
    code, _, err = run(capsys, "render", "--html", str(out), str(tmp_path / "absent.json"))
    assert code == 2
    assert_one_line_error(err, "absent.json: cannot read report")


@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink", "baseline"])
def test_an_output_naming_an_input_report_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    head = saved(tmp_path / "head.json", "t.py::test_fit", SLOW)
    base = saved(tmp_path / "base.json", "t.py::test_fit", FAST)
    (tmp_path / "x").mkdir()
    (tmp_path / "link.html").symlink_to(head)
    out = {
        "same": head,
        "dotdot": str(tmp_path / "x" / ".." / "head.json"),
        "symlink": str(tmp_path / "link.html"),
        "baseline": base,
    }[spelling]
    before = {p: Path(p).read_bytes() for p in (head, base)}
    code, stdout, err = run(capsys, "render", "--html", out, head, "--baseline", base)
    assert (code, stdout) == (2, "")
    assert_one_line_error(err, f"--html {out} names the same file as", "two different files")
    assert {p: Path(p).read_bytes() for p in (head, base)} == before


def test_an_unwritable_output_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = saved(tmp_path / "head.json", "t.py::test_fit", SLOW)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = run(capsys, "render", "--html", str(blocker / "report.html"), head)
    assert code == 2
    assert_one_line_error(err, "report.html: cannot write the HTML report")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = saved(tmp_path / "head.json", "t.py::test_fit", SLOW)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(capsys, "render", "--html", str(locked / "report.html"), head)
    assert code == 2
    assert_one_line_error(err, "Permission denied")


def test_html_is_a_required_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["render", "head.json"])
    assert info.value.code == 2
    assert "the following arguments are required: --html" in capsys.readouterr().err


# --- the pytest option --------------------------------------------------------------------


def test_pytest_writes_the_page_after_the_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_energy="""
        import pytest
        from fakemeter import burn

        @pytest.mark.greenbudget(energy="3 J", repeats=3, warmup=0)
        def test_burns_two_joules():
            burn(2.0)
        """
    )
    result = gb.runpytest("--greenbudget-html", "out/report.html")
    result.assert_outcomes(passed=1)
    page = (gb.path / "out" / "report.html").read_text(encoding="utf-8")
    assert "test_energy.py::test_burns_two_joules" in page
    budget = page.split('id="budget"')[1].split("</section>")[0]
    assert 'class="bar"' in budget and 'class="bar bad"' not in budget
    assert "67% of 3.00 J" in page and ">2.00 J · ±0.0% · n=3<" in page


def test_pytest_reports_an_unwritable_page_and_fails(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_energy="""
        import pytest
        from fakemeter import burn

        @pytest.mark.greenbudget(energy="3 J")
        def test_burns():
            burn(1.0)
        """
    )
    (gb.path / "blocker").write_text("", encoding="utf-8")
    result = gb.runpytest("--greenbudget-html", "blocker/report.html")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["greenbudget: could not write HTML report blocker/report.html: *"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_under_xdist_the_controller_writes_one_page_with_every_test(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    # The workers import the fake meter, and this checkout's plugin, from these folders.
    paths = [Path(__file__).parents[1] / "support", Path(__file__).parents[2]]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(map(str, paths)))
    gb.makepyfile(
        test_many="from fakemeter import burn\nimport pytest\n"
        + "".join(
            f"@pytest.mark.greenbudget(energy='5 J', repeats=2, warmup=0)\n"
            f"def test_{i}():\n    burn({i + 1})\n"
            for i in range(4)
        )
    )
    result = gb.runpytest_subprocess("-n", "2", "--greenbudget-html", "report.html")
    result.assert_outcomes(passed=4)
    page = (gb.path / "report.html").read_text(encoding="utf-8")
    assert all(f"test_many.py::test_{i}" in page for i in range(4))
    assert "xdist workers" in page
