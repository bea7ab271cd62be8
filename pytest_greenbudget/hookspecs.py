"""The plugin's own hooks, added to pytest in ``pytest_addhooks``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .meters.base import Meter


@pytest.hookspec(firstresult=True)
def pytest_greenbudget_make_meter(config: pytest.Config, name: str) -> Meter | None:
    """Return the meter to use for ``name`` (``--greenbudget-meter``), or None to pass.

    The first non-None answer wins; the built-in meters answer last. A meter implements
    ``pytest_greenbudget.meters.base.Meter``: ``start() -> token``, ``stop(token) -> Reading``,
    ``describe()`` and ``close()``. Raise ``MeterUnavailable`` to stop the run with a message.

    Example, in a ``conftest.py``::

        def pytest_greenbudget_make_meter(config, name):
            if name == "plug":
                return SmartPlugMeter("http://192.0.2.7/energy")
            return None
    """
