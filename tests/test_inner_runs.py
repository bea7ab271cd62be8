"""The suite's inner pytest runs load none of the unrelated plugins installed here."""

from __future__ import annotations

import pytest


def test_an_inner_run_that_finds_no_ini_still_loads_no_unrelated_plugin(
    gb: pytest.Pytester, recwarn: pytest.WarningsRecorder
) -> None:
    # As when a baseline path outside the folder moves the rootdir: no ini is read.
    (gb.path / "tox.ini").unlink()
    gb.makepyfile("def test_a():\n    pass\n")
    result = gb.runpytest()
    result.assert_outcomes(passed=1)
    plugins = next(line for line in result.stdout.lines if line.startswith("plugins:"))
    assert "asyncio" not in plugins and "benchmark" not in plugins, plugins
    assert [str(w.message) for w in recwarn] == []


def test_a_test_can_still_turn_pytest_asyncio_back_on(gb: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    gb.makepyfile("def test_a():\n    pass\n")
    result = gb.runpytest("-p", "asyncio", "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=1)
    plugins = next(line for line in result.stdout.lines if line.startswith("plugins:"))
    assert "asyncio" in plugins, plugins
