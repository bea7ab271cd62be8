"""Every report reader refuses malformed reports with one line (exit 2 in
the CLI), and what the reader accepts, every renderer can show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_one_line_error, run
from github_double import entry, report

Mutation = Callable[[dict[str, Any]], None]


def _test(data: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = data["tests"][0]
    return test


def _set(path: str, value: object) -> Mutation:
    """Set a dotted key below tests[0] (``t.``) or the top level."""

    def mutate(data: dict[str, Any]) -> None:
        keys = path.split(".")
        node: Any = _test(data) if keys[0] == "t" else data
        for key in keys[1:-1] if keys[0] == "t" else keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


# (name, mutation or raw bytes, a fragment the one error line must hold)
MALFORMED: list[tuple[str, Mutation | bytes, str]] = [
    ("ci_j of one number", _set("t.ci_j", [1.0]), "'ci_j' must hold exactly two numbers"),
    ("repeats of 1e400", b'"repeats": 1e400', "out of range"),
    ("cpu_count of 1e400", _set("environment.cpu_count", 1e300), "'cpu_count' must be a whole"),
    ("an integer of 10**400", _set("t.energy_j", 10**400), "'energy_j' must be a number between"),
    ("carbon.region of 5", _set("carbon.region", 5), "'region' must be a string, not int"),
    ("budget.energy_j text", _set("t.budget", {"source": "x", "energy_j": "5 J"}), "energy_j"),
    ("baseline.ratio text", _set("t.baseline.ratio", "x"), "'ratio' must be a number"),
    ("environment.commit 5", _set("environment.commit", 5), "'commit' must be a string"),
    ("a negative energy", _set("t.samples_j", [1.0, -1.0]), "'samples_j'[1]"),
    ("an energy of 1e308", _set("t.energy_j", 1e308), "between 0 and 1e+15"),
    ("a subnormal energy", _set("t.samples_j", [5e-324]), "0 or at least 1e-15 J"),
    ("a p-value of 2", _set("t.baseline.p_value", 2), "'p_value' must be a number between 0"),
    ("pairs of three", _set("t.baseline.pairs", [[1, 2, 3]]), "exactly two numbers"),
    ("a pue of 0", _set("carbon.pue", 0), "'pue'"),
    ("incomplete as text", _set("incomplete", "yes"), "'incomplete' must be true or false"),
    ("a mode of sideways", _set("t.baseline.mode", "sideways"), "'paired' or 'unpaired'"),
    (
        "your_code as text",
        _set("t.profile_diff", {"unit": "J", "functions": [], "cost_s": 0.1, "your_code": "x"}),
        "'profile_diff'.your_code must be a list",
    ),
    ("UTF-16", b"utf-16", "UTF-16 text"),
    ("invalid UTF-8", b"\xff", "not UTF-8 text"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
]


def _good() -> dict[str, Any]:
    data = report(entry("tests/t.py::test_a", 2.0, base=1.0, budget=5.0)).to_dict()
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, how: Mutation | bytes) -> str:
    path = tmp_path / "bad.json"
    if how == b"utf-16":
        path.write_bytes(json.dumps(_good()).encode("utf-16"))
    elif how == b'"repeats": 1e400':
        path.write_text(json.dumps(_good()).replace('"repeats": 0', '"repeats": 1e400', 1))
    elif isinstance(how, bytes):
        path.write_bytes(how)
    else:
        data = _good()
        how(data)
        path.write_text(json.dumps(data))
    return str(path)


COMMANDS: dict[str, Callable[[str, str, Path], list[str]]] = {
    "compare (base)": lambda bad, good, tmp: ["compare", bad, good],
    "compare (head)": lambda bad, good, tmp: ["compare", good, bad],
    "render": lambda bad, good, tmp: ["render", "--html", str(tmp / "o.html"), bad],
    "render --baseline": lambda bad, good, tmp: [
        "render", "--html", str(tmp / "o.html"), good, "--baseline", bad,
    ],
    "merge": lambda bad, good, tmp: ["merge", str(tmp / "m.json"), bad],
    "noise": lambda bad, good, tmp: ["noise", good, bad],
    "comment": lambda bad, good, tmp: ["comment", "--report", bad, "--mode", "never"],
    "comment --baseline": lambda bad, good, tmp: [
        "comment", "--report", good, "--baseline", bad, "--mode", "never",
    ],
}  # fmt: skip


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("name", "how", "fragment"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_every_reader_refuses_a_malformed_report_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    name: str,
    how: Mutation | bytes,
    fragment: str,
) -> None:
    for variable in ("GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    bad = _write(tmp_path, how)
    (tmp_path / "good.json").write_text(json.dumps(_good()))
    code, _, err = run(capsys, *COMMANDS[command](bad, str(tmp_path / "good.json"), tmp_path))
    assert code == 2, err
    assert_one_line_error(err, "bad.json", fragment)


@pytest.mark.parametrize(("name", "how", "fragment"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_the_plugin_baseline_reader_refuses_it_as_a_usage_error(
    gb: pytest.Pytester, name: str, how: Mutation | bytes, fragment: str
) -> None:
    bad = _write(gb.path, how)
    gb.makepyfile(test_x="def test_x():\n    pass\n")
    result = gb.runpytest(f"--greenbudget-baseline={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [line for line in result.stderr.lines if line.startswith("ERROR: greenbudget: ")]
    assert "bad.json" in line and fragment in line, line


def test_noise_on_the_extremes_the_reader_allows_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for i, energy in enumerate((0.99e15, 1.02e-15)):  # the entries' jitter stays in range
        data = report(entry("tests/t.py::test_a", energy)).to_dict()
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps(data))
        paths.append(str(path))
    code, _, err = run(capsys, "noise", *paths, "--json")
    assert code == 2
    assert_one_line_error(err, "not A/A runs of the same code")
