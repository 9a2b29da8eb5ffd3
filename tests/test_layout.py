"""The package's layout stays what docs/layout.md says: imports between its modules form no circle, no module
imports another's private names, imports sit at module top (but for the few named here, with their reason),
each layer imports only the layers below it, and `import simplevla` loads neither torch nor a simulator.

The import graph is read off the source with `ast` (every `import`, at any depth, outside `TYPE_CHECKING`),
so a circle hidden inside a function counts too. `python tests/test_layout.py` prints the graph.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "simplevla"

# Imports inside a function, each with the reason it cannot sit at the top of its module.
DEFERRED = {
    ("simplevla", "simplevla.models"): "`import simplevla` (env worker processes) must not import torch",
}
# Which top-level parts of the package each part may import (anything not listed: only the base modules).
BASE = {"keys", "errors", "version", "atomic", "locking", "transfer", "media"}
LAYERS = {
    "envs": set(),
    "data": set(),
    "models": {"envs"},  # the parse head's slots come from Tabletop's grammar (envs.tabletop.reading)
    "export": {"models"},
    "collect": {"envs", "data", "models"},
    "train": {"envs", "data", "models"},
    "eval": {"envs", "models", "export"},
    "basics": {"models", "ladder"},  # `simplevla basics ladder` prints (or measures) the ladder
    "bench": {"envs", "data", "models", "collect", "train", "eval", "export"},
    "quickstart": {"data", "models", "collect", "train", "eval"},
    "ladder": {"data", "models", "train", "eval", "bench", "quickstart"},
    "serve": {"envs", "models", "eval"},  # `simplevla serve`: envs and a policy behind a web page
    "cli": {"envs", "data", "collect", "train", "eval", "export", "basics", "bench", "quickstart", "serve"},
    "(root)": {"envs", "models"},
    "__main__": {"cli"},
}


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(mods: dict[str, Path]) -> list[tuple[str, str, str, bool]]:
    """(importer, imported module, imported name or "", inside a function) for every simplevla import."""
    found = []

    def resolve(name: str) -> str:
        while name not in mods and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]

        def visit(node: ast.AST, in_function: bool, mod: str = mod, package: str = package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue  # annotations only: never executed
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        if alias.name.startswith("simplevla"):
                            found.append((mod, resolve(alias.name), "", in_function))
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join(up + ([base] if base else []))
                    if base.startswith("simplevla"):
                        for alias in child.names:
                            full = f"{base}.{alias.name}"
                            target = full if full in mods else resolve(base)
                            found.append((mod, target, "" if full in mods else alias.name, in_function))
                nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                visit(child, nested)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [f for f in found if f[1] != f[0]]


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for importer, imported, _, _ in imports(modules()):
        edges[importer].add(imported)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def part(module: str) -> str:
    """The top-level part of the package a module belongs to ("envs", "cli", ...; the package itself: "(root)")."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def test_the_import_graph_has_no_circle():
    assert find_cycle(graph()) is None, f"import circle: {' -> '.join(find_cycle(graph()))}"


def test_a_cycle_is_found_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_module_imports_a_private_name_of_another():
    private = [
        (m, target, name)
        for m, target, name, _ in imports(modules())
        if name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


def test_imports_sit_at_module_top_unless_named_with_a_reason():
    deferred = {(m, target) for m, target, _, inside in imports(modules()) if inside}
    assert deferred == set(DEFERRED), "a function-level import: move it to the top, or name it in DEFERRED"


def test_each_part_imports_only_the_parts_below_it():
    wrong = sorted(
        {
            (m, target)
            for m, target, _, _ in imports(modules())
            if part(m) != part(target)
            and part(target) not in BASE
            and part(target) not in LAYERS.get(part(m), set())
        }
    )
    assert wrong == [], "an import against the layering (update LAYERS only if the design changed)"


def test_import_simplevla_loads_no_torch_and_no_simulator():
    code = (
        "import sys, simplevla, simplevla.envs; "
        "print(sorted(m for m in ('torch', 'pymunk', 'mujoco', 'metaworld') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


if __name__ == "__main__":
    for importer, targets in sorted(graph().items()):
        print(f"{importer} -> {', '.join(sorted(targets))}")
    print("circle:", find_cycle(graph()))
