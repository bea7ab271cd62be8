"""The base side imports the base's code whatever the project's layout.

Real editable installs (pip install -e, as CI does) in a venv of their own, of a package that
lives in lib/: setuptools ``package-dir`` (for all packages: a .pth; per package: the editable
finder's mapping), setuptools ``packages.find where``, poetry ``from``.
A path the gate cannot trace (a bare .pth, as ``setup.py develop`` leaves, nothing declared)
must be refused, never measured head against head, whether the package is imported at
collection or lazily inside a test. The fake meter burns the package's VERSION in joules:
base 1 J, head 3 J, so a base that read the head's code would say "unchanged".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from git_repo import git
from nested_venv import nested_venv
from test_paired import FAST, _editable_venv, commit, report

from pytest_greenbudget.paired.controller import _env
from pytest_greenbudget.paired.layout import (
    BASE_TOP,
    HEAD_TOP,
    foreign_files,
    import_roots,
    refusal,
)

NODE = "tests/test_project.py::test_project_version"
SETUPTOOLS = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "tinypkg"
version = "0"
"""
POETRY = """
[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"

[tool.poetry]
name = "tinypkg"
version = "0"
description = ""
authors = []
packages = [{include = "tinypkg", from = "lib"}]
"""
LAYOUTS = {
    "package-dir": SETUPTOOLS + '[tool.setuptools]\npackage-dir = {"" = "lib"}\n'
    'packages = ["tinypkg"]\n',
    # a mapping per package: setuptools' editable finder is then the only place it is said
    "package-dir-finder": SETUPTOOLS + '[tool.setuptools]\npackage-dir = {"tinypkg" = '
    '"lib/tinypkg"}\npackages = ["tinypkg"]\n',
    "find-where": SETUPTOOLS + '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
    "poetry-from": POETRY,
}
AT_IMPORT = """
import fakemeter, pytest, tinypkg

@pytest.mark.greenbudget(energy="100 J")
def test_project_version():
    fakemeter.burn(tinypkg.VERSION)
"""
LAZY = """
import fakemeter, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_project_version():
    import tinypkg  # only once the test runs: after the worker said it was ready

    fakemeter.burn(tinypkg.VERSION)
"""


def project(root: Path, pyproject: str, test: str = AT_IMPORT) -> Path:
    """A project whose package lives in lib/tinypkg; its first commit is the base (1 J)."""
    package = root / "lib" / "tinypkg"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    (package / "__init__.py").write_text("VERSION = 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_project.py").write_text(test)
    git(root, "init", "-q", "-b", "main")
    return package / "__init__.py"


def gated(gb: pytest.Pytester, python: str | Path) -> pytest.RunResult:
    return gb.run(python, "-m", "pytest", *FAST, "--greenbudget-report=head.json",
                  "--greenbudget-against=main", "tests")  # fmt: skip


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_an_editable_install_from_lib_gives_the_base_its_own_code(
    gb: pytest.Pytester, layout: str
) -> None:
    module = project(gb.path, LAYOUTS[layout])
    commit(gb, "base")
    module.write_text("VERSION = 3\n")  # the head: 3x the energy
    result = gated(gb, _editable_venv(gb.path))
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    entry = report(gb)[NODE]
    assert entry["verdict"] == "regressed"
    assert entry["samples_j"] == [3.0, 3.0]
    assert entry["baseline"]["samples_j"] == [1.0, 1.0]  # the base's own code


def _legacy_develop(gb: pytest.Pytester) -> Path:
    """A venv where the head's lib/ is on the path through a bare .pth: no distribution
    records it, as ``setup.py develop`` or a hand-made .pth leave it."""
    python = nested_venv(gb.path.parent / f"{gb.path.name}-venv")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "legacy-develop.pth").write_text(f"{gb.path / 'lib'}\n")
    return python


@pytest.mark.parametrize("test", [AT_IMPORT, LAZY], ids=["at-import", "lazy"])
def test_a_path_the_gate_cannot_trace_is_refused_not_compared(
    gb: pytest.Pytester, test: str
) -> None:
    module = project(gb.path, SETUPTOOLS, test)  # nothing says lib/ holds the package
    commit(gb, "base")
    module.write_text("VERSION = 3\n")
    result = gated(gb, _legacy_develop(gb))
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the base side imported the head's own code "
         f"({module.resolve()}), *--greenbudget-against-python"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    entry = report(gb)[NODE]
    assert entry["verdict"] not in ("unchanged", "new", "ok") and entry["baseline"] is None


def test_a_declared_folder_makes_the_bare_pth_traceable(gb: pytest.Pytester) -> None:
    """The same bare .pth, with lib/ declared in pyproject.toml: compared, as it should be."""
    module = project(gb.path, LAYOUTS["find-where"])
    commit(gb, "base")
    module.write_text("VERSION = 3\n")
    result = gated(gb, _legacy_develop(gb))
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert report(gb)[NODE]["baseline"]["samples_j"] == [1.0, 1.0]


def test_declared_roots(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\npackages = [{include = "x", from = "lib"}]\n'
    )
    assert import_roots(tmp_path)[0] == (tmp_path / "lib").resolve()
    (tmp_path / "pyproject.toml").write_text("[tool.setuptools]\npackage-dir = 3\n")  # odd
    (tmp_path / "setup.cfg").write_text("[options]\npackage_dir =\n    =code\n")
    assert import_roots(tmp_path) == [(tmp_path / "code").resolve(), tmp_path.resolve()]
    (tmp_path / "setup.cfg").write_text("[options.packages.find]\nwhere = pkgs\n")
    (tmp_path / "src").mkdir()
    assert import_roots(tmp_path) == [(tmp_path / p).resolve() for p in ("pkgs", "src")]


def test_pythonpath_entries_inside_the_repository_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path / 'tools'}:relative:{tmp_path.parent}")
    assert import_roots(tmp_path) == [(tmp_path / "tools").resolve(), tmp_path.resolve()]


def test_foreign_files_are_the_heads_less_the_plugin_and_the_base(tmp_path: Path) -> None:
    head, plugin = tmp_path / "head", tmp_path / "head" / "plugin"
    files = [str(head / "lib" / "a.py"), str(plugin / "p.py"), str(tmp_path / "base" / "b.py"),
             str(head / "lib" / "a.py"), str(head / "libx.py")]  # fmt: skip
    found = foreign_files(str(head / "lib"), files, [str(plugin), ""])
    assert found == [str((head / "lib" / "a.py").resolve())]  # not libx.py: a sibling
    assert "a.py and 2 more), so both sides" in refusal(["a.py", "b.py", "c.py"])


def test_the_heads_workers_never_inherit_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gated run inside a base test must not check its own head against the outer one."""
    monkeypatch.setenv(HEAD_TOP, "/outer/head")
    monkeypatch.setenv(BASE_TOP, "/outer/base")
    env = _env([Path("/repo/lib")])
    assert HEAD_TOP not in env and BASE_TOP not in env
    assert env["PYTHONPATH"].split(":")[0] == "/repo/lib"


def test_a_venv_inside_the_repository_is_not_the_heads_code(gb: pytest.Pytester) -> None:
    """uv and poetry make ``.venv`` in the project: what the base imports from there (a
    dependency, an editable finder) is the interpreter's, not the head's code."""
    module = project(gb.path, LAYOUTS["package-dir"])
    (gb.path / ".gitignore").write_text(".venv/\n")
    (gb.path / "tests" / "conftest.py").write_text("import a_dependency\n")
    commit(gb, "base")
    module.write_text("VERSION = 3\n")
    python = str(nested_venv(gb.path / ".venv"))
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "a_dependency.py").write_text("")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e"]
    subprocess.run([*pip, str(gb.path)], check=True, capture_output=True)
    result = gated(gb, python)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert report(gb)[NODE]["baseline"]["samples_j"] == [1.0, 1.0]
