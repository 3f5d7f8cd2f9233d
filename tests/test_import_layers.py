"""proxyseg's imports: no cycle between its modules, and the core layers (ops, models, text,
methods) never import mmseg/mmcv/mmengine or proxyseg's adapter, apis, sweep or web layers,
lazy imports inside functions included (the source is scanned with ast, nothing is imported)."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "proxyseg"
CORE = ("ops", "models", "text", "methods")
FORBIDDEN_LIBS = ("mmseg", "mmcv", "mmengine")
FORBIDDEN_LAYERS = ("proxyseg.mmseg", "proxyseg.apis", "proxyseg.sweep", "proxyseg.web")


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool):
    """Absolute names imported by ``path`` (relative imports resolved)."""
    mod = _module(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name
            for a in node.names:  # ``from . import x`` imports the submodule x
                yield f"{name}.{a.name}"


def _known(name: str, modules) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def test_core_layers_import_no_framework_or_upper_layer():
    bad = []
    for sub in CORE:
        for path in (PKG / sub).rglob("*.py"):
            for name in _imports(path, top_level_only=False):
                if name.split(".")[0] in FORBIDDEN_LIBS or name.startswith(FORBIDDEN_LAYERS):
                    bad.append(f"{path.relative_to(PKG.parent)} imports {name}")
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_proxyseg_modules():
    """Module-level imports form a DAG (a cycle means import order decides what works)."""
    files = {_module(p): p for p in PKG.rglob("*.py")}
    graph = {m: set() for m in files}
    for m, p in files.items():
        for name in _imports(p, top_level_only=True):
            if name.startswith("proxyseg"):
                dep = _known(name, files)
                if dep and dep != m and not m.startswith(dep + "."):  # a package's own __init__ is fine
                    graph[m].add(dep)
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in graph[m]:
            if state.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(cycles)


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    """The checker itself can fail: a two-module cycle is reported."""
    pkg = tmp_path / "proxyseg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("from .a import y\n")
    globals()["PKG"] = pkg
    try:
        import pytest

        with pytest.raises(AssertionError, match="proxyseg.a -> proxyseg.b -> proxyseg.a|proxyseg.b -> proxyseg.a"):
            test_no_import_cycle_between_proxyseg_modules()
    finally:
        globals()["PKG"] = Path(__file__).resolve().parents[1] / "proxyseg"
