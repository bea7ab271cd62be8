"""Unaffected tests are not paired: real git repositories, pytest in a subprocess, the fake
meter (exact energies). Each test changes one kind of file and checks which budgeted tests the
paired gate left out, what the user reads, and what the report records."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_paired import FAST, commit, git

# test_lazy imports helper only inside its call; test_reads opens data.csv; test_plain uses
# neither. unused.py is imported by no budgeted test.
TESTS = """
import pathlib, fakemeter, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_lazy():
    import helper
    fakemeter.burn(helper.JOULES)

@pytest.mark.greenbudget(energy="100 J")
def test_reads():
    fakemeter.burn(float(pathlib.Path(__file__).with_name("data.csv").read_text()))

@pytest.mark.greenbudget(energy="100 J")
def test_plain():
    fakemeter.burn(2.0)
"""


WHY = "{} changed, which runs when the budgeted tests are collected"
TOP = """
import fakemeter, helper, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_top():
    fakemeter.burn(helper.JOULES)
"""

MODEL = """
import fakemeter, pytest
from pkg.model import joules

@pytest.mark.greenbudget(energy="100 J")
def test_model():
    fakemeter.burn(joules())
"""


@pytest.fixture
def repo(gb: pytest.Pytester) -> pytest.Pytester:
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TESTS, helper="JOULES = 3.0\n", unused="def f():\n    return 1\n")
    (gb.path / "data.csv").write_text("4.0\n")
    (gb.path / "docs").mkdir()
    (gb.path / "docs" / "guide.md").write_text("# Guide\n")
    # What pytester writes beside the runs, ignored as a project ignores its build outputs.
    (gb.path / ".gitignore").write_text("stdout\nstderr\nrunpytest-*\n")
    commit(gb, "base")
    return gb


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*FAST, "--greenbudget-report=head.json", *args)


def verdicts(pytester: pytest.Pytester) -> dict[str, str]:
    data = json.loads((pytester.path / "head.json").read_text())
    return {t["nodeid"].split("::")[1]: t["verdict"] for t in data["tests"]}


def impact(pytester: pytest.Pytester) -> dict[str, object]:
    data: dict[str, object] = json.loads((pytester.path / "head.json").read_text())["impact"]
    return data


def test_a_module_no_budgeted_test_imports_leaves_every_test_unaffected(
    repo: pytest.Pytester,
) -> None:
    repo.makepyfile(unused="def f():\n    return 2\n")
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    assert set(verdicts(repo).values()) == {"unaffected"}
    result.stdout.fnmatch_lines(
        [
            "greenbudget: pairing 0 budgeted tests with main@*; 3 tests unaffected*",
            "greenbudget: changed since the base: unused.py",
            "3 tests unaffected: no file they run changed since main@* (not paired, not measured)",
        ]
    )
    assert "round 1" not in result.stdout.str()  # nothing was paired, no worktree made
    assert impact(repo)["considered"] == ["unused.py"]
    assert impact(repo)["unaffected"] == 3
    assert len(git(repo.path, "worktree", "list").splitlines()) == 1


def test_a_module_one_test_runs_pairs_that_test_only(repo: pytest.Pytester) -> None:
    repo.makepyfile(helper="JOULES = 6.0\n")
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2, failed=1)
    assert verdicts(repo) == {
        "test_lazy": "regressed",
        "test_reads": "unaffected",
        "test_plain": "unaffected",
    }
    # The traced run of the head timed the tests for the plan, before any round.
    result.stdout.fnmatch_lines(
        [
            "greenbudget: pairing 1 budgeted test with main@* by the head's own run; 2 tests unaffected*"
        ]
    )


def test_a_module_a_test_file_imports_reaches_every_test_without_a_trace(
    repo: pytest.Pytester,
) -> None:
    # Imported while the tests are collected: the trace would count it for every test, so the
    # gate says so from the test modules' imports and skips the run under coverage.py.
    repo.makepyfile(test_top=TOP)
    commit(repo, "a test module that imports helper at its top")
    repo.makepyfile(helper="JOULES = 6.0\n")
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2, failed=2)
    assert verdicts(repo) == {
        "test_lazy": "regressed",
        "test_reads": "unchanged",
        "test_plain": "unchanged",
        "test_top": "regressed",
    }
    assert impact(repo)["every_test"] == WHY.format("helper.py")


def test_a_module_imported_through_the_projects_own_modules_needs_no_trace(
    repo: pytest.Pytester,
) -> None:
    # The test module imports pkg.model, which imports pkg.layers at its top: a change to
    # layers ran at collection, which the trace would count for every test, so no traced run.
    (repo.path / "pkg").mkdir()
    (repo.path / "pkg" / "__init__.py").write_text("")
    (repo.path / "pkg" / "layers.py").write_text("def scale():\n    return 1.0\n")
    (repo.path / "pkg" / "model.py").write_text(
        "from pkg.layers import scale\n\ndef joules():\n    return 2.0 * scale()\n"
    )
    repo.makepyfile(test_model=MODEL)
    commit(repo, "a package the test module reaches through another module")
    (repo.path / "pkg" / "layers.py").write_text("def scale():\n    return 1.5\n")
    result = run(repo, "--greenbudget-against=main")
    assert impact(repo)["every_test"] == WHY.format("pkg/layers.py")
    assert verdicts(repo)["test_model"] == "regressed"
    assert "unaffected" not in verdicts(repo).values()
    result.stdout.fnmatch_lines(
        ["greenbudget: pairing 4 budgeted tests with main@* by round 1's first pairs"]
    )


def test_a_conftest_above_the_tests_needs_no_trace_and_one_beside_them_is_traced(
    repo: pytest.Pytester,
) -> None:
    # The top conftest.py ran when the budgeted tests were collected: every test, no trace.
    # other/conftest.py serves only an unbudgeted test there: the trace leaves them unaffected.
    repo.makeconftest("SETTING = 1\n")
    (repo.path / "other").mkdir()
    (repo.path / "other" / "conftest.py").write_text("SETTING = 1\n")
    (repo.path / "other" / "test_other.py").write_text("def test_other():\n    pass\n")
    commit(repo, "conftests")
    repo.makeconftest("SETTING = 2\n")
    result = run(repo, "--greenbudget-against=main")
    assert impact(repo)["every_test"] == WHY.format("conftest.py")
    result.stdout.fnmatch_lines(["greenbudget: pairing 3 budgeted tests with main@* by round 1's*"])
    git(repo.path, "checkout", "conftest.py")
    (repo.path / "other" / "conftest.py").write_text("SETTING = 2\n")
    result = run(repo, "--greenbudget-against=main")
    assert set(verdicts(repo).values()) == {"unaffected"}
    result.stdout.fnmatch_lines(["greenbudget: pairing 0 budgeted tests with main@*; 3 tests*"])


def test_a_changed_test_module_reaches_every_test_without_a_trace(repo: pytest.Pytester) -> None:
    repo.makepyfile(test_energy=TESTS.replace("burn(2.0)", "burn(8.0)"))
    result = run(repo, "--greenbudget-against=main")
    assert verdicts(repo)["test_plain"] == "regressed"
    assert set(verdicts(repo).values()) == {"regressed", "unchanged"}
    assert impact(repo)["every_test"] == WHY.format("test_energy.py")
    # No run of the head's own before the rounds: round 1's first pairs timed the tests.
    result.stdout.fnmatch_lines(
        ["greenbudget: pairing 3 budgeted tests with main@* by round 1's first pairs"]
    )


def test_a_data_file_the_tests_read_pairs_every_test(repo: pytest.Pytester) -> None:
    (repo.path / "data.csv").write_text("8.0\n")
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2, failed=1)
    assert verdicts(repo) == {
        "test_lazy": "unchanged",
        "test_reads": "regressed",
        "test_plain": "unchanged",
    }
    result.stdout.fnmatch_lines(
        ["*a change that any test may read: data.csv (files no test reads belong in the config's"
         " paired: ignore)*"]
    )  # fmt: skip
    assert impact(repo)["every_test"] == "a change that any test may read: data.csv"


def test_a_docs_file_pairs_every_test_unless_the_config_ignores_it(
    repo: pytest.Pytester,
) -> None:
    (repo.path / "docs" / "guide.md").write_text("# Guide, longer\n")
    run(repo, "--greenbudget-against=main")
    assert set(verdicts(repo).values()) == {"unchanged"}  # conservative: it could be read
    repo.makefile(".yaml", greenbudget='paired:\n  ignore: ["docs/**"]\n')
    git(repo.path, "add", "greenbudget.yaml")
    git(repo.path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "cfg")
    result = run(repo, "--greenbudget-against=main~0")
    assert set(verdicts(repo).values()) == {"unaffected"}
    assert impact(repo)["ignored"] == ["docs/guide.md"]
    assert impact(repo)["considered"] == []
    result.stdout.fnmatch_lines(
        ["*changed since the base: nothing (1 more ignored by paired.ignore)"]
    )


def test_an_untracked_file_counts_as_a_change(repo: pytest.Pytester) -> None:
    repo.makepyfile(scratch="print('never imported')\n")  # untracked, no test runs it
    run(repo, "--greenbudget-against=main")
    assert set(verdicts(repo).values()) == {"unaffected"}
    assert impact(repo)["considered"] == ["scratch.py"]
    repo.makeconftest(  # untracked too, and every test runs it
        "pytest_plugins = ['fakemeter']\nimport fakemeter\n\n"
        "import pytest\n\n@pytest.fixture(autouse=True)\ndef extra():\n    fakemeter.burn(1.0)\n"
    )
    run(repo, "--greenbudget-against=main")
    assert set(verdicts(repo).values()) - {"unchanged", "inconclusive"} == set()


def test_against_all_pairs_every_test(repo: pytest.Pytester) -> None:
    repo.makepyfile(unused="def f():\n    return 2\n")
    result = run(repo, "--greenbudget-against=main", "--greenbudget-against-all")
    assert set(verdicts(repo).values()) == {"unchanged"}
    result.stdout.fnmatch_lines(["*--greenbudget-against-all pairs every test*"])


def test_a_trace_that_fails_pairs_every_test_with_a_note(
    repo: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken"
    (broken / "coverage").mkdir(parents=True)
    (broken / "coverage" / "__init__.py").write_text("raise ImportError('coverage is broken')\n")
    (broken / "coverage" / "__main__.py").write_text("raise SystemExit('coverage is broken')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(broken), os.environ["PYTHONPATH"]]))
    repo.makepyfile(unused="def f():\n    return 2\n")
    result = run(repo, "--greenbudget-against=main")
    assert set(verdicts(repo).values()) == {"unchanged"}
    result.stdout.fnmatch_lines(
        [
            "greenbudget: pairing 3 budgeted tests with main@* by round 1's first pairs",
            "greenbudget: changed since the base: unused.py; the traced run*",
        ]
    )
    assert "coverage is broken" in str(impact(repo)["every_test"])
    assert "Traceback" not in result.stdout.str()


def test_python_a_test_runs_in_a_subprocess_is_traced_and_reaches_every_test(
    repo: pytest.Pytester,
) -> None:
    repo.makepyfile(
        test_sub="""
        import subprocess, sys, fakemeter, pytest

        @pytest.mark.greenbudget(energy="100 J")
        def test_script():
            subprocess.run([sys.executable, "script.py"], check=True)
            fakemeter.burn(1.0)
        """,
        script="print('base')\n",
    )
    commit(repo, "a test that runs a script")
    repo.makepyfile(script="print('head')\n")
    result = run(repo, "--greenbudget-against=main~0")
    # No test context in the subprocess: the script counts for every test, conservatively.
    assert "unaffected" not in set(verdicts(repo).values())
    result.stdout.fnmatch_lines(["greenbudget: pairing 4 budgeted tests with main*"])
