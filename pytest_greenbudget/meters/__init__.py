"""Built-in meters, created lazily by name so that unused backends are never imported."""

from __future__ import annotations

from typing import Callable

from .base import Meter, MeterUnavailable


def _cputime() -> Meter:
    from .cputime import CpuTimeMeter

    return CpuTimeMeter()


# name -> factory. Factories import their backend only when called; a factory raises
# MeterUnavailable with a message that says why and what would fix it.
BUILTIN: dict[str, Callable[[], Meter]] = {
    "cputime": _cputime,
    "auto": _cputime,
}


def make_builtin(name: str) -> Meter:
    try:
        factory = BUILTIN[name]
    except KeyError:
        valid = ", ".join(sorted(BUILTIN))
        raise MeterUnavailable(f"unknown meter {name!r}; valid meters: {valid}") from None
    return factory()
