"""The package boundaries: the client imports no server, importing builds no app, only the app
factory wires route modules, and training and bench use the core's contract, not the server."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
SERVER_SIDE = (
    *("service", "digits_core", "onnxruntime", "scipy"),
    *("fastapi", "uvicorn", "starlette"),
)


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_client_cli_imports_nothing_of_the_server() -> None:
    probe = "import sys, digits_client.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert not [name for name in SERVER_SIDE if f"'{name}'" in loaded], loaded


@pytest.mark.parametrize("module", ["service.app", "service.engine", "service.__main__"])
def test_importing_builds_no_app(module: str) -> None:
    imported = __import__(module, fromlist=["_"])
    assert not [v for v in vars(imported).values() if isinstance(v, FastAPI)]


def test_only_the_app_factory_imports_route_modules() -> None:
    sources = [*(ROOT / "service").rglob("*.py"), *(ROOT / "client").rglob("*.py")]
    outside = [p for p in sources if "routes" not in p.parts and p.name != "app.py"]
    for path in outside:
        routes = [m for m in imported_modules(path) if m.startswith("service.routes")]
        assert not routes, f"{path} imports {routes}"


@pytest.mark.parametrize("package", ["training", "bench"])
def test_training_and_bench_do_not_import_the_server(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        server = [m for m in imported_modules(path) if m.split(".")[0] == "service"]
        assert not server, f"{path} imports {server}"
