"""`digits classify --engine ray`: the local engine's data plane on a Ray Data actor pool.

The driver lists the inputs (local folders or filesystem URIs), `ray.data.read_binary_files`
streams the files, and `map_batches(RayClassifier, concurrency=N)` runs N actors that each
hold ONE engine (the model loaded once): an actor expands zips and multi-page TIFFs exactly as
the local engine does, then decodes, prepares and infers the whole batch in ONE model call
(`service.local.LocalBackend.process`). Rows stream back to the driver, which writes them.
A bad file or member is an error row, never a failed job. Ray is imported only here, lazily.
"""

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from digits_client.listing import Listing, display_name, list_sources
from digits_client.results import Row
from digits_client.sources import Limits, SourceError, SourceItem, bytes_items

CONTAINER_SUFFIXES = frozenset({".zip", ".tif", ".tiff"})
# Reading is I/O: read tasks take a sliver of a CPU, and each actor leaves that sliver free, so
# N actors on N CPUs never starve the reads that feed them (Ray would wait forever).
READ_CPUS = 0.1
ACTOR_CPUS = 1.0 - READ_CPUS
COLUMNS = ("source", "answer", "confidence", "uncertain", "error", "detail")
NO_RAY = "--engine ray needs Ray: pip install './client' '.[ray]' (ray[data], pyarrow)"


def row_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("source", pa.string()),
            ("answer", pa.string()),
            ("confidence", pa.float64()),
            ("uncertain", pa.bool_()),
            ("error", pa.string()),
            ("detail", pa.string()),
        ]
    )


def rows_table(rows: list[Row]) -> Any:
    import pyarrow as pa

    return pa.table({c: [getattr(r, c) for r in rows] for c in COLUMNS}, schema=row_schema())


def table_rows(table: Any) -> Iterator[Row]:
    for record in table.to_pylist():
        yield Row(**record)


class RayClassifier:
    """One Ray actor: one engine, loaded once; a batch of files → rows, ONE model call."""

    def __init__(
        self, model_path: str | None, read: bool, roots: list[tuple[str, str]], limits: Limits
    ) -> None:
        from service.local import LocalBackend

        self.backend = LocalBackend(
            None if model_path is None else Path(model_path), read=read, threads=1
        )
        self.roots = roots
        self.limits = limits

    def __call__(self, batch: dict[str, Any]) -> Any:
        items: list[SourceItem] = []
        for path, data in zip(batch["path"], batch["bytes"], strict=True):
            source = display_name(str(path), self.roots)
            try:
                items.extend(bytes_items(source, bytes(data), limits=self.limits))
            except Exception as exc:  # a bug must cost one row, not the job
                items.append(SourceItem(source, error=internal_error(exc)))
        if not items:
            return rows_table([])
        try:
            return rows_table(self.backend.process(items))
        except Exception:
            return rows_table([row for item in items for row in self.one_by_one(item)])

    def one_by_one(self, item: SourceItem) -> list[Row]:
        """A batch that raised is redone item by item: only the culprit becomes an error row."""
        try:
            return self.backend.process([item])
        except Exception as exc:
            error = internal_error(exc)
            return [Row(item.source, error=error.code, detail=error.detail)]


def internal_error(exc: Exception) -> SourceError:
    return SourceError(f"The engine failed on this input: {exc!r}", code="internal_error")


def is_container(source: str) -> bool:
    return PurePosixPath(source).suffix.lower() in CONTAINER_SUFFIXES


def start_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Join `address` (`auto`: the running cluster), or start a local Ray; reuse one if up."""
    import ray

    if ray.is_initialized():
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING"}
    kwargs["log_to_driver"] = False
    if address:
        ray.init(address=address, **kwargs)
    else:  # "local": a new Ray here, even if a stopped cluster left its address behind
        ray.init(address="local", num_cpus=num_cpus, **kwargs)


def dataset(
    listing: Listing,
    files: dict[str, list[str]],
    *,
    model: Path | None,
    read: bool,
    actors: int,
    batch_size: int,
    limits: Limits,
) -> Any:
    """read_binary_files (one read per filesystem) → map_batches(RayClassifier)."""
    import ray

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = sys.stderr.isatty()
    reads = [
        ray.data.read_binary_files(
            paths,
            include_paths=True,
            filesystem=listing.groups[key].filesystem,
            num_cpus=READ_CPUS,
        )
        for key, paths in files.items()
        if paths
    ]
    ds = reads[0].union(*reads[1:]) if len(reads) > 1 else reads[0]
    return ds.map_batches(
        RayClassifier,
        fn_constructor_kwargs={
            "model_path": None if model is None else os.path.abspath(model),
            "read": read,
            "roots": listing.roots,
            "limits": limits,
        },
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=actors,
        num_cpus=ACTOR_CPUS,
    )


def run(
    args: list[str],
    on_row: Callable[[Row], None],
    *,
    read: bool = False,
    model: Path | None = None,
    address: str | None = None,
    actors: int | None = None,
    batch_size: int = 64,
    limits: Limits = Limits(),
    skip: Callable[[str], bool] = lambda _source: False,
) -> None:
    """Classify every image under `args` on Ray; `on_row` sees each row once (any order)."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(NO_RAY) from exc
    listing = list_sources(args, limits=limits)
    for item in listing.errors:
        if not skip(item.source):
            on_row(Row(item.source, error=item.error.code, detail=item.error.detail))
    files = {
        key: [f.fs_path for f in group.files if is_container(f.source) or not skip(f.source)]
        for key, group in listing.groups.items()
    }
    if not any(files.values()):
        return
    start_ray(address)
    if actors is None:
        actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
    ds = dataset(
        listing, files, model=model, read=read, actors=actors, batch_size=batch_size, limits=limits
    )
    for table in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for row in table_rows(table):
            if not skip(row.source):  # zip members or TIFF pages a resumed run already has
                on_row(row)
