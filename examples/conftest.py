from __future__ import annotations

from importlib.metadata import entry_points
from importlib.util import find_spec

import numpy as np
import pytest
from tinyml import MLP, fit, two_moons

# The README's first command installs the package, whose entry point loads the plugin. Its
# pytest half run alone in a clone where nothing is installed yet would stop on pytest's
# "unrecognized arguments: --greenbudget-report" (exit 4); `python -m pytest` from the clone
# can still import the plugin from its source, so load it from there. Installed, this adds
# nothing: a second registration of the same plugin would be refused.
_INSTALLED = any(ep.value == "pytest_greenbudget.plugin" for ep in entry_points(group="pytest11"))
if not _INSTALLED and find_spec("pytest_greenbudget") is not None:
    pytest_plugins = ["pytest_greenbudget.plugin"]


@pytest.fixture(scope="session")
def dataset() -> tuple[np.ndarray, np.ndarray]:
    return two_moons(4000)


@pytest.fixture(scope="session")
def model(dataset: tuple[np.ndarray, np.ndarray]) -> MLP:
    return fit(*dataset, epochs=10)
