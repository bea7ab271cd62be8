"""Budget verdicts where the run's carbon intensity is a stand-in: energy still judged, a
carbon budget set for a region not judged with the world average."""

from __future__ import annotations

import pytest

from pytest_greenbudget.gate.budget import Figures, verdict
from pytest_greenbudget.report.model import CarbonSettings
from pytest_greenbudget.settings.carbon import WORLD_INTENSITY, carbon_settings
from pytest_greenbudget.settings.plans import BudgetSpec

FRANCE = CarbonSettings(56.039, "France 2023 (codecarbon)", 1.2, "FRA")
FALLBACK = CarbonSettings(
    WORLD_INTENSITY,
    "world average: region FRA needs codecarbon's data, which is not installed "
    "(pip install codecarbon, or set 'intensity')",
    1.2,
)
CARBON_ONLY = BudgetSpec("greenbudget.yaml:14", carbon_g=40e-6)


def figures(joules: float, settings: CarbonSettings) -> Figures:
    from pytest_greenbudget.settings import carbon

    return Figures(joules, None, carbon.grams(joules, settings), None)


def test_a_carbon_budget_is_judged_at_its_regions_intensity() -> None:
    # 0.25 J at France's intensity: 4.7 µg of a 40 µg budget; at the world average, 40 µg.
    assert verdict(figures(0.25, FRANCE), CARBON_ONLY, FRANCE)[0] == "ok"
    assert verdict(figures(2.5, FRANCE), CARBON_ONLY, FRANCE)[0] == "over-budget"


def test_a_fallback_intensity_leaves_a_carbon_budget_unjudged_and_says_why() -> None:
    status, message, used = verdict(figures(2.5, FALLBACK), CARBON_ONLY, FALLBACK)
    assert (status, used) == ("ok", None)
    assert message == f"carbon budget not enforced: {FALLBACK.source}"


def test_an_energy_budget_is_still_judged_beside_an_unjudged_carbon_one() -> None:
    both = BudgetSpec("greenbudget.yaml:14", energy_j=2.0, carbon_g=40e-6)
    status, message, used = verdict(figures(2.5, FALLBACK), both, FALLBACK)
    assert status == "over-budget" and used == pytest.approx(1.25)
    assert message is not None and message.startswith("energy budget exceeded: 2.50 J > 2.00 J")
    assert message.endswith("carbon budget not enforced: " + FALLBACK.source)


def test_the_fallback_is_what_carbon_settings_makes_without_codecarbon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_greenbudget.settings import carbon

    monkeypatch.setattr(carbon, "find_spec", lambda name: None)
    carbon._energy_mix.cache_clear()
    assert carbon.is_fallback(carbon_settings("fra", None, 1.2))
    assert not carbon.is_fallback(carbon_settings(None, None, 1.2))  # the plain default
    assert not carbon.is_fallback(carbon_settings(None, 300.0, 1.0))
