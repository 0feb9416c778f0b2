"""`python -m training.reader_train`: synthesise lines, train the reader with CTC, export it.

Lines come from MNIST **training** digits: the first 55,000 for training lines, the last 5,000
for validation lines (the model is chosen on those); MNIST test digits are never seen here, and
the realistic report (`python -m training realistic`) measures the result on them once.
Training stops at a time budget; the model exported is the one with the best validation score.
"""

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, NamedTuple

import keras
import numpy as np
import tensorflow as tf
import typer

from training.data import DEFAULT_DATA_DIR, load_split
from training.lines import make_lines
from training.reader import Batches, ctc_loss, exact_rate, reader_model
from training.reader_rebuild import parity, reader_from_onnx
from training.scene_lines import scene_lines, scene_odds

ROOT = Path(__file__).resolve().parent.parent
VALIDATION = 5000  # the last MNIST training digits are the validation digits


def digits_of(part: str, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a part: train, validation (MNIST training digits) or test."""
    digits = load_split("test" if part == "test" else "train", data_dir)
    if part == "train":
        return digits.images[:-VALIDATION], digits.labels[:-VALIDATION]
    if part == "validation":
        return digits.images[-VALIDATION:], digits.labels[-VALIDATION:]
    return digits.images, digits.labels


class Job(NamedTuple):
    """Lines one synthesis process makes."""

    part: str
    count: int
    seed: int
    data_dir: Path
    scenes: bool  # drawn by the realistic scenes, not composed
    scene_weights: tuple[tuple[str, float], ...] = ()  # (scene, weight); unnamed scenes weigh 1


def lines_job(job: Job) -> tuple[list[np.ndarray], list[str], list[str]]:
    digits = digits_of(job.part, job.data_dir)
    if job.scenes:
        return scene_lines(*digits, job.count, job.seed, dict(job.scene_weights))
    return make_lines(*digits, job.count, job.seed)


def jobs_of(
    part: str,
    count: int,
    scene_share: float,
    seed: int,
    shards: int,
    data_dir: Path,
    scene_weights: tuple[tuple[str, float], ...] = (),
) -> list[Job]:
    """Jobs making `count` lines of `part`, `scene_share` of them by the realistic scenes."""
    scenes = round(count * scene_share)
    jobs = []
    for index in range(shards):
        seed_of = seed + index
        jobs.append(Job(part, (count - scenes) // shards, seed_of, data_dir, False))
        if scenes:
            jobs.append(Job(part, scenes // shards, seed_of + 500, data_dir, True, scene_weights))
    return [job for job in jobs if job.count > 0]


def synthesise(
    count: int,
    val_count: int,
    seed: int,
    workers: int,
    data_dir: Path,
    scene_share: float = 0.0,
    scene_weights: tuple[tuple[str, float], ...] = (),
) -> tuple:
    """(train Batches, validation Batches), made in `workers` processes."""
    shards = max(1, workers * 4)
    train_jobs = jobs_of("train", count, scene_share, seed * 1000, shards, data_dir, scene_weights)
    val_jobs = jobs_of(
        "validation", val_count, scene_share, seed * 1000 + 999, 1, data_dir, scene_weights
    )
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(lines_job, train_jobs + val_jobs))
    made = [Batches([], []), Batches([], [])]
    for index, (pixels, texts, _) in enumerate(results):
        into = made[0] if index < len(train_jobs) else made[1]
        into.pixels.extend(pixels)
        into.texts.extend(texts)
    return made[0], made[1]


def parsed_weights(options: list[str]) -> tuple[tuple[str, float], ...]:
    """`--scene-weight` options as (scene, weight) pairs, each scene checked to exist."""
    pairs = []
    for option in options:
        name, _, weight = option.partition("=")
        try:
            pairs.append((name, float(weight)))
        except ValueError:
            raise typer.BadParameter(f"{option!r} is not SCENE=WEIGHT") from None
    try:
        scene_odds(dict(pairs))
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return tuple(pairs)


def save_lines(path: Path, train: Batches, validation: Batches) -> None:
    """Both sets in one .npz: lines concatenated along the width, with their widths."""
    arrays = {}
    for name, data in (("train", train), ("validation", validation)):
        arrays[f"{name}_pixels"] = np.concatenate(data.pixels, axis=1)
        arrays[f"{name}_widths"] = np.array([p.shape[1] for p in data.pixels])
        arrays[f"{name}_texts"] = np.array(data.texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def load_lines(path: Path) -> tuple[Batches, Batches]:
    with np.load(path) as arrays:
        sets = []
        for name in ("train", "validation"):
            edges = np.cumsum(arrays[f"{name}_widths"])[:-1]
            pixels = np.split(arrays[f"{name}_pixels"], edges, axis=1)
            sets.append(Batches(pixels, [str(t) for t in arrays[f"{name}_texts"]]))
    return sets[0], sets[1]


def starting_model(init: Path | None, width: int, validation: Batches) -> keras.Model:
    """New weights, a saved Keras model, or a shipped reader.onnx rebuilt (parity checked on
    the first validation batch)."""
    if init is None:
        return reader_model(width)
    if init.suffix != ".onnx":
        return keras.models.load_model(init)
    model = reader_from_onnx(init)
    _, lines = validation.padded()[0]
    print(f"rebuilt {init}: parity {parity(model, init, lines):.1e}")
    return model


def main(
    out: Annotated[Path, typer.Option(help="Where the Keras model goes.")] = ROOT
    / "runs"
    / "reader.keras",
    init: Annotated[
        Path | None,
        typer.Option(help="Continue from this saved model, or a reader.onnx, not new weights."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Keep the synthesised lines here and reuse them.")
    ] = None,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate (cosine decay).")] = 2e-3,
    lines: Annotated[int, typer.Option(help="Training lines to synthesise.")] = 100_000,
    val_lines: Annotated[int, typer.Option(help="Validation lines.")] = 4000,
    minutes: Annotated[float, typer.Option(help="Training time budget.")] = 45.0,
    epochs: Annotated[int, typer.Option(help="Epochs at most.")] = 20,
    width: Annotated[int, typer.Option(help="Base channel count of the model.")] = 32,
    seed: Annotated[int, typer.Option(help="Seed of the synthesis and the weights.")] = 0,
    scene_share: Annotated[
        float,
        typer.Option(help="Share of lines drawn by the realistic scenes (training.scene_lines)."),
    ] = 0.0,
    scene_weight: Annotated[
        list[str] | None,
        typer.Option(
            help="SCENE=WEIGHT: draw that scene WEIGHT times as often as one left at 1 "
            "(repeatable; e.g. numbers_faint=6)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes that synthesise lines.")] = 2,
    data_dir: Annotated[Path, typer.Option(help="MNIST IDX directory.")] = DEFAULT_DATA_DIR,
) -> None:
    """Train the reader within a time budget and keep the best model on validation lines."""
    started = time.time()
    weights = parsed_weights(scene_weight or [])
    if cache is not None and cache.is_file():
        train, validation = load_lines(cache)
    else:
        train, validation = synthesise(
            lines, val_lines, seed, workers, data_dir, scene_share, weights
        )
        if cache is not None:
            save_lines(cache, train, validation)
    made = time.time() - started
    print(f"synthesised {len(train.texts)} + {len(validation.texts)} lines in {made:.0f} s")
    tf.random.set_seed(seed)
    model = starting_model(init, width, validation)
    rng = np.random.default_rng(seed)
    steps_per_epoch = -(-len(train.texts) // train.batch_size)
    budget_steps = steps_per_epoch * epochs
    schedule = tf.keras.optimizers.schedules.CosineDecay(learning_rate, budget_steps, alpha=0.02)
    optimizer = tf.keras.optimizers.Adam(schedule)

    @tf.function(reduce_retracing=True)
    def step(images: tf.Tensor, labels: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = ctc_loss(model(images, training=True), labels, lengths)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    history, best = [], -1.0
    deadline = started + minutes * 60
    out.parent.mkdir(parents=True, exist_ok=True)
    for epoch in range(epochs):
        losses = []
        for images, labels, lengths in train.batches(rng, augment=True):
            losses.append(float(step(images, labels, lengths)))
            if time.time() > deadline:
                break
        score = exact_rate(model, validation)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(np.mean(losses)),
                "val_exact": score,
                "steps": len(losses),
                "seconds": round(time.time() - started),
            }
        )
        print(json.dumps(history[-1]), flush=True)
        if score > best:
            best = score
            model.save(out)
        if time.time() > deadline:
            break
    summary = {
        "lines": len(train.texts),
        "val_lines": len(validation.texts),
        "scene_share": scene_share,
        "scene_weights": dict(weights),
        "width": width,
        "params": model.count_params(),
        "best_val_exact": best,
        "history": history,
        "synthesis_seconds": round(made),
        "seconds": round(time.time() - started),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    print(f"best validation exact match {best:.4f}; saved {out}")


if __name__ == "__main__":
    typer.run(main)
