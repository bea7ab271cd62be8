"""How the suite's own inner pytest runs (pytester) are isolated from the host's plugins.

Unrelated plugins installed here would be re-imported (and assertion-rewritten) on every
in-process run, and pytest-asyncio warns at configure time that its loop scope is unset. They
are blocked through PYTEST_ADDOPTS rather than an ini file alone, because an inner run does not
always read the ini pytester wrote: a path outside the test folder on its command line moves
its rootdir, and then no ini is found. A test that needs pytest-asyncio or
pytest-rerunfailures turns it back on with "-p asyncio" (given after these, it wins).
"""

from __future__ import annotations

import pytest

BLOCKED = (
    "-p no:cacheprovider -p no:hypothesispytest -p no:benchmark -p no:asyncio -p no:rerunfailures"
)


def isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block the unrelated plugins in every inner run of this test, whatever ini it reads.

    Call it after pytester is set up: pytester clears PYTEST_ADDOPTS when it starts."""
    monkeypatch.setenv("PYTEST_ADDOPTS", BLOCKED)
