"""The number reader: a small CNN with a convolutional sequence head, trained with CTC.

Input: a line of ink, white on black, 32 px tall and any width (`digits_core.reading`).
Output: per 4-column frame, scores over the ten digits and the CTC blank. Convolutions only:
no recurrent layer, so onnxruntime runs it as plain kernels at any width, and the latency
budget (≤ 3 ms for a 6-digit line on one core) holds. Context reaches ~1.5 digits either side.
"""

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digits_core.contract import BLANK, FRAME_STEP, LINE_HEIGHT

CLASSES = BLANK + 1


def conv(filters: int, kernel: tuple[int, int] = (3, 3)) -> list[layers.Layer]:
    return [
        layers.Conv2D(filters, kernel, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def seq_block(filters: int, dilation: int) -> list[layers.Layer]:
    return [
        layers.Conv1D(filters, 5, padding="same", dilation_rate=dilation, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def reader_model(width: int = 32) -> keras.Model:
    """Line [N, 32, W, 1] → frame logits [N, W/4, 11]."""
    inputs = keras.Input((LINE_HEIGHT, None, 1), name="line")
    x = inputs
    for block in (
        conv(width),
        [layers.MaxPooling2D((2, 2))],  # 16 × W/2
        conv(2 * width),
        [layers.MaxPooling2D((2, 2))],  # 8 × W/4
        conv(3 * width),
        conv(3 * width),
        [layers.MaxPooling2D((2, 1))],  # 4 × W/4
        conv(4 * width),
    ):
        for layer in block:
            x = layer(x)
    # Collapse the height: one feature vector per frame.
    x = layers.Conv2D(5 * width, (LINE_HEIGHT // 8, 1), padding="valid", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((-1, 5 * width))(x)
    for dilation in (1, 2):
        skip = x
        for layer in seq_block(5 * width, dilation):
            x = layer(x)
        x = layers.Add()([x, skip])
    x = layers.Dropout(0.2)(x)
    logits = layers.Dense(CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name="reader")


@dataclass
class Batches:
    """Lines grouped into batches of one padded width (short lines are not padded to long)."""

    pixels: list[np.ndarray]  # uint8 [H, w] each
    texts: list[str]
    batch_size: int = 64
    order: list[np.ndarray] = field(default_factory=list)

    def padded(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(line indices, images) in batches of similar width, for inference."""
        order = np.argsort([p.shape[1] for p in self.pixels])
        chunks = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng = np.random.default_rng(0)
        return [(chunk, self.batch(chunk, rng, augment=False)[0]) for chunk in chunks]

    def batches(self, rng: np.random.Generator, augment: bool) -> list[tuple[np.ndarray, ...]]:
        widths = np.array([p.shape[1] for p in self.pixels])
        order = np.argsort(widths + (rng.uniform(0, 24, len(widths)) if augment else 0))
        chunks = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng.shuffle(chunks)
        return [self.batch(chunk, rng, augment) for chunk in chunks]

    def batch(self, chunk: np.ndarray, rng: np.random.Generator, augment: bool) -> tuple:
        shift = (
            rng.integers(0, FRAME_STEP * 2, len(chunk)) if augment else np.zeros(len(chunk), int)
        )
        width = max(self.pixels[i].shape[1] + s for i, s in zip(chunk, shift, strict=True))
        width = -(-width // FRAME_STEP) * FRAME_STEP
        images = np.zeros((len(chunk), LINE_HEIGHT, width, 1), np.float32)
        for row, (index, s) in enumerate(zip(chunk, shift, strict=True)):
            line = self.pixels[index].astype(np.float32) / 255.0
            if augment:
                line = np.clip(line * rng.uniform(0.7, 1.3), 0, 1)
            images[row, :, s : s + line.shape[1], 0] = line
        texts = [self.texts[i] for i in chunk]
        longest = max(len(t) for t in texts)
        labels = np.zeros((len(chunk), longest), np.int32)
        for row, text in enumerate(texts):
            labels[row, : len(text)] = [int(c) for c in text]
        lengths = np.array([len(t) for t in texts], np.int32)
        return images, labels, lengths


def ctc_loss(logits: tf.Tensor, labels: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    frames = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    loss = tf.nn.ctc_loss(
        labels, logits, lengths, frames, logits_time_major=False, blank_index=BLANK
    )
    return tf.reduce_mean(loss)


def greedy_texts(scores: np.ndarray) -> list[str]:
    """Best-path texts of a batch of frame scores (no per-line width: padding is blank)."""
    texts = []
    for frames in scores:
        best = frames.argmax(axis=1)
        keep = (best != BLANK) & np.concatenate([[True], best[1:] != best[:-1]])
        texts.append("".join(str(d) for d in best[keep]))
    return texts


def exact_rate(model: keras.Model, data: Batches) -> float:
    """Share of lines read exactly (best path), batch by batch."""
    right = 0
    for images, labels, lengths in data.batches(np.random.default_rng(0), augment=False):
        texts = greedy_texts(model(images, training=False).numpy())
        for text, label, length in zip(texts, labels, lengths, strict=True):
            right += text == "".join(str(d) for d in label[:length])
    return right / len(data.texts)
