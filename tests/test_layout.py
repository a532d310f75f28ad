"""The layers of `recognition/` and the one way their imports run (docs/adr/0005-layout.md).

Read from the source with `ast`, so an import anywhere in a module counts,
inside a function too. A contract that fails names the module and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "recognition"

# Each layer, and the layers (and top-level modules) it may import; `models` is recognition.models.
LAYERS = {
    "rules": {"rules", "models"},
    "site": {"site", "rules", "http", "models", "spreadsheets"},
    "api": {"api", "rules", "http", "site"},
    "http": {"http", "rules"},
    "staff": {"staff", "rules", "models", "history", "spreadsheets"},
    "notice_files": {"notice_files", "rules", "models", "history"},
    "admin": {"admin", "staff", "notice_files", "rules", "models", "history"},
    "management": {"management", "notice_files", "staff", "models", "rules"},
}
# The book types and the engine are plain data and plain functions: no database, no models.
PURE = {
    "recognition.rules.book",
    "recognition.rules.engine",
    "recognition.rules.clause_numbers",
    "recognition.rules.route_search",
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """Every module the file imports, as a dotted name (`from a import b` counts a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "recognition" else None


def app_modules(names: set[str]) -> set[str]:
    known = modules()
    return {name for name in names if name in known and name != "recognition"}


def test_every_layer_imports_only_the_layers_below_it():
    wrong = []
    for module, path in modules().items():
        own = layer(module)
        if own not in LAYERS:
            continue
        for imported in app_modules(imports(path)):
            if layer(imported) not in LAYERS[own]:
                wrong.append(f"{module} imports {imported}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_nothing_imports_the_admin():
    wrong = [
        f"{module} imports {imported}"
        for module, path in modules().items()
        if layer(module) != "admin"
        for imported in app_modules(imports(path))
        if layer(imported) == "admin"
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("module", sorted(PURE))
def test_the_rule_book_and_the_engine_touch_no_database(module):
    found = imports(modules()[module])
    assert not {name for name in found if name.startswith(("django", "recognition.models"))}, found


def test_no_circle_of_imports():
    graph = {module: app_modules(imports(path)) - {module} for module, path in modules().items()}
    # A package's __init__ is imported by each of its modules; that is not a circle.
    graph = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in graph.items()}
    circles = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in graph.get(module, ()):
            if imported in trail:
                circles.append(" → ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*trail, imported])
        done.add(module)

    done: set[str] = set()
    for module in graph:
        if module not in done:
            visit(module, [module])
    assert not circles, circles


def test_the_contract_catches_an_import_from_the_core_into_a_layer_above(tmp_path):
    """The check itself: a rules module importing the site is named."""
    source = tmp_path / "example.py"
    source.write_text("from recognition.site import presenters\n", encoding="utf-8")
    found = app_modules(imports(source))
    assert found and all(layer(name) not in LAYERS["rules"] for name in found)


def long_functions(path: Path) -> list[str]:
    """Functions over MAX_FUNCTION_LINES whose first lines do not say why."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            said_why = any("# long:" in line for line in lines[node.lineno - 1 : node.lineno + 3])
            if length > MAX_FUNCTION_LINES and not said_why:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return found


def code_files() -> list[Path]:
    return [path for path in [*APP.rglob("*.py"), *(ROOT / "config").glob("*.py")] if "migrations" not in path.parts]


def test_no_module_over_500_lines():
    long = [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in code_files()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, long


def test_no_function_over_80_lines_unless_it_says_why():
    found = [problem for path in code_files() for problem in long_functions(path)]
    assert not found, found
