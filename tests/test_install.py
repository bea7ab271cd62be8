"""What `pip install .` must give: the pytest11 entry point, the console script, py.typed."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest_greenbudget


def test_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("greenbudget") == "pytest_greenbudget.plugin"


def test_console_script() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert found.get("greenbudget") == "pytest_greenbudget.cli:main"
    out = subprocess.run(
        [sys.executable, "-m", "pytest_greenbudget.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "usage: greenbudget" in out.stdout


def test_py_typed_ships() -> None:
    assert (Path(pytest_greenbudget.__file__).parent / "py.typed").is_file()


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, pytest_greenbudget.plugin\n"
        "heavy = {'codecarbon', 'pandas', 'numpy', 'requests', 'pynvml'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
