"""Keras → ONNX with tf2onnx, then a parity check on the MNIST test set.

The ONNX contract for every shipped model: input `image` float32 [N, 28, 28, 1] in 0..1,
output `probabilities` float32 [N, 10]; the batch dimension is dynamic.
"""

from pathlib import Path

import keras
import numpy as np
import onnx
import tensorflow as tf
import tf2onnx

from training.runtime import INPUT_NAME, OUTPUT_NAME, predict_onnx

OPSET = 17
PARITY_TOLERANCE = 1e-4


class ParityError(Exception):
    """The exported ONNX model does not compute what the Keras model computes."""


def to_onnx(model: keras.Model, opset: int = OPSET) -> onnx.ModelProto:
    """Convert through a tf.function: `from_keras` does not understand Keras 3 models."""
    signature = [tf.TensorSpec([None, 28, 28, 1], tf.float32, name=INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(image: tf.Tensor) -> tf.Tensor:
        return model(image, training=False)

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=opset)
    rename_io(proto.graph)
    onnx.checker.check_model(proto)
    return proto


def rename_io(graph: onnx.GraphProto) -> None:
    """Name the input/output per the contract (batch dim `N`), rewiring the nodes that use them."""
    renames = {graph.input[0].name: INPUT_NAME, graph.output[0].name: OUTPUT_NAME}
    for value in [*graph.input, *graph.output]:
        value.name = renames.get(value.name, value.name)
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]


def check_parity(model: keras.Model, path: Path, inputs: np.ndarray) -> float:
    """Max |Keras − ONNX| over `inputs`; ParityError above tolerance or if any argmax differs."""
    expected = model.predict(inputs, batch_size=1000, verbose=0)
    actual = predict_onnx(path, inputs)
    max_diff = float(np.abs(expected - actual).max())
    changed = int((expected.argmax(axis=1) != actual.argmax(axis=1)).sum())
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
