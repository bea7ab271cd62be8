"""A nested virtual environment for tests that install something, offline.

``venv --system-site-packages`` is not enough: inside a venv (as a newcomer runs the tests) it
shows the nested venv the *base* interpreter's packages, not this venv's, so pytest, the plugin
and a recent setuptools were missing there. A ``.pth`` file in the nested venv adds this
interpreter's own site folders after the nested venv's (their ``.pth`` files processed, so an
editable install here is seen too), and whatever is installed into the nested venv wins.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path


def nested_venv(dest: Path) -> Path:
    """Create a venv at ``dest`` that sees this interpreter's packages; its python's path."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    python = dest / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    lines = [f"import site; site.addsitedir({f!r})" for f in folders if os.path.isdir(f)]
    Path(purelib, "_outer_packages.pth").write_text("\n".join(lines) + "\n")
    return python
