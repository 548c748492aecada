"""The layering the design promises: pipelines stand on a shared core, never on each other."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from kedro.framework.project import configure_project

from risk_segments.pipeline_registry import register_pipelines

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "risk_segments"
MAX_NODE_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules a module imports, at any depth of its code (lazy imports included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            module = target
            while module and module not in known:
                module = module.rpartition(".")[0]
            if module and module != name:
                found.add(module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "pipelines" else None


def test_a_pipeline_never_imports_another_pipeline():
    crossings = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if _stage(module) and _stage(target) and _stage(target) != _stage(module)
    ]
    assert crossings == []


def test_the_core_never_imports_a_pipeline():
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.split(".")[1:2]
        in (["modeling"], ["datasets"], ["schema"], ["synthetic"])
        for target in targets
        if _stage(target)
    ]
    assert upward == []


def test_no_module_imports_another_in_a_cycle():
    graph = _graph()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_import_check_sees_a_crossing(tmp_path):
    """The checker itself: a relative import of a sibling stage is found."""
    stage = tmp_path / "risk_segments" / "pipelines" / "a"
    stage.mkdir(parents=True)
    (stage / "nodes.py").write_text("from ..b.nodes import helper\n")
    known = {"risk_segments.pipelines.b.nodes", "risk_segments.pipelines.a.nodes"}
    found = _imports("risk_segments.pipelines.a.nodes", stage / "nodes.py", known)
    assert found == {"risk_segments.pipelines.b.nodes"}


def _node_functions() -> dict[str, object]:
    """Every node of the registered pipelines, and of every stage's templates (the
    kinds no built-in use case declares, such as segments, have nodes of their own)."""
    import importlib

    configure_project("risk_segments")  # the registry finds the stages through Kedro
    pipelines = list(register_pipelines().values())
    for path in sorted((PACKAGE / "pipelines").glob("*/pipeline.py")):
        module = importlib.import_module(_module_name(path))
        pipelines += [
            template()
            for name, template in vars(module).items()
            if name.startswith("create_") and name.endswith("template")
        ]
    functions = {}
    for pipeline in pipelines:
        for node in pipeline.nodes:
            functions[f"{node.func.__module__}.{node.func.__name__}"] = node.func
    return functions


@pytest.mark.parametrize("name", sorted(_node_functions()))
def test_node_functions_fit_on_a_screen(name):
    lines, _ = inspect.getsourcelines(_node_functions()[name])
    assert len(lines) <= MAX_NODE_LINES, f"{name} is {len(lines)} lines"


BATCH_NEVER_IMPORTS = (
    "matplotlib",
    "sklearn",
    "scipy.stats",
    "risk_segments.synthetic",
)


def test_the_nightly_batch_loads_no_training_code():
    """`kedro run --pipeline=score` registers the score stage alone, and it starts without
    the libraries only training, figures and the simulators need (a fresh interpreter:
    this test process has them all loaded)."""
    code = f"""
import sys
from kedro.framework.project import configure_project, pipelines
import risk_segments.cli  # every `kedro` command loads the project's commands
configure_project("risk_segments")
pipelines.set_requested(["score"])
assert sorted(pipelines) == ["score"], sorted(pipelines)
from risk_segments.datasets import ArtifactSetDataset, ChunkedParquetDataset
print([m for m in {BATCH_NEVER_IMPORTS!r} if m in sys.modules])
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
