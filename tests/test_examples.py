"""The README's first command: the example suite runs, prints its table, writes a report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nested_venv import nested_venv

from pytest_greenbudget.report.io import read_report

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def _readme_commands() -> list[str]:
    block = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_ci_runs_both_readme_commands_word_for_word_the_first_twice() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    first, second = _readme_commands()
    assert f"readme_1='{first}'" in script and f"readme_2='{second}'" in script
    runs = [line for line in script.splitlines() if line.startswith("run ")]
    assert runs[:3] == ['run "$readme_1"', 'run "$readme_1"', 'run "$readme_2"']
    # Then command 1 again, after the test extras are installed, its output kept to check
    # that nothing warns.
    assert runs[3].startswith('run "$readme_1 2>&1 | tee ') and len(runs) == 4
    assert "Warning:" in script.split(runs[3], 1)[1]
    assert 'python3 -m venv "$venv"' in script  # a fresh venv, as a newcomer makes


def test_readme_first_command_runs_the_examples_with_both_reports() -> None:
    first = _readme_commands()[0]
    assert "pytest examples" in first and "--greenbudget-report" in first
    assert "--greenbudget-html" in first


def test_example_suite_runs_measured(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    report = tmp_path / "greenbudget-report.json"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-p", "no:cacheprovider",
         "--greenbudget-report", str(report), "--greenbudget-repeats", "2",
         "--greenbudget-html", str(tmp_path / "page.html")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "= greenbudget =" in out.stdout
    tests = {t.nodeid: t for t in read_report(report).tests}
    assert {
        "test_training.py::test_fit_tiny_mlp",
        "test_training.py::test_more_epochs_do_not_hurt",
        "test_inference.py::test_batch_inference[256]",
        "test_inference.py::test_batch_inference[4096]",
    } <= set(tests)
    assert all(t.verdict == "ok" and t.energy_j for t in tests.values())
    per_sample = tests["test_inference.py::test_batch_inference[256]"]
    assert per_sample.budget is not None and per_sample.budget.per == "sample"
    assert read_report(report).carbon.region == "FRA"
    assert "test_fit_tiny_mlp" in (tmp_path / "page.html").read_text()


def _clean_copy(dest: Path) -> Path:
    """The files a clone of this commit would hold (tracked, plus new files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if listed.returncode != 0:
        pytest.skip("not a git checkout: no clean copy to make")
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not in a clone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_readme_first_command_as_written_twice_from_a_clean_copy(tmp_path: Path) -> None:
    """The quick start, word for word, twice in a row in one folder, in a fresh venv on a
    fresh copy: exit 0 both times, both files, and the second report as whole as the first
    (a value written with a space once moved the rootdir on the second run).

    Offline: the venv sees this environment's packages (tests/nested_venv.py), and pip is
    told through its environment, not the command, to use no index and build with the
    installed setuptools (PIP_NO_INDEX, PIP_NO_BUILD_ISOLATION=0: pip's inverted spelling
    of --no-build-isolation); the `test` extra carries the setuptools that build needs."""
    pytest.importorskip("numpy")
    repo = _clean_copy(tmp_path / "repo")
    venv = tmp_path / "venv"
    python = nested_venv(venv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
    )  # fmt: skip
    for attempt in (1, 2):
        out = subprocess.run(
            ["bash", "-c", _readme_commands()[0]],
            cwd=repo, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert out.returncode == 0, f"run {attempt}: " + out.stdout[-4000:] + out.stderr[-4000:]
        assert "rootdir: " + str(repo / "examples") in out.stdout
        assert "= greenbudget =" in out.stdout
        report = read_report(repo / "greenbudget-report.json")
        assert not report.incomplete and len(report.tests) == 4, f"run {attempt}"
        assert (repo / "greenbudget-report.html").is_file()
    where = subprocess.run(
        [str(python), "-c", "import pytest_greenbudget; print(pytest_greenbudget.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), "the venv's own install ran, not another copy"


# Our options that take a value; written with a space, the value can move pytest's rootdir.
VALUE_FLAG = re.compile(
    r"--greenbudget-(?!gate-incomparable|disable|report-only)[a-z-]+ (?=PATH\b|[\w\"${}-]*[./$])"
)
DOCS = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("action/*"), ROOT / ".ci" / "run",
        *ROOT.glob("examples/github-workflows/*.yml")]  # fmt: skip


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_give_every_value_of_ours_with_equals(path: Path) -> None:
    """Commands people copy must pass on their second run too: the `=` form everywhere."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = "".join(re.findall(r"`([^`]+)`", line)) if path.suffix == ".md" else line
        if line.startswith(("python", "pytest", "    ", "  ", "- run")):
            code = line  # code blocks and workflow steps
        quoted_as_the_trap = "with a space" in line
        assert quoted_as_the_trap or not VALUE_FLAG.search(code), f"{path.name}:{number}: {line}"
