"""Keras models, each a readable list of layers.

Every model takes float32 [N, 28, 28, 1] in 0..1 (white ink on black) and returns softmax [N, 10].
"""

from collections.abc import Callable

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def seed_cnn() -> keras.Model:
    """The paper's "larger CNN": 59,933 parameters."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            layers.Conv2D(30, (5, 5), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(15, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(50, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="seed_cnn",
    )


def mlp() -> keras.Model:
    """The paper's baseline multilayer perceptron: one hidden layer of 784 ReLU units."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            layers.Flatten(),
            layers.Dense(784, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mlp",
    )


def conv_bn(filters: int, kernel: int = 3) -> list[layers.Layer]:
    """Conv (no bias: batch norm supplies it) → batch norm → ReLU; valid padding."""
    return [
        layers.Conv2D(filters, kernel, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def digits_cnn(classes: int = NUM_CLASSES + 1) -> keras.Model:
    """Our default model: four conv layers with batch norm, sized to stay within 3× seed_cnn's
    batch-1 latency (channels double as the map shrinks; pooling does the downsampling).

    The 11th class is "not a digit" (training/fragments.py), for reading numbers."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            *conv_bn(32),  # 28 → 26
            *conv_bn(32),  # 26 → 24
            layers.MaxPooling2D((2, 2)),  # 24 → 12
            *conv_bn(64),  # 12 → 10
            layers.MaxPooling2D((2, 2)),  # 10 → 5
            *conv_bn(128),  # 5 → 3
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(classes, activation="softmax"),
        ],
        name="digits",
    )


def depth_cnn(hidden_layers: int) -> keras.Model:
    """seed_cnn-style network with `hidden_layers` conv blocks (for the depth study).

    Blocks alternate 32-map convolutions, pooling while the map is still larger than 4×4,
    followed by the same Dense 128 head so only the depth changes.
    """
    stack: list[layers.Layer] = [keras.Input(INPUT_SHAPE, name="image")]
    size = 28
    for _ in range(hidden_layers):
        stack.append(layers.Conv2D(32, (3, 3), padding="same", activation="relu"))
        if size > 4:
            stack.append(layers.MaxPooling2D((2, 2)))
            size //= 2
    stack += [
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]
    return keras.Sequential(stack, name=f"cnn_depth{hidden_layers}")


MODELS: dict[str, Callable[[], keras.Model]] = {
    "seed_cnn": seed_cnn,
    "mlp": mlp,
    "digits": digits_cnn,
}


def build(name: str) -> keras.Model:
    """A fresh, uncompiled model by name (`seed_cnn`, `mlp`, `digits`, `cnn_depthN`)."""
    if name.startswith("cnn_depth"):
        return depth_cnn(int(name.removeprefix("cnn_depth")))
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; choose from {sorted(MODELS)} or cnn_depthN")
    return MODELS[name]()
