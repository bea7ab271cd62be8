"""``greenbudget --version`` and the help texts a newcomer reads first."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_greenbudget import __version__
from pytest_greenbudget.cli import COMMANDS, build_parser, first_paragraph

ROOT = Path(__file__).parents[2]


def test_version_is_the_projects_and_exits_0() -> None:
    found = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    project = found[1] if found else None
    assert __version__ == project
    for module in ("pytest_greenbudget", "pytest_greenbudget.cli"):  # the script's own code
        out = subprocess.run(
            [sys.executable, "-m", module, "--version"], capture_output=True, text=True
        )
        assert (out.returncode, out.stdout) == (0, f"greenbudget {project}\n"), out.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_each_commands_summary_is_its_whole_first_paragraph(name: str) -> None:
    """merge's summary stopped at its docstring's first line: "...into one report file, or, with"."""
    module = __import__(f"pytest_greenbudget.commands.{name}", fromlist=["run"])
    summary = first_paragraph(module.__doc__)
    assert summary.endswith("."), summary
    listed = build_parser().format_help()
    assert " ".join(listed.split()).count(summary) == 1, listed


def test_first_paragraph_joins_its_lines() -> None:
    assert first_paragraph("One line,\n  and its end.\n\nMore.") == "One line, and its end."
