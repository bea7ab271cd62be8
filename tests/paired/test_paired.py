"""``--greenbudget-against=REF``: base and head measured side by side, as a user runs it.

Each test builds a real git repository (base commit, then the head in the working tree or a
second commit) and runs pytest in a subprocess, since the feature is processes: a controller,
fresh head and base workers per round, a temporary worktree. The fake meter makes energies
exact, so verdicts are certain and the tests do not depend on the machine's noise.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from git_repo import git
from nested_venv import nested_venv

FAST = ("--greenbudget-against-rounds=2:2", "--greenbudget-against-pairs=1")  # keep tests quick

TEST = """
import fakemeter, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_steady():
    fakemeter.burn(2.0)

@pytest.mark.greenbudget(energy="100 J")
def test_changing():
    fakemeter.burn({joules})
    {extra}
"""


@pytest.fixture
def repo(gb: pytest.Pytester) -> pytest.Pytester:
    """The gb pytester folder as a git repository whose first commit is the base."""
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    commit(gb, "base")
    return gb


def commit(pytester: pytest.Pytester, message: str) -> str:
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", message)
    return git(pytester.path, "rev-parse", "HEAD")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*FAST, "--greenbudget-report=head.json", *args)


def report(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    data = json.loads((pytester.path / "head.json").read_text())
    return {t["nodeid"]: t for t in data["tests"]}


def worktrees(pytester: pytest.Pytester) -> list[str]:
    return git(pytester.path, "worktree", "list").splitlines()


def test_a_a_is_unchanged_and_passes(repo: pytest.Pytester) -> None:
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2)
    tests = report(repo)
    for entry in tests.values():
        assert entry["verdict"] == "unchanged"
        assert entry["baseline"]["ratio"] == 1.0
    assert len(worktrees(repo)) == 1  # the base's worktree is gone


def test_a_doubling_regresses_and_fails_the_test(repo: pytest.Pytester) -> None:
    sha = git(repo.path, "rev-parse", "HEAD")
    repo.makepyfile(test_energy=TEST.format(joules=6.0, extra=""))  # the head: uncommitted work
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*regressed: +100% (3.00 -> 6.00 J floors), p<0.001, 2 rounds*"])
    entry = report(repo)["test_energy.py::test_changing"]
    base = entry["baseline"]
    assert entry["verdict"] == "regressed"
    assert entry["samples_j"] == [6.0, 6.0]
    assert (base["mode"], base["ref"], base["commit"]) == ("paired", "main", sha)
    assert (base["method"], base["ratio"], base["p_value"]) == ("paired-rounds-floor", 2.0, 0.0)
    assert base["samples_j"] == [3.0, 3.0]
    assert base["pairs"] == [[6.0, 3.0], [6.0, 3.0]]
    assert base["floors"] == [[6.0, 3.0], [6.0, 3.0]]  # per round: what the ratio is of


def test_by_default_a_quiet_test_takes_fewer_pairs(
    repo: pytest.Pytester,
) -> None:
    # The fake meter is exact: the steady test's first two pairs are quiet, so its first round
    # ends there; its second would have one, but it is the first test that round's fresh
    # processes run, whose first run is cold: two. The changing one reads +100% and keeps its
    # four. Pairs given hold in every round.
    sha = git(repo.path, "rev-parse", "HEAD")
    repo.makepyfile(test_energy=TEST.format(joules=6.0, extra=""))
    rounds = "--greenbudget-against-rounds=2:2"
    args = (rounds, f"--greenbudget-against={sha}", "--greenbudget-report=head.json")
    repo.runpytest_subprocess(*args).assert_outcomes(passed=1, failed=1)
    pairs = {
        nodeid.split("::")[1]: len(t["baseline"]["pairs"]) for nodeid, t in report(repo).items()
    }
    assert pairs == {"test_steady": 2 + 2, "test_changing": 4 + 4}
    repo.runpytest_subprocess(*args, "--greenbudget-against-pairs=2")
    assert {len(t["baseline"]["pairs"]) for t in report(repo).values()} == {2 + 2}


MODULE_FIXTURE = """
import fakemeter, os, pytest

@pytest.fixture(scope="module")
def resource():
    open({log!r}, "a").write(f"up {{os.getpid()}} {{__name__}}\\n")
    yield
    open({log!r}, "a").write(f"down {{os.getpid()}} {{__name__}}\\n")

@pytest.mark.greenbudget(energy="100 J")
def test_{name}(resource):
    fakemeter.burn(2.0)
"""


def test_a_round_that_ends_early_still_tears_each_module_down_once(repo: pytest.Pytester) -> None:
    # A quiet first round ends after 2 pairs, though its last runs told the workers the same
    # test comes again: the worker must tear that module down before the next module's test,
    # or pytest's setup state refuses the next test. Round 1 also runs each test's first pair
    # before the rest (the opening): it sets each module up once more, and tears it down first.
    log = repo.path.parent / "fixtures.log"
    for name in ("first", "second"):
        repo.makepyfile(**{f"test_{name}": MODULE_FIXTURE.format(log=str(log), name=name)})
    commit(repo, "two modules with module fixtures")
    args = ("--greenbudget-against-rounds=2:2", "--greenbudget-against=HEAD",
            "--greenbudget-report=head.json")  # fmt: skip
    repo.runpytest_subprocess(*args).assert_outcomes(passed=4)
    tests = report(repo)
    assert [
        len(tests[f"test_{n}.py::test_{n}"]["baseline"]["pairs"]) for n in ("first", "second")
    ] == [3, 3]
    lines = log.read_text().splitlines()
    ups: dict[str, int] = {}
    for pid in {line.split()[1] for line in lines}:  # every process: each module up, then down
        mine = [line.split()[0] + " " + line.split()[2] for line in lines if line.split()[1] == pid]
        assert all(
            up.startswith("up ") and down == up.replace("up", "down", 1)
            for up, down in zip(mine[::2], mine[1::2], strict=True)
        ), mine
        ups[pid] = len(mine) // 2
    # Each module twice in round 1's two processes (the opening), once in any other; and no
    # process but the controller and the rounds' (no run of the head's own times the tests).
    assert sorted(ups.values()) == [2, 2, 2, 4, 4]


def test_new_and_missing_tests(repo: pytest.Pytester) -> None:
    repo.makepyfile(
        test_energy=TEST.format(joules=3.0, extra="").replace("test_steady", "test_added")
    )
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(  # the plan, once round 1 found which tests the base has
        ["greenbudget: pairing 1 budgeted test with main@* by round 1's first pairs; 1 new "
         "test (not on the base: measured here alone)"]
    )  # fmt: skip
    tests = report(repo)
    assert tests["test_energy.py::test_added"]["verdict"] == "new"
    assert tests["test_energy.py::test_added"]["samples_j"]  # measured by the controller
    assert tests["test_energy.py::test_steady"]["verdict"] == "missing"
    assert tests["test_energy.py::test_changing"]["verdict"] == "unchanged"


def test_workers_import_only_the_budgeted_files(repo: pytest.Pytester) -> None:
    # An unbudgeted file (and its folder's conftest) is imported by the controller and by the
    # first round's base, which looks for tests budgeted only there; no other worker pays it.
    other = "import os\nopen({log!r}, 'a').write(os.getcwd() + '\\n')\ndef test_x():\n    pass\n"
    log = repo.path.parent / "imports.log"
    repo.mkpydir("unrelated")
    repo.path.joinpath("unrelated", "test_other.py").write_text(other.format(log=str(log)))
    repo.path.joinpath("unrelated", "conftest.py").write_text(other.format(log=str(log)))
    commit(repo, "an unbudgeted folder")
    repo.path.joinpath("test_gone.py").write_text(TEST.format(joules=1.0, extra=""))
    commit(repo, "a budgeted file the head then deletes")
    repo.path.joinpath("test_gone.py").unlink()
    run(repo, "--greenbudget-against=HEAD").assert_outcomes(passed=3)
    places = log.read_text().splitlines()
    assert places.count(str(repo.path)) == 2  # the controller: conftest and test file
    assert len(places) == 4  # and the first round's base, in its worktree
    assert report(repo)["test_gone.py::test_steady"]["verdict"] == "missing"


def test_a_test_failing_on_base_only_is_not_compared(repo: pytest.Pytester) -> None:
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra="assert False, 'broken on base'"))
    commit(repo, "broken")
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2)
    entry = report(repo)["test_energy.py::test_changing"]
    assert entry["baseline"] is None
    assert "fails on the base side" in entry["message"]
    assert "broken on base" in entry["message"]


def test_an_unknown_ref_is_one_line_and_the_report_is_still_written(
    repo: pytest.Pytester,
) -> None:
    result = run(repo, "--greenbudget-against=no-such-branch")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["greenbudget: no paired comparison: *unknown git ref 'no-such*"])
    assert "Traceback" not in result.stdout.str()
    tests = report(repo)
    assert tests["test_energy.py::test_steady"]["samples_j"]  # measured here, unpaired


def test_outside_a_git_repository(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    result = run(gb, "--greenbudget-against=main")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["greenbudget: no paired comparison: *not inside a git repo*"])
    assert (gb.path / "head.json").is_file()


def test_xdist_is_refused(repo: pytest.Pytester) -> None:
    result = run(repo, "--greenbudget-against=main", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--greenbudget-against*cannot run with xdist's -n*"])


def test_a_base_crash_names_the_test_and_removes_the_worktree(repo: pytest.Pytester) -> None:
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra="import os; os._exit(3)"))
    commit(repo, "crashing")
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    result = run(repo, "--greenbudget-against=main")
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the base side's pytest exited (exit code 3) "
         "while running test_energy.py::test_changing*"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(worktrees(repo)) == 1
    assert report(repo)["test_energy.py::test_changing"]["samples_j"]


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])  # Ctrl-C; CI; ssh
def test_an_interrupt_removes_the_worktree_and_marks_the_report_incomplete(
    repo: pytest.Pytester, signal_name: str
) -> None:
    interrupt = (
        f"import os, signal, time; os.kill(os.getppid(), signal.{signal_name}); time.sleep(5)"
    )
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=interrupt))
    commit(repo, "interrupting")
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    result = run(repo, "--greenbudget-against=main")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert len(worktrees(repo)) == 1
    data = json.loads((repo.path / "head.json").read_text())
    assert data["incomplete"] is True
    assert "side by side" in data["incomplete_reason"]


def test_with_x_a_compared_test_pytest_never_reached_is_not_run_not_passed(
    repo: pytest.Pytester,
) -> None:
    # test_steady doubles and fails first; -x stops the controller before test_changing,
    # which the workers ran (and passed) but pytest never did.
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra="").replace("(2.0)", "(4.0)"))
    result = run(repo, "--greenbudget-against=main", "-x")
    result.assert_outcomes(failed=1)
    tests = report(repo)
    steady, changing = tests["test_energy.py::test_steady"], tests["test_energy.py::test_changing"]
    assert (steady["outcome"], steady["verdict"]) == ("failed", "regressed")  # as pytest says
    assert (changing["outcome"], changing["verdict"]) == ("not-run", "unchanged")
    assert "pytest stopped before it" in changing["message"]
    assert json.loads((repo.path / "head.json").read_text())["incomplete"] is True
    # Its row shows its verdict, and one line says why pytest did not run it.
    result.stdout.fnmatch_lines(
        [
            "Incomplete run: stopping after 1 failures. The head's own figures cover only the "
            "tests pytest ran;*",
            "test_energy.py::test_changing * unchanged *",
            "1 test not run here: pytest stopped before it (-x, --maxfail or an interrupt); its*",
        ]
    )


RISING = """
import fakemeter, pytest, random

@pytest.mark.greenbudget(energy="100 J")
def test_steady():
    fakemeter.burn({steady})
""" + "".join(
    f"""
@pytest.mark.greenbudget(energy="100 J")
def test_rising_{n}():
    fakemeter.burn({{rising}})
"""
    for n in range(3)
)


def test_with_x_the_rounds_stop_once_a_test_regressed(repo: pytest.Pytester) -> None:
    # test_steady doubles (decided at the first look). Each rising test gains 10% with 5%
    # noise: rarely significant at the first look (about 1 in 20), so they would take more
    # rounds, which -x, about to stop at test_steady's failure, does not wait for.
    repo.makepyfile(test_energy=RISING.format(steady=2.0, rising=3.0))
    commit(repo, "base with rising tests")
    repo.makepyfile(
        test_energy=RISING.format(steady=4.0, rising="3.3 * random.uniform(0.95, 1.05)")
    )
    result = run(repo, "--greenbudget-against=HEAD", "--greenbudget-against-rounds=2:6", "-x")
    result.stdout.fnmatch_lines(  # after the round's own line, which it explains
        [
            "greenbudget: round 2 of at most 6 done: 0 tests still in play, 4 finished*",
            "greenbudget: -x stopped the gate after 2 rounds of at most 6: * regressed*",
        ]
    )
    tests = report(repo)
    assert tests["test_energy.py::test_steady"]["verdict"] == "regressed"
    assert {len(t["baseline"]["floors"]) for t in tests.values()} == {2}
    stopped = [t for t in tests.values() if "-x stopped the gate" in t["message"]]
    assert stopped and all(t["verdict"] == "inconclusive" for t in stopped)
    # Report-only fails no test, so pytest would not stop: neither do the rounds.
    result = run(repo, "--greenbudget-against=HEAD", "--greenbudget-against-rounds=2:6", "-x",
                 "--greenbudget-report-only")  # fmt: skip
    assert "stopped the gate" not in result.stdout.str()


def test_a_setup_error_in_the_controllers_own_run_is_the_tests_outcome(
    repo: pytest.Pytester,
) -> None:
    # Only the controller's setup fails (its workers carry --greenbudget-paired-worker).
    conftest = repo.path / "conftest.py"
    conftest.write_text(
        conftest.read_text() + "\nimport sys, pytest\n"
        "@pytest.fixture(autouse=True)\n"
        "def only_workers():\n"
        "    if not any(a.startswith('--greenbudget-paired-worker') for a in sys.argv):\n"
        "        raise RuntimeError('no database here')\n"
    )
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(errors=2)
    tests = report(repo).values()
    assert {(t["outcome"], t["verdict"]) for t in tests} == {("error", "unchanged")}


PROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "tinyproj"
version = "0"
"""
USES_PROJECT = """
import fakemeter, pytest, tinyproj

@pytest.mark.greenbudget(energy="100 J")
def test_project_version():
    fakemeter.burn(tinyproj.VERSION)
"""


@pytest.mark.parametrize("layout", ["src", "flat"])
def test_an_editable_install_still_gives_the_base_its_own_code(
    gb: pytest.Pytester, layout: str
) -> None:
    """pip install -e puts the head's code on every process's path; the base side must
    import the base's module all the same (base burns 1 J, head 2 J: exactly 2x)."""
    module = gb.path / ("src" if layout == "src" else "") / "tinyproj.py"
    module.parent.mkdir(exist_ok=True)
    (gb.path / "pyproject.toml").write_text(PROJECT + _layout_table(layout))
    module.write_text("VERSION = 1\n")
    (gb.path / "tests").mkdir()
    (gb.path / "tests" / "test_project.py").write_text(USES_PROJECT)
    git(gb.path, "init", "-q", "-b", "main")
    commit(gb, "base")
    module.write_text("VERSION = 2\n")
    python = _editable_venv(gb.path)
    result = gb.run(python, "-m", "pytest", *FAST, "--greenbudget-report=head.json",
                    "--greenbudget-against=main", "tests")  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    entry = report(gb)["tests/test_project.py::test_project_version"]
    assert entry["samples_j"] == [2.0, 2.0]
    assert entry["baseline"]["samples_j"] == [1.0, 1.0]


def _layout_table(layout: str) -> str:
    if layout == "src":
        return '\n[tool.setuptools]\npackage-dir = {"" = "src"}\npy-modules = ["tinyproj"]\n'
    return '\n[tool.setuptools]\npy-modules = ["tinyproj"]\n'


def _editable_venv(project: Path) -> str:
    """A venv seeing this interpreter's packages (pytest, the plugin), with the project
    installed editable in it, never in the shared interpreter."""
    python = str(nested_venv(project.parent / f"{project.name}-venv"))
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e"]
    subprocess.run([*pip, str(project)], check=True, capture_output=True)
    return python
