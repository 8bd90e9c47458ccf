"""The one-way import rule of design.md, and no import cycles, checked on the source.

Every import counts (module level and inside functions) except those under
``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import minutes

SRC = Path(minutes.__file__).resolve().parent

# Top to bottom: a package may import its own modules and those of the layers below it.
LAYERS: list[set[str]] = [
    {"__main__"},
    # `minutes serve` and `minutes worker` start the service: the CLI may import it, the
    # service never imports the CLI.
    {"cli"},
    {"service"},
    {"runs", "memory", "evaluation"},
    {"pipeline"},
    # Siblings: none imports another (the fallback must not depend on what it falls back
    # from, and the gateway knows calls, not meetings).
    {"extractive", "prompts", "llm", "render", "testing"},
    {"items"},
    {"transcripts"},
    {"store"},
    # "" is the package root: its public names load lazily, so it imports only the errors.
    {"notes", "units", "config", "tokens", "examples", ""},
    {"errors"},
]
# The store persists transcripts: it may read their data model, nothing else above it.
ALLOWED_UP = {("store", "minutes.transcripts.models")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.relative_to(SRC).parts
}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "minutes")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] == "minutes":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: _imports(m) for m in MODULES}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(package: str) -> int:
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return i
    raise AssertionError(f"package {package!r} is in no layer of the rule: add it to LAYERS")


def test_every_package_has_a_layer() -> None:
    for module in MODULES:
        _rank(_package(module))


def test_imports_flow_one_way() -> None:
    wrong = []
    for module, deps in GRAPH.items():
        here = _package(module)
        for dep in deps:
            there = _package(dep)
            if there == here or (here, dep) in ALLOWED_UP:
                continue
            if _rank(there) <= _rank(here):
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "imports against the layering of design.md:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d) :], d])
            elif d not in state:
                walk(d)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            walk(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_what_it_should() -> None:
    # Guards against a walker that finds nothing and so passes everything.
    assert "minutes.llm.calls" in GRAPH["minutes.llm.gateway"]
    assert "minutes.runs.stored" in GRAPH["minutes.cli.summarize"]  # an import in a function
    assert "minutes.llm.client" not in GRAPH["minutes.llm.coalesce"]  # under TYPE_CHECKING only


def test_cli_modules_do_not_import_their_parent() -> None:
    for module, deps in GRAPH.items():
        if module.startswith("minutes.cli."):
            assert "minutes.cli" not in deps, module
