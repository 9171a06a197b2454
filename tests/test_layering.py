"""The packages' imports run one way, and every module stays small: read from the source, not from a running import.

Every import is read, those inside functions too, so a lazy import cannot hide a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# From the top down: a package may import those after it, never those before it (the README's layout section).
LAYERS = ("bot", "commands", "digests", "answers", "storage")
MAX_LINES = 400


def _modules(packages=LAYERS):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in the file that names one of the layers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in LAYERS]
    return found


def _package_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) package pairs, with where each import is."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in _modules():
        importer = _package_of(path)
        for line, imported in _imported(path):
            if imported != importer:
                edges.setdefault((importer, imported), []).append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def _cycle(edges) -> list[str] | None:
    """A cycle among the packages, as the list of packages around it, or None."""
    graph: dict[str, set[str]] = {}
    for importer, imported in edges:
        graph.setdefault(importer, set()).add(imported)
    visiting, done = [], set()

    def visit(node):
        if node in visiting:
            return visiting[visiting.index(node):] + [node]
        if node in done:
            return None
        visiting.append(node)
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node)
        if found:
            return found
    return None


def test_no_import_cycle_between_the_top_level_packages():
    edges = _edges()
    cycle = _cycle(edges)
    where = {pair: places for pair, places in edges.items() if cycle and pair in zip(cycle, cycle[1:])}
    assert cycle is None, f"import cycle {' -> '.join(cycle)}: {where}"


def test_every_import_points_down_the_layers():
    upward = {f"{a} imports {b}": places for (a, b), places in _edges().items() if LAYERS.index(b) < LAYERS.index(a)}
    assert not upward, upward


def test_the_cycle_finder_finds_a_cycle_it_is_given():
    # The checks above pass on a clean tree; this one shows the finder is not blind.
    assert _cycle({("commands", "digests"): [], ("digests", "commands"): []}) == ["commands", "digests", "commands"]
    assert _cycle({("bot", "commands"): [], ("commands", "storage"): []}) is None


def test_a_lazy_import_inside_a_function_is_read(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text("def later():\n    from commands.registry import CommandRegistry\n", encoding="utf-8")
    assert _imported(module) == [(2, "commands")]


@pytest.mark.parametrize("folder", [*LAYERS, "tests", "bench"])
def test_no_module_is_over_400_lines(folder):
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / folder).rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"
