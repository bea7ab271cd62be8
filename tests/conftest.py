from __future__ import annotations

from pathlib import Path

import pytest

SUPPORT = Path(__file__).parent / "support"


@pytest.fixture
def gb(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose runs use the deterministic fake meter and no cache."""
    pytester.syspathinsert(SUPPORT)
    pytester.makeconftest("pytest_plugins = ['fakemeter']\n")
    # Unrelated plugins installed here would be re-imported (and assertion-rewritten) on
    # every in-process run; blocking them keeps a pytester run around 0.1 s.
    pytester.makeini(
        "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest -p no:benchmark\n"
    )
    return pytester
