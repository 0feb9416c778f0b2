"""The shipped reader comes back into Keras with its weights, so it can train further."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytestmark = [pytest.mark.train]

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from digits_core.contract import READER_MODEL, shipped_model  # noqa: E402
from training.lines import make_lines  # noqa: E402
from training.reader import Batches, ctc_loss, reader_model  # noqa: E402
from training.reader_export import to_onnx  # noqa: E402
from training.reader_rebuild import parity, reader_from_onnx  # noqa: E402


@pytest.fixture(scope="module")
def lines(mnist_train: tuple[np.ndarray, np.ndarray]) -> Batches:
    images, labels = mnist_train
    return Batches(*make_lines(images[:200], labels[:200], 24, seed=4)[:2], batch_size=8)


def test_the_shipped_reader_rebuilt_scores_as_its_onnx(lines: Batches) -> None:
    path = shipped_model(READER_MODEL)
    model = reader_from_onnx(path)
    for _, batch in lines.padded():  # widths from short to long lines
        assert parity(model, path, batch) < 1e-4


def test_a_model_with_real_batch_norm_statistics_comes_back(tmp_path: Path, lines: Batches) -> None:
    original = reader_model(width=8)
    rng = np.random.default_rng(0)
    for layer in original.layers:  # statistics a trained model would have, not the defaults
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 2, n),
                    rng.normal(0, 0.3, n),
                    rng.normal(0, 0.3, n),
                    rng.uniform(0.5, 2, n),
                ]
            )
    path = tmp_path / "reader.onnx"
    path.write_bytes(to_onnx(original).SerializeToString())
    _, batch = lines.padded()[0]
    assert parity(reader_from_onnx(path), path, batch) < 1e-4
    # A model that differs is refused.
    with pytest.raises(ValueError, match="differs"):
        parity(reader_model(width=8), path, batch)


def test_training_the_rebuilt_reader_moves_weights_but_not_the_folded_norms(
    lines: Batches,
) -> None:
    model = reader_from_onnx(shipped_model(READER_MODEL))
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    before_norms = [w.copy() for layer in norms for w in layer.get_weights()]
    before_logits = model.get_layer("logits").get_weights()[0].copy()
    optimizer = keras.optimizers.Adam(1e-3)
    images, labels, lengths = lines.batches(np.random.default_rng(0), augment=False)[0]
    with tf.GradientTape() as tape:
        loss = ctc_loss(model(images, training=True), labels, lengths)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    after_norms = [w for layer in norms for w in layer.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(before_norms, after_norms, strict=True))
    assert not np.array_equal(before_logits, model.get_layer("logits").get_weights()[0])
