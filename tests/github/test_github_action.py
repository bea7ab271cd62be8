"""action/action.yml and the example workflows: schema-valid, injection-safe, and working.

The composite step's script is run for real with bash against the GitHub double, its inputs
passed the way the runner would (expressions in ``env:`` evaluated, nothing else).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from github_double import (
    BOT,
    WRITE_TOKEN,
    Runner,
    entry,
    report,
)

ROOT = Path(__file__).parents[2]
ACTION = ROOT / "action" / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "github-workflows").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load(ACTION)["runs"]["steps"]
    return steps


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is in the test extra")
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def test_action_matches_the_github_actions_schema() -> None:
    result = check_jsonschema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_matches_the_workflow_schema(workflow: Path) -> None:
    result = check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_is_composite_and_installs_from_its_own_checkout() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    install = steps()[0]
    assert install["env"]["GB_ACTION_PATH"] == "${{ github.action_path }}"
    assert 'source="$GB_ACTION_PATH/.."' in install["run"]  # tests/github/test_github_setup.py
    assert {"report", "baseline", "baseline-artifact", "github-token", "mode"} <= set(
        action["inputs"]
    )
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert "fail-on-regression" in action["inputs"]


def test_no_expression_is_pasted_into_a_script() -> None:
    # ${{ }} in `run:` is substituted before bash parses it: an input could inject commands.
    for step in steps():
        assert not EXPRESSION.search(step["run"]), step["name"]


def test_every_input_reaches_the_command_and_every_output_comes_from_it() -> None:
    action = load(ACTION)
    env = steps()[1]["env"]
    passed = {m for value in env.values() for m in re.findall(r"inputs\.([\w-]+)", value)}
    assert passed == set(action["inputs"])
    outputs = {name: o["value"] for name, o in action["outputs"].items()}
    assert outputs == {
        name: f"${{{{ steps.comment.outputs.{name} }}}}"
        for name in ("regressions", "accepted", "over-budget", "comment-url")
    }


# --- running the comment step's script -------------------------------------------------------


def run_step(runner: Runner, **given: str) -> subprocess.CompletedProcess[str]:
    """The comment step as a runner runs it: inputs (with defaults) into env, then bash."""
    action, step = load(ACTION), steps()[1]
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    inputs.update(given)
    context = {"github.token": WRITE_TOKEN, "steps.install.outputs.bin": str(fake_bin(runner))}
    context.update({f"inputs.{name}": value for name, value in inputs.items()})
    env = {**os.environ, **{k: evaluate(v, context) for k, v in step["env"].items()}}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        cwd=runner.tmp,
    )


def evaluate(value: str, context: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        assert match[1] in context, f"the test does not know {match[0]}"
        return evaluate(context[match[1]], context)

    return EXPRESSION.sub(one, value)


def fake_bin(runner: Runner) -> Path:
    """The venv's bin folder, holding a ``greenbudget`` that runs the code under test."""
    folder = runner.tmp / "venv-bin"
    folder.mkdir(exist_ok=True)
    script = folder / "greenbudget"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pytest_greenbudget.cli "$@"\n')
    script.chmod(0o755)
    return folder


def regression(runner: Runner) -> dict[str, str]:
    base = runner.write("base.json", report(entry("t.py::test_fit", 1.0)))
    runner.write("greenbudget-report.json", report(entry("t.py::test_fit", 2.0)))
    return {"baseline": base}


def test_the_step_comments_and_maps_fail_on_regression(runner: Runner) -> None:
    done = run_step(runner, **regression(runner), **{"fail-on-regression": "true"})
    assert done.returncode == 1, done.stderr
    (posted,) = runner.double.comments[7]
    assert posted["account"] == BOT and "1 test regressed" in posted["body"]
    assert runner.outputs()["regressions"] == "1"
    assert "::error title=Energy regression::t.py::test_fit" in done.stdout


def test_the_step_passes_optional_inputs_only_when_set(runner: Runner) -> None:
    runner.double.add_pull(12)
    given = {**regression(runner), "pr-number": "12", "mode": "on-change", "bot-login": BOT.login}
    done = run_step(runner, **given)
    assert done.returncode == 0, done.stderr
    assert len(runner.double.comments[12]) == 1 and runner.double.comments[7] == []


def test_the_step_passes_its_section(runner: Runner) -> None:
    done = run_step(runner, **regression(runner), section="gpu")
    assert done.returncode == 0, done.stderr
    (body,) = runner.double.bodies(7)
    assert '<!-- greenbudget-section name="gpu" worst="regressed"' in body


def test_the_step_takes_the_token_from_the_input_not_the_command_line(runner: Runner) -> None:
    runner.set(GITHUB_TOKEN=None)
    done = run_step(runner, **regression(runner))
    assert done.returncode == 0, done.stderr
    assert WRITE_TOKEN not in done.stdout + done.stderr
    assert runner.double.requests()[0].headers["authorization"] == f"Bearer {WRITE_TOKEN}"


# --- the example workflows -----------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load(ROOT / "examples" / "github-workflows" / name)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def uses(data: dict[str, Any]) -> list[str]:
    return [s.get("uses", "") for job in data["jobs"].values() for s in job["steps"]]


def test_the_examples_never_run_pull_request_code_with_a_write_token() -> None:
    for path in WORKFLOWS:
        assert "pull_request_target" not in workflow(path.name)["on"], path.name
    comment = workflow("energy-comment.yml")
    assert not any(u.startswith("actions/checkout") for u in uses(comment))
    assert comment["permissions"] == {"pull-requests": "write", "actions": "read"}
    assert workflow("energy-measure.yml")["permissions"] == {"contents": "read"}


def steps_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in data["jobs"].values() for s in job["steps"]]


def test_the_examples_measure_upload_the_baseline_and_comment() -> None:
    single = workflow("energy.yml")
    assert set(single["on"]) == {"pull_request", "push"}
    assert single["permissions"]["pull-requests"] == "write"
    text = (ROOT / "examples" / "github-workflows" / "energy.yml").read_text()
    assert "--greenbudget-report=greenbudget-report.json" in text
    assert "name: greenbudget-baseline" in text
    assert any(u == f"OWNER/pytest-greenbudget/action@{REF}" for u in uses(single))
    pair = workflow("energy-comment.yml")
    assert pair["on"]["workflow_run"]["workflows"] == ["energy-measure"]


@pytest.mark.parametrize("name", ["energy.yml", "energy-measure.yml"])
def test_pull_requests_are_measured_side_by_side_with_their_base(name: str) -> None:
    data = workflow(name)
    checkout = next(s for s in steps_of(data) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be in the clone
    (paired,) = [s for s in steps_of(data) if "--greenbudget-against" in s.get("run", "")]
    assert paired["if"] == "${{ github.event_name == 'pull_request' }}"
    assert paired["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert '--greenbudget-against="$BASE_SHA"' in paired["run"]


# The one ref every example and doc installs and uses; the release checklist in docs/github.md
# moves it. One owner placeholder, OWNER, and no other spelling of where the project lives.
REF = "v0.1.0"
INSTALL = f'"pytest-greenbudget @ git+https://github.com/OWNER/pytest-greenbudget@{REF}"'
SETUP_FILES = [
    *WORKFLOWS, ROOT / "action" / "README.md", ROOT / "docs" / "github.md", ROOT / "README.md",
]  # fmt: skip


@pytest.mark.parametrize("path", SETUP_FILES, ids=lambda p: p.name)
def test_the_setup_installs_from_a_source_that_exists_with_one_owner_placeholder(
    path: Path,
) -> None:
    text = path.read_text(encoding="utf-8")
    assert "pip install -e . pytest-greenbudget" not in text  # no index has that name
    assert (
        "pip install -e . " not in text
    )  # an ML repository that is no package: -r requirements.txt
    assert "pytest-greenbudget/pytest-greenbudget" not in text  # OWNER, not a guess
    for ref in re.findall(r"OWNER/pytest-greenbudget(?:/action)?@([\w.]+)", text):
        assert ref in (REF, "v0"), ref  # v0: the moving major tag, explained in docs/github.md
    for line in text.splitlines():
        if "pip install" in line and "pytest-greenbudget" in line and "git+" in line:
            assert INSTALL in line or INSTALL.strip('"') in line, line
    if path.suffix == ".yml" and "pytest" in "".join(
        s.get("run", "") for s in steps_of(load(path))
    ):
        assert INSTALL in text  # the plugin the tests run under is the action's own ref


def test_owner_is_explained_once_in_the_github_doc() -> None:
    doc = (ROOT / "docs" / "github.md").read_text(encoding="utf-8")
    assert doc.count("## Where the action and the plugin come from") == 1
    assert "## Releasing" in doc and "@v0" in doc
