"""The shipped reader back in Keras, so it can be trained further instead of from scratch.

tf2onnx folded the batch norms of the 2-D convolutions into them (a kernel and a shift) and
kept those of the 1-D sequence blocks as a scale and a shift (a Mul, then an Add). Each comes
back as a frozen batch norm with zero mean and unit variance, so the folded values stay as they
are while the rest trains; `python -m training.reader_train --init models/reader.onnx` starts
there. Parity with the ONNX model is checked on every rebuild.
"""

from pathlib import Path

import keras
import numpy as np
import onnx
from onnx import numpy_helper

from digits_core.contract import READER_INPUT_NAME, READER_OUTPUT_NAME, session
from training.reader import reader_model

PARITY = 1e-4  # largest |Keras − ONNX| frame probability accepted


def frozen(norm: keras.layers.BatchNormalization, scale: np.ndarray, shift: np.ndarray) -> None:
    """`norm` computes x × scale + shift, in inference mode, for good."""
    norm.set_weights([scale, shift, np.zeros_like(scale), np.ones_like(scale) - norm.epsilon])
    norm.trainable = False


def initializer_of(node: onnx.NodeProto, weights: dict[str, np.ndarray]) -> np.ndarray | None:
    """The one constant input of `node`, if it has one."""
    found = [weights[name] for name in node.input if name in weights]
    return found[0] if found else None


def reader_from_onnx(path: Path) -> keras.Model:
    """The Keras reader (`training.reader.reader_model`) with the weights of `path`.

    Weights are found by the graph's structure in its (topological) order, not by names,
    which depend on how many Keras models the exporting process had made."""
    graph = onnx.load(str(path)).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes = list(graph.node)
    convolutions = [node for node in nodes if node.op_type == "Conv"]
    model = reader_model(int(weights[convolutions[0].input[1]].shape[0]))
    convs = [layer for layer in model.layers if type(layer) is keras.layers.Conv2D]
    blocks = [layer for layer in model.layers if type(layer) is keras.layers.Conv1D]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    # The 2-D convolutions come first, each with its batch norm folded in as its bias.
    for conv, norm, node in zip(
        convs, norms[: len(convs)], convolutions[: len(convs)], strict=True
    ):
        kernel = weights[node.input[1]]
        conv.set_weights([kernel.transpose(2, 3, 1, 0)])  # OIHW → HWIO
        shift = weights[node.input[2]] if len(node.input) > 2 else np.zeros(kernel.shape[0])
        frozen(norm, np.ones_like(shift), shift)
    # Then the 1-D blocks: a Conv, a Mul by its batch norm's scale, an Add of its shift.
    channels = blocks[0].filters
    scales = [
        node
        for node in nodes
        if node.op_type == "Mul"
        and (w := initializer_of(node, weights)) is not None
        and w.size == channels
    ]
    for conv, norm, node, scale in zip(
        blocks, norms[len(convs) :], convolutions[len(convs) :], scales, strict=True
    ):
        conv.set_weights([weights[node.input[1]][:, :, 0, :].transpose(2, 1, 0)])  # OI1K → KIO
        (add,) = [n for n in nodes if n.op_type == "Add" and scale.output[0] in n.input]
        shift = initializer_of(add, weights)
        frozen(norm, initializer_of(scale, weights).reshape(-1), shift.reshape(-1))
    (matmul,) = [node for node in nodes if node.op_type == "MatMul"]
    logits = initializer_of(matmul, weights)
    biases = [
        w
        for node in nodes
        if node.op_type == "Add"
        and (w := initializer_of(node, weights)) is not None
        and w.shape == (logits.shape[1],)
    ]
    bias = biases[0] if biases else np.zeros(logits.shape[1])  # an all-zero bias is dropped
    model.get_layer("logits").set_weights([logits, bias])
    return model


def parity(model: keras.Model, path: Path, lines: np.ndarray) -> float:
    """Max |Keras − ONNX| frame probability on `lines` [N, 32, W, 1]; raises above PARITY."""
    expected = session(path).run([READER_OUTPUT_NAME], {READER_INPUT_NAME: lines})[0]
    actual = keras.ops.softmax(model(lines, training=False), axis=-1)
    worst = float(np.abs(keras.ops.convert_to_numpy(actual) - expected).max())
    if worst > PARITY:
        raise ValueError(f"rebuilt reader differs from {path}: max |Δ| {worst:.1e}")
    return worst
