"""codecarbon's own tracker as a meter (``codecarbon``), for its published methodology.

One ``OfflineEmissionsTracker`` per meter, so one per session: made when the meter is made (a
bad country fails the run at once), its hardware detected on the first window (about 1-2 s)
and reused. It is driven on demand: each window edge calls the tracker's own measurement step,
``_measure_power_and_energy``, which adds the energy since its previous step to its running
totals, and a window is the difference of the totals at its edges. Driven this way the tracker
runs no background thread, writes no file (no output method) and sends nothing anywhere
(offline tracker, no endpoint). A codecarbon too old to detect hardware lazily is started the
ordinary way instead, which runs its scheduler threads.

Components are codecarbon's own: ``cpu``, ``ram`` (a power model x wall time, not a RAPL
``dram`` counter) and ``gpu`` (all tracked GPUs together). Provenance follows codecarbon's
mode: RAPL, Power Gadget, powermetrics or NVML are ``measured``; TDP, CPU-load and RAM models
are ``estimated``. PUE is left to greenbudget (the tracker's is forced to 1.0).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterator
from typing import Any, cast

from .base import (
    ComponentChoice,
    ComponentReading,
    MeterDescription,
    MeterUnavailable,
    Provenance,
    Reading,
)
from .cputime import own_cpu_seconds

DEFAULT_COUNTRY = "USA"
_MEASURED_CPU_MODES = {"intel_rapl", "intel_power_gadget", "apple_powermetrics", "windows_emi"}
_CPU_MODELS = {"cpu_load": "CPU load x TDP model", "constant": "a constant share of TDP"}
_TOTALS = {"cpu": "_total_cpu_energy", "gpu": "_total_gpu_energy", "ram": "_total_ram_energy"}
_J_PER_KWH = 3.6e6


def make_codecarbon(country: str | None = None) -> CodecarbonMeter:
    """The codecarbon meter; raises MeterUnavailable when codecarbon is missing or too old."""
    try:
        import codecarbon
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        raise MeterUnavailable("codecarbon is not installed. Fix: pip install codecarbon") from None
    iso = _country(country or DEFAULT_COUNTRY)
    # The tracker logs at INFO while it is being built, before it applies log_level.
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    tracker = OfflineEmissionsTracker(**_tracker_kwargs(OfflineEmissionsTracker, iso))
    return CodecarbonMeter(tracker, str(getattr(codecarbon, "__version__", "?")))


def _country(code: str) -> str:
    from codecarbon.input import DataSource

    source: Any = DataSource  # codecarbon is untyped
    iso = code.strip().upper()
    if iso not in source().get_global_energy_mix_data():
        raise MeterUnavailable(
            f"codecarbon has no grid data for country {code!r}. "
            "Fix: give an ISO 3166 alpha-3 code, e.g. USA, FRA, DEU"
        )
    return iso


def _tracker_kwargs(tracker_cls: type, iso: str) -> dict[str, Any]:
    # Explicit arguments beat the user's .codecarbon.config and CODECARBON_* variables, so
    # every output is switched off here. Only arguments this codecarbon knows are passed.
    wanted: dict[str, Any] = {
        "country_iso_code": iso,
        "log_level": "error",
        "allow_multiple_runs": True,  # no lock file, so parallel sessions do not clash
        "pue": 1.0,
        "emissions_endpoint": None,
        "output_methods": [],
    }
    accepted = _parameters(tracker_cls)
    if "output_methods" not in accepted:  # codecarbon < 3 switches outputs one by one
        wanted |= dict.fromkeys(("save_to_file", "save_to_api", "save_to_logger"), False)
    return {k: v for k, v in wanted.items() if k in accepted}


def _parameters(tracker_cls: type) -> set[str]:
    names: set[str] = set()
    for cls in inspect.getmro(tracker_cls):
        init = cls.__dict__.get("__init__")
        if init is not None:
            names |= set(inspect.signature(init).parameters)
    return names


class CodecarbonMeter:
    """Per-window differences of the tracker's accumulated CPU, GPU and RAM energy."""

    name = "codecarbon"

    def __init__(self, tracker: Any, version: str) -> None:
        missing = [
            a for a in ("_measure_power_and_energy", *_TOTALS.values()) if not hasattr(tracker, a)
        ]
        if missing:
            raise MeterUnavailable(
                f"codecarbon {version}'s tracker lacks {', '.join(missing)} (too old, or it "
                "failed to start: see its log). Fix: pip install 'codecarbon>=2.8'"
            )
        self._tracker = tracker
        self.version = version
        self._started = False
        self._threaded = False
        self._kinds: dict[str, tuple[Provenance, str]] = {}

    def _ensure_started(self) -> None:
        if self._started:
            return
        tracker = self._tracker
        if hasattr(tracker, "_ensure_hardware_ready"):
            tracker._ensure_hardware_ready()
            tracker._last_measured_time = tracker._start_time = time.perf_counter()
            for hardware in tracker._hardware:
                hardware.start()
        else:
            tracker.start()
            self._threaded = True
        self._kinds = _classify(tracker)  # once: describing a GPU calls into NVML
        self._started = True

    def _totals(self) -> tuple[float, ...]:
        self._tracker._measure_power_and_energy()
        return tuple(getattr(self._tracker, attr).kWh for attr in _TOTALS.values())

    def start(self) -> object:
        self._ensure_started()
        return time.perf_counter(), own_cpu_seconds(), self._totals()

    def stop(self, token: object) -> Reading:
        wall0, cpu0, totals0 = cast("tuple[float, float, tuple[float, ...]]", token)
        totals1 = self._totals()
        cpu = max(own_cpu_seconds() - cpu0, 0.0)
        wall = time.perf_counter() - wall0
        comps = {
            comp: ComponentReading((b - a) * _J_PER_KWH, self._kinds[comp][0], self.name)
            for comp, a, b in zip(_TOTALS, totals0, totals1, strict=True)
            if comp in self._kinds
        }
        return Reading(comps, wall, cpu)

    def describe(self) -> MeterDescription:
        self._ensure_started()
        choices = {
            comp: ComponentChoice(self.name, provenance, f"codecarbon {self.version}: {how}")
            for comp, (provenance, how) in self._kinds.items()
        }
        note = "codecarbon's scheduler threads run during the session" if self._threaded else ""
        return MeterDescription(self.name, choices, (note,) if note else ())

    def close(self) -> None:
        if self._threaded:
            self._tracker.stop()  # stops its threads; with no output method, writes nothing
        self._started = self._threaded = False


def _classify(tracker: Any) -> dict[str, tuple[Provenance, str]]:
    kinds: dict[str, tuple[Provenance, str]] = {}
    for comp, provenance, how in _hardware(tracker):
        previous = kinds.get(comp)
        if previous is not None and previous[0] == "estimated":
            provenance = "estimated"  # one modelled part makes the whole component a model
        kinds[comp] = (provenance, how if previous is None else f"{previous[1]}; {how}")
    return kinds


def _hardware(tracker: Any) -> Iterator[tuple[str, Provenance, str]]:
    """(component, provenance, description) of each device the tracker follows."""
    for hardware in getattr(tracker, "_hardware", ()):
        kind = type(hardware).__name__
        part = str(getattr(hardware, "chip_part", "")).lower()  # Apple silicon, Raspberry Pi
        if kind == "RAM" or part == "ram":
            yield "ram", "estimated", "RAM power model x wall time"
        elif kind == "GPU" or part == "gpu":
            yield "gpu", "measured", f"{hardware!r}"
        elif kind == "AppleSiliconChip":
            yield "cpu", "measured", "powermetrics"
        else:
            mode = str(getattr(hardware, "_mode", "unknown"))
            provenance: Provenance = "measured" if mode in _MEASURED_CPU_MODES else "estimated"
            yield "cpu", provenance, f"CPU mode {mode}, {_CPU_MODELS.get(mode, 'its counters')}"
