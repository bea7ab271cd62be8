"""Property-based fuzzing of the report reader and the config loader.

Whatever the input, the answer is a value or the project's own error type (ReportError,
ConfigError), never another exception; and a report the reader accepts, every renderer can
show. Example counts are modest so the suite stays fast; raise them to hunt with
``GREENBUDGET_FUZZ_EXAMPLES=5000``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from github_double import entry, report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_greenbudget.commands.compare import render_table
from pytest_greenbudget.gate.compare import compare_reports
from pytest_greenbudget.render.html import render_html
from pytest_greenbudget.render.markdown import render_markdown
from pytest_greenbudget.render.terminal import summary_lines
from pytest_greenbudget.render.view import build_view
from pytest_greenbudget.report.io import parse_report
from pytest_greenbudget.report.model import Report, ReportError
from pytest_greenbudget.settings.configfile import ConfigError, load_pyproject, load_yaml
from pytest_greenbudget.settings.plans import FileConfig

FUZZ = settings(
    max_examples=int(os.environ.get("GREENBUDGET_FUZZ_EXAMPLES", "60")),
    deadline=None,  # a shared 2-core VM: timing says nothing here
    suppress_health_check=[HealthCheck.too_slow],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)


def _valid() -> dict[str, Any]:
    base = entry("tests/t.py::test_a", 2.0, base=1.0, budget=5.0, message="m")
    data = report(base, entry("tests/t.py::test_b", None, verdict="new")).to_dict()
    data["tests"][0]["work"] = {"units": 10, "unit": "sample"}
    data["tests"][0]["ci_j"] = [1.9, 2.1]
    data["tests"][0]["baseline"].update(mode="paired", ref="main", pairs=[[2.0, 1.0]])
    data["incomplete"], data["incomplete_reason"] = True, "interrupted"
    return data


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


PATHS = _paths(_valid())


def _shown_everywhere(result: Report) -> None:
    """What the reader accepted, every consumer handles without an exception."""
    summary_lines(result)
    render_markdown(build_view(result))
    render_html(result)
    comparison = compare_reports(result, result)
    render_table(comparison)
    json.dumps(comparison.report.to_dict(), allow_nan=False)


def _read(data: bytes) -> Report | None:
    try:
        result = parse_report(data, "fuzz.json")
    except ReportError:
        return None
    _shown_everywhere(result)
    return result


@FUZZ
@given(JSON)
def test_fuzz_arbitrary_json_is_a_report_or_a_report_error(value: object) -> None:
    _read(json.dumps(value).encode())


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_arbitrary_bytes_are_a_report_or_a_report_error(data: bytes) -> None:
    _read(data)


@FUZZ
@given(st.sampled_from(PATHS), JSON | st.just("<delete>"))
def test_fuzz_mutated_valid_reports_are_read_or_refused(
    path: tuple[Any, ...], value: object
) -> None:
    data = copy.deepcopy(_valid())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value == "<delete>":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    _read(json.dumps(data).encode())


def test_fuzz_the_valid_report_itself_is_read() -> None:
    assert _read(json.dumps(_valid()).encode()) is not None


CONFIG_KEYS = st.sampled_from(
    ["version", "defaults", "budgets", "match", "marker", "energy", "repeats", "warmup", "pue",
     "intensity", "region", "tolerance", "per", "meter", "watts_per_vcpu", "session_noise", "x"]
)  # fmt: skip
CONFIG = st.recursive(
    SCALARS | st.sampled_from(["5 J", "1e-320 J", "5%", "FRA", ".nan", "1e400"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CONFIG_KEYS, inner, max_size=4),
    max_leaves=20,
)


def _load(path: Path) -> None:
    loader = load_pyproject if path.suffix == ".toml" else load_yaml
    with contextlib.suppress(ConfigError):
        FileConfig.from_raw(loader(path))


@FUZZ
@given(
    text=st.text(max_size=200) | CONFIG.map(lambda v: yaml.safe_dump(v, default_flow_style=None))
)
def test_fuzz_yaml_config_is_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("yaml") / "greenbudget.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load(path)


def _toml(value: object) -> str:
    """A [tool.greenbudget] table with keys holding JSON-ish literals (TOML's are alike)."""
    table = value if isinstance(value, dict) else {"defaults": value}
    lines = ["[tool.greenbudget]"]
    for key, item in table.items():
        lines.append(
            f"{key} = {json.dumps(item) if not isinstance(item, bool) else str(item).lower()}"
        )
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=st.text(max_size=200) | CONFIG.map(_toml))
def test_fuzz_toml_config_is_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("toml") / "pyproject.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load(path)
