"""Peers on the realistic set (issue 13): Tesseract 5 and RapidOCR (PP-OCRv4), side by side.

Both are optional (`pip install -e .[peers]` and Debian `tesseract-ocr`); CI installs neither.
Their accuracy per condition is computed once and stored in reports/results/realistic_peers.json,
which `python -m training realistic` reads to put peer columns in reports/realistic.md:

    nice -n 19 python -m training.peers                      # every installed peer, whole set
    nice -n 19 python -m training.peers --only rapidocr --limit 50 --condition box ...

(`--condition` and `--limit` split a slow run; results for other conditions already in the file
are kept as long as that condition's images — their fingerprint — are the same.)

Every peer gets the same decoded image an upload gives our service (`decode_image`: first frame,
EXIF orientation, transparency flattened) as an 8-bit grayscale PNG / array, and keeps only the
digits of what it reads. Single digits and numbers are scored by exact match; on the no-digit
conditions a peer is right when it reads nothing. (The seed CNN column comes from the realistic
command itself: it runs through our preprocessing.)
"""

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image

from digits_core.decoding import decode_image
from digits_core.errors import DigitsError
from training.realistic_scenes import encode

ROOT = Path(__file__).resolve().parent.parent
PEERS_FILE = ROOT / "reports" / "results" / "realistic_peers.json"
WHITELIST = "tessedit_char_whitelist=0123456789"
# A peer reads (decoded grayscale 0..255, is it one digit?) → its text.
Reader = Callable[[np.ndarray, bool], str]


def only_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit() and c.isascii())


def decoded(data: bytes) -> np.ndarray:
    """The grayscale our service decodes; an unreadable file is a blank page."""
    try:
        return decode_image(data, work_side=None)
    except DigitsError:
        return np.full((32, 32), 255.0, np.float32)


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def tesseract_version() -> str:
    result = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def tesseract_command(single: bool) -> list[str]:
    psm = "10" if single else "7"
    return ["tesseract", "stdin", "stdout", "--psm", psm, "-c", WHITELIST]


def read_tesseract(gray: np.ndarray, single: bool) -> str:
    """Tesseract 5, digit whitelist, `--psm 10` (one character) or `--psm 7` (one text line)."""
    png = encode(Image.fromarray(np.clip(np.rint(gray), 0, 255).astype(np.uint8), "L"))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(
        tesseract_command(single), input=png, capture_output=True, env=env, check=False
    )
    return only_digits(result.stdout.decode("utf-8", "replace"))


def rapidocr_available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def rapidocr_text(result: object) -> str:
    """The digits of a RapidOCR result, its boxes left to right. With detection a result is
    [[box, text, score], ...]; without, [[text, score], ...]; None when nothing was found."""
    if not result:
        return ""
    items = list(result)  # type: ignore[call-overload]
    if len(items[0]) == 3:
        items.sort(key=lambda item: min(point[0] for point in item[0]))
        return only_digits("".join(str(item[1]) for item in items))
    return only_digits("".join(str(item[0]) for item in items))


class RapidReader:
    """RapidOCR with its bundled PP-OCRv4 weights, one thread. Detection first, as a user
    would call it; when it finds no text, recognition alone on the whole image."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def __call__(self, gray: np.ndarray, single: bool) -> str:
        image = np.repeat(np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None], 3, axis=2)
        result, _ = self.engine(image)
        if not result:
            result, _ = self.engine(image, use_det=False, use_cls=False, use_rec=True)
        return rapidocr_text(result)


def rapidocr_version() -> str:
    from importlib.metadata import version

    return f"rapidocr_onnxruntime {version('rapidocr_onnxruntime')} (PP-OCRv4)"


def available_peers() -> dict[str, tuple[Callable[[], Reader], Callable[[], str]]]:
    peers: dict[str, tuple[Callable[[], Reader], Callable[[], str]]] = {}
    if tesseract_available():
        peers["tesseract"] = (lambda: read_tesseract, tesseract_version)
    if rapidocr_available():
        peers["rapidocr"] = (RapidReader, rapidocr_version)
    return peers


def fingerprints(samples: list) -> dict[str, str]:
    """Condition → a short hash of its images and labels: a peer's result on a condition
    belongs to these very images (a condition added later leaves the others' results valid)."""
    marks = {}
    for condition in dict.fromkeys(sample.condition for sample in samples):
        digest = hashlib.sha256()
        for sample in samples:
            if sample.condition == condition:
                digest.update(f"{sample.label}|".encode())
                digest.update(sample.data)
        marks[condition] = digest.hexdigest()[:16]
    return marks


def load_peers(path: Path = PEERS_FILE) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def command(
    count: Annotated[int, typer.Option(help="Images per single-digit condition.")] = 150,
    numbers: Annotated[int, typer.Option(help="Images per number condition.")] = 150,
    seed: Annotated[int, typer.Option(help="Seed of the set (the report's).")] = 4,
    only: Annotated[list[str] | None, typer.Option(help="Run only these peers.")] = None,
    out: Annotated[Path, typer.Option(help="Where the JSON goes.")] = PEERS_FILE,
    conditions: Annotated[
        list[str] | None,
        typer.Option(
            "--condition", help="Only these conditions (the others already in `out` are kept)."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(help="Only the first LIMIT images of each condition (a slow peer)."),
    ] = None,
) -> None:
    """Run the installed peers on the realistic set; write their accuracy per condition."""
    from training.data import load_split
    from training.realistic_set import NO_DIGIT, number_samples, single_samples

    digits = load_split("test")
    samples = single_samples(digits.images, digits.labels, count, seed)
    samples += number_samples(digits.images, digits.labels, numbers, seed)
    report, marks = load_peers(out) or {}, fingerprints(samples)
    if (report.get("seed"), report.get("count"), report.get("numbers")) != (seed, count, numbers):
        report = {}
    report.update(
        {
            "split": "test",
            "seed": seed,
            "count": count,
            "numbers": numbers,
            "no_digit": "reads nothing",
        }
    )
    report.setdefault("peers", {})
    for name, (make, version) in available_peers().items():
        if only and name not in only:
            continue
        reader = make()
        entry = report["peers"].get(name, {"conditions": {}}) | {"engine": version()}
        entry["conditions"] = {  # results on images that are no longer the set's go
            condition: result
            for condition, result in entry["conditions"].items()
            if result.get("fingerprint") == marks.get(condition)
        }
        report["peers"][name] = entry
        for condition in dict.fromkeys(s.condition for s in samples):
            if conditions and condition not in conditions:
                continue
            started = time.monotonic()
            picked = [i for i, s in enumerate(samples) if s.condition == condition][:limit]
            single = condition in NO_DIGIT or len(samples[picked[0]].label) == 1
            right = sum(
                reader(decoded(samples[i].data), single) == samples[i].label for i in picked
            )
            entry["conditions"][condition] = {
                "accuracy": round(right / len(picked), 4),
                "correct": int(right),
                "count": len(picked),
                "fingerprint": marks[condition],
            }
            entry["seconds"] = entry.get("seconds", 0) + round(time.monotonic() - started)
            print(f"{name} {condition}: {right}/{len(picked)}", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=1) + "\n")  # after each condition
    print(f"wrote {out}")


if __name__ == "__main__":
    typer.run(command)
