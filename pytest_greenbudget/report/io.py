"""Report files: read (validated by decode.py) and written atomically, through symlinks, never
over a non-regular file.

A temporary file in the target's folder is renamed over it, so a reader sees the old file or
the new one, never half of either. The rename would replace a symlink by a regular file (the
link's target never written) and a FIFO or a device node by a file, so the path is resolved
first and anything but a regular file (or nothing) there is refused. Pure: no pytest.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from .decode import parse_report as decode_parse
from .model import Report, ReportError


class NotRegularFile(OSError):
    """The path holds a FIFO, a device, a socket or a folder: not a file to replace."""

    def __str__(self) -> str:
        return str(self.strerror)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    target = resolve_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a report is meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` should replace: symlinks followed (a dangling one to the
    file it names); NotRegularFile when something other than a regular file is there."""
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # nothing there yet (or cannot be)
        return target
    if not stat.S_ISREG(mode):
        kind = _kind(mode)
        raise NotRegularFile(0, f"{path} is {kind}, not a regular file; give a file path")
    return target


def same_target(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Whether a write to ``first`` would replace the file at ``second`` (symlinks, ``..``
    and hard links seen through). Raises what resolve_target raises."""
    one, other = resolve_target(first), resolve_target(second)
    if one == other:
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist yet: then it cannot be the other
        return False


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def write_report(report: Report, path: str | os.PathLike[str]) -> None:
    """Write atomically (a reader sees the old file or the new one), through a symlink to its
    target; a FIFO, a device or a folder at ``path`` is refused (``files.NotRegularFile``)."""
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    write_atomic(path, text + "\n")


def read_report(path: str | os.PathLike[str]) -> Report:
    """Read and validate a report; every failure is a ReportError naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    return parse_report(data, str(path))


def parse_report(data: bytes, where: str) -> Report:
    """A report from the bytes of a file (or an artifact); ReportError names ``where``."""
    return decode_parse(data, where)
