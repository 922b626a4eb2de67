"""The checks that keep the code's shape: the import graph, ruff, mypy. Run by ./scripts/test like every test.

The import graph is read from the source (every ``import``, including those
inside functions and under ``TYPE_CHECKING``), so a loop hidden in a function
counts as a loop. Layers, top to bottom; a module may import its own layer or
any below it, never one above:

    entry      cli, __main__
    server     server (the aiohttp app, built from Services)
    surfaces   bot/, web/ (siblings: neither imports the other)
    domain     meetings, workspaces (what people do with a meeting or a workspace, whichever surface),
               retention (the sweeper)
    jobs       workers/ submit, execute, recovery, actors, runtime (they take Services)
    services   services (builds the adapters below, once per process)
    adapters   storage/, search/, pipeline/, exports/, samples, people/, voiceprints/,
               workers/ jobstore, broker, hooks, policy, installations/, downloads, seen/, dynamo_tables
    core       errors, settings, models, origin, links, timefmt, threads, public_errors,
               retention_rules

and pipeline/, search/ and storage/ know nothing of workers/.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lifestream"

LAYERS: list[tuple[str, tuple[str, ...]]] = [  # bottom first
    ("core", ("lifestream", "lifestream.errors", "lifestream.settings", "lifestream.models", "lifestream.origin",
              "lifestream.links", "lifestream.timefmt", "lifestream.threads", "lifestream.public_errors",
              "lifestream.retention_rules")),
    ("adapters", ("lifestream.storage", "lifestream.search", "lifestream.pipeline", "lifestream.exports",
                  "lifestream.samples", "lifestream.people", "lifestream.voiceprints", "lifestream.workers.jobstore",
                  "lifestream.downloads",
                  "lifestream.workers.broker", "lifestream.workers.hooks", "lifestream.workers.policy",
                  "lifestream.installations", "lifestream.seen", "lifestream.dynamo_tables")),
    ("services", ("lifestream.services",)),
    ("jobs", ("lifestream.workers",)),
    ("domain", ("lifestream.meetings", "lifestream.workspaces", "lifestream.retention")),
    ("surfaces", ("lifestream.bot", "lifestream.web")),
    ("server", ("lifestream.server",)),
    ("entry", ("lifestream.cli", "lifestream.__main__")),
]
# (importer prefix, imported prefix): edges that are wrong whatever the layers say.
FORBIDDEN = [
    ("lifestream.bot", "lifestream.web"),
    ("lifestream.web", "lifestream.bot"),
    ("lifestream.pipeline", "lifestream.workers"),
    ("lifestream.search", "lifestream.workers"),
    ("lifestream.storage", "lifestream.workers"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The lifestream modules ``name`` imports (``from pkg import mod`` counts as importing pkg.mod)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}"
    return rank


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_no_import_runs_up_a_layer():
    upward = []
    for importer, imported in sorted(_graph().items()):
        for target in sorted(imported):
            if _layer(target) > _layer(importer):
                upward.append(f"{importer} ({LAYERS[_layer(importer)][0]}) -> {target} ({LAYERS[_layer(target)][0]})")
            upward += [f"{importer} -> {target} (forbidden)" for low, high in FORBIDDEN
                       if _within(importer, low) and _within(target, high)]
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_no_import_loops():
    graph = _graph()
    # Tarjan's strongly connected components: any component of more than one module is a loop.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not loops, "import loops:\n" + "\n".join(" <-> ".join(loop) for loop in loops)


def test_the_layering_check_sees_what_it_should():
    """The checker itself: it reads in-function imports and resolves `from pkg import module`."""
    graph = _graph()
    assert "lifestream.search.embeddings" in graph["lifestream.search"]  # imported inside a function there
    assert "lifestream.meetings" in graph["lifestream.web.api"]  # `from lifestream import meetings`
    assert _layer("lifestream.workers.jobstore.sqlite") < _layer("lifestream.services") < _layer(
        "lifestream.workers.execute") < _layer("lifestream.bot.slack.app")


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it comes with the test extras (scripts/setup --test)")
    return found


def test_ruff_finds_nothing():
    run = subprocess.run([_tool("ruff"), "check", "--no-cache", "lifestream"], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    # Formatting: `ruff format --check lifestream` goes here once the whole tree has been formatted once.


def test_mypy_finds_nothing(tmp_path):
    # The configuration (which packages, which strictness) is pyproject.toml's [tool.mypy].
    run = subprocess.run([_tool("mypy"), "--cache-dir", str(tmp_path / "mypy-cache")], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
