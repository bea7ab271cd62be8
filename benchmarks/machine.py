"""The machine a benchmark ran on, printed the same way by every benchmark script.

Scripts run as ``python benchmarks/NAME.py``, which puts this folder on sys.path.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys

import pytest

from pytest_greenbudget.meters.cputime import CpuInfo


def cpu_model() -> str:
    # The same reading the plugin puts into every report's environment.
    return CpuInfo.from_proc().model_name


def print_machine(*extra: str) -> None:
    """A '## Machine' section: CPU, cores, Python, pytest, date, then ``extra`` lines."""
    print("## Machine")
    print(f"CPU:    {cpu_model()}")
    print(f"cores:  {os.cpu_count()}")
    print(f"Python: {platform.python_version()} ({sys.executable})")
    print(f"pytest: {pytest.__version__}")
    print(f"date:   {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}")
    for line in extra:
        print(line)
    print()
