"""A tiny two-layer network in numpy: the kind of model a unit test trains in a second."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def two_moons(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with noise: a classic non-linear toy problem."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(angle), 1 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    features = np.column_stack([x, y]) + rng.normal(0, 0.1, (n, 2))
    return features.astype(np.float32), upper.astype(np.float32)


@dataclass
class MLP:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @classmethod
    def init(cls, hidden: int = 64, seed: int = 0) -> MLP:
        rng = np.random.default_rng(seed)
        return cls(
            rng.normal(0, 1.0, (2, hidden)).astype(np.float32),
            np.zeros(hidden, np.float32),
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, 1)).astype(np.float32),
            np.zeros(1, np.float32),
        )

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hidden = np.tanh(x @ self.w1 + self.b1)
        logits = hidden @ self.w2 + self.b2
        return hidden, 1 / (1 + np.exp(-logits[:, 0]))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[1] > 0.5

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == (y > 0.5)))


def fit(x: np.ndarray, y: np.ndarray, epochs: int, batch: int = 32, lr: float = 0.5) -> MLP:
    """Plain mini-batch SGD on the logistic loss."""
    model = MLP.init()
    rng = np.random.default_rng(1)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            _step(model, x[idx], y[idx], lr)
    return model


def _step(model: MLP, x: np.ndarray, y: np.ndarray, lr: float) -> None:
    hidden, prob = model.forward(x)
    grad_logit = (prob - y)[:, None] / len(x)
    grad_hidden = grad_logit @ model.w2.T * (1 - hidden**2)
    model.w2 -= lr * hidden.T @ grad_logit
    model.b2 -= lr * grad_logit.sum(0)
    model.w1 -= lr * x.T @ grad_hidden
    model.b1 -= lr * grad_hidden.sum(0)
