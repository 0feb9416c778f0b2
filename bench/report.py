"""Targets from the measurements, the printed table, and the JSON file."""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """One target: what was measured against what limit, and whether it holds."""

    name: str
    measured: float | None
    limit: float
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def status(self) -> str:
        if self.measured is None or math.isnan(self.measured):
            return "n/a"
        ratio = self.measured / self.limit if self.limit else math.inf
        if self.higher_is_better:
            if self.measured >= self.limit:
                return "met"
            return f"MISSED: {ratio:.2f}× of target"
        if self.measured <= self.limit:
            return "met"
        return f"MISSED: {ratio:.2f}× the limit (+{self.measured - self.limit:.3g} {self.unit})"

    def as_row(self) -> list[str]:
        sign = "≥" if self.higher_is_better else "≤"
        value = "n/a" if self.measured is None else f"{self.measured:.3g} {self.unit}"
        return [self.name, value, f"{sign} {self.limit:g} {self.unit}", self.status, self.note]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "limit": self.limit,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "status": self.status,
            "note": self.note,
        }


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (readable as plain text too) under a `### title`."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([f"### {title}", "", line(header), rule, *map(line, rows), ""])


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits, or n/a."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def write_json(results: dict[str, Any], directory: Path, stamp: str) -> Path:
    """Write `results` as bench/results/<stamp>.json and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path
