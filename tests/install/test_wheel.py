"""The wheels as a user gets them: built, installed into fresh venvs, run from an empty folder.

No source tree on the path and no `--model`: the shipped models must come from the installed
package. A second venv with the client alone must hold none of the server's packages.
"""

import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ("onnxruntime", "scipy", "fastapi", "uvicorn", "starlette")
CLIENT_BUDGET_MB = 120


def run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command with an environment that cannot see the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGITS_", "PYTHON"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def venv(path: Path, *requirements: Path) -> Path:
    """A fresh venv with `requirements` (wheel files, never names) installed; its bin folder.

    The venv gets no pip of its own (this pip installs into it), so its size is what the
    requirements bring.
    """
    run(sys.executable, "-m", "venv", "--without-pip", path, cwd=path.parent)
    bin_dir = path / "bin"
    pip = [sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q"]
    run(*pip, *requirements, cwd=path.parent)
    return bin_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two wheels, built from this checkout."""
    out = tmp_path_factory.mktemp("wheels")
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        out,
        "./client",
        ".",
        cwd=ROOT,
    )
    found = {w.name.split("-")[0]: w for w in out.glob("*.whl")}
    assert set(found) == {"digits", "digits_client"}, found
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder with one image file and a folder of two, made by code."""
    root = tmp_path_factory.mktemp("user")
    (root / "scans").mkdir()
    for index, name in enumerate(("x.png", "scans/a.png", "scans/b.png")):
        image = Image.new("L", (96, 96), 255)
        ImageDraw.Draw(image).line([(30 + index, 20), (60, 20), (40, 80)], fill=0, width=7)
        image.save(root / name)
    return root


@pytest.fixture(scope="module")
def server_bin(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return venv(
        tmp_path_factory.mktemp("server") / "venv", wheels["digits_client"], wheels["digits"]
    )


def test_the_server_wheel_holds_the_models_and_no_repo_only_packages(wheels: dict[str, Path]):
    names = zipfile.ZipFile(wheels["digits"]).namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("digits-")}
    assert tops == {"digits_core", "digits_models", "service"}, tops
    assert {"digits_models/digits.onnx", "digits_models/digits.json"} <= set(names)


def test_the_server_wheel_requires_no_distribution_of_ours(wheels: dict[str, Path]):
    # Neither distribution is on PyPI: a requirement naming one would let pip fetch whatever a
    # stranger publishes under that name when the server is installed on its own.
    with zipfile.ZipFile(wheels["digits"]) as wheel:
        metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        lines = wheel.read(metadata).decode().splitlines()
    required = [
        line.split(":", 1)[1].strip().lower() for line in lines if line.startswith("Requires-Dist:")
    ]
    assert required and not [
        r for r in required if r.startswith(("digits-client", "digits_client", "digits "))
    ]


def test_the_server_installs_without_scipy_or_tensorflow(server_bin: Path, workdir: Path):
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    found = run(server_bin / "python", "-c", probe, "scipy", "tensorflow", cwd=workdir).stdout
    assert found.strip() == "[]", found


def test_one_image_and_a_folder_run_with_the_shipped_model(server_bin: Path, workdir: Path):
    predicted = run(server_bin / "digits", "predict", "x.png", cwd=workdir)
    assert "confidence" in predicted.stdout
    assert "confidence" in run(server_bin / "digits", "read", "x.png", cwd=workdir).stdout
    rows = run(server_bin / "digits", "classify", "scans", cwd=workdir).stdout.splitlines()
    assert len(rows) == 3 and rows[0].startswith("source"), rows


def wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    """Poll /ready until it answers 200; fail if the server exits first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url}/ready never answered 200")


@contextmanager
def serving(command: list[str | Path], cwd: Path) -> Iterator[str]:
    """Start a server command on a free port, yield its URL once ready, stop it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGITS_", "PYTHON"))}
    process = subprocess.Popen(
        [str(c) for c in [*command, "--port", str(port), "--host", "127.0.0.1"]],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=60)


@pytest.mark.parametrize("command", [["python", "-m", "service"], ["digits", "serve"]])
def test_the_service_starts_from_an_empty_folder(
    command: list[str], server_bin: Path, workdir: Path
):
    program = [server_bin / command[0], *command[1:]]
    with serving(program, workdir) as url:
        assert httpx.get(f"{url}/v2", timeout=5).json()["version"] == "1.2.0"


def test_the_client_alone_is_light_and_classifies_against_a_server(
    wheels: dict[str, Path], server_bin: Path, workdir: Path, tmp_path: Path
):
    client_venv = tmp_path / "client-venv"
    client_bin = venv(client_venv, wheels["digits_client"])
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    found = run(client_bin / "python", "-c", probe, *SERVER_PACKAGES, cwd=workdir).stdout
    assert found.strip() == "[]", found
    megabytes = size_mb(client_venv)
    print(f"client-only venv: {megabytes:.0f} MB")
    assert megabytes <= CLIENT_BUDGET_MB
    local = run(client_bin / "digits", "predict", "x.png", cwd=workdir, check=False)
    assert local.returncode == 2 and "--url" in local.stderr, local.stderr
    with serving([server_bin / "python", "-m", "service"], workdir) as url:
        result = run(client_bin / "digits", "classify", "scans", "--url", url, cwd=workdir)
        rows = result.stdout.splitlines()
        assert len(rows) == 3 and all(np.isfinite(float(r.split(",")[2])) for r in rows[1:]), rows
