# Training image: `docker-compose run --rm train` retrains and exports into the mounted ./models
# (see docker-compose.yml). Build context: the repository root.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN python -m venv --without-pip /opt/venv

# Serving + [train] dependencies first, from pyproject.toml alone, so code changes reuse the
# TensorFlow layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; deps = p['dependencies'] + p['optional-dependencies']['train']; print('\n'.join(d for d in deps if not d.startswith('digits-client')))" > requirements.txt \
    && pip --python /opt/venv/bin/python install -r requirements.txt

# Run from source in /app (not installed): the training package finds data/, models/, runs/
# and reports/ relative to the repository root, which is /app here; docker-compose.yml
# bind-mounts those directories from the host.
COPY digits_core/ digits_core/
COPY training/ training/

# No USER: a one-off batch job that must be able to write into ./models whoever owns it.
ENTRYPOINT ["python", "-m", "training"]
CMD ["--help"]
