"""deploy/k8s: schema-valid manifests (offline, kubernetes-validate) that agree with each other."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The newest schema bundled with kubernetes-validate, and the oldest still-supported minor we
# promise (autoscaling/v2 and policy/v1 are GA since 1.23 / 1.21).
K8S_VERSIONS = [kubernetes_validate.utils.latest_version(), "1.29.0"]
PRESTOP_PAUSE_SECONDS = 5


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def manifests() -> dict[str, dict[str, Any]]:
    """Every resource listed in kustomization.yaml, by kind."""
    docs = {}
    for name in kustomization()["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            docs[doc["kind"]] = doc
    return docs


def container(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    return only


def test_kustomization_lists_every_manifest_in_the_directory():
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_passes_strict_schema_validation(version):
    docs = manifests()
    kinds = {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert set(docs) == kinds
    for doc in docs.values():
        kubernetes_validate.validate(doc, version, strict=True)


def test_strict_validation_rejects_a_misspelled_field():
    """The validator used above really checks field names (so the test above can fail)."""
    deployment = manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_build_renders_all_resources():
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    docs = list(yaml.safe_load_all(rendered))
    assert sorted(d["kind"] for d in docs) == sorted(manifests())
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"digits:{kustomization()['images'][0]['newTag']}"


def test_probes_check_health_ready_and_startup_on_the_served_port():
    docs = manifests()
    spec = container(docs)
    port = int(docs["ConfigMap"]["data"]["DIGITS_PORT"])
    assert spec["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert spec["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert spec["startupProbe"]["httpGet"]["path"] == "/health"
    # The startup probe must allow a cold start (model load + warm-up) of at least a minute.
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60


def test_resources_have_requests_and_limits():
    resources = container(manifests())["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind])


def test_pod_runs_non_root_with_a_read_only_root_filesystem():
    docs = manifests()
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    security = container(docs)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # The only writable path is an emptyDir on /tmp.
    assert [m["mountPath"] for m in container(docs)["volumeMounts"]] == ["/tmp"]


def test_grace_period_covers_prestop_pause_and_server_drain():
    docs = manifests()
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    drain = int(docs["ConfigMap"]["data"]["DIGITS_GRACEFUL_TIMEOUT"])
    assert container(docs)["lifecycle"]["preStop"]["exec"]["command"] == [
        "sleep",
        str(PRESTOP_PAUSE_SECONDS),
    ]
    grace = pod["terminationGracePeriodSeconds"]
    assert PRESTOP_PAUSE_SECONDS + drain < grace <= PRESTOP_PAUSE_SECONDS + drain + 15


def test_configmap_feeds_the_container_and_only_sets_digits_variables():
    docs = manifests()
    config = docs["ConfigMap"]
    assert container(docs)["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
    assert all(key.startswith("DIGITS_") for key in config["data"])
    assert config["data"]["DIGITS_MODEL_PATH"].startswith("/app/models/")


def test_service_hpa_and_pdb_target_the_deployment():
    docs = manifests()
    deployment = docs["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert docs["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= (
        pod_labels.items()
    )
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    # The PDB must leave room for a voluntary disruption at the HPA's minimum size.
    assert docs["PodDisruptionBudget"]["spec"]["minAvailable"] < hpa["minReplicas"]
    # The HPA owns the replica count; a fixed one would fight it on every apply.
    assert "replicas" not in deployment["spec"]
