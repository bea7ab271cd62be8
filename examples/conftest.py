from __future__ import annotations

import numpy as np
import pytest
from tinyml import MLP, fit, two_moons


@pytest.fixture(scope="session")
def dataset() -> tuple[np.ndarray, np.ndarray]:
    return two_moons(4000)


@pytest.fixture(scope="session")
def model(dataset: tuple[np.ndarray, np.ndarray]) -> MLP:
    return fit(*dataset, epochs=10)
