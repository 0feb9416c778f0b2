"""The reader trains with CTC, exports to ONNX with parity, and its card says how to use it."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytestmark = [pytest.mark.train, pytest.mark.slow]

import tensorflow as tf  # noqa: E402

from digits_core.contract import READER_INPUT_NAME, READER_OUTPUT_NAME, session  # noqa: E402
from training.export import ParityError  # noqa: E402
from training.lines import make_lines  # noqa: E402
from training.reader import Batches, ctc_loss, greedy_texts, reader_model  # noqa: E402
from training.reader_export import check_parity, onnx_scores, to_onnx  # noqa: E402


@pytest.fixture(scope="module")
def tiny(mnist_train: tuple[np.ndarray, np.ndarray], tmp_path_factory: pytest.TempPathFactory):
    """A narrow reader trained for a few steps on 64 lines, and its ONNX export."""
    images, labels = mnist_train
    data = Batches(*make_lines(images[:300], labels[:300], 64, seed=2)[:2], batch_size=16)
    model = reader_model(width=8)
    optimizer = tf.keras.optimizers.Adam(3e-3)
    losses = []
    rng = np.random.default_rng(0)
    for _ in range(3):
        for batch, labels_, lengths in data.batches(rng, augment=True):
            with tf.GradientTape() as tape:
                loss = ctc_loss(model(batch, training=True), labels_, lengths)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            losses.append(float(loss))
    path = tmp_path_factory.mktemp("reader") / "reader.onnx"
    path.write_bytes(to_onnx(model).SerializeToString())
    return model, path, data, losses


def test_ctc_training_lowers_the_loss(tiny) -> None:
    _, _, _, losses = tiny
    assert np.mean(losses[-4:]) < np.mean(losses[:4])


def test_onnx_has_the_contract_names_and_a_free_width(tiny) -> None:
    _, path, _, _ = tiny
    sess = session(path)
    (line,) = sess.get_inputs()
    assert line.name == READER_INPUT_NAME and line.shape[1] == 32 and line.shape[3] == 1
    assert [o.name for o in sess.get_outputs()] == [READER_OUTPUT_NAME]
    for width in (40, 200):
        scores = sess.run(None, {READER_INPUT_NAME: np.zeros((2, 32, width, 1), np.float32)})[0]
        assert scores.shape == (2, width // 4, 11)
        assert np.allclose(scores.sum(axis=-1), 1.0, atol=1e-5)


def test_parity_with_keras_on_lines_of_every_width(tiny) -> None:
    model, path, data, _ = tiny
    assert check_parity(model, path, data) < 1e-4
    scores = onnx_scores(path, data)
    assert len(scores) == len(data.texts)


def test_parity_fails_for_another_model(tiny, tmp_path: Path) -> None:
    _, path, data, _ = tiny
    other = reader_model(width=8)
    with pytest.raises(ParityError):
        check_parity(other, path, data)


def test_greedy_texts_merge_repeats_and_drop_blanks() -> None:
    frames = np.full((1, 6, 11), 0.01, np.float32)
    for t, c in enumerate([10, 2, 2, 10, 2, 5]):
        frames[0, t, c] = 0.9
    assert greedy_texts(frames) == ["225"]
