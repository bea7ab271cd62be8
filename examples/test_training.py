"""Training tests: the budget guards the cost of fitting, the assertion its quality."""

from __future__ import annotations

import numpy as np
import pytest
from tinyml import fit


@pytest.mark.greenbudget(energy="1.5 J")  # absolute budget on the whole call
def test_fit_tiny_mlp(dataset: tuple[np.ndarray, np.ndarray]) -> None:
    model = fit(*dataset, epochs=20)
    assert model.accuracy(*dataset) > 0.9


@pytest.mark.training  # budget from greenbudget.yaml, selected by this marker
def test_more_epochs_do_not_hurt(dataset: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = dataset
    assert fit(x, y, epochs=16).accuracy(x, y) >= fit(x, y, epochs=4).accuracy(x, y) - 0.02
