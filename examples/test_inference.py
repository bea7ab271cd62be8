"""Inference tests: explicit measurement windows and a per-sample budget."""

from __future__ import annotations

import numpy as np
import pytest
from tinyml import MLP, two_moons


@pytest.mark.parametrize("batch_size", [256, 4096])
def test_batch_inference(model: MLP, batch_size: int, greenbudget) -> None:  # type: ignore[no-untyped-def]
    x, _ = two_moons(batch_size, seed=7)  # data preparation: not measured
    with greenbudget.measure():  # only the prediction counts
        for _ in range(20):
            model.predict(x)
    greenbudget.work(20 * batch_size, "sample")  # budget is per sample (greenbudget.yaml)


def test_accuracy_is_unmeasured(model: MLP, dataset: tuple[np.ndarray, np.ndarray]) -> None:
    # No marker and no budget entry: this test runs once, unmeasured.
    assert model.accuracy(*dataset) > 0.9
