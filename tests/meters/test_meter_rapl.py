"""The RAPL meter against temporary powercap trees whose counters the tests advance."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_greenbudget.meters import MeterOptions, MeterUnavailable, make_builtin, rapl
from pytest_greenbudget.meters.rapl import RaplUnavailable, counter_delta, discover, make_rapl

BIG = 262_143_328_850  # a real max_energy_range_uj


def zone(parent: Path, zid: str, name: str, energy: int = 0, top: int = BIG) -> Path:
    d = parent / zid
    d.mkdir()
    (d / "name").write_text(f"{name}\n")
    (d / "energy_uj").write_text(f"{energy}\n")
    (d / "max_energy_range_uj").write_text(f"{top}\n")
    return d


def set_energy(d: Path, value: int) -> None:
    (d / "energy_uj").write_text(f"{value}\n")


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """Two packages, a dram sub-zone, a core sub-zone and a psys zone, laid out flat."""
    return {
        "pkg0": zone(tmp_path, "intel-rapl:0", "package-0", 1_000_000),
        "core0": zone(tmp_path, "intel-rapl:0:0", "core", 500_000),
        "dram0": zone(tmp_path, "intel-rapl:0:1", "dram", 100_000),
        "pkg1": zone(tmp_path, "intel-rapl:1", "package-1", 2_000_000),
        "psys": zone(tmp_path, "intel-rapl:2", "psys", 9_000_000),
    }


class Clock:
    """Stands in for time.perf_counter and the rusage CPU seconds of the rapl module."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 10.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(rapl, "time", SimpleNamespace(perf_counter=lambda: c.wall))
    monkeypatch.setattr(rapl, "own_cpu_seconds", lambda: c.cpu)
    return c


def test_packages_and_dram_add_up_and_core_and_psys_do_not(
    tmp_path: Path, tree: dict[str, Path], clock: Clock
) -> None:
    meter = make_rapl(tmp_path)
    token = meter.start()
    set_energy(tree["pkg0"], 3_000_000)  # +2 J
    set_energy(tree["pkg1"], 2_500_000)  # +0.5 J
    set_energy(tree["core0"], 1_500_000)  # +1 J inside package 0: not added again
    set_energy(tree["dram0"], 400_000)  # +0.3 J
    set_energy(tree["psys"], 99_000_000)  # contains the packages: not added
    clock.wall += 1.0
    clock.cpu += 0.25
    reading = meter.stop(token)
    meter.close()
    assert set(reading.components) == {"cpu", "dram"}
    assert reading.components["cpu"].energy_j == pytest.approx(2.5)
    assert reading.components["dram"].energy_j == pytest.approx(0.3)
    assert reading.components["cpu"].provenance == "measured"
    assert reading.components["cpu"].meter == "rapl"
    assert reading.components["cpu"].note is None
    assert (reading.wall_s, reading.cpu_s) == (pytest.approx(1.0), pytest.approx(0.25))


def test_sysfs_layout_nested_and_flat_counts_each_zone_once(tmp_path: Path) -> None:
    # /sys/class/powercap links every zone flat; the sub-zones also sit inside their package.
    real = tmp_path / "devices"
    real.mkdir()
    pkg = zone(real, "intel-rapl:0", "package-0")
    zone(pkg, "intel-rapl:0:0", "core")
    zone(pkg, "intel-rapl:0:2", "dram")
    root = tmp_path / "class"
    root.mkdir()
    (root / "intel-rapl:0").symlink_to(pkg)
    (root / "intel-rapl:0:2").symlink_to(pkg / "intel-rapl:0:2")
    (root / "intel-rapl:0:0").symlink_to(pkg / "intel-rapl:0:0")
    zones = discover(root)
    assert [(z.id, z.component) for z in zones] == [
        ("intel-rapl:0", "cpu"),
        ("intel-rapl:0:2", "dram"),
    ]


def test_nested_only_tree_finds_dram(tmp_path: Path) -> None:
    pkg = zone(tmp_path, "intel-rapl:0", "package-0")
    zone(pkg, "intel-rapl:0:0", "dram")
    assert [z.component for z in discover(tmp_path)] == ["cpu", "dram"]


def test_wraparound_uses_max_energy_range(tmp_path: Path, clock: Clock) -> None:
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", energy=999_900, top=1_000_000)
    meter = make_rapl(tmp_path)
    token = meter.start()
    set_energy(pkg, 50)
    clock.wall += 1.0
    assert meter.stop(token).components["cpu"].energy_j == pytest.approx(150e-6)
    meter.close()


@pytest.mark.parametrize(
    ("start", "end", "top", "delta"),
    [(10, 25, 100, 15), (90, 5, 100, 15), (7, 7, 100, 0), (0, 100, 100, 100)],
)
def test_counter_delta(start: int, end: int, top: int, delta: int) -> None:
    assert counter_delta(start, end, top) == delta


def test_attribution_shares_by_cpu_time(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    dram = zone(tmp_path, "intel-rapl:0:0", "dram", 0)
    meter = make_rapl(tmp_path, attribute=True)
    token = meter.start()
    set_energy(pkg, 8_000_000)
    set_energy(dram, 4_000_000)
    clock.wall += 2.0  # 2 s x 4 CPUs = 8 CPU s of machine; we used 1: share 1/8
    clock.cpu += 1.0
    reading = meter.stop(token)
    meter.close()
    assert reading.components["cpu"].energy_j == pytest.approx(1.0)
    assert reading.components["dram"].energy_j == pytest.approx(0.5)
    note = reading.components["cpu"].note or ""
    assert "12.5%" in note and "4 CPUs" in note
    assert "attributed by CPU-time share" in meter.describe().components["cpu"].reason


def test_short_window_is_flagged_below_resolution(tmp_path: Path, clock: Clock) -> None:
    zone(tmp_path, "intel-rapl:0", "package-0")
    meter = make_rapl(tmp_path)
    token = meter.start()
    clock.wall += 0.05
    note = meter.stop(token).components["cpu"].note or ""
    meter.close()
    assert "50 ms" in note and "resolution" in note


def test_files_are_opened_once_and_closed(tmp_path: Path, tree: dict[str, Path]) -> None:
    opened: list[int] = []

    def opener(path: str) -> int:
        opened.append(os.open(path, os.O_RDONLY))
        return opened[-1]

    meter = make_rapl(tmp_path, opener=opener)
    for _ in range(3):
        meter.stop(meter.start())
    assert len(opened) == 3  # pkg0, dram0, pkg1: never re-opened
    meter.close()
    for fd in opened:
        with pytest.raises(OSError):
            os.fstat(fd)


def refuse(after: int) -> Callable[[str], int]:
    """An opener that opens ``after`` files, then fails as a non-root user does since 5.10."""
    calls: list[str] = []

    def opener(path: str) -> int:
        calls.append(path)
        if len(calls) > after:
            raise PermissionError(13, "Permission denied", path)
        return os.open(path, os.O_RDONLY)

    return opener


def test_unreadable_counter_names_the_fix(tmp_path: Path, tree: dict[str, Path]) -> None:
    with pytest.raises(RaplUnavailable) as info:
        make_rapl(tmp_path, opener=refuse(after=0))
    message = str(info.value)
    assert info.value.warn
    assert "intel-rapl:0/energy_uj is readable by root only" in message
    assert 'SUBSYSTEM=="powercap"' in message and "chmod a+r" in message


def test_failed_open_closes_what_was_opened(
    tmp_path: Path, tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[int] = []
    real_close = os.close
    monkeypatch.setattr(os, "close", lambda fd: (closed.append(fd), real_close(fd)))
    with pytest.raises(RaplUnavailable):
        make_rapl(tmp_path, opener=refuse(after=1))
    assert len(closed) == 1


def test_directory_in_place_of_counter_is_reported(tmp_path: Path) -> None:
    pkg = zone(tmp_path, "intel-rapl:0", "package-0")
    (pkg / "energy_uj").unlink()
    (pkg / "energy_uj").mkdir()
    with pytest.raises(RaplUnavailable, match=r"cannot read .*energy_uj.*Fix: check the driver"):
        make_rapl(tmp_path)


def test_unreadable_range_is_a_broken_tree_worth_a_warning(tmp_path: Path) -> None:
    pkg = zone(tmp_path, "intel-rapl:0", "package-0")
    (pkg / "max_energy_range_uj").write_text("n/a\n")
    with pytest.raises(RaplUnavailable, match=r"cannot read .*max_energy_range_uj") as info:
        make_rapl(tmp_path)
    assert info.value.warn


def test_empty_tree_has_no_package(tmp_path: Path) -> None:
    (tmp_path / "dtpm").mkdir()  # another powercap control type, not RAPL
    with pytest.raises(RaplUnavailable, match=r"no RAPL package zone.*modprobe intel_rapl_msr"):
        make_rapl(tmp_path)


def test_missing_tree_says_so(tmp_path: Path) -> None:
    with pytest.raises(RaplUnavailable, match=r"no powercap tree at .*nowhere") as info:
        make_rapl(tmp_path / "nowhere")
    assert not info.value.warn  # nothing to fix on a VM: not worth a warning


def test_forced_rapl_through_registry_uses_env_root(
    tmp_path: Path, tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENBUDGET_POWERCAP_ROOT", str(tmp_path))
    meter = make_builtin("rapl", MeterOptions(attribute=True))
    assert meter.name == "rapl"
    assert set(meter.describe().components) == {"cpu", "dram"}
    meter.close()
    monkeypatch.setenv("GREENBUDGET_POWERCAP_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(MeterUnavailable, match="no powercap tree"):
        make_builtin("rapl")


def test_start_stop_reads_real_files_between_edges(tmp_path: Path, tree: dict[str, Path]) -> None:
    meter = make_rapl(tmp_path)
    token = meter.start()
    set_energy(tree["pkg0"], 1_000_007)
    reading = meter.stop(token)
    meter.close()
    assert reading.components["cpu"].energy_j == pytest.approx(7e-6)
    assert reading.wall_s > 0
    assert "resolution" in (reading.components["cpu"].note or "")
