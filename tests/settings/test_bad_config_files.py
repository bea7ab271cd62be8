"""Hostile config files give one ConfigError line naming the file, fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_greenbudget.settings.configfile import ConfigError, load_pyproject, load_yaml
from pytest_greenbudget.settings.plans import FileConfig

# 426 bytes that expand to 9**9 list items if any pass walks the aliases.
ALIAS_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)),
    ]
)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (ALIAS_BOMB, ("greenbudget.yaml:1:", "anchors and aliases")),
        ("defaults: " + "[" * 3000 + "]" * 3000 + "\n", ("greenbudget.yaml:1:", "nested deeper")),
        ("null: 1\n", ("greenbudget.yaml:1:", "top level", "not text")),
        ("1.5: 1\n", ("greenbudget.yaml:1:", "'1.5' is not text")),
        ("defaults:\n  ? [a, b]\n  : 1\n", ("greenbudget.yaml:2:", "unhashable key")),
        ("version: 2024-13-45\n", ("greenbudget.yaml",)),
        ("- 1\n- 2\n", ("not a list",)),
    ],
)
def test_hostile_yaml_is_one_config_error(
    tmp_path: Path, text: str, fragments: tuple[str, ...]
) -> None:
    path = tmp_path / "greenbudget.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        FileConfig.from_raw(load_yaml(path))
    message = str(caught.value)
    assert "\n" not in message and all(f in message for f in fragments), message


def test_the_alias_bomb_is_refused_before_any_expansion(tmp_path: Path) -> None:
    path = tmp_path / "greenbudget.yaml"
    path.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB.encode()) < 500
    with pytest.raises(ConfigError, match="aliases"):
        load_yaml(path)  # without the event check this grows to gigabytes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("tool = 5\n", "'tool' must be a table"),
        ("[tool]\ngreenbudget = 5\n", "top level must be a mapping of keys, not a number"),
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "invalid TOML"),
    ],
)
def test_hostile_toml_is_one_config_error(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_pyproject(path)


@pytest.mark.parametrize("name", ["greenbudget.yaml", "pyproject.toml"])
def test_invalid_utf8_names_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"defaults:\n  region: \xff\xfe\n")
    loader = load_pyproject if name.endswith(".toml") else load_yaml
    with pytest.raises(ConfigError, match=rf"{name}: not UTF-8 text \(invalid byte at offset"):
        loader(path)


def test_a_bad_config_is_a_usage_error_line_in_pytest(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").write_text(ALIAS_BOMB)
    gb.makepyfile(test_x="def test_x():\n    pass\n")
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "Traceback" not in result.stderr.str()
    result.stderr.fnmatch_lines(["ERROR: greenbudget: greenbudget.yaml:1: YAML anchors*"])
