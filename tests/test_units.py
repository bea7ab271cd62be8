from __future__ import annotations

import pytest

from pytest_greenbudget.units import (
    UnitError,
    format_carbon,
    format_energy,
    format_percent,
    parse_carbon,
    parse_energy,
    parse_percent,
)


@pytest.mark.parametrize(
    ("text", "joules"),
    [
        ("40 J", 40.0), ("40J", 40.0), ("2.5 mJ", 2.5e-3), ("7 uJ", 7e-6), ("7 µJ", 7e-6),
        ("7 μJ", 7e-6), ("1.5 kJ", 1500.0), ("1.2 Wh", 4320.0), ("3 mWh", 10.8),
        ("0.5 kWh", 1.8e6), ("1e3 J", 1000.0), (" .5 J ", 0.5),
    ],
)  # fmt: skip
def test_energy_units(text: str, joules: float) -> None:
    assert parse_energy(text) == pytest.approx(joules)


@pytest.mark.parametrize(
    ("text", "grams"), [("5 mgCO2e", 5e-3), ("2 gCO2e", 2.0), ("1.5 kgCO2e", 1500.0)]
)
def test_carbon_units(text: str, grams: float) -> None:
    assert parse_carbon(text) == pytest.approx(grams)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "5 jouls",
            "unknown unit 'jouls' in energy '5 jouls'; valid units: uJ, µJ, μJ, mJ, J, kJ, mWh, Wh, kWh",
        ),
        ("40", "missing unit in energy '40'"),
        ("-1 J", "energy must be greater than zero, got '-1 J'"),
        ("0 J", "energy must be greater than zero"),
        ("nan J", "cannot read energy 'nan J'"),
        ("J", "cannot read energy 'J'"),
        (40, "energy must be a string with a unit, e.g. '40 J', not 40"),
        (True, "energy must be a string with a unit"),
        ("5 gCO2e", "unknown unit 'gCO2e' in energy"),
    ],
)
def test_bad_energy_says_what_is_valid(value: object, message: str) -> None:
    with pytest.raises(UnitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_energy(value)


def test_percent() -> None:
    assert parse_percent("5%") == pytest.approx(0.05)
    assert parse_percent("0%") == 0.0
    assert parse_percent("12.5 %") == pytest.approx(0.125)
    for bad in ("5", "-1%", "5 pct", 0.05):
        with pytest.raises(UnitError):
            parse_percent(bad)


@pytest.mark.parametrize(
    "joules", [3.2e-6, 4.1e-4, 0.0021, 1.0, 6.2, 40.0, 123.4, 999.0, 7200.0, 5.4e6]
)
def test_energy_round_trip(joules: float) -> None:
    assert parse_energy(format_energy(joules)) == pytest.approx(joules, rel=5e-3)


@pytest.mark.parametrize("grams", [2e-6, 5.1e-3, 0.75, 12.0, 3400.0])
def test_carbon_round_trip(grams: float) -> None:
    assert parse_carbon(format_carbon(grams)) == pytest.approx(grams, rel=5e-3)


def test_formatting() -> None:
    assert format_energy(6.2) == "6.20 J"
    assert format_energy(0.0021) == "2.10 mJ"
    assert format_energy(7200) == "2.00 Wh"
    assert format_energy(0) == "0 µJ"
    assert format_carbon(0.0051) == "5.10 mgCO2e"
    assert format_percent(0.05) == "5%"
    assert format_percent(0.231, signed=True) == "+23.1%"
    assert format_percent(10.0) == "1000%"
    assert format_percent(1.5) == "150%"
    assert parse_percent(format_percent(0.05)) == pytest.approx(0.05)
