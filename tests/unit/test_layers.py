"""The package's folders show its architecture: the imports point one way and never go round in a circle.

    models <- charts <- learner <- grading <- tutor <- cli        (syslead.errors, syslead.course, syslead.walk: for all)

A short walk over the syntax trees of syslead/ (every import, at the top of a module or inside a function)
finds each arrow; the tests fail on an arrow that points the wrong way or on any cycle between modules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, course_env

PACKAGE = ROOT / "syslead"

#: The layers, lowest first. A module may import its own layer and the layers before it.
LAYERS = ("models", "charts", "learner", "grading", "tutor", "cli")
#: Shared by every layer; they import no layer themselves.
BASE = ("syslead", "syslead.errors", "syslead.course", "syslead.walk")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every syslead module that ``path`` imports (``from syslead.x import y`` counts as syslead.x.y when
    that is a module, else syslead.x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "syslead"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "syslead":
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m != here}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def layer(module: str) -> int | None:
    """The index of a module's layer in LAYERS; None for the shared base modules."""
    if module in BASE:
        return None
    part = module.split(".")[1]
    return LAYERS.index(part) if part in LAYERS else None


def test_every_module_belongs_to_a_layer_or_the_base():
    strays = [m for m in MODULES if m not in BASE and layer(m) is None]
    assert not strays, f"put these modules in one of syslead/{{{','.join(LAYERS[:-1])}}}/ or list them: {strays}"


def test_no_import_points_the_wrong_way():
    wrong = []
    for module, targets in GRAPH.items():
        for target in targets:
            if target not in MODULES:
                continue
            mine, theirs = layer(module), layer(target)
            if module in BASE and module != "syslead" and theirs is not None:
                wrong.append(f"{module} (shared by all) imports {target}")
            elif mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} ({LAYERS[mine]}) imports {target} ({LAYERS[theirs]})")
    assert not wrong, "imports that point the wrong way:\n" + "\n".join(sorted(wrong))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_round_in_a_circle():
    # the package's own __init__ re-exports, and every submodule is inside it: leave that edge out
    graph = {m: {t for t in ts if t != "syslead"} for m, ts in GRAPH.items()}
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_walk_sees_imports_inside_functions():
    assert "syslead.tutor.autograde" in GRAPH["syslead.tutor.demo"]  # imported inside a function there
    assert "syslead.learner.reflection" in GRAPH["syslead.learner.journal"]


def test_syslead_help_works_without_fcntl_and_imports_no_command():
    """The command list is read without importing the commands (fcntl is missing on Windows)."""
    script = ("import sys; sys.modules['fcntl'] = None\n"
              "from syslead.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
              "loaded = sorted(m for m in sys.modules if m.startswith('syslead.') and m.count('.') > 1)\n"
              "print('LOADED', loaded)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=course_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "journal" in proc.stdout and "autograde" in proc.stdout and "sandbox" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"


def test_every_command_has_its_help_line():
    from syslead.cli import COMMANDS, help_line

    for name, module in COMMANDS.items():
        assert help_line(module), f"{module} has no HELP = '...' line for 'syslead {name}'"


def test_a_command_that_cannot_load_here_says_so_in_one_sentence():
    script = ("import sys; sys.modules['fcntl'] = None\n"
              "from syslead.cli import main\n"
              "sys.exit(main(['autograde', '01-systems-leadership', '--jobs', '2']))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=course_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("syslead autograde: 'syslead autograde' needs Linux or macOS (it locks the "
                                   "gradebook with fcntl); run it on the course server.")
