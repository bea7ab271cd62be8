"""Read greenbudget.yaml / [tool.greenbudget] into plain data plus a line for every key.

Errors must name the file, the line and the key, so the YAML is composed into nodes (which
carry positions) rather than loaded blind. TOML parsers give no positions; for pyproject.toml
the line is found by scanning the text for the table header and key, which is exact for the
layouts people write (one key per line) and otherwise points at the table.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KeyPath = tuple[str | int, ...]
MAX_DEPTH = 20  # a budget file is three levels deep; the bound keeps the recursive walks safe


class ConfigError(ValueError):
    """Bad configuration; str() is the whole message, starting with file:line."""


@dataclass(frozen=True)
class RawConfig:
    """The configuration as plain data, where it came from, and the line of each key."""

    path: Path
    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)
    table: str = ""  # "[tool.greenbudget] " for pyproject.toml, shown in messages

    def where(self, key: KeyPath) -> str:
        """'greenbudget.yaml:7: budgets[0].energy' for messages."""
        line = self._line(key)
        spot = f"{self.path.name}:{line}" if line else self.path.name
        return f"{spot}: {self.table}{format_key(key)}" if key else spot

    def _line(self, key: KeyPath) -> int | None:
        while key not in self.lines and key:
            key = key[:-1]  # an absent key is reported at its parent's line
        return self.lines.get(key)

    def error(self, key: KeyPath, message: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {message}")


def format_key(key: KeyPath) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_yaml(path: Path) -> RawConfig:
    import yaml

    text = _read(path)
    try:
        _check_events(text, path)  # before anything walks the tree
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line
        raise ConfigError(f"{path.name}{line}: invalid YAML: {problem}") from None
    except ConfigError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp of 2024-13-45
        raise ConfigError(f"{path.name}: invalid YAML value: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path.name}: nested deeper than {MAX_DEPTH} levels") from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _yaml_lines(node, (), lines, path)
    return RawConfig(path, _top(data, path), lines)


def _check_events(text: str, path: Path) -> None:
    """Refuse aliases and deep nesting from the parser's flat event stream, before the
    (recursive) composer runs: 400 bytes of nested aliases expand to gigabytes, and 3,000
    levels of nesting overflow the stack. A budget file needs neither."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ConfigError(
                f"{path.name}:{line}: YAML anchors and aliases (&name, *name) are not "
                "supported in a greenbudget config; write the values out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{path.name}:{line}: nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _yaml_lines(node: Any, key: KeyPath, lines: dict[KeyPath, int], path: Path) -> None:
    import yaml

    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for knode, vnode in node.value:
            if knode.tag != "tag:yaml.org,2002:str":
                line = knode.start_mark.line + 1
                raise ConfigError(
                    f"{path.name}:{line}: {format_key(key) or 'top level'}: key "
                    f"{str(knode.value)[:40]!r} is not text; keys are names such as 'defaults'"
                )
            name = str(knode.value)
            if name in seen:
                line = knode.start_mark.line + 1
                raise ConfigError(f"{path.name}:{line}: {format_key((*key, name))}: duplicate key")
            seen.add(name)
            child: KeyPath = (*key, name)
            _yaml_lines(vnode, child, lines, path)
            lines[child] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _yaml_lines(item, (*key, index), lines, path)


def load_pyproject(path: Path) -> RawConfig | None:
    """The [tool.greenbudget] table, or None when pyproject.toml has none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib's parser recurses on nested arrays and inline tables
        raise ConfigError(f"{path.name}: invalid TOML: nested too deeply") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path.name}: 'tool' must be a table ([tool.NAME]), not {_kind(tool)}")
    table = tool.get("greenbudget")
    if table is None:
        return None
    raw = RawConfig(path, _top(table, path), table="[tool.greenbudget] ")
    return RawConfig(raw.path, raw.data, _toml_lines(text, raw.data), raw.table)


def _toml_lines(text: str, data: dict[str, Any]) -> dict[KeyPath, int]:
    """Best-effort positions: header lines for tables, `key =` lines below them."""
    lines: dict[KeyPath, int] = {}
    all_lines = text.splitlines()
    header = re.compile(r"^\s*\[\[?\s*tool\.greenbudget(?:\.(\w+))?\s*\]\]?")
    current: KeyPath | None = None
    counts: dict[str, int] = {}
    for number, line in enumerate(all_lines, start=1):
        match = header.match(line)
        if match:
            current = _toml_table_key(match.group(1), line, counts)
            lines.setdefault(current, number)
            continue
        key = re.match(r"^\s*([A-Za-z0-9_-]+)\s*=", line)
        if current is not None and key:
            lines.setdefault((*current, key.group(1)), number)
        elif line.lstrip().startswith("["):
            current = None  # another tool's table
    return lines


def _toml_table_key(sub: str | None, line: str, counts: dict[str, int]) -> KeyPath:
    if sub is None:
        return ()
    if line.lstrip().startswith("[["):
        counts[sub] = counts.get(sub, -1) + 1
        return (sub, counts[sub])
    return (sub,)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"
        ) from None


def _top(data: object, path: Path) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path.name}:1: the top level must be a mapping of keys, not {_kind(data)}"
        )
    return data


def _kind(value: object) -> str:
    names = {list: "a list", str: "text", int: "a number", float: "a number", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


VALID_FILES = "greenbudget.yaml, greenbudget.yml, or a .toml with a [tool.greenbudget] table"


def _explicit(path: Path) -> RawConfig:
    """A file the user named: it must exist, be a file, and hold the configuration."""
    if path.is_dir():
        raise ConfigError(
            f"{path}: --greenbudget-config names a directory; give a file in it: {VALID_FILES}"
        )
    if not path.is_file():
        raise ConfigError(f"{path}: --greenbudget-config names no such file ({VALID_FILES})")
    if path.suffix != ".toml":
        return load_yaml(path)
    table = load_pyproject(path)
    if table is None:  # found implicitly, a pyproject.toml without the table is fine
        raise ConfigError(
            f"{path.name}: no [tool.greenbudget] table; --greenbudget-config needs a file that "
            f"holds the configuration ({VALID_FILES})"
        )
    return table


def find_config(rootdir: Path, explicit: str | None) -> RawConfig | None:
    """--greenbudget-config, else greenbudget.yaml/.yml at the rootdir, else pyproject.toml."""
    if explicit:
        return _explicit(Path(explicit))
    found = [
        rootdir / n for n in ("greenbudget.yaml", "greenbudget.yml") if (rootdir / n).is_file()
    ]
    pyproject = rootdir / "pyproject.toml"
    table = load_pyproject(pyproject) if pyproject.is_file() else None
    if len(found) + (table is not None) > 1:
        names = [p.name for p in found] + (["pyproject.toml [tool.greenbudget]"] if table else [])
        raise ConfigError(
            f"{rootdir}: more than one greenbudget config: {', '.join(names)}; keep one"
        )
    return load_yaml(found[0]) if found else table
