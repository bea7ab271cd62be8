"""The environment fingerprint written into every report.

Two reports are comparable only when CPU model, meters and GPUs match; this is what they are
compared on. Gathered once per session, cheaply: no subprocess unless asking git for the commit.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from pathlib import Path

from .. import __version__
from ..meters.base import MeterDescription
from ..meters.cputime import CpuInfo, cpu_count
from ..report.model import ComponentMeter, Environment


@functools.lru_cache(maxsize=4)  # the summary and the report file both ask
def commit(rootdir: Path) -> str | None:
    """GITHUB_SHA in Actions; else ask git quietly; None outside a repository."""
    sha = os.environ.get("GITHUB_SHA")
    if sha:
        return sha
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=rootdir, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def gather(description: MeterDescription, pytest_version: str, workers: int | None) -> Environment:
    meters = {
        name: ComponentMeter(c.meter, c.provenance, c.reason)
        for name, c in description.components.items()
    }
    gpus = tuple(n for n in description.notes if n.startswith("gpu:"))
    return Environment(
        cpu_model=CpuInfo.from_proc().model_name,
        cpu_count=cpu_count(),
        gpus=gpus,
        meters=meters,
        meter=description.name,
        python=platform.python_version(),
        pytest=pytest_version,
        plugin=__version__,
        platform=f"{sys.platform}-{platform.machine()}",
        commit=None,  # asked of git only when a report is built
        workers=workers,
        notes=tuple(n for n in description.notes if not n.startswith("gpu:")),
        devices=dict(description.devices),
    )
