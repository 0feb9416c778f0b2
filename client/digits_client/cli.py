"""The `digits` command: serve, classify piles of scans, predict or read one image, train."""

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from digits_client import classify as pipeline
from digits_client.client import DigitsAPIError, DigitsClient, DigitsConnectionError
from digits_client.listing import iter_args
from digits_client.results import ROWS_PER_FILE, Row, Summary, open_writer, prepare_resume
from digits_client.sources import DEFAULT_MAX_BYTES, Limits

app = typer.Typer(
    name="digits",
    help="Handwritten digit recognition: run the service, classify scans, train models.",
    no_args_is_help=True,
    add_completion=False,
)

FORWARD = {"allow_extra_args": True, "ignore_unknown_options": True}
NO_SERVER = (
    "{what} needs the digits server package (onnxruntime, the models); install it with "
    "`pip install ./client .` from a digits checkout, or pass --url to use a running service"
)
MAX_BATCH_BYTES = 16 * 1024 * 1024

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="DIGITS_URL",
        help="A running service, e.g. http://localhost:8000. Without it the model runs here.",
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="ONNX model for local mode (default: DIGITS_MODEL_PATH)."),
]
ApiKeyOption = Annotated[
    str | None, typer.Option("--api-key", envvar="DIGITS_API_KEY", help="Service API key.")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per request.")]
RetriesOption = Annotated[
    int, typer.Option("--retries", min=0, help="Retries (with backoff) when unreachable or 503.")
]


def fail(message: str, code: int) -> typer.Exit:
    """Print `message` on stderr and return the Exit to raise."""
    typer.echo(f"digits: {message}", err=True)
    return typer.Exit(code)


def make_backend(
    url: str | None,
    model: Path | None,
    api_key: str | None,
    timeout: float,
    retries: int,
    *,
    read: bool,
) -> pipeline.Backend:
    """The remote backend with --url, else the in-process one (usage errors exit 2)."""
    if url and model:
        raise typer.BadParameter("give either --url or --model, not both", param_hint="--model")
    if url:
        client = DigitsClient(url, timeout=timeout, api_key=api_key, retries=retries)
        return pipeline.RemoteBackend(client, read=read)
    try:
        from digits_core.model import ModelLoadError
        from service.local import LocalBackend
    except ImportError as exc:
        raise fail(NO_SERVER.format(what="local mode (no --url)") + f" ({exc})", 2) from exc
    try:
        return LocalBackend(model, read=read)
    except ModelLoadError as exc:
        raise typer.BadParameter(str(exc), param_hint="--model") from exc


@app.command(context_settings=FORWARD, add_help_option=False)
def serve(ctx: typer.Context) -> None:
    """Run the HTTP service; options as `python -m service` (--host --port --workers --model)."""
    try:
        from service.__main__ import main
    except ImportError as exc:
        raise fail(NO_SERVER.format(what="`digits serve`") + f" ({exc})", 2) from exc
    raise typer.Exit(main(ctx.args))


@app.command(context_settings=FORWARD, add_help_option=False)
def train(ctx: typer.Context) -> None:
    """Forward to `python -m training ...` in a subprocess, so this CLI never loads TensorFlow."""
    raise typer.Exit(subprocess.call([sys.executable, "-m", "training", *ctx.args]))


@app.command("classify")
def classify_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Image files, folders (recursive), .zip, multi-page TIFF; local paths or "
            "filesystem URIs (s3://…, gs://…, file://…)."
        ),
    ],
    read: Annotated[bool, typer.Option("--read", help="Read multi-digit numbers.")] = False,
    url: UrlOption = None,
    model: ModelOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="results.csv, results.jsonl, or a Parquet dataset folder (results/ or "
            "results.parquet) (default: CSV on stdout).",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="local (in-process, or --url) or ray (a Ray Data actor pool)."
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --engine ray: `auto` joins the running cluster, "
            "ray://host:10001 a remote one; default: start Ray here.",
        ),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option(
            "--actors", min=1, help="With --engine ray: engine actors (default: one per CPU)."
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Batches in flight.")] = 2,
    batch_size: Annotated[int, typer.Option(min=1, max=512, help="Images per batch.")] = 32,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip sources already in --out and append.")
    ] = False,
    max_file_bytes: Annotated[
        int, typer.Option(min=1, help="Larger files and zip members become error rows.")
    ] = DEFAULT_MAX_BYTES,
    rows_per_file: Annotated[
        int, typer.Option(min=1, help="Parquet --out: rows per file (one is also cut every 5 s).")
    ] = ROWS_PER_FILE,
    api_key: ApiKeyOption = None,
    timeout: TimeoutOption = 60.0,
    retries: RetriesOption = 4,
) -> None:
    """Classify every image under PATHs into CSV/JSONL rows: source, answer, confidence, error."""
    if resume and out is None:
        raise typer.BadParameter("--resume needs --out", param_hint="--resume")
    if engine not in ("local", "ray"):
        raise typer.BadParameter("use local or ray", param_hint="--engine")
    if engine == "ray" and url:
        raise typer.BadParameter("--engine ray runs the model itself; drop --url", "--engine")
    done: set[str] = set()
    if resume and out is not None:
        try:
            done = prepare_resume(out, read=read)
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--out") from exc
    backend = None
    if engine == "local":
        backend = make_backend(url, model, api_key, timeout, retries, read=read)
    try:
        writer = open_writer(out, read=read, append=resume, rows_per_file=rows_per_file)
    except OSError as exc:
        if backend is not None:
            backend.close()
        raise typer.BadParameter(f"cannot write {out}: {exc}", param_hint="--out") from exc
    summary = Summary()

    def skip(source: str) -> bool:
        if source in done:
            summary.skipped += 1
            return True
        return False

    limits = Limits(max_bytes=max_file_bytes)
    progress = tqdm(unit="img", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)

    def on_row(row: Row) -> None:
        writer.write(row)
        summary.add(row)
        progress.update()

    started = time.perf_counter()
    if backend is None:
        try:
            run_ray(paths, on_row, skip, read, model, ray_address, actors, batch_size, limits)
        finally:
            progress.close()
            writer.close()
        typer.echo(summary.line(time.perf_counter() - started), err=True)
        return
    items = iter_args(paths, skip=skip, limits=limits)
    try:
        pipeline.run(
            items,
            backend,
            on_row,
            batch_size=batch_size,
            concurrency=concurrency,
            max_batch_bytes=MAX_BATCH_BYTES,
        )
    except DigitsAPIError as exc:
        reason = "unreachable" if isinstance(exc, DigitsConnectionError) else "refusing requests"
        raise fail(
            f"the service is {reason} ({exc}); {summary.count} rows written, "
            "rerun with --resume to continue",
            1,
        ) from exc
    finally:
        progress.close()
        writer.close()
        backend.close()
    typer.echo(summary.line(time.perf_counter() - started), err=True)


def run_ray(
    paths: list[str],
    on_row: Any,
    skip: Any,
    read: bool,
    model: Path | None,
    address: str | None,
    actors: int | None,
    batch_size: int,
    limits: Limits,
) -> None:
    """`--engine ray`: the server's Ray Data pipeline, imported only now."""
    try:
        from service.ray_engine import run
    except ImportError as exc:
        raise fail(NO_SERVER.format(what="--engine ray") + f" ({exc})", 2) from exc
    try:
        run(
            paths,
            on_row,
            read=read,
            model=model,
            address=address,
            actors=actors,
            batch_size=batch_size,
            limits=limits,
            skip=skip,
        )
    except ImportError as exc:  # the server is there, Ray is not
        raise fail(str(exc), 2) from exc


def answer_one(
    file: Path, url: str | None, model: Path | None, api_key: str | None, timeout: float, read: bool
) -> dict[str, Any]:
    """The API response for one image, from the service or the local model."""
    backend = make_backend(url, model, api_key, timeout, 2, read=read)
    try:
        if isinstance(backend, pipeline.RemoteBackend):
            client = backend.client
            return client.read(file) if read else client.predict(file)
        local: Any = backend  # service.local.LocalBackend, imported only in local mode
        data = file.read_bytes()
        return local.read_one(data) if read else local.predict_one(data)
    except DigitsAPIError as exc:
        raise fail(f"{file}: {exc.code}: {exc.detail}", 1) from exc
    except OSError as exc:
        raise fail(f"{file}: cannot read: {exc}", 1) from exc
    finally:
        backend.close()


def show(result: dict, answer: str, as_json: bool) -> None:
    """One answer: the full JSON, or its `answer` field, confidence and uncertainty."""
    if as_json:
        typer.echo(json.dumps(result))
        return
    flag = " (uncertain)" if result["uncertain"] else ""
    typer.echo(f"{result[answer]}  confidence {result['confidence']:.3f}{flag}")


FileArgument = Annotated[Path, typer.Argument(help="One image file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the full JSON response.")]


@app.command()
def predict(
    file: FileArgument,
    as_json: JsonOption = False,
    url: UrlOption = None,
    model: ModelOption = None,
    api_key: ApiKeyOption = None,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Classify one image of a single digit."""
    show(answer_one(file, url, model, api_key, timeout, read=False), "digit", as_json)


@app.command()
def read(
    file: FileArgument,
    as_json: JsonOption = False,
    url: UrlOption = None,
    model: ModelOption = None,
    api_key: ApiKeyOption = None,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Read a multi-digit number from one image."""
    show(answer_one(file, url, model, api_key, timeout, read=True), "text", as_json)
