"""The GitHub setup routes docs/github.md documents, run as far as they run offline: the
version, the tag and the docs agree; the action installs the plugin from the wheel vendored
beside it (before a release) or from the repository above it (after); the vendored workflow
is schema-valid and its local action resolves; the wheel that route needs builds and works."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nested_venv import nested_venv
from test_github_action import REF, check_jsonschema

from pytest_greenbudget import __version__

ROOT = Path(__file__).parents[2]
WHEEL = f"pytest_greenbudget-{__version__}-py3-none-any.whl"
VENDORED = ".github/actions/greenbudget"
GIT_INSTALL = f'"pytest-greenbudget @ git+https://github.com/OWNER/pytest-greenbudget@{REF}"'


def test_the_documented_ref_is_the_projects_version() -> None:
    found = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found and REF == f"v{found[1]}" == f"v{__version__}"


def test_the_docs_say_which_workflow_to_copy() -> None:
    doc = (ROOT / "docs" / "github.md").read_text()
    assert "## Copy one workflow" in doc and "never all" in doc
    assert "### Before a release: vendor the action and a wheel" in doc
    assert f"cp -r PATH/TO/pytest-greenbudget/action/. {VENDORED}/" in doc
    assert f"- uses: ./{VENDORED}" in doc and f"{VENDORED}/{WHEEL}" in doc


def run_install(action_dir: Path, tmp: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The action's install step as a runner runs it, with a python3 that records the pip
    command it is given instead of reaching PyPI."""
    step = yaml.safe_load((action_dir / "action.yml").read_text())["runs"]["steps"][0]
    shim = tmp / "shim"
    shim.mkdir(exist_ok=True)
    log = tmp / "pip.log"
    recorder = f'#!/bin/sh\necho "$@" >> "{log}"\n'
    (shim / "python3").write_text(
        '#!/bin/sh\nmkdir -p "$3/bin"\n'
        f"printf '%s' '{recorder}' > \"$3/bin/python\"\nchmod +x \"$3/bin/python\"\n"
    )
    (shim / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(tmp), "RUNNER_OS": "Linux", "GITHUB_OUTPUT": str(tmp / "out"),
           "GB_ACTION_PATH": str(action_dir)}  # fmt: skip
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env,
                          capture_output=True, text=True)  # fmt: skip
    return done, log.read_text() if log.exists() else ""


def vendor(repo: Path, wheel: bool = True) -> Path:
    action = repo / VENDORED
    shutil.copytree(ROOT / "action", action)
    if wheel:
        (action / WHEEL).write_bytes(b"")
    return action


def test_used_from_the_projects_repository_the_action_installs_the_package_above_it(
    tmp_path: Path,
) -> None:
    done, pip = run_install(ROOT / "action", tmp_path)
    assert done.returncode == 0, done.stderr
    assert pip.split()[-1] == f"{ROOT / 'action'}/.."


def test_vendored_the_action_installs_the_wheel_beside_it(tmp_path: Path) -> None:
    action = vendor(tmp_path / "repo")
    done, pip = run_install(action, tmp_path)
    assert done.returncode == 0, done.stderr
    assert pip.split()[-1] == str(action / WHEEL)


def test_vendored_without_its_wheel_the_action_says_what_to_copy(tmp_path: Path) -> None:
    action = vendor(tmp_path / "repo", wheel=False)
    done, pip = run_install(action, tmp_path)
    assert done.returncode == 2 and pip == ""
    assert "::error::" in done.stdout and "pytest_greenbudget-*.whl" in done.stdout


@pytest.mark.parametrize("name", ["energy.yml", "energy-measure.yml"])
def test_the_vendored_workflow_is_valid_and_its_action_resolves(tmp_path: Path, name: str) -> None:
    """The two lines docs/github.md changes, changed: still schema-valid, every local action
    names a folder with an action.yml, every installed file exists in the repository."""
    repo = tmp_path / "repo"
    vendor(repo)
    text = (ROOT / "examples" / "github-workflows" / name).read_text()
    assert GIT_INSTALL in text  # the release route, as shipped
    text = text.replace(GIT_INSTALL, f"{VENDORED}/{WHEEL}")
    text = text.replace(f"OWNER/pytest-greenbudget/action@{REF}", f"./{VENDORED}")
    assert "OWNER" not in text.split("\nname:", 1)[1]  # no placeholder left outside comments
    path = repo / ".github" / "workflows" / name
    path.parent.mkdir(parents=True)
    path.write_text(text)
    checked = check_jsonschema("vendor.github-workflows", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    steps = [s for job in yaml.safe_load(text)["jobs"].values() for s in job["steps"]]
    for local in (s["uses"] for s in steps if s.get("uses", "").startswith("./")):
        assert (repo / local / "action.yml").is_file(), local
    installs = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert installs and all(f"{VENDORED}/{WHEEL}" in run for run in installs)
    assert (repo / VENDORED / WHEEL).is_file()


def test_the_vendored_wheel_builds_offline_and_gives_a_working_greenbudget(tmp_path: Path) -> None:
    """`pip wheel --no-deps` as the doc says (offline: no build isolation), then installed
    into a fresh venv that sees this one's dependencies."""
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
         str(tmp_path / "dist"), str(ROOT)], env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = tmp_path / "dist" / WHEEL
    assert wheel.is_file(), sorted(p.name for p in (tmp_path / "dist").iterdir())
    python = nested_venv(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    version = subprocess.run([str(tmp_path / "venv" / "bin" / "greenbudget"), "--version"],
                             capture_output=True, text=True)  # fmt: skip
    assert version.stdout == f"greenbudget {__version__}\n", version.stderr


def test_the_vendored_comment_workflow_checks_out_only_the_action_from_the_default_branch(
    tmp_path: Path,
) -> None:
    """energy-comment.yml checks nothing out; docs/github.md adds, as its first step, a
    sparse checkout of the vendored action (the default branch's, never the pull request's).
    With that step and the local action, the workflow is schema-valid and the action resolves."""
    docs = (ROOT / "docs" / "github.md").read_text()
    after = docs.split("as its first step:", 1)[1]
    snippet = after.split("```yaml\n", 1)[1].split("```", 1)[0]
    first = yaml.safe_load(snippet)[0]
    assert first["uses"].startswith("actions/checkout@")
    assert first["with"] == {"sparse-checkout": VENDORED, "persist-credentials": False}
    repo = tmp_path / "repo"
    vendor(repo)
    text = (ROOT / "examples" / "github-workflows" / "energy-comment.yml").read_text()
    assert "actions/checkout" not in text  # as shipped
    text = text.replace(f"OWNER/pytest-greenbudget/action@{REF}", f"./{VENDORED}")
    step = "      " + snippet.strip().replace("\n", "\n      ") + "\n"  # "- uses: ..."
    text = text.replace("    steps:\n", "    steps:\n" + step, 1)  # its first step
    path = repo / ".github" / "workflows" / "energy-comment.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    checked = check_jsonschema("vendor.github-workflows", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (job,) = yaml.safe_load(text)["jobs"].values()
    assert job["steps"][0] == first
    locals_ = [s["uses"] for s in job["steps"] if s.get("uses", "").startswith("./")]
    assert locals_ == [f"./{VENDORED}"] and (repo / VENDORED / "action.yml").is_file()
    assert "ref" not in first["with"]  # the default branch's copy: trusted code only
