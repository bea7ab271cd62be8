"""The controller's end of a paired worker: one pytest process, driven over two pipes.

A worker is a pytest session started with ``--greenbudget-paired-worker=R,W``: it reads
commands as JSON lines from fd R and answers on fd W. Tests print, so stdout is never the
channel; the worker's own output goes to a log file whose last line explains a crash. Pure:
no pytest import (the worker's end is ``pytest_greenbudget.paired.worker_session``).
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .wire import (
    FILES_OPTION,
    QUIT,
    WORKER_OPTION,
    Outcome,
    Profiled,
    Ready,
    RunCommand,
    WireError,
    WorkerFailed,
    decode_outcome,
    decode_profiled,
    decode_ready,
)

T = TypeVar("T")

LAYOUT_PAD = "GREENBUDGET_LAYOUT_PAD"  # a random-length variable: see Worker.__init__
POLL_S = 0.5  # how often a wait on the pipe looks at the process: a dead worker whose pipe a
# grandchild still holds open never reads as end-of-file
MAX_LINE = 64 << 20  # bytes without a newline: not a message, whatever wrote it

__all__ = [
    "FILES_OPTION",
    "WORKER_OPTION",
    "Outcome",
    "Ready",
    "RunTimeout",
    "Side",
    "Worker",
    "WorkerError",
]


class WorkerError(RuntimeError):
    """A worker died or could not start; the message names the side and what it was doing."""


class RunTimeout(WorkerError):
    """A worker did not answer within its limit; the worker is still alive (kill it)."""

    def __init__(self, side: str, doing: str, limit: float) -> None:
        super().__init__(f"the {side} side did not finish {doing} within {limit:.0f} s")
        self.side = side
        self.limit = limit


@dataclass(frozen=True)
class Side:
    """How to start one side's pytest processes."""

    name: str  # "head" | "base"
    argv: tuple[str, ...]  # interpreter and arguments, up to (not including) the worker option
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cache: Path | None = None  # the user's cache folder: each worker gets a private copy


class Worker:
    """One live worker process. ``run`` blocks until the worker answers (or its limit passes),
    so a worker that is not being asked anything is idle, waiting on its pipe."""

    def __init__(
        self, side: Side, log: Path, hash_seed: str | None = None, files: Path | None = None
    ) -> None:
        self.side = side
        self.log = log
        self.doing = "starting up"
        self._buffer = b""
        cmd_r, cmd_w = os.pipe()  # not inheritable: only pass_fds reach the worker
        ans_r, ans_w = os.pipe()
        # The environment's size sets where the stack starts, and the two sides differ in
        # paths; a random pad per process turns that fixed layout difference into noise.
        env = {**(side.env or os.environ), LAYOUT_PAD: "." * random.randrange(4096)}
        if hash_seed is not None:
            env.setdefault("PYTHONHASHSEED", hash_seed)  # the user's own setting wins
        try:
            only = (f"{FILES_OPTION}={files}",) if files else ()
            self.proc = _start(side, log, env, (cmd_r, ans_w), (*_cache(side, log), *only))
        except WorkerError:
            for fd in (cmd_r, cmd_w, ans_r, ans_w):
                os.close(fd)
            raise
        os.close(cmd_r)
        os.close(ans_w)  # so a dead worker reads as end-of-file here, not as a hang
        self._send = cmd_w
        self._answers = ans_r

    def ready(self, limit: float | None = None) -> Ready:
        return self._answer(decode_ready, limit)

    def run(
        self, nodeid: str, measured: bool, next_id: str | None, limit: float | None = None
    ) -> Outcome:
        """Run ``nodeid`` once; ``next_id`` is the test this worker runs next ("same" when it
        runs this one again, None at the end), which decides what gets torn down."""
        self.doing = f"running {nodeid}"
        self._write(RunCommand(nodeid, measured, next_id).encode())
        return self._answer(decode_outcome, limit)

    def profile(self, nodeid: str, next_id: str | None, limit: float | None = None) -> Profiled:
        """Run ``nodeid`` once, unmeasured, under cProfile (paired/profiling.py)."""
        self.doing = f"profiling {nodeid}"
        self._write(RunCommand(nodeid, False, next_id, profile=True).encode())
        return self._answer(decode_profiled, limit)

    def _answer(self, decode: Callable[[str], T], limit: float | None) -> T:
        """The worker's next line, decoded; a garbled line or a failure is this side's
        WorkerError."""
        try:
            return decode(self._line(limit))
        except WireError as exc:
            raise self._garbled(exc) from None
        except WorkerFailed as exc:
            raise WorkerError(f"the {self.side.name} side {exc}") from None

    def quit(self) -> None:
        self.ask_to_quit()
        self.finish()

    def ask_to_quit(self) -> None:
        """Tell the worker to end its session; ``finish`` waits for it (``quit_all``)."""
        self.doing = "finishing its session"
        with contextlib.suppress(WorkerError):
            self._write(QUIT)

    def finish(self) -> None:
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._send, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._send = self._answers = -1

    def _write(self, line: str) -> None:
        try:
            os.write(self._send, line.encode())  # a command is far below the pipe's buffer
        except OSError:
            raise self._died() from None

    def _line(self, limit: float | None) -> str:
        """The next line from the worker. Waits in short slices, looking at the process in
        between: a test's child that inherited the pipe keeps it open after the worker died."""
        deadline = None if limit is None else time.monotonic() + limit
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                raise self._garbled(WireError("an endless line"))
            if select.select([self._answers], [], [], POLL_S)[0]:
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise self._died()
                self._buffer += chunk
            elif self.proc.poll() is not None:
                raise self._died()
            elif deadline is not None and time.monotonic() > deadline:
                raise RunTimeout(self.side.name, self.doing, limit or 0.0)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", errors="replace")

    def _garbled(self, exc: WireError) -> WorkerError:
        """A line that is not a message (a test wrote to the pipe, say): that worker is done."""
        self.kill()
        return WorkerError(
            f"the {self.side.name} side sent an unreadable message while {self.doing} "
            f"({exc}); did a test write to a file descriptor it did not open?"
        )

    def _died(self) -> WorkerError:
        code = self.proc.wait()
        return WorkerError(
            f"the {self.side.name} side's pytest exited ({_exit(code)}) while {self.doing}"
            f"{_last_words(self.log)}"
        )


def _cache(side: Side, log: Path) -> tuple[str, ...]:
    """A private copy of the user's cache for this worker: --lf, --ff, --sw, --cache-clear,
    --randomly-seed=last and fixtures using ``config.cache`` work as in the user's run, and no
    worker writes the user's own cache."""
    if side.cache is None:
        return ("-p", "no:cacheprovider")
    private = log.with_name(f"{log.stem}-cache")
    try:
        if side.cache.is_dir():
            shutil.copytree(side.cache, private, symlinks=True)
        else:
            private.mkdir()
    except (OSError, shutil.Error) as exc:
        raise WorkerError(
            f"could not copy the pytest cache for the {side.name} side: {exc}"
        ) from None
    return ("-o", f"cache_dir={private}")


def _start(
    side: Side, log: Path, env: Mapping[str, str], fds: tuple[int, int], extra: tuple[str, ...]
) -> subprocess.Popen[bytes]:
    """The worker process; a missing folder or interpreter is one line, not a traceback."""
    if not side.cwd.is_dir():
        raise WorkerError(
            f"the {side.name} side cannot start: the folder {side.cwd} does not exist there "
            "(run pytest from a folder that exists on both sides, e.g. the repository's top)"
        )
    try:
        with open(log, "wb") as out:
            return subprocess.Popen(
                [*side.argv, *extra, f"{WORKER_OPTION}={fds[0]},{fds[1]}"],
                cwd=side.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=fds,
            )
    except OSError as exc:
        raise WorkerError(
            f"the {side.name} side cannot start {side.argv[0]}: {exc.strerror or exc}"
        ) from None


def _exit(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"exit code {code}"


# pytest's own context lines, printed after the error itself: never the reason
CONTEXT = ("rootdir:", "inifile:", "configfile:", "plugins:", "cachedir:")


def _error_line(line: str) -> bool:
    return line.startswith("ERROR: ") and "usage:" not in line


def _last_words(log: Path) -> str:
    """The worker's error, shortened to fit one line: pytest's usage error or ``E`` line, an
    INTERNALERROR's exception, else the last line that is not pytest's context or a rule."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    useful = [ln for ln in lines if not set(ln) <= set("=-_ ") and not ln.startswith(CONTEXT)]
    picks = (
        [ln for ln in useful if " error: " in ln or _error_line(ln)],
        [ln[1:].strip() for ln in useful if ln.startswith("E ")],
        [ln for ln in useful if ln.startswith("INTERNALERROR>") and "Error" in ln],
        useful,
    )
    text = next((pick[-1] for pick in picks if pick), "")
    if not text:
        return ""
    return f": {text[:200]}" + ("..." if len(text) > 200 else "")


def quit_all(workers: Sequence[Worker]) -> None:
    """Tell every worker to end its session, then wait for each: told first, they end at once
    (about 0.13 s each) rather than in turn."""
    for worker in workers:
        worker.ask_to_quit()
    for worker in workers:
        worker.finish()


def start_both(
    sides: Sequence[Side], logs: Sequence[Path], files: Sequence[Path | None] = (None, None)
) -> list[Worker]:
    """Start the round's workers together: their start-up and collection are not measured,
    so they may overlap, which halves the wait. ``files``: per side, the list of test files
    it collects (None: all that its arguments select)."""
    workers: list[Worker] = []
    # No CPU pin: a worker pinned to one CPU made joblib/loky (which size their pools from the
    # affinity) run an n_jobs=-1 test in-process, so the gate measured other work than a plain
    # run did (docs/regressions.md, "The conditions the gate sets").
    # One hash seed per round, the same on both sides: dict and set order (which node a graph
    # algorithm visits first) then moves both sides alike within a round, and still varies
    # from round to round.
    seed = str(random.randrange(2**32))
    try:
        for side, log, only in zip(sides, logs, files, strict=True):
            workers.append(Worker(side, log, seed, only))
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    return workers
