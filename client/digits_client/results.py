"""Result rows of `digits classify`: CSV or JSONL output, flushed per row, and resume."""

import csv
import json
import sys
from dataclasses import dataclass
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


def prepare_resume(out: Path, *, read: bool) -> set[str]:
    """Sources already in `out`; a half-written last line (from a crash) is cut off first.

    Raises ValueError when the file holds the other kind of results (digit vs text).
    """
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
