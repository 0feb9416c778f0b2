"""docker-compose.yml: static checks, then the real stack (build, run, classify, stop, scale out).

The `docker` tests run the README's Deploy commands against a real engine: `.ci/run` starts one
(../shared/docker/engine-up.sh) and sets DIGITS_DOCKER_TESTS=1; elsewhere they run when
`docker info` answers and skip otherwise. They share one compose project, built once.
"""

import io
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
# Generous hang guards, never timing assertions.
BUILD_TIMEOUT = 1800
READY_TIMEOUT = 180
REQUESTS = "digits_http_requests_total"


def compose_spec() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_command() -> list[str] | None:
    """Compose v1 (`docker-compose`, what engine-up.sh installs) or v2 (`docker compose`)."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30
        ).returncode
        == 0
    ):
        return ["docker", "compose"]
    return None


def docker_available() -> bool:
    if os.environ.get("DIGITS_DOCKER_TESTS") == "1":
        return True  # CI promised an engine: fail loudly rather than skip if it is missing.
    if shutil.which("docker") is None or compose_command() is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


needs_docker = pytest.mark.skipif(
    not docker_available(), reason="no Docker engine (set DIGITS_DOCKER_TESTS=1 to require)"
)


# ---------------------------------------------------------------------------------------------
# Static checks: no engine needed.


def test_compose_file_has_no_v2_only_keys():
    spec = compose_spec()
    assert "name" not in spec  # Compose v1 rejects a top-level name
    assert "version" not in spec  # the Compose spec; v2 warns about `version`


def test_digits_service_is_limited_read_only_healthchecked_and_drains_on_stop():
    spec = compose_spec()
    digits = spec["services"]["digits"]
    assert digits["ports"] == ["${DIGITS_BIND:-0.0.0.0}:${DIGITS_PUBLISH_PORT:-8000}:8000"]
    assert digits["restart"] == "unless-stopped"
    assert {"cpus", "mem_limit"} <= set(digits)
    assert digits["read_only"] is True
    assert any(t.startswith("/tmp") for t in digits["tmpfs"])
    assert digits["healthcheck"]["test"] == ["CMD", "python", "/app/healthcheck.py"]
    # The server drains for DIGITS_GRACEFUL_TIMEOUT; Docker must wait longer before SIGKILL.
    drain = int(re.search(r":-(\d+)}", digits["environment"]["DIGITS_GRACEFUL_TIMEOUT"])[1])
    assert int(digits["stop_grace_period"].rstrip("s")) > drain


def test_profiles_define_monitoring_scale_train_and_ray():
    services = compose_spec()["services"]
    profiles = {name: tuple(s.get("profiles", ())) for name, s in services.items()}
    assert profiles == {
        "digits": (),
        "replica": ("scale",),
        "lb": ("scale",),
        "prometheus": ("monitoring",),
        "train": ("train",),
        "ray-head": ("ray",),
        "ray-worker": ("ray",),
    }
    # Replicas are digits minus the published port (N of them cannot share one host port).
    replica = dict(services["replica"])
    replica.pop("profiles")
    assert replica == {k: v for k, v in services["digits"].items() if k != "ports"}
    assert services["lb"]["depends_on"] == {"replica": {"condition": "service_healthy"}}
    assert services["train"]["volumes"][1] == "./models:/app/models"


@pytest.mark.skipif(compose_command() is None, reason="docker-compose not installed")
def test_compose_config_is_valid_for_every_profile():
    for profile in ("scale", "monitoring", "train", "ray"):
        subprocess.run(
            [*compose_command(), "--profile", profile, "config", "-q"],
            cwd=ROOT,
            check=True,
            timeout=60,
        )


# ---------------------------------------------------------------------------------------------
# The real stack.


@dataclass
class Stack:
    """One compose project on loopback ports, with helpers to drive it."""

    env: dict[str, str]
    url: str
    lb_url: str
    prometheus_url: str

    def compose(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [*compose_command(), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"compose {args} failed:\n{result.stdout}{result.stderr}"
        return result.stdout

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    def wait_healthy(self, service: str, count: int = 1) -> list[str]:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            ids = self.containers(service)
            states = [inspect(cid)["State"] for cid in ids]
            health = [s.get("Health", {}).get("Status") for s in states]
            if len(ids) == count and health == ["healthy"] * count:
                return ids
            if any(s["Status"] == "exited" for s in states) or time.monotonic() > deadline:
                logs = self.compose("logs", "--tail", "50", service)
                raise AssertionError(f"{service} not healthy: {states}\n{logs}")
            time.sleep(1)


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return json.loads(out)[0]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def predict(client: httpx.Client, base_url: str, pixels: np.ndarray) -> httpx.Response:
    return client.post(f"{base_url}/v1/predict", json={"pixels": pixels.tolist()})


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:{{(.*)}})? (\S+)$", line)
        if match:
            found = dict(re.findall(r'(\w+)="([^"]*)"', match[1] or ""))
            if labels.items() <= found.items():
                total += float(match[2])
    return total


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """`docker compose up -d --build` (the README's command) on free loopback ports."""
    names = ("DIGITS_PUBLISH_PORT", "DIGITS_LB_PORT", "DIGITS_PROMETHEUS_PORT")
    ports = {name: free_port() for name in names}
    # The host's DIGITS_* settings (other tests, a developer's shell) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITS_")}
    env.update(
        COMPOSE_PROJECT_NAME=f"digitstest{os.getpid()}",
        DIGITS_BIND="127.0.0.1",
        **{k: str(v) for k, v in ports.items()},
    )
    stack = Stack(
        env=env,
        url=f"http://127.0.0.1:{ports['DIGITS_PUBLISH_PORT']}",
        lb_url=f"http://127.0.0.1:{ports['DIGITS_LB_PORT']}",
        prometheus_url=f"http://127.0.0.1:{ports['DIGITS_PROMETHEUS_PORT']}",
    )
    try:
        stack.compose("up", "-d", "--build", timeout=BUILD_TIMEOUT)
        stack.wait_healthy("digits")
        yield stack
    finally:
        stack.compose(
            "--profile", "scale", "--profile", "monitoring", "down", "-v", "--remove-orphans"
        )


@pytest.fixture(scope="module")
def digits(mnist_test) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist_test
    return images[:200], labels[:200]


@pytest.mark.docker
@needs_docker
def test_runtime_image_is_non_root_read_only_and_has_no_training_stack(stack):
    (cid,) = stack.containers("digits")
    container = inspect(cid)
    assert container["Config"]["User"] == "10001:10001"
    assert container["HostConfig"]["ReadonlyRootfs"] is True
    assert container["Config"]["Cmd"] == ["python", "-m", "service"]
    probe = (
        "import importlib.util as u, pathlib, shutil, sys; "
        "site = pathlib.Path(sys.prefix, 'lib/python3.11/site-packages'); "
        "print([m for m in ('tensorflow', 'keras', 'tf2onnx', 'sklearn', 'training', 'pytest', "
        "'pip') if u.find_spec(m)], [c for c in ('gcc', 'cc', 'curl') if shutil.which(c)], "
        "[str(p) for p in site.glob('*/tests')])"
    )
    out = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", "digits:latest", "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert out.strip() == "[] [] []"
    size = subprocess.run(
        ["docker", "image", "inspect", "digits:latest", "--format", "{{.Size}}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    print(f"digits:latest image size: {int(size) / 1e6:.0f} MB")


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.docker
@needs_docker
def test_container_classifies_mnist_and_counts_requests_in_metrics(stack, digits):
    images, labels = digits
    assert httpx.get(f"{stack.url}/ready", timeout=10).status_code == 200
    with httpx.Client(timeout=60) as client:
        labels_200 = {"route": "/v1/predict", "status": "200"}
        before = metric(client.get(f"{stack.url}/metrics").text, REQUESTS, **labels_200)
        answers = [predict(client, stack.url, image).json()["digit"] for image in images]
        # The multipart upload path (what `curl -F file=@digit.png` sends) gives the same answers.
        uploads = [
            client.post(
                f"{stack.url}/v1/predict", files={"file": ("d.png", png(image), "image/png")}
            ).json()["digit"]
            for image in images[:20]
        ]
        after = client.get(f"{stack.url}/metrics").text
    accuracy = float(np.mean(np.array(answers) == labels))
    assert accuracy >= 0.95, accuracy
    assert uploads == answers[:20]
    counted = metric(after, REQUESTS, **labels_200)
    assert counted - before == len(images) + len(uploads)
    assert metric(after, "digits_model_info") == 1


@pytest.mark.docker
@needs_docker
def test_monitoring_profile_scrapes_digits_and_loads_the_alert_rules(stack):
    stack.compose("--profile", "monitoring", "up", "-d", "--build", timeout=BUILD_TIMEOUT)
    stack.wait_healthy("prometheus")

    def digits_target_up() -> bool:
        targets = httpx.get(f"{stack.prometheus_url}/api/v1/targets", timeout=10).json()
        return any(
            t["labels"]["job"] == "digits" and t["health"] == "up"
            for t in targets["data"]["activeTargets"]
        )

    wait_until(digits_target_up, "Prometheus to scrape digits", timeout=120)

    def rules() -> list[dict[str, Any]]:
        groups = httpx.get(f"{stack.prometheus_url}/api/v1/rules", timeout=10).json()["data"]
        return [rule for group in groups["groups"] for rule in group["rules"]]

    assert {rule["name"] for rule in rules()} == {
        "DigitsHighErrorRate",
        "DigitsHighP99Latency",
        "DigitsNotReady",
        "DigitsNoInstances",
        "DigitsOverloaded",
    }
    # Every rule's expression evaluates against the live metrics ("unknown" until it first ran).
    wait_until(lambda: all(r["health"] == "ok" for r in rules()), "rules to evaluate", timeout=60)


@pytest.mark.docker
@needs_docker
def test_docker_stop_lets_in_flight_requests_finish_and_exits_zero(stack, digits):
    """`docker stop` while 8 requests are mid-upload: every one still gets its 200 answer."""
    images = digits[0][:8]
    with httpx.Client(timeout=60) as client:
        expected = [predict(client, stack.url, image).json()["digit"] for image in images]
    (cid,) = stack.containers("digits")
    headers_sent = threading.Semaphore(0)
    release = threading.Event()
    results: list[Any] = [None] * len(images)

    def slow_request(index: int) -> None:
        body = json.dumps({"pixels": images[index].tolist()}).encode()

        def chunks() -> Iterator[bytes]:
            yield body[:-1]  # headers and all but the last byte: the request is in flight
            headers_sent.release()
            release.wait(timeout=120)
            yield body[-1:]

        try:
            results[index] = httpx.post(
                f"{stack.url}/v1/predict",
                content=chunks(),
                headers={"Content-Type": "application/json", "Content-Length": str(len(body))},
                timeout=120,
            )
        except httpx.HTTPError as exc:
            results[index] = exc

    clients = [threading.Thread(target=slow_request, args=(i,)) for i in range(len(images))]
    for thread in clients:
        thread.start()
    for _ in images:
        assert headers_sent.acquire(timeout=60)

    # The server itself sees them in flight (plus the /metrics request asking).
    def all_in_flight() -> bool:
        text = httpx.get(f"{stack.url}/metrics", timeout=10).text
        return metric(text, "digits_http_requests_in_flight") >= len(images) + 1

    wait_until(all_in_flight, "the server to see every request in flight")

    stopper = threading.Thread(
        target=subprocess.run,
        args=(["docker", "stop", "-t", "30", cid],),
        kwargs={"capture_output": True},
        daemon=True,
    )
    stopper.start()

    def draining() -> bool:
        """SIGTERM arrived: new connections are refused or answered non-200."""
        try:
            return httpx.get(f"{stack.url}/health", timeout=2).status_code != 200
        except httpx.TransportError:
            return True

    wait_until(draining, "SIGTERM to reach the server", timeout=30)
    release.set()
    for thread in clients:
        thread.join(timeout=120)
    stopper.join(timeout=120)

    answers = [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in results]
    assert answers == [200] * len(images)
    assert [r.json()["digit"] for r in results] == expected
    state = inspect(cid)["State"]
    assert state["Status"] == "exited"
    # 0 = drained and exited by itself; SIGKILL after the grace period would give 137.
    assert (state["ExitCode"], state["OOMKilled"]) == (0, False)


@pytest.mark.docker
@needs_docker
def test_scale_profile_spreads_a_burst_over_two_replicas(stack, digits):
    stack.compose(
        "--profile", "scale", "up", "-d", "--build", "--scale", "replica=2", timeout=BUILD_TIMEOUT
    )
    replicas = stack.wait_healthy("replica", count=2)
    stack.wait_healthy("lb")
    addresses = {
        f"{network['IPAddress']}:8000"
        for cid in replicas
        for network in inspect(cid)["NetworkSettings"]["Networks"].values()
    }
    assert len(addresses) == 2

    images, labels = digits
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda image: predict(client, stack.lb_url, image), images))
    assert [r.status_code for r in responses] == [200] * len(images)
    accuracy = float(np.mean(np.array([r.json()["digit"] for r in responses]) == labels))
    assert accuracy >= 0.95, accuracy
    # nginx names the replica that answered (the last one tried, if it had to retry).
    served = Counter(r.headers["X-Digits-Upstream"].split(", ")[-1] for r in responses)
    assert set(served) == addresses
    assert min(served.values()) >= len(images) // 4, served
