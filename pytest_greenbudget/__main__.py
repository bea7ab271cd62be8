"""``python -m pytest_greenbudget`` is the ``greenbudget`` console script."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
