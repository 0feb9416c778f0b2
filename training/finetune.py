"""`python -m training.finetune`: teach the shipped classifier paperwork, starting from its
weights rather than from scratch.

The shipped `digits.onnx` is turned back into the Keras `digits` model (tf2onnx folded each
batch norm into its convolution, so the batch norms come back as frozen identities plus the
folded bias; parity is checked). It is then fine-tuned on its own recipe's data (MNIST
training digits minus the validation 5,000, augmented, with non-digits and slivers) plus
single digits written on paperwork (`training.lines`: form boxes, comb cells, ruled and
squared paper, 1-bit scans, low resolution, photos) and cut out by the serving preprocessing
(`digits_core.single.view_digit`), so the classifier learns from what it will be shown.
"""

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import keras
import numpy as np
import onnx
import tensorflow as tf
import typer
from onnx import numpy_helper

from digits_core.contract import INPUT_NAME, OUTPUT_NAME, session
from digits_core.model import load_card
from digits_core.single import view_digit
from training.augment import augment_batch
from training.data import DEFAULT_DATA_DIR, load_split, split_validation
from training.lines import render_line
from training.models import build
from training.train import PRESETS, examples

ROOT = Path(__file__).resolve().parent.parent
PARITY = 1e-4


def keras_from_onnx(path: Path) -> keras.Model:
    """The Keras `digits` model with the weights of an exported `digits.onnx`."""
    weights = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    kernels = sorted(n for n in weights if n.endswith("convolution/merged_input:0"))
    biases = sorted(n for n in weights if n.endswith("batchnorm/sub:0"))
    dense = [n for n in weights if "dense" in n]
    model = build("digits")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    # Names sort as conv2d_1, conv2d_1_2, conv2d_2, conv2d_3: the model's order.
    for conv, norm, kernel, bias in zip(convs, norms, kernels, biases, strict=True):
        conv.set_weights([weights[kernel].transpose(2, 3, 1, 0)])
        ones = np.ones_like(weights[bias])
        norm.set_weights([ones, weights[bias], np.zeros_like(ones), ones - norm.epsilon])
        norm.trainable = False  # inference mode: the folded statistics stay as they are
    (kernel,) = [n for n in dense if weights[n].ndim == 2]
    (bias,) = [n for n in dense if weights[n].ndim == 1]
    model.layers[-1].set_weights([weights[kernel], weights[bias]])
    return model


def check_parity(model: keras.Model, path: Path, inputs: np.ndarray) -> float:
    """Max |Keras − ONNX| over the ten digits' probabilities."""
    expected = session(path).run([OUTPUT_NAME], {INPUT_NAME: inputs})[0]
    actual = model.predict(inputs, batch_size=500, verbose=0)
    share = actual[:, :10] / actual[:, :10].sum(axis=1, keepdims=True)
    worst = float(np.abs(share - expected).max())
    if worst > PARITY:
        raise ValueError(f"rebuilt model differs from {path}: max |Δ| {worst:.1e}")
    return worst


def paperwork_digits(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`count` single digits written on paperwork, as the classifier's 28×28 inputs."""
    rng = np.random.default_rng(seed)
    inputs, digits = [], []
    while len(digits) < count:
        gray, text, _ = render_line(rng, images, labels, count=1)
        view = view_digit(gray)
        if view.has_digit:
            inputs.append(view.array)
            digits.append(int(text))
    return np.stack(inputs)[..., np.newaxis], np.array(digits)


def main(
    onnx_path: Annotated[Path, typer.Option(help="The classifier to start from.")] = ROOT
    / "models"
    / "digits.onnx",
    out: Annotated[Path, typer.Option(help="Where the Keras model goes.")] = ROOT
    / "runs"
    / "digits_paperwork.keras",
    paperwork: Annotated[float, typer.Option(help="Paperwork digits per training digit.")] = 0.3,
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 5,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate (cosine).")] = 3e-4,
    limit: Annotated[int | None, typer.Option(help="Use the first N training digits.")] = None,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    data_dir: Annotated[Path, typer.Option(help="MNIST IDX directory.")] = DEFAULT_DATA_DIR,
) -> None:
    """Fine-tune the shipped classifier on its recipe plus paperwork digits."""
    started = time.time()
    keras.utils.set_random_seed(seed)
    fit_split, validation = split_validation(load_split("train", data_dir))
    fit_split = fit_split.head(limit)
    model, start = keras_from_onnx(onnx_path), load_card(onnx_path)
    parity = check_parity(model, onnx_path, validation.inputs())
    config = PRESETS["digits"]
    inputs, targets = examples(fit_split, config, classes=11)
    count = round(paperwork * len(fit_split))
    extra, extra_labels = paperwork_digits(fit_split.images, fit_split.labels, count, seed)
    inputs = np.concatenate([inputs, extra])
    targets = np.concatenate([targets, keras.utils.to_categorical(extra_labels, 11)])
    made = time.time() - started
    data = tf.data.Dataset.from_tensor_slices((inputs, targets))
    data = data.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(config.batch_size).map(lambda x, y: (augment_batch(x), y))
    steps = -(-len(inputs) // config.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    val_targets = keras.utils.to_categorical(validation.labels, 11)
    history = model.fit(
        data.prefetch(tf.data.AUTOTUNE),
        epochs=epochs,
        validation_data=(validation.inputs(), val_targets),
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    summary = {
        "run": out.stem,
        "config": {
            **asdict(config),
            "model": "digits",
            "start": f"{start['name']} {start['version']} (weights rebuilt from {onnx_path.name}, "
            f"parity {parity:.1e}; batch norms frozen)",
            "paperwork": paperwork,
            "paperwork_digits": len(extra_labels),
            "epochs": epochs,
            "learning_rate": learning_rate,
            "train_limit": limit,
        },
        "epoch_validation_accuracy": [round(a, 6) for a in history.history["val_accuracy"]],
        "synthesis_seconds": round(made),
        "train_seconds": round(time.time() - started - made),
    }
    results = ROOT / "reports" / "results" / f"{out.stem}.json"
    results.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    typer.run(main)
