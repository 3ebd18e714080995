"""The app's imports run one way (models, then what reads them, then views and templates), as
../shared/STYLE.md asks: no module of the app imports one that imports it back, not even from
inside a function."""

import ast
from pathlib import Path

APP = Path(__file__).parent.parent / "codes"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The app's modules that `path` imports, anywhere in it."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.startswith("codes"):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("codes"))
    return found


def graph() -> dict[str, set[str]]:
    paths = [p for p in APP.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p): p for p in paths}
    edges = {}
    for name, path in modules.items():
        targets = {t for t in imports(path) if t in modules} - {name}
        # Importing a.b loads the package a first.
        for target in list(targets):
            while "." in target:
                target = target.rpartition(".")[0]
                if target in modules and target != name and not name.startswith(target + "."):
                    targets.add(target)
        edges[name] = targets
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_apps_modules_import_each_other_without_a_circle():
    assert cycle(graph()) == []


def test_the_circle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_version_listener_depends_on_nothing_of_the_app():
    assert graph()["codes.version_listener"] == set()


def test_the_models_import_nothing_above_them():
    above = {"codes.views", "codes.tables", "codes.filters", "codes.admin", "codes.kinds"}
    for name, targets in graph().items():
        if name.startswith("codes.models"):
            assert not targets & above, name
