"""Built-in meters, created lazily by name so that unused backends are never imported.

A factory takes the run's :class:`MeterOptions` and imports its backend only when called
(codecarbon, pynvml and requests stay out of ``import pytest_greenbudget.meters``); it raises
MeterUnavailable with a message that says why and what would fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from .base import Meter, MeterOptions, MeterUnavailable

__all__ = ["BUILTIN", "Meter", "MeterOptions", "MeterUnavailable", "make_builtin", "unknown_meter"]


def _cputime(options: MeterOptions) -> Meter:
    from .cputime import CpuTimeMeter

    return CpuTimeMeter(options.watts_per_vcpu)


def _rapl(options: MeterOptions) -> Meter:
    from .rapl import make_rapl

    return make_rapl(attribute=options.attribute)


def _nvml(options: MeterOptions) -> Meter:
    from .nvml import make_nvml

    return make_nvml()


def _codecarbon(options: MeterOptions) -> Meter:
    from .codecarbon_meter import make_codecarbon

    return make_codecarbon(options.country)


def _auto(options: MeterOptions) -> Meter:
    from .auto import make_auto

    return make_auto(options)


BUILTIN: dict[str, Callable[[MeterOptions], Meter]] = {
    "auto": _auto,
    "cputime": _cputime,
    "rapl": _rapl,
    "nvml": _nvml,
    "codecarbon": _codecarbon,
}


def make_builtin(name: str, options: MeterOptions | None = None) -> Meter:
    """The built-in meter ``name``; ``options`` default to ``MeterOptions()``."""
    try:
        factory = BUILTIN[name]
    except KeyError:
        raise MeterUnavailable(unknown_meter(name, BUILTIN)) from None
    return factory(options or MeterOptions())


def unknown_meter(name: str, known: Iterable[str]) -> str:
    """'unknown meter 'CPUTIME' (names are case-sensitive: did you mean 'cputime'?); valid
    meters: ...': a typo must not pass for a plugin's meter nobody installed."""
    valid = sorted(set(known))
    same = [k for k in valid if k.lower() == name.lower()]
    close = same or difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if same:
        hint = f" (names are case-sensitive: did you mean {same[0]!r}?)"
    return (
        f"unknown meter {name!r}{hint}; valid meters: {', '.join(valid)}, "
        "or a name that a plugin's pytest_greenbudget_make_meter answers"
    )
