"""`python -m training.reader_blend`: a fine-tuned reader blended, weight by weight, with the
reader it was fine-tuned from (WiSE-FT: Wortsman et al., "Robust fine-tuning of zero-shot
models", 2022).

A stage fine-tuned on new kinds of lines may read them better and yet be surer of its mistakes
than the reader it started from (the scene-line stage was: docs/reading.md). Both sit in one
basin of the loss (the stage started from the other's weights), so the points between them are
readers too; the paper found that blends near the midpoint keep most of the fine-tuned gain and
more of the start's robustness to inputs unlike either training set, which is what paperwork we
never saw is. Here the blend kept the gain and not the start's coverage (docs/reading.md), so
the shipped reader is not a blend. Only trainable weights move: a
stage trained from a rebuilt reader (`training.reader_rebuild`) has its batch norms frozen at
the start's values, so they are equal in both.
"""

import json
from pathlib import Path
from typing import Annotated

import keras
import typer

from training.card import sha256
from training.reader_rebuild import reader_from_onnx
from training.reader_train import ROOT


def blended(start: keras.Model, tuned: keras.Model, share: float) -> keras.Model:
    """`start` with every weight moved `share` of the way to `tuned`'s (0: start, 1: tuned),
    in place; ValueError when the two are not the same network."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share {share} is outside 0..1")
    ours, theirs = start.get_weights(), tuned.get_weights()
    if [w.shape for w in ours] != [w.shape for w in theirs]:
        raise ValueError("the two readers are not the same network")
    start.set_weights([(1.0 - share) * a + share * b for a, b in zip(ours, theirs, strict=True)])
    return start


def loaded(path: Path) -> keras.Model:
    """A saved Keras reader, or a shipped reader.onnx rebuilt in Keras."""
    return reader_from_onnx(path) if path.suffix == ".onnx" else keras.models.load_model(path)


def main(
    tuned: Annotated[Path, typer.Option(help="The fine-tuned reader (Keras).")] = ROOT
    / "runs"
    / "reader.keras",
    start: Annotated[
        Path, typer.Option(help="The reader it was fine-tuned from (Keras, or a reader.onnx).")
    ] = ROOT / "models" / "reader.onnx",
    share: Annotated[float, typer.Option(help="How far to move towards the tuned weights.")] = 0.5,
    out: Annotated[Path, typer.Option(help="Where the blended Keras reader goes.")] = ROOT
    / "runs"
    / "reader_blend.keras",
) -> None:
    """Blend TUNED with START; the summary beside OUT says what was blended, for the card."""
    model = blended(loaded(start), loaded(tuned), share)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    trained = tuned.with_suffix(".json")
    summary = {
        "blend": {
            "start": start.name,
            "start_sha256": sha256(start),
            "tuned": tuned.name,
            "share": share,
        },
        **(json.loads(trained.read_text()) if trained.is_file() else {}),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    print(f"saved {out}: {share} of the way from {start} to {tuned}")


if __name__ == "__main__":
    typer.run(main)
