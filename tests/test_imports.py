"""The project's import graph, read from the source with ``ast`` (nothing is imported).

Every import counts: at the top of a module or inside a function, absolute or relative, and
``importlib.import_module`` with a literal (or literal-prefixed) name.  The graph has one node
per module of ``linearized``, ``qmodel`` and ``compare`` (a package's ``__init__`` is the node
named after the package) and an edge for each import of a project module; an import of a
package's submodule is an edge to that submodule only (the implicit import of the parent
package's ``__init__`` is not an edge, as in every import linter).

Checked: no cycle; ``linearized`` never imports QuTiP; imports flow one way,
compare -> qmodel -> linearized.
"""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("linearized", "qmodel", "compare")

#: cycles present today, as the set of their modules.  Removed by the one-engine refactor
#: (issue #19): delete the entry (and then this set) when it lands.  Any other cycle, or a
#: module joining this one, fails the test.


def _modules() -> dict:
    """``{dotted module name: path}`` of every module in the three packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(name: str, path: Path) -> str:
    """The package a relative import in module ``name`` is relative to."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _resolve(base: str, names=()) -> set:
    """Project modules named by ``from base import names`` (or ``import base``): a name that
    is a submodule is an edge to it, any other name an edge to ``base``."""
    out = set()
    for n in names:
        if f"{base}.{n}" in MODULES:
            out.add(f"{base}.{n}")
        elif base in MODULES:
            out.add(base)
    if not names:
        # ``import a.b.c``: the deepest project module of the dotted name
        parts = base.split(".")
        for k in range(len(parts), 0, -1):
            if ".".join(parts[:k]) in MODULES:
                out.add(".".join(parts[:k]))
                break
    return out


def _dynamic(call: ast.Call) -> set:
    """``import_module("a.b")`` or ``import_module(f"a.b.{x}")``: the module, or every
    project module under the literal prefix."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    if name not in ("import_module", "__import__") or not call.args:
        return set()
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return _resolve(arg.value)
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        prefix = arg.values[0].value
        return {m for m in MODULES if m.startswith(prefix) and m != prefix.rstrip(".")}
    return set()


def _imports(name: str, path: Path):
    """Yield ``(target modules, external top-level names, inside a function)`` for every
    import statement of module ``name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            if isinstance(child, ast.Import):
                for a in child.names:
                    yield _resolve(a.name), {a.name.split(".")[0]}, in_function
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    pkg = _package(name, path).split(".")
                    pkg = pkg[:len(pkg) - (child.level - 1)]
                    base = ".".join(pkg + ([child.module] if child.module else []))
                else:
                    base = child.module
                yield (_resolve(base, [a.name for a in child.names]),
                       set() if child.level else {base.split(".")[0]}, in_function)
            elif isinstance(child, ast.Call):
                found = _dynamic(child)
                if found:
                    yield found, set(), in_function
            yield from walk(child, inner)

    yield from walk(tree, False)


def _graph():
    """``{module: set of project modules it imports}``, ``{module: external top-level names}``
    and ``{module: project imports made inside functions}``."""
    edges, external, inside = {}, {}, Counter()
    for name, path in MODULES.items():
        edges[name], external[name] = set(), set()
        for targets, ext, in_function in _imports(name, path):
            targets = targets - {name}
            edges[name] |= targets
            external[name] |= ext
            if targets and in_function:
                inside[name] += 1
    return edges, external, inside


def _cycles(edges) -> list:
    """The strongly connected components with more than one module (Tarjan), each with one
    cycle through it as a list of modules."""
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(frozenset(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [(c, _one_cycle(edges, c)) for c in comps]


def _one_cycle(edges, comp) -> list:
    """A cycle inside the strongly connected component ``comp``, for the message."""
    start = min(comp)
    path, seen = [start], {start}
    while True:
        nxt = sorted(w for w in edges[path[-1]] if w in comp)
        back = [w for w in nxt if w in seen]
        if back:
            return path[path.index(back[0]):] + [back[0]]
        path.append(nxt[0])
        seen.add(nxt[0])


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    # the reader itself, on a module written here: a relative import inside a function is an
    # edge (the kind that made the description <-> system cycle before issue 19), so is
    # an absolute one, and a dynamic import_module of a literal prefix reaches every module
    src = tmp_path / "system.py"
    src.write_text("import numpy\n"
                   "def f():\n"
                   "    from .drive import resolve_drive\n"
                   "    from compare.cli import options\n"
                   "    importlib.import_module(f'qmodel.{x}')\n")
    found = list(_imports("linearized.description.system", src))
    edges = set().union(*(t for t, _, _ in found))
    assert {"linearized.description.drive", "compare.cli.options", "qmodel.model"} <= edges
    assert [inside for t, _, inside in found if "linearized.description.drive" in t] == [True]
    assert [ext for _, ext, inside in found if not inside] == [{"numpy"}]


def test_no_import_cycles():
    edges, _, inside = _graph()
    found = _cycles(edges)
    new = [cycle for comp, cycle in found]
    print("project imports inside functions, per module:")
    for name, n in sorted(inside.items()):
        print(f"  {name}: {n}")
    print(f"  total: {sum(inside.values())}")
    assert not new, "import cycles: " + "; ".join(" -> ".join(c) for c in new)


def test_linearized_never_imports_qutip():
    _, external, _ = _graph()
    bad = sorted(m for m in MODULES if m.split(".")[0] == "linearized" and "qutip" in external[m])
    assert not bad, f"linearized modules importing qutip: {bad}"


def test_imports_flow_compare_to_qmodel_to_linearized():
    edges, _, _ = _graph()
    rank = {"linearized": 0, "qmodel": 1, "compare": 2}
    bad = sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets
                 if rank[b.split(".")[0]] > rank[a.split(".")[0]])
    assert not bad, "imports against compare -> qmodel -> linearized: " + ", ".join(bad)
