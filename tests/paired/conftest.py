from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def workers_import_the_fake_meter(fake_meter_in_subprocesses: None) -> None:
    """Every paired run here starts worker processes: they need the fake meter too."""
