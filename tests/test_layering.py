"""sim_models' import graph: no module but the CLI imports the CLI, every import of a sim_models module
is at module level (none hidden in a function to dodge a circle), and the graph has no cycle."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "sim_models"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.ImportFrom | ast.Import, importer: str, is_package: bool) -> list[str]:
    """sim_models modules a statement imports (`from . import x` counts as importing x)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "sim_models"]
    if node.level == 0:
        return [node.module] if node.module and node.module.split(".")[0] == "sim_models" else []
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    if node.module:
        return [".".join(base + [node.module])]
    return [".".join(base + [a.name]) for a in node.names]


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """module -> the sim_models modules it imports (anywhere in it); and every import of one found
    inside a function or class body ("module: line ...")."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    nested: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        top = set(tree.body)   # module level (an `if TYPE_CHECKING:` block would count as nested)
        graph[name] = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = [t for t in imported(node, name, path.name == "__init__.py")]
            targets = [t if t in modules else t.rsplit(".", 1)[0] for t in targets]   # `from pkg import name`
            targets = [t for t in targets if t in modules]
            graph[name].update(targets)
            if targets and node not in top:
                nested.append(f"{name}: line {node.lineno} imports {', '.join(targets)}")
    return graph, nested


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (c := visit(m)):
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_only_the_cli_imports_the_cli() -> None:
    graph, _ = import_graph()
    assert [m for m, deps in graph.items() if "sim_models.__main__" in deps and m != "sim_models.__main__"] == []


def test_no_imports_inside_functions() -> None:
    assert import_graph()[1] == []


def test_no_import_cycle() -> None:
    graph, _ = import_graph()
    # a package's __init__ re-exporting its submodules is not a cycle through them
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    assert find_cycle(graph) is None


def test_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
