"""Result rows of `digits classify`: CSV or JSONL (flushed per row) or a Parquet dataset folder,
and resume."""

import csv
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class Row:
    """One output line: an answer (digit, or text with --read) or an error code and detail."""

    source: str
    answer: str | None = None
    confidence: float | None = None
    uncertain: bool | None = None
    error: str | None = None
    detail: str | None = None


def columns(read: bool) -> list[str]:
    return ["source", "text" if read else "digit", "confidence", "uncertain", "error", "detail"]


class RowWriter:
    """Writes rows as CSV or JSONL (by the file's extension), flushing after each one.

    Flushing per row means a crash loses at most the batches still in flight, and
    `--resume` can pick up from what is on disk.
    """

    def __init__(self, out: Path | None, *, read: bool, append: bool) -> None:
        self.read = read
        self.jsonl = out is not None and out.suffix.lower() in (".jsonl", ".ndjson")
        self.columns = columns(read)
        fresh = out is None or not append or not out.exists() or out.stat().st_size == 0
        self.handle: IO[str] = (
            sys.stdout
            if out is None
            else out.open("w" if fresh else "a", encoding="utf-8", newline="")
        )
        self.owned = out is not None
        self.csv = csv.writer(self.handle, lineterminator="\n")
        if fresh and not self.jsonl:
            self.csv.writerow(self.columns)
            self.handle.flush()

    def write(self, row: Row) -> None:
        answer_key = self.columns[1]
        if self.jsonl:
            record: dict[str, Any] = {
                "source": row.source,
                answer_key: None if row.answer is None else self.typed(row.answer),
                "confidence": row.confidence,
                "uncertain": row.uncertain,
                "error": row.error,
                "detail": row.detail,
            }
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            confidence = "" if row.confidence is None else f"{row.confidence:.6f}"
            uncertain = "" if row.uncertain is None else str(row.uncertain).lower()
            self.csv.writerow(
                [
                    row.source,
                    row.answer or "",
                    confidence,
                    uncertain,
                    row.error or "",
                    row.detail or "",
                ]
            )
        self.handle.flush()

    def typed(self, answer: str) -> int | str:
        """Digits are numbers in JSON; read text stays a string (leading zeros matter)."""
        return answer if self.read else int(answer)

    def close(self) -> None:
        if self.owned:
            self.handle.close()


NO_PARQUET = "Parquet output needs pyarrow: pip install 'digits-client[parquet]' (or '.[ray]')"


def is_parquet(out: Path | None) -> bool:
    """Parquet for a folder: an existing directory, a name without suffix, or `*.parquet`."""
    if out is None:
        return False
    return out.is_dir() or out.suffix.lower() in ("", ".parquet")


def parquet_schema(read: bool) -> "Any":
    import pyarrow as pa

    answer = pa.field("text", pa.string()) if read else pa.field("digit", pa.int64())
    return pa.schema(
        [
            pa.field("source", pa.string()),
            answer,
            pa.field("confidence", pa.float64()),
            pa.field("uncertain", pa.bool_()),
            pa.field("error", pa.string()),
            pa.field("detail", pa.string()),
        ]
    )


ROWS_PER_FILE = 4096  # a Parquet file's rows, unless 5 seconds pass first


@dataclass
class ParquetWriter:
    """Rows into a Parquet dataset folder, one `part-<run>-<n>.parquet` file per flush.

    A file is written under a temporary name and renamed when complete, so a killed run leaves
    only whole files (resume reads them) and loses at most the rows not flushed yet.
    """

    folder: Path
    read: bool
    rows_per_file: int = ROWS_PER_FILE
    seconds_per_file: float = 5.0
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    buffer: list[Row] = field(default_factory=list)
    written: int = 0
    last_flush: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise OSError(NO_PARQUET) from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema = parquet_schema(self.read)

    def write(self, row: Row) -> None:
        self.buffer.append(row)
        elapsed = time.monotonic() - self.last_flush
        if len(self.buffer) >= self.rows_per_file or elapsed >= self.seconds_per_file:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self.buffer = self.buffer, []
        answers = [
            None if r.answer is None else r.answer if self.read else int(r.answer) for r in rows
        ]
        table = pa.table(
            [
                [r.source for r in rows],
                answers,
                [r.confidence for r in rows],
                [r.uncertain for r in rows],
                [r.error for r in rows],
                [r.detail for r in rows],
            ],
            schema=self.schema,
        )
        name = f"part-{self.run}-{self.written:05d}.parquet"
        temporary = self.folder / f".{name}.tmp"
        pq.write_table(table, temporary)
        os.replace(temporary, self.folder / name)
        self.written += 1

    def close(self) -> None:
        self.flush()


def open_writer(
    out: Path | None, *, read: bool, append: bool, rows_per_file: int = ROWS_PER_FILE
) -> "RowWriter | ParquetWriter":
    """The writer for `out`: a Parquet folder, else CSV/JSONL by extension (stdout: CSV)."""
    if is_parquet(out):
        assert out is not None
        if out.exists() and not out.is_dir():
            raise OSError(f"{out} exists and is not a folder")
        if not append and out.is_dir() and any(out.glob("*.parquet")):
            raise OSError(f"{out} already holds Parquet files; pass --resume or another folder")
        return ParquetWriter(out, read, rows_per_file=rows_per_file)
    return RowWriter(out, read=read, append=append)


def parquet_done(out: Path, *, read: bool) -> set[str]:
    """Sources in a Parquet folder's complete files; a crash's temporary files are removed."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ValueError(NO_PARQUET) from exc
    for leftover in out.glob(".part-*.tmp"):
        leftover.unlink()
    answer_key = columns(read)[1]
    done: set[str] = set()
    for file in sorted(out.glob("*.parquet")):
        table = pq.read_table(file)
        if answer_key not in table.column_names:
            raise ValueError(f"{out} does not hold `{answer_key}` results")
        done.update(table.column("source").to_pylist())
    return done


def prepare_resume(out: Path, *, read: bool) -> set[str]:
    """Sources already in `out`; a half-written last line (from a crash) is cut off first.

    Raises ValueError when the file holds the other kind of results (digit vs text).
    """
    if is_parquet(out):
        return parquet_done(out, read=read) if out.is_dir() else set()
    if not out.exists() or out.stat().st_size == 0:
        return set()
    with out.open("rb+") as handle:
        content = handle.read()
        complete = content[: content.rfind(b"\n") + 1]
        if len(complete) != len(content):
            handle.truncate(len(complete))
    text = complete.decode("utf-8", errors="replace")
    answer_key = columns(read)[1]
    if out.suffix.lower() in (".jsonl", ".ndjson"):
        done = set()
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "source" in record:
                if answer_key not in record:
                    raise ValueError(f"{out} does not hold `{answer_key}` results")
                done.add(str(record["source"]))
        return done
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None:
        return set()
    if answer_key not in reader.fieldnames:
        raise ValueError(f"{out} does not hold `{answer_key}` results")
    return {row["source"] for row in reader if row.get("source")}


@dataclass
class Summary:
    """Counts for the closing line."""

    count: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0

    def add(self, row: Row) -> None:
        self.count += 1
        self.failed += row.error is not None
        self.uncertain += bool(row.uncertain)

    def line(self, seconds: float) -> str:
        rate = self.count / seconds if seconds > 0 else 0.0
        text = (
            f"{self.count} images: {self.failed} failed, {self.uncertain} uncertain, "
            f"{rate:.1f} images/s"
        )
        return text + (f" ({self.skipped} already done, skipped)" if self.skipped else "")
