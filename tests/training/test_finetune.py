"""The shipped classifier rebuilt in Keras for fine-tuning, and the paperwork digits."""

import numpy as np

from digits_core.contract import shipped_model
from digits_core.model import DigitModel
from training.data import load_split
from training.finetune import check_parity, keras_from_onnx, paperwork_digits


def test_the_rebuilt_model_agrees_with_the_shipped_onnx() -> None:
    inputs = load_split("test").inputs()[:300]
    assert check_parity(keras_from_onnx(shipped_model()), shipped_model(), inputs) < 1e-4


def test_paperwork_digits_are_model_inputs_of_their_labels() -> None:
    test = load_split("test")
    inputs, labels = paperwork_digits(test.images[:200], test.labels[:200], 40, seed=1)
    assert inputs.shape == (40, 28, 28, 1) and inputs.dtype == np.float32
    assert inputs.min() >= 0.0 and inputs.max() <= 1.0
    assert (inputs.reshape(40, -1).max(axis=1) > 0.5).all()
    assert set(labels) <= set(range(10)) and len(set(labels)) > 5
    # Hard on purpose (boxes, rules, scans, photos), yet mostly readable by the classifier.
    probabilities, _ = DigitModel.load(shipped_model()).predict_scores(inputs)
    assert (probabilities.argmax(axis=1) == labels).mean() >= 0.6
