# digits-ray: the project's packages with the [ray] extra, for `digits classify --engine ray` on a
# Ray cluster (docker-compose.yml profile `ray`; deploy/k8s/ray/rayjob.yaml). Every node of the
# cluster (head and workers) runs this image; the serving image (./Dockerfile) stays without Ray.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Ray keeps its session files and token under $HOME: a real home for the non-root user.
RUN useradd --uid 10001 --user-group --create-home --shell /bin/sh digits

WORKDIR /src
COPY pyproject.toml README.md ./
COPY client/ client/
COPY digits_core/ digits_core/
COPY models/ models/
COPY service/ service/
# The client and the server with the ray extra (ray[data], pyarrow, fsspec); the import check
# fails the build if the actor's module or Ray Data cannot load. (DL3013: these are the local
# distributions; their dependencies are pinned by the pyproject files' lower bounds.)
# hadolint ignore=DL3013
RUN pip install --no-compile ./client[parquet] .[ray] \
    && python -c "import ray.data, pyarrow.parquet, service.ray_engine, digits_client.cli" \
    && rm -rf /src/build /src/*.egg-info

WORKDIR /work
USER 10001:10001
CMD ["ray", "start", "--head", "--block", "--disable-usage-stats"]
