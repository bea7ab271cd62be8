"""Where a project's own code imports from, so that the base side imports the base's copy.

An editable install (``pip install -e .``, as CI does) points every process of the venv at the
head's folders. The base processes get the worktree's twins of those folders first on
``PYTHONPATH``. The folders come from what is installed (an editable distribution whose source
is inside the repository: its ``.pth`` path lines and its finder's package mapping), from the
project's own declarations (setuptools ``package-dir`` and ``packages.find where``, poetry
``from``, setup.cfg), from ``PYTHONPATH`` entries inside the repository, and ``src/`` or the
top as a last resort. Whatever this misses (a bare ``.pth`` that ``setup.py develop`` left, a
``sys.path`` edit in a conftest) the base worker's own check catches: it looks at the files
it imported, at start and after each run, and names any of the head's (``HEAD_TOP``); the
comparison is then refused, never measured head against head. Pure: no pytest.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

# Given to the base's workers: the head's files are under HEAD_TOP; BASE_TOP (the worktree)
# is the base's own, even where the worktree sits inside the head's folder.
HEAD_TOP = "GREENBUDGET_HEAD_TOP"
BASE_TOP = "GREENBUDGET_BASE_TOP"


def import_roots(top: Path) -> list[Path]:
    """Folders inside ``top`` that the head's code imports from, most specific first."""
    top = top.resolve()
    dists = list(_editable_dists(top))  # one pass over the installed distributions
    sources = [source for _, source in dists]
    declared = [r for source in dict.fromkeys([*sources, top]) for r in _declared(source)]
    found: list[Path] = []
    for root in (*_editable(dists), *declared, *_pythonpath(), _fallback(top)):
        root = root.resolve()
        if _inside(root, top) and root not in found:
            found.append(root)
    return found


def _fallback(top: Path) -> Path:
    return top / "src" if (top / "src").is_dir() else top


def _inside(path: Path, top: Path) -> bool:
    return path == top or top in path.parents


def _pythonpath() -> Iterator[Path]:
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and os.path.isabs(entry):
            yield Path(entry)


def _declared(source: Path) -> Iterator[Path]:
    """The package folders a project's pyproject.toml or setup.cfg declare."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the dependency for 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        data = {}
    tool = _table(data.get("tool"))
    setuptools = _table(tool.get("setuptools"))
    folder = _table(setuptools.get("package-dir")).get("")
    if isinstance(folder, str):
        yield source / folder
    where = _table(_table(setuptools.get("packages")).get("find")).get("where", [])
    yield from (source / w for w in _list(where) if isinstance(w, str))
    for package in _list(_table(tool.get("poetry")).get("packages")):
        if isinstance(package, dict) and isinstance(package.get("from"), str):
            yield source / package["from"]
    yield from _setup_cfg(source)


def _table(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _setup_cfg(source: Path) -> Iterator[Path]:
    parser = configparser.ConfigParser()
    try:
        parser.read(source / "setup.cfg", encoding="utf-8")
        dirs = parser.get("options", "package_dir", fallback="")
        where = parser.get("options.packages.find", "where", fallback="").strip()
    except (configparser.Error, UnicodeDecodeError):
        return
    for line in dirs.splitlines():
        name, _, folder = line.partition("=")
        if not name.strip() and folder.strip():
            yield source / folder.strip()
    if where:
        yield source / where


def _editable_dists(top: Path) -> Iterator[tuple[metadata.Distribution, Path]]:
    """Editable distributions installed from a folder inside ``top`` (a monorepo's package
    too), with that folder."""
    for dist in metadata.distributions():
        source = _editable_source(dist)
        if source is not None and _inside(source, top):
            yield dist, source


def _editable(dists: Iterable[tuple[metadata.Distribution, Path]]) -> Iterator[Path]:
    """Folders the editable distributions of this repository add to the path."""
    for dist, _ in dists:
        for file in dist.files or ():
            name = str(file)
            if name.endswith(".pth"):
                yield from _pth_paths(Path(str(dist.locate_file(file))))
            elif name.endswith(".py") and "editable" in name:
                yield from _mapped_packages(Path(str(dist.locate_file(file))))


def _editable_source(dist: metadata.Distribution) -> Path | None:
    """The folder pip installed ``dist`` from in editable mode (PEP 610's direct_url.json)."""
    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        return None
    if not isinstance(info, dict) or not _table(info.get("dir_info")).get("editable"):
        return None
    url = urlparse(str(info.get("url", "")))
    if url.scheme != "file":
        return None
    return Path(unquote(url.path)).resolve()  # a path with spaces is %20 in the URL


def _pth_paths(pth: Path) -> Iterator[Path]:
    try:
        lines = pth.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("#", "import ", "import\t")):
            yield pth.parent / line  # site.py reads a relative line from the .pth's folder


def _mapped_packages(finder: Path) -> Iterator[Path]:
    """setuptools' ``__editable___*_finder.py`` maps package names to folders: their parent is
    what the base needs first on its path."""
    try:
        text = finder.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    match = re.search(r"^MAPPING\s*(?::[^=]*)?=\s*(\{.*?\})\s*$", text, re.M | re.S)
    if not match:
        return
    try:
        mapping = ast.literal_eval(match[1])
    except (ValueError, SyntaxError):
        return
    for location in mapping.values() if isinstance(mapping, dict) else ():
        if isinstance(location, str):
            yield Path(location).parent


def foreign_files(head_top: str, files: Iterable[str], own: Iterable[str]) -> list[str]:
    """The base worker's check: the files among ``files`` inside the head's folder, except
    those under ``own`` (the plugin, the same instrument on both sides; the base's checkout;
    the interpreter's own folders, a ``.venv`` inside the repository)."""
    top = os.path.realpath(head_top) + os.sep
    mine = tuple(os.path.realpath(p) + os.sep for p in own if p)
    found = {os.path.realpath(f) for f in files}
    return sorted(f for f in found if f.startswith(top) and not f.startswith(mine))


def module_files(modules: Mapping[str, object], names: Iterable[str]) -> list[str]:
    """The source files of the named modules (builtins and namespace packages have none)."""
    files = []
    for name in names:
        path = getattr(modules.get(name), "__file__", None)
        if isinstance(path, str):
            files.append(path)
    return files


def refusal(foreign: list[str]) -> str:
    """The one-line reason the comparison is refused."""
    more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
    return (
        f"imported the head's own code ({foreign[0]}{more}), so both sides would measure the "
        "head: the gate could not tell where this project's packages live; declare their "
        "folder in pyproject.toml (setuptools package-dir or packages.find where) or give the "
        "base a venv of its own with --greenbudget-against-python"
    )
