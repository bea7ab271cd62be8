"""Grid carbon intensity, PUE and the gCO2e of a measured energy.

Intensities per country come from codecarbon's bundled ``global_energy_mix.json`` (Our World
in Data / Ember figures), read as a data file: importing codecarbon itself would load pandas
and take about a second. Never a network call, never geolocation.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ..report.model import CarbonSettings

# codecarbon's own fallback when it knows nothing of the location (world average, g/kWh).
WORLD_INTENSITY = 475.0
JOULES_PER_KWH = 3.6e6
# How the source of an intensity begins when the region asked for could not be used: the
# terminal says so without -v, since the grams are not the region's.
FALLBACK = "world average:"


class CarbonError(ValueError):
    """An unknown region or unreadable intensity data; the message says what is valid."""


class CodecarbonMissing(CarbonError):
    """codecarbon is not installed: the energy stands, only a region's intensity is unknown."""


@lru_cache(maxsize=1)
def _energy_mix() -> dict[str, Any]:
    spec = find_spec("codecarbon")
    if spec is None:
        raise CodecarbonMissing("codecarbon is not installed")
    roots = list(spec.submodule_search_locations or [])
    for root in roots:
        path = Path(root) / "data" / "private_infra" / "global_energy_mix.json"
        if path.is_file():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return data
    raise CarbonError(
        "codecarbon's global_energy_mix.json was not found; reinstall codecarbon, or set "
        "'intensity' (gCO2e per kWh) in the config instead of 'region'"
    )


def region_intensity(region: str) -> tuple[float, str]:
    """Intensity for an ISO 3166 alpha-3 code and a sentence naming the source."""
    mix = _energy_mix()
    entry = mix.get(region.upper())
    if entry is None or "carbon_intensity" not in entry:
        raise CarbonError(
            f"region {region!r} is not in codecarbon's data; use an ISO 3166 alpha-3 code "
            "such as FRA, DEU, USA, GBR or IND, or set 'intensity' instead"
        )
    name = entry.get("country_name", region)
    year = entry.get("year", "")
    source = f"{name} {year} grid mix, codecarbon global_energy_mix.json".replace("  ", " ")
    return float(entry["carbon_intensity"]), source


def is_fallback(settings: CarbonSettings) -> bool:
    """The world average stands in for a region that could not be read: its grams are not
    the region's, so a carbon budget set for that region cannot be judged with them."""
    return settings.source.startswith(FALLBACK)


def carbon_settings(region: str | None, intensity: float | None, pue: float) -> CarbonSettings:
    if intensity is not None:
        return CarbonSettings(intensity, "set in the config", pue, None)
    if region is not None:
        try:
            value, source = region_intensity(region)
        except CodecarbonMissing:
            # Energy needs no codecarbon (the default meter reads CPU time), so a machine
            # without it still measures; its grams say which intensity they used.
            source = (f"{FALLBACK} region {region.upper()} needs codecarbon's data, which "
                      "is not installed (pip install codecarbon, or set 'intensity')")  # fmt: skip
            return CarbonSettings(WORLD_INTENSITY, source, pue)
        return CarbonSettings(value, source, pue, region.upper())
    return CarbonSettings(
        WORLD_INTENSITY, "world average (codecarbon's default); set 'region'", pue
    )


def grams(joules: float, settings: CarbonSettings) -> float:
    """gCO2e = kWh x PUE x intensity."""
    return joules / JOULES_PER_KWH * settings.pue * settings.intensity_g_per_kwh
