"""Which tests a change reaches (paired/impact.py) and the ``paired.ignore`` patterns: pure
logic, and the changed files read from a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repo import git

from pytest_greenbudget.paired.impact import Changes, Traced, decide
from pytest_greenbudget.settings.configfile import ConfigError, load_pyproject, load_yaml
from pytest_greenbudget.settings.paired import ignored
from pytest_greenbudget.settings.plans import FileConfig


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    for name in ("a.py", "b.py", "gone.py", "old.py", "docs/x.md", "data.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("1\n")
    (tmp_path / ".gitignore").write_text("build/\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_changes_are_the_diff_with_the_working_tree_and_untracked_files(repo: Path) -> None:
    (repo / "a.py").write_text("2\n")  # modified, not staged
    (repo / "gone.py").unlink()
    git(repo, "mv", "old.py", "new.py")  # staged rename: a deletion and an addition
    (repo / "fresh.py").write_text("x = 1\n")  # untracked
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("")  # ignored by .gitignore: no change
    (repo / "head.json").write_text("{}")  # this run's own report: no change
    changes = Changes.from_git(repo, "main", (), (repo / "head.json",))
    assert changes.files == ("a.py", "fresh.py", "gone.py", "new.py", "old.py")
    assert changes.python == {"a.py", "fresh.py", "new.py"}
    assert changes.untraceable == ("gone.py", "old.py")  # the head cannot trace what was deleted


def test_untracked_bytecode_and_egg_info_are_no_change(repo: Path) -> None:
    # Without a .gitignore for them, running the tests and `pip install -e .` leave these.
    for name in ("__pycache__/a.cpython-311.pyc", "pkg.egg-info/PKG-INFO", "lib/x.pyc",
                 "src/pkg.egg-info/SOURCES.txt", "pkg/__pycache__/b.cpython-311.pyc"):  # fmt: skip
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x")
    (repo / "notes.egg-info.txt").write_text("x")  # a file, not the metadata folder: a change
    assert Changes.from_git(repo, "main").files == ("notes.egg-info.txt",)
    git(repo, "add", "-f", "lib/x.pyc")  # tracked, it is the project's own: a change
    assert Changes.from_git(repo, "main").files == ("lib/x.pyc", "notes.egg-info.txt")


def test_a_tracked_egg_info_that_pip_rewrote_is_no_change(repo: Path) -> None:
    # A project committed from an sdist tracks its egg-info; `pip install -e .` rewrites it.
    (repo / "pkg.egg-info").mkdir()
    (repo / "pkg.egg-info" / "SOURCES.txt").write_text("a.py\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "from the sdist")
    (repo / "pkg.egg-info" / "SOURCES.txt").write_text("a.py\nb.py\n")
    (repo / "a.py").write_text("2\n")
    assert Changes.from_git(repo, "main").files == ("a.py",)


def test_ignored_paths_are_left_out_and_recorded(repo: Path) -> None:
    (repo / "docs" / "x.md").write_text("2\n")
    (repo / "data.csv").write_text("2\n")
    changes = Changes.from_git(repo, "main", ("docs/**",))
    assert (changes.files, changes.ignored) == (("data.csv",), ("docs/x.md",))
    assert changes.untraceable == ("data.csv",)


def test_nothing_changed(repo: Path) -> None:
    assert Changes.from_git(repo, "main").files == ()


def traced(**files: set[str]) -> Traced:
    shared = frozenset(files.pop("shared", set()))
    return Traced({k: frozenset(v) for k, v in files.items()}, shared)


def test_a_test_is_affected_by_the_python_files_it_ran() -> None:
    changes = Changes(("lib/b.py",))
    impact = decide(["t1", "t2"], changes, traced(t1={"t.py", "lib/b.py"}, t2={"t.py"}))
    assert impact.affected == {"t1": "it runs lib/b.py, changed"}
    assert impact.unaffected == ("t2",)


def test_a_file_run_outside_any_call_reaches_every_test() -> None:
    impact = decide(
        ["t1", "t2"], Changes(("conf.py",)), traced(t1=set(), t2=set(), shared={"conf.py"})
    )
    assert impact.unaffected == ()


def test_a_file_that_is_not_python_reaches_every_test_without_a_trace() -> None:
    impact = decide(["t1", "t2"], Changes(("model.ckpt", "a.py")), None)
    assert impact.unaffected == ()
    assert impact.note == "a change that any test may read: model.ckpt"


def test_a_test_the_trace_cannot_speak_for_is_affected() -> None:
    trace = Traced({"t1": frozenset({"t.py"})}, frozenset(), {"t1": "its traced run failed"})
    assert decide(["t1"], Changes(("a.py",)), trace).affected == {"t1": "its traced run failed"}


def test_python_changes_without_a_trace_are_a_bug_not_unaffected() -> None:
    with pytest.raises(ValueError, match="trace"):
        decide(["t1"], Changes(("a.py",)), None)


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/a/b.md", True),  # no slash: a name at any depth, as in .gitignore
        ("docs/**", "docs/a/b.png", True),
        ("docs/**", "src/docs/x.py", False),  # a slash anchors it at the top
        ("docs/", "src/docs/x.py", True),  # a trailing slash only means "a folder"
        ("/setup.cfg", "setup.cfg", True),
        ("/setup.cfg", "pkg/setup.cfg", False),
        ("data/*.csv", "data/a/x.csv", False),  # * stays inside one folder
        ("**/fixtures/*", "a/b/fixtures/x", True),
        ("bench_?.py", "bench_1.py", True),
    ],
)
def test_ignore_patterns_follow_gitignore(pattern: str, path: str, hit: bool) -> None:
    assert ignored(path, (pattern,)) is hit


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("paired:\n  ignore: docs\n", "greenbudget.yaml:2: paired.ignore: must be a list"),
        ("paired:\n  ignore: ['docs/**', 3]\n", "greenbudget.yaml:2: paired.ignore[1]: 3 is not"),
        ("paired:\n  ignor: []\n", "greenbudget.yaml:2: paired.ignor: unknown key 'ignor'"),
        ("paired:\n  ignore:\n    - '**'\n", "greenbudget.yaml:3: paired.ignore[0]: '**' would"),
        ("paired:\n  ignore: ['!a']\n", "paired.ignore[0]: '!a': negated patterns"),
        ("paired: [1]\n", "greenbudget.yaml:1: paired: must be a mapping"),
    ],
)
def test_bad_ignore_settings_name_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "greenbudget.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        FileConfig.from_raw(load_yaml(path))
    assert message in str(info.value)


def test_ignore_from_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.greenbudget.paired]\nignore = ["docs/**", "*.md"]\n')
    assert FileConfig.from_raw(load_pyproject(path)).ignore == ("docs/**", "*.md")
    path.write_text("[tool.greenbudget.paired]\nignore = [1]\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml:\d+: \[tool.greenbudget\] paired"):
        FileConfig.from_raw(load_pyproject(path))
