"""Train one model on MNIST and save the run: weights (.keras) and results (.json).

A run is named `<model>_e<epochs>_seed<S>`; its results JSON holds the config, the per-epoch
validation accuracy curve (the last 5,000 training images), the test accuracy (measured once,
after training) and the training time, so the study can be rebuilt without retraining.
"""

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras.optimizers.schedules import LearningRateSchedule

from training.data import Split, split_validation
from training.models import build

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = ROOT / "runs"
RESULTS_DIR = ROOT / "reports" / "results"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (recorded in results and model cards)."""

    model: str
    epochs: int = 10
    batch_size: int = 200
    seed: int = 0
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"  # or "cosine": decay to 0 over all steps
    augment: bool = False
    # Non-digits (training/fragments.py) added as an 11th class, as a share of the training set,
    # and digits with a sliver of a neighbour added to their own class; both for reading numbers.
    not_digits: float = 0.0
    slivers: float = 0.0
    train_limit: int | None = None  # use only the first N training images (tests)

    @property
    def run_id(self) -> str:
        suffix = f"_n{self.train_limit}" if self.train_limit else ""
        return f"{self.model}_e{self.epochs}_seed{self.seed}{suffix}"


# The paper's recipe for its baselines; the default model gets the stronger one.
PRESETS: dict[str, TrainConfig] = {
    "seed_cnn": TrainConfig("seed_cnn"),
    "mlp": TrainConfig("mlp"),
    "digits": TrainConfig(
        "digits",
        epochs=30,
        batch_size=128,
        learning_rate=3e-3,
        lr_schedule="cosine",
        augment=True,
        not_digits=0.25,
        slivers=0.1,
    ),
}


def preset(model: str, **overrides: Any) -> TrainConfig:
    """The preset for `model` (paper recipe for unknown ones), with non-None overrides applied."""
    base = PRESETS.get(model, TrainConfig(model))
    return replace(base, **{key: value for key, value in overrides.items() if value is not None})


@dataclass
class TrainResult:
    """A trained model plus what was measured while training it."""

    config: TrainConfig
    model: keras.Model
    train_seconds: float
    test_accuracy: float  # the test set, evaluated once after the last epoch
    epoch_accuracy: list[float] = field(default_factory=list)  # validation, after each epoch
    epoch_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "run": self.config.run_id,
            "config": asdict(self.config),
            "parameters": self.model.count_params(),
            "train_seconds": round(self.train_seconds, 2),
            "epoch_seconds": [round(s, 2) for s in self.epoch_seconds],
            "epoch_validation_accuracy": [round(a, 6) for a in self.epoch_accuracy],
            "test_accuracy": round(self.test_accuracy, 6),
            "test_error": round(1.0 - self.test_accuracy, 6),
            "measured_with": "keras; validation: the last 5,000 MNIST training images after each "
            "epoch; test: MNIST t10k once, after training",
        }


class EpochTimer(keras.callbacks.Callback):
    """Training time per epoch, excluding the per-epoch validation."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def learning_rate(config: TrainConfig, steps_per_epoch: int) -> float | LearningRateSchedule:
    if config.lr_schedule == "constant":
        return config.learning_rate
    if config.lr_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=config.epochs * steps_per_epoch
        )
    raise ValueError(f"unknown lr_schedule {config.lr_schedule!r}")


def examples(train: Split, config: TrainConfig, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Training inputs [N, 28, 28, 1] and one-hot labels, with the non-digits asked for."""
    inputs, labels = train.inputs(), train.labels
    if classes > 10:
        from training.fragments import NOT_A_DIGIT, not_digits, slivered

        junk = not_digits(train.images, round(config.not_digits * len(train)), config.seed)
        thin, thin_labels = slivered(
            train.images, train.labels, round(config.slivers * len(train)), config.seed + 1
        )
        inputs = np.concatenate([inputs, junk[..., None], thin[..., None]])
        labels = np.concatenate([labels, np.full(len(junk), NOT_A_DIGIT), thin_labels])
    return inputs, keras.utils.to_categorical(labels, classes)


def dataset(train: Split, config: TrainConfig, classes: int = 10) -> tf.data.Dataset:
    """Shuffled batches of (image, one-hot label), augmented on the fly when asked."""
    inputs, labels = examples(train, config, classes)
    data = tf.data.Dataset.from_tensor_slices((inputs, labels))
    data = data.shuffle(len(inputs), seed=config.seed, reshuffle_each_iteration=True)
    data = data.batch(config.batch_size)
    if config.augment:
        from training.augment import augment_batch

        data = data.map(
            lambda images, y: (augment_batch(images), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    return data.prefetch(tf.data.AUTOTUNE)


def train(config: TrainConfig, train: Split, test: Split, verbose: int = 2) -> TrainResult:
    """Train a fresh model per `config` on the training split minus its last 5,000 images,
    validating on those after every epoch; the test split is evaluated once, at the end."""
    keras.utils.set_random_seed(config.seed)
    train, validation = split_validation(train)
    train = train.head(config.train_limit)
    model = build(config.model)
    classes = int(model.output_shape[-1])
    if (classes > 10) != (config.not_digits > 0):
        raise ValueError(f"{config.model} has {classes} classes but not_digits={config.not_digits}")
    steps = int(np.ceil(len(train) * (1 + config.not_digits + config.slivers) / config.batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate(config, steps)),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = EpochTimer()
    start = time.perf_counter()
    history = model.fit(
        dataset(train, config, classes),
        epochs=config.epochs,
        validation_data=(
            validation.inputs(),
            keras.utils.to_categorical(validation.labels, classes),
        ),
        validation_batch_size=1000,
        callbacks=[timer],
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=verbose,
    )
    elapsed = time.perf_counter() - start
    _, test_accuracy = model.evaluate(
        test.inputs(),
        keras.utils.to_categorical(test.labels, classes),
        batch_size=1000,
        verbose=0,
    )
    return TrainResult(
        config=config,
        model=model,
        train_seconds=sum(timer.seconds) if timer.seconds else elapsed,
        test_accuracy=float(test_accuracy),
        epoch_accuracy=[float(a) for a in history.history["val_accuracy"]],
        epoch_seconds=timer.seconds,
    )


def save_run(
    result: TrainResult, runs_dir: Path = RUNS_DIR, results_dir: Path = RESULTS_DIR
) -> Path:
    """Save weights to `runs_dir/<run>.keras` and results to `results_dir/<run>.json`."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    keras_path = runs_dir / f"{result.config.run_id}.keras"
    result.model.save(keras_path)
    (results_dir / f"{result.config.run_id}.json").write_text(
        json.dumps(result.summary(), indent=2) + "\n"
    )
    return keras_path


def load_results(results_dir: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every saved summary of a trained and tested run in `results_dir` (other results, such
    as the peers' or a fine-tune's, which is tested only when it is exported, are left out)."""
    found = [json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))]
    return [r for r in found if "run" in r and "test_error" in r]
