# digits: the serving image (`docker build -t digits .`). The training image is
# deploy/train.Dockerfile: the legacy builder (no BuildKit) builds every stage that precedes the
# target, so a train stage in this file would put TensorFlow into every runtime build.

# ---------------------------------------------------------------------------------------------
# builder: a self-contained venv with the serving dependencies and the digits package only.
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src

# The venv gets no pip/setuptools of its own (the base image's pip installs into it with
# --python), so the runtime stage carries only what the service imports.
RUN python -m venv --without-pip /opt/venv

# Dependencies first, from the two pyproject.toml files alone, so code changes reuse this
# (slow) layer. Both distributions are installed from the checkout below (neither is on PyPI).
COPY pyproject.toml ./
COPY client/pyproject.toml client/
RUN python -c "import tomllib; deps = [d for f in ('pyproject.toml', 'client/pyproject.toml') for d in tomllib.load(open(f, 'rb'))['project']['dependencies']]; print('\n'.join(deps))" > requirements.txt \
    && pip --python /opt/venv/bin/python install -r requirements.txt

# The two distributions: the client, then the server (digits_core, service and the models as
# package data); training/ and bench/ are not in either.
COPY README.md ./
COPY client/ client/
COPY digits_core/ digits_core/
COPY models/ models/
COPY service/ service/
# Dead weight at runtime: wheels' test suites and C headers; onnxruntime's offline
# model-conversion and quantization tooling and its C-API library (the Python binding links
# its own copy: 35 MB); Pillow's AVIF and font (FreeType/HarfBuzz) modules and Tk glue;
# numpy's distutils; onnxruntime's tools; Cython sources, C headers, static libraries and type
# stubs that wheels ship alongside their code.
# The checks fail the build if a trim ever removes something the service needs: they import
# the app, run the single-digit and number paths on a drawn image, and run the CLI.
RUN pip --python /opt/venv/bin/python install --no-deps ./client . \
    && find /opt/venv -depth -type d \( -name tests -o -name include \) \
        -path '*/site-packages/*' -exec rm -rf {} + \
    && site=/opt/venv/lib/python3.11/site-packages \
    && rm -rf "$site"/onnxruntime/transformers "$site"/onnxruntime/quantization \
        "$site"/onnxruntime/capi/libonnxruntime.so.* \
        "$site"/onnxruntime/tools "$site"/numpy/distutils \
        "$site"/PIL/_avif.* "$site"/PIL/_imagingft.* "$site"/PIL/_imagingtk.* \
        "$site"/pillow.libs/libavif-* "$site"/pillow.libs/libfreetype-* \
        "$site"/pillow.libs/libharfbuzz-* \
    && find "$site" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.c' \
        -o -name '*.h' -o -name '*.pyi' -o -name '*.a' \) -delete \
    && /opt/venv/bin/python -c "import onnxruntime, service.app, service.__main__; \
from uvicorn.config import Config; Config('service.app:create_app', factory=True).load()" \
    && /opt/venv/bin/python -c "import io, numpy as np; from PIL import Image, ImageDraw; \
from digits_core.decoding import decode_image; from digits_core.single import view_digit; \
from digits_core.numbers import read_lines; from digits_core.model import DigitModel, ReaderModel; \
from digits_core.contract import READER_MODEL, shipped_model; \
page = Image.new('L', (600, 200), 255); ImageDraw.Draw(page).text((40, 60), '4711', fill=0); \
data = io.BytesIO(); page.save(data, 'PNG'); data = data.getvalue(); view_digit(decode_image(data)); \
reader = ReaderModel.load(shipped_model(READER_MODEL), intra_op_threads=1); \
read_lines([decode_image(data)], reader.scores, reader.temperature, \
DigitModel.load(shipped_model('digits.onnx')).predict_batch)" \
    && /opt/venv/bin/digits --help > /dev/null

# ---------------------------------------------------------------------------------------------
# runtime: the serving image (default target).
FROM python:3.11-slim AS runtime

# All service configuration is DIGITS_* environment; these are the image's defaults.
# The package finds its shipped models itself; DIGITS_MODEL_PATH names /app/models so that an
# operator can mount other models there.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DIGITS_HOST=0.0.0.0 \
    DIGITS_PORT=8000 \
    DIGITS_WORKERS=1 \
    DIGITS_MODEL_PATH=/app/models/digits.onnx

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin digits

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY deploy/healthcheck.py /app/healthcheck.py
COPY models/ /app/models/

# Numeric user so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/healthcheck.py"]

# Exec form: python is PID 1 and receives SIGTERM from `docker stop` itself (graceful drain).
CMD ["python", "-m", "service"]
