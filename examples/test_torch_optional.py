"""The same idea with PyTorch, when it is installed (skipped otherwise)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


@pytest.mark.greenbudget(energy="30 J", repeats=2)
def test_torch_linear_regression() -> None:
    torch.manual_seed(0)
    x = torch.randn(4096, 16)
    y = x @ torch.randn(16, 1) + 0.1 * torch.randn(4096, 1)
    model = torch.nn.Linear(16, 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(200):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimiser.step()
    assert loss.item() < 0.05
