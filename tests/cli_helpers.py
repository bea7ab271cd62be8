"""Running the ``greenbudget`` console script in-process, as the CLI tests see it."""

from __future__ import annotations

import pytest

from pytest_greenbudget.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``greenbudget ARGV...``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    """Bad input: one ``greenbudget: error:`` line naming what is wrong, never a traceback."""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("greenbudget: error: ")
    assert all(fragment in err for fragment in fragments)
