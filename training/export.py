"""Keras → ONNX with tf2onnx, then a parity check on the MNIST test set.

The ONNX contract for every shipped model: input `image` float32 [N, 28, 28, 1] in 0..1,
output `probabilities` float32 [N, 10]; the batch dimension is dynamic. A model trained with the
"not a digit" class (11 outputs) also has output `not_digit` float32 [N], and its
`probabilities` are the 10 digits' share of the rest, so they still sum to 1.
"""

from pathlib import Path

import keras
import numpy as np
import onnx
import tensorflow as tf
import tf2onnx

from digits_core.contract import INPUT_NAME, NOT_DIGIT_NAME, OUTPUT_NAME
from training.runtime import predict_onnx_outputs

OPSET = 17
PARITY_TOLERANCE = 1e-4


class ParityError(Exception):
    """The exported ONNX model does not compute what the Keras model computes."""


def to_onnx(model: keras.Model, opset: int = OPSET) -> onnx.ModelProto:
    """Convert through a tf.function: `from_keras` does not understand Keras 3 models."""
    signature = [tf.TensorSpec([None, 28, 28, 1], tf.float32, name=INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(image: tf.Tensor) -> tf.Tensor | tuple[tf.Tensor, tf.Tensor]:
        scores = model(image, training=False)
        if scores.shape[-1] == 10:
            return scores
        digits = scores[:, :10]
        return digits / tf.reduce_sum(digits, axis=1, keepdims=True), scores[:, 10]

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=opset)
    rename_io(proto.graph)
    onnx.checker.check_model(proto)
    return proto


def rename_io(
    graph: onnx.GraphProto,
    input_name: str = INPUT_NAME,
    output_names: tuple[str, ...] = (OUTPUT_NAME, NOT_DIGIT_NAME),
) -> None:
    """Name the inputs/outputs per the contract (batch dim `N`), rewiring the nodes that use
    them; outputs come in the order the serving function returns them."""
    renames = {graph.input[0].name: input_name}
    for output, name in zip(graph.output, output_names, strict=False):
        renames[output.name] = name
    for value in [*graph.input, *graph.output]:
        value.name = renames.get(value.name, value.name)
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]


def keras_outputs(model: keras.Model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """What the ONNX file must compute, by output name, from the Keras model in numpy."""
    scores = model.predict(inputs, batch_size=1000, verbose=0)
    if scores.shape[1] == 10:
        return {OUTPUT_NAME: scores}
    digits = scores[:, :10]
    return {OUTPUT_NAME: digits / digits.sum(axis=1, keepdims=True), NOT_DIGIT_NAME: scores[:, 10]}


def check_parity(model: keras.Model, path: Path, inputs: np.ndarray) -> float:
    """Max |Keras − ONNX| over `inputs` and every output; ParityError above tolerance, if an
    output is missing, or if any argmax differs."""
    expected = keras_outputs(model, inputs)
    actual = predict_onnx_outputs(path, inputs)
    if set(actual) != set(expected):
        raise ParityError(f"{path}: outputs {sorted(actual)}, expected {sorted(expected)}")
    max_diff = max(float(np.abs(expected[k] - actual[k]).max()) for k in expected)
    changed = int(
        (expected[OUTPUT_NAME].argmax(axis=1) != actual[OUTPUT_NAME].argmax(axis=1)).sum()
    )
    if max_diff > PARITY_TOLERANCE or changed:
        raise ParityError(
            f"{path}: max |Keras − ONNX| = {max_diff:.2e} (limit {PARITY_TOLERANCE:.0e}), "
            f"{changed} of {len(inputs)} predictions differ"
        )
    return max_diff


def export(model: keras.Model, path: Path, parity_inputs: np.ndarray, opset: int = OPSET) -> float:
    """Write `model` to `path` as ONNX and check parity; returns the max abs difference.

    On a parity failure the file is removed, so a bad export is never left where it could ship.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".onnx.tmp")
    onnx.save(to_onnx(model, opset), str(tmp))
    try:
        max_diff = check_parity(model, tmp, parity_inputs)
    except ParityError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return max_diff
