"""Disk footprint: the runtime distributions `pip install .` brings in, and the Docker image."""

import importlib.metadata as metadata
import json
import shutil
import subprocess
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def project_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The runtime `dependencies` of pyproject.toml: exactly what `pip install .` resolves."""
    return tomllib.loads(pyproject.read_text())["project"]["dependencies"]


def runtime_distributions(requirements: list[str]) -> set[str]:
    """Canonical names of the installed distributions `requirements` pull in, transitively."""
    environment = default_environment()
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = []
    for line in requirements:
        requirement = Requirement(line)
        todo.append((requirement.name, frozenset(requirement.extras)))
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in seen and not extras:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({**environment, "extra": extra})
                for extra in (extras or {""})
            )
            if wanted:
                todo.append((requirement.name, frozenset(requirement.extras)))
    return seen


def distribution_bytes(name: str) -> int:
    """Bytes on disk of the files a distribution installed (its RECORD)."""
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for file in distribution.files or []:
        path = Path(str(distribution.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def runtime_size_mb() -> tuple[float, dict[str, float]]:
    """Total MB of the runtime distributions (the project's own code excluded), and each one's."""
    names = runtime_distributions(project_requirements())
    each = {name: distribution_bytes(name) / 1e6 for name in sorted(names)}
    return sum(each.values()), each


def docker_image_mb(image: str = "digits") -> float | None:
    """Size of a local Docker image in MB, or None when there is no engine or no such image."""
    if shutil.which("docker") is None:
        return None
    try:
        completed = subprocess.run(
            ["docker", "image", "inspect", image],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    try:
        return json.loads(completed.stdout)[0]["Size"] / 1e6
    except (ValueError, LookupError, TypeError):
        return None
