"""pytest-greenbudget: energy budgets for ML tests."""

from __future__ import annotations

__version__ = "0.1.0"
