"""Built-in meters, created lazily by name so that unused backends are never imported.

A factory takes the run's :class:`MeterOptions` and imports its backend only when called
(codecarbon, pynvml and requests stay out of ``import pytest_greenbudget.meters``); it raises
MeterUnavailable with a message that says why and what would fix it.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Meter, MeterOptions, MeterUnavailable

__all__ = ["BUILTIN", "Meter", "MeterOptions", "MeterUnavailable", "make_builtin"]


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
        valid = ", ".join(sorted(BUILTIN))
        raise MeterUnavailable(f"unknown meter {name!r}; valid meters: {valid}") from None
    return factory(options or MeterOptions())
