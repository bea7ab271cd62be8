"""The layout's rules (docs/architecture.md), checked on the source: stages import only
stages below them, nothing imports plugin.py, there is no import circle, the pure stages
import no pytest, the report model imports nothing of ours, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "pytest_greenbudget"

# Lowest first. A module may import its own stage and any stage below it, never above.
# The report model and units are the shared vocabulary every stage speaks.
STAGES = (
    ("vocabulary", ("", "units", "untrusted", "report.model")),
    ("meters", ("meters",)),  # backends: they know hardware, not settings
    ("settings", ("settings",)),
    ("measure", ("measure",)),
    ("report", ("report",)),
    ("gate", ("gate",)),
    ("one run", ("session", "invocation")),  # a session's state (no pytest), pytest read-outs
    ("paired", ("paired",)),
    ("render", ("render",)),
    ("github", ("github",)),
    ("commands", ("commands", "cli", "__main__")),
    ("pytest face", ("budgeted", "cmdline", "startup", "finish", "hookspecs", "plugin")),
)
PURE = ("settings", "gate", "report", "render", "units")
MAX_LINES = 330
MAX_TOP_MODULES = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module of ours that ``path`` imports, at the top or inside a function."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.split(".")[0] == "pytest_greenbudget":
                target = node.module.removeprefix("pytest_greenbudget").lstrip(".")
            else:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}".lstrip(".")
                found.add(full if full in MODULES else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pytest_greenbudget."):
                    found.add(alias.name.removeprefix("pytest_greenbudget."))
    return found - {name}


def stage_of(module: str) -> int:
    best = (-1, -1)  # (length of the longest matching prefix, stage)
    for rank, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            if module == prefix or (prefix and module.startswith(prefix + ".")):
                best = max(best, (len(prefix), rank))
    assert best[1] >= 0, f"{module} belongs to no stage: add it to STAGES"
    return best[1]


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(f) for f in FILES}
GRAPH = {module_name(f): imports_of(f) & MODULES for f in FILES}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_a_module_imports_no_stage_above_its_own(module: str) -> None:
    above = sorted(m for m in GRAPH[module] if stage_of(m) > stage_of(module))
    assert not above, f"{module} ({STAGES[stage_of(module)][0]}) imports {above}"


def test_nothing_imports_the_plugin_module() -> None:
    assert [m for m, deps in GRAPH.items() if "plugin" in deps] == []


def test_there_is_no_import_circle() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(GRAPH[module]):
            if state.get(dep) == 1:
                circle = [*path[path.index(dep) :], dep]
                pytest.fail("import circle: " + " -> ".join(circle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("path", FILES, ids=module_name)
def test_pure_stages_import_no_pytest(path: Path) -> None:
    if not module_name(path).startswith(PURE):
        return
    tree = ast.parse(path.read_text())
    roots = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    assert not roots & {"pytest", "_pytest"}


def test_the_report_model_imports_nothing_of_ours() -> None:
    assert GRAPH["report.model"] == set()


@pytest.mark.parametrize("path", FILES, ids=module_name)
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines; split it by role"


def test_the_top_of_the_package_stays_short() -> None:
    top = sorted(f.name for f in PACKAGE.glob("*.py") if f.stem not in ("__init__", "__main__"))
    assert len(top) <= MAX_TOP_MODULES, top
