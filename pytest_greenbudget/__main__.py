"""``python -m pytest_greenbudget`` is the ``greenbudget`` console script."""

from __future__ import annotations

from pytest_greenbudget.cli import main

raise SystemExit(main())
