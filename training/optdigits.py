"""`python -m training.optdigits`: a set beyond ours, read as the service reads.

sklearn ships a copy of the UCI optdigits test set (1,797 digits by 13 writers, none of them
MNIST's): 32×32 bitmaps from NIST forms, each 4×4 block counted into an 8×8 image of 0..16.
No model of ours trained on it, and no rule was made from it. Drawn dark on paper and
enlarged the way a low-resolution scan reaches us (blocky by nearest, or smooth), single
digits are answered as `/v1/predict` answers and numbers of 3–6 of them side by side read as
`/v1/read` reads (`training.realistic_scoring`, the report's serving path). Then the same
digits, made MNIST-like (20 px in 28×28), go through every condition of our realistic set
(`training.realistic_set`): our paperwork, other writers. Writes reports/optdigits.md.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import typer
from PIL import Image
from sklearn.datasets import load_digits

from digits_core.contract import READER_MODEL
from digits_core.model import DigitModel, ReaderModel
from training.realistic_scoring import prepare, read_texts, score_singles
from training.realistic_set import Sample, number_samples, single_samples

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "optdigits.md"
CLASSIFIER = ROOT / "models" / "digits.onnx"
FULL_COUNT = 16.0  # an 8×8 cell counts at most 16 inked pixels of its 4×4 block
MARGIN = 2  # source pixels of paper around the ink
PAPER, INK = 245.0, 20.0
NEAREST, BILINEAR, BICUBIC = (
    Image.Resampling.NEAREST,
    Image.Resampling.BILINEAR,
    Image.Resampling.BICUBIC,
)


class View(NamedTuple):
    """How a source reaches us: enlarged `scale`× by `resample`, saved as PNG or as a JPEG of
    `quality`."""

    resample: Image.Resampling
    scale: float
    quality: int | None = None

    def name(self, kind: str) -> str:
        jpeg = "" if self.quality is None else f", JPEG {self.quality}"
        return f"{kind}, {self.resample.name.lower()} ×{self.scale:g}{jpeg}"

    def page(self, ink: np.ndarray) -> bytes:
        """Ink (0..1) drawn dark on paper with a margin, enlarged and saved."""
        gray = PAPER - np.pad(ink, MARGIN) * (PAPER - INK)
        image = Image.fromarray(gray.astype(np.uint8))
        size = (round(image.width * self.scale), round(image.height * self.scale))
        buffer = io.BytesIO()
        if self.quality is None:
            image.resize(size, self.resample).save(buffer, "PNG")
        else:
            image.resize(size, self.resample).save(buffer, "JPEG", quality=self.quality)
        return buffer.getvalue()


SINGLE_VIEWS = (
    View(NEAREST, 2.0),
    View(NEAREST, 3.5),
    View(NEAREST, 8.0),
    View(NEAREST, 4.0, quality=60),
    View(NEAREST, 3.5, quality=40),
    View(BILINEAR, 8.0),
    View(BILINEAR, 4.0, quality=60),
    View(BICUBIC, 4.0),
)
NUMBER_VIEWS = (View(NEAREST, 4.0), View(NEAREST, 6.5), View(BILINEAR, 4.0))
NUMBER_COUNT = 300
NUMBER_SEED = 11
CHUNK = 64  # images a model call
CONDITION_COUNT = 150  # images per realistic condition, as in reports/realistic.md
MNIST_BOX, MNIST_SIDE = 20, 28


Read = Callable[[list[Sample]], tuple[list[str], list[bool]]]  # → (answers, flagged)


@dataclass(frozen=True)
class Row:
    """One condition's figures as served."""

    condition: str
    count: int
    right: float
    unflagged: float
    right_unflagged: float | None
    wrong_unflagged: int


def optdigits() -> tuple[np.ndarray, np.ndarray]:
    """(counts [N, 8, 8] in 0..1 ink, labels [N])."""
    data = load_digits()
    return data.images / FULL_COUNT, data.target.astype(np.int64)


def as_mnist(inks: np.ndarray) -> np.ndarray:
    """8×8 ink → MNIST-style digits (uint8 [N, 28, 28], white on black): enlarged bicubic to
    20×20 and centred by mass, as MNIST's digits are."""
    out = np.zeros((len(inks), MNIST_SIDE, MNIST_SIDE), np.uint8)
    grid = np.arange(MNIST_BOX) + 0.5
    for index, ink in enumerate(inks):
        image = Image.fromarray((ink * 255).astype(np.uint8))
        big = np.asarray(image.resize((MNIST_BOX, MNIST_BOX), BICUBIC), dtype=np.float64)
        mass = max(big.sum(), 1e-9)
        row = int(np.rint(MNIST_SIDE / 2 - (big.sum(axis=1) @ grid) / mass))
        col = int(np.rint(MNIST_SIDE / 2 - (big.sum(axis=0) @ grid) / mass))
        row = min(max(row, 0), MNIST_SIDE - MNIST_BOX)
        col = min(max(col, 0), MNIST_SIDE - MNIST_BOX)
        out[index, row : row + MNIST_BOX, col : col + MNIST_BOX] = big.astype(np.uint8)
    return out


def number_lines(
    inks: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[list[np.ndarray], list[str]]:
    """`count` numbers of 3–6 digits side by side, 0–2 source pixels apart (0: their cells
    touch, and often their strokes)."""
    rng = np.random.default_rng(seed)
    lines, texts = [], []
    for _ in range(count):
        picks = rng.choice(len(labels), size=int(rng.integers(3, 7)), replace=False)
        parts = []
        for index, pick in enumerate(picks):
            if index:
                parts.append(np.zeros((8, int(rng.integers(0, 3)))))
            parts.append(inks[pick])
        lines.append(np.concatenate(parts, axis=1))
        texts.append("".join(str(labels[p]) for p in picks))
    return lines, texts


@dataclass(frozen=True)
class Served:
    """The shipped models, answering as the service does."""

    classifier: DigitModel
    reader: ReaderModel

    @classmethod
    def load(cls, classifier: Path = CLASSIFIER) -> "Served":
        return cls(
            DigitModel.load(classifier), ReaderModel.load(classifier.with_name(READER_MODEL))
        )

    def digits(self, samples: list[Sample]) -> tuple[list[str], list[bool]]:
        """`/v1/predict`'s digit and `uncertain` for each single-digit sample."""
        answers, flagged = [], []
        for start in range(0, len(samples), CHUNK):
            chosen = prepare(samples[start : start + CHUNK])
            digits, confidence, _ = score_singles(self.classifier, chosen, self.reader)
            answers += [str(d) for d in digits]
            flagged += list(confidence < self.classifier.threshold)
        return answers, flagged

    def numbers(self, samples: list[Sample]) -> tuple[list[str], list[bool]]:
        """`/v1/read`'s text and `uncertain` for each number sample."""
        found = read_texts(self.classifier, self.reader, samples)
        return [text for text, _, _ in found], [
            empty or confidence < self.reader.threshold for _, confidence, empty in found
        ]


def figures(
    condition: str, answers: Sequence[str], flagged: Sequence[bool], truth: Sequence[str]
) -> Row:
    right = np.array([a == t for a, t in zip(answers, truth, strict=True)])
    kept = ~np.array(flagged, dtype=bool)
    return Row(
        condition=condition,
        count=len(right),
        right=float(right.mean()),
        unflagged=float(kept.mean()),
        right_unflagged=float(right[kept].mean()) if kept.any() else None,
        wrong_unflagged=int((kept & ~right).sum()),
    )


def by_condition(samples: list[Sample], read: Read) -> list[Row]:
    rows = []
    for condition in dict.fromkeys(sample.condition for sample in samples):
        chosen = [sample for sample in samples if sample.condition == condition]
        answers, flagged = read(chosen)
        rows.append(figures(condition, answers, flagged, [sample.label for sample in chosen]))
    return rows


def enlarged(
    served: Served, limit: int | None = None, number_count: int = NUMBER_COUNT
) -> list[Row]:
    """Every enlargement's figures; the first `limit` digits only (a quick look)."""
    inks, labels = optdigits()
    inks, labels = inks[:limit], labels[:limit]
    lines, texts = number_lines(inks, labels, number_count, NUMBER_SEED)
    singles = [
        Sample(view.name("digit"), view.page(ink), str(label))
        for view in SINGLE_VIEWS
        for ink, label in zip(inks, labels, strict=True)
    ]
    many = [
        Sample(view.name("number"), view.page(line), text)
        for view in NUMBER_VIEWS
        for line, text in zip(lines, texts, strict=True)
    ]
    return by_condition(singles, served.digits) + by_condition(many, served.numbers)


def in_our_conditions(served: Served, count: int = CONDITION_COUNT) -> list[Row]:
    """Every digit and number condition of the realistic set, written by optdigits' writers
    (the no-digit inputs left out: they hold nobody's writing)."""
    inks, labels = optdigits()
    images = as_mnist(inks)
    singles = [s for s in single_samples(images, labels, count, NUMBER_SEED) if s.label]
    return by_condition(singles, served.digits) + by_condition(
        number_samples(images, labels, count, NUMBER_SEED), served.numbers
    )


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


HEADER = (
    "| condition | images | right | unflagged | right among unflagged | wrong unflagged |",
    "|---|---:|---:|---:|---:|---:|",
)


def table(rows: list[Row]) -> list[str]:
    return [*HEADER] + [
        f"| {row.condition} | {row.count} | {percent(row.right)} | {percent(row.unflagged)} "
        f"| {percent(row.right_unflagged)} | {row.wrong_unflagged} |"
        for row in rows
    ]


def report(enlargements: list[Row], conditions: list[Row], served: Served) -> str:
    """reports/optdigits.md."""
    model, reader = served.classifier, served.reader
    lines = [
        "# A set beyond ours: UCI optdigits",
        "",
        "Written by `python -m training.optdigits`. sklearn's copy of the UCI optdigits test",
        "set: 1,797 digits by 13 writers who are not MNIST's, each an 8×8 count of a 32×32",
        "bitmap from a NIST form. No model trained on it. Read as served: digits by",
        f"{model.name} {model.version} with the reader's opinion, numbers by "
        f"{reader.name} {reader.version}; flagged = `uncertain`.",
        "",
        "## Enlarged as a low-resolution scan",
        "",
        "Drawn dark on paper with 2 source pixels of margin and enlarged; numbers are 3–6 of",
        f"them side by side, 0–2 source pixels apart ({NUMBER_COUNT}, seed {NUMBER_SEED}).",
        "",
        *table(enlargements),
        "",
        "## Our conditions, their writers",
        "",
        f"The realistic set's conditions ({CONDITION_COUNT} images each, seed {NUMBER_SEED}),",
        "drawn from these digits made MNIST-like (enlarged bicubic to 20 px, centred by mass in",
        "28×28), so every image also carries an 8×8 source's blur. The same conditions drawn",
        "from MNIST test digits: [realistic.md](realistic.md).",
        "",
        *table(conditions),
    ]
    return "\n".join(lines) + "\n"


def main(
    out: Annotated[Path, typer.Option(help="Where the report goes.")] = REPORT,
) -> None:
    """Measure every condition with the shipped models and write the report."""
    served = Served.load()
    text = report(enlarged(served), in_our_conditions(served), served)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    typer.run(main)
