"""Which physical device measured each component, and what a baseline from another one
allows for. Pure: no pytest.

Two GPUs of one model differ in level: a 0.4 s training test read 252-266 J on the H200s of four
machines, where sessions on one moved at most 1.0% (docs/meters.md). So a report names each
component's device (``environment.devices``: a GPU's UUID), and a comparison whose baseline was
measured on another device takes that component's noise from ``noise.OTHER_DEVICE_NOISE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..report.model import Environment, TestEntry
from .noise import OTHER_DEVICE_NOISE

SEVERAL = "several"  # a history's device for a component its runs measured on more than one


def moved_devices(base: Environment, head: Environment) -> dict[str, tuple[str, str]]:
    """Components measured on another device than the baseline's (a GPU's UUID), each with
    (base's, head's). One unknown on either side (a report before 1.7, a meter that names no
    device) is not taken as moved."""
    return {
        component: (base.devices[component], device)
        for component, device in sorted(head.devices.items())
        if component in base.devices and base.devices[component] != device
    }


def in_use(
    moved: Mapping[str, tuple[str, str]], tests: Iterable[TestEntry]
) -> dict[str, tuple[str, str]]:
    """The moved components that some test was measured on by a meter with another device's
    figure: a device no compared test used changes nothing, so it is not worth a warning."""
    used = {
        name
        for test in tests
        for name, component in test.components.items()
        if component.meter in OTHER_DEVICE_NOISE
    }
    return {name: ids for name, ids in moved.items() if name in used}


def moved_warning(moved: Mapping[str, tuple[str, str]], setting: bool) -> tuple[str, ...]:
    if not moved:
        return ()
    shown = "; ".join(f"{c}: {_device(b)} -> {_device(h)}" for c, (b, h) in moved.items())
    allowed = ", ".join(f"{m} {v:.0%}" for m, v in OTHER_DEVICE_NOISE.items())
    then = (
        "your session_noise applies as set"
        if setting
        else f"tests without a history of runs allow for another device's level ({allowed})"
    )
    return (
        f"baseline measured on other hardware ({shown}): two GPUs of one model differ in "
        f"level; {then}",
    )


def _device(device: str) -> str:
    return device if device == SEVERAL else device[:12]  # "GPU-" and 8 hex digits
