"""A plain BentoML 1.4 service on the same ONNX model: decode → 28×28 → invert → one model call.

What a user would write instead of digits, for `python -m bench --peers`: 2 workers × 1
onnxruntime thread, no ink analysis, no limits. Run as `bentoml serve bench.peer.service:Peer`;
DIGITS_PEER_MODEL names the ONNX file.
"""

import os
from typing import Any

import bentoml
import numpy as np
import onnxruntime as ort
from PIL import Image

MODEL = os.environ.get("DIGITS_PEER_MODEL", "models/digits.onnx")
WORKERS = int(os.environ.get("DIGITS_PEER_WORKERS", "2"))


def to_input(image: Image.Image) -> np.ndarray:
    """A decoded image → 28×28 float32 0..1, white ink on black (transparent paper is white)."""
    if image.mode in ("RGBA", "LA", "PA", "P"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image)
    gray = image.convert("L").resize((28, 28), Image.Resampling.BILINEAR)
    return 1.0 - np.asarray(gray, dtype=np.float32) / 255.0


@bentoml.service(workers=WORKERS, traffic={"timeout": 60})
class Peer:
    def __init__(self) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(MODEL, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def scores(self, batch: np.ndarray) -> list[dict[str, Any]]:
        (probabilities, *_) = self.session.run(None, {self.input: batch[..., np.newaxis]})
        return [
            {"digit": int(row.argmax()), "probabilities": row.tolist()}
            for row in probabilities[:, :10]
        ]

    @bentoml.api
    def predict(self, file: Image.Image) -> dict[str, Any]:
        return self.scores(to_input(file)[np.newaxis])[0]

    @bentoml.api
    def batch(self, files: list[Image.Image]) -> dict[str, Any]:
        return {"results": self.scores(np.stack([to_input(image) for image in files]))}
