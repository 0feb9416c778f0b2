"""The models: one onnxruntime session plus its model card each. Nothing HTTP in here."""

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from digits_core.confidence import ConfidenceMap
from digits_core.contract import (
    CLASSES,
    DEFAULT_THRESHOLD,
    INPUT_NAME,
    INPUT_SHAPE,
    LINE_HEIGHT,
    NOT_DIGIT_NAME,
    OUTPUT_NAME,
    READER_INPUT_NAME,
    READER_OUTPUT_NAME,
)
from digits_core.contract import (
    session as open_session,
)


class ModelLoadError(Exception):
    """The model file is missing, unreadable or does not follow the input/output contract."""


class CardModel:
    """An onnxruntime session and the model card that says what it is."""

    def __init__(self, session: ort.InferenceSession, card: dict[str, Any], path: Path) -> None:
        self.session = session
        self.card = card
        self.path = path

    @property
    def name(self) -> str:
        return str(self.card.get("name", self.path.stem))

    @property
    def version(self) -> str:
        return str(self.card.get("version", "0"))

    @property
    def sha256(self) -> str:
        return str(self.card.get("sha256", ""))

    @property
    def threshold(self) -> float:
        """Below this confidence an answer is `uncertain`; chosen when the model was calibrated."""
        return float(self.card.get("confidence_threshold", DEFAULT_THRESHOLD))


class DigitModel(CardModel):
    """An ONNX digit classifier: float32 [N, 28, 28, 1] in 0..1 → softmax [N, 10]."""

    def __init__(self, session: ort.InferenceSession, card: dict[str, Any], path: Path) -> None:
        super().__init__(session, card, path)
        self.has_not_digit = NOT_DIGIT_NAME in [o.name for o in session.get_outputs()]

    @classmethod
    def load(cls, path: Path, *, intra_op_threads: int = 1) -> "DigitModel":
        """Open `path` (and its `.json` card) or raise ModelLoadError naming the file."""
        path = Path(path)
        onnx_session = open_checked(path, intra_op_threads, INPUT_NAME, OUTPUT_NAME)
        return cls(onnx_session, load_card(path), path)

    def predict_batch(self, images: np.ndarray) -> np.ndarray:
        """float32 images [N, 28, 28] or [N, 28, 28, 1] in 0..1 → probabilities [N, 10]."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, *INPUT_SHAPE)
        if batch.shape[0] == 0:
            return np.zeros((0, CLASSES), dtype=np.float32)
        (probabilities,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})
        return probabilities

    def predict_scores(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """images → (probabilities [N, 10], P(not one digit) [N]); the latter is all zero for
        a model without the `not_digit` output."""
        batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, *INPUT_SHAPE)
        if not self.has_not_digit or batch.shape[0] == 0:
            probabilities = self.predict_batch(batch)
            return probabilities, np.zeros(len(probabilities), dtype=np.float32)
        probabilities, not_digit = self.session.run(
            [OUTPUT_NAME, NOT_DIGIT_NAME], {INPUT_NAME: batch}
        )
        return probabilities, not_digit

    def warm_up(self) -> None:
        """Run one inference so the first real request does not pay for initialisation."""
        self.predict_batch(np.zeros((1, *INPUT_SHAPE), dtype=np.float32))


class ReaderModel(CardModel):
    """The ONNX number reader: lines float32 [N, 32, W, 1] → frame scores [N, W/4, 11]."""

    def __init__(self, session: ort.InferenceSession, card: dict[str, Any], path: Path) -> None:
        super().__init__(session, card, path)
        # Calibrated with the temperature: a read number's confidence as a probability
        # (`digits_core.confidence`); read once, so a bad card fails at load, not per request.
        self.confidence_map = confidence_map_of(card, path)

    @classmethod
    def load(cls, path: Path, *, intra_op_threads: int = 1) -> "ReaderModel":
        """Open `path` (and its card) or raise ModelLoadError naming the file."""
        onnx_session = open_checked(path, intra_op_threads, READER_INPUT_NAME, READER_OUTPUT_NAME)
        return cls(onnx_session, load_card(Path(path)), Path(path))

    @property
    def temperature(self) -> float:
        """Calibrated at export: how much the scores are softened before decoding."""
        return float(self.card.get("temperature", 1.0))

    @property
    def digit_threshold(self) -> float:
        """Below this confidence a read digit is `uncertain` (a digit's confidence is not
        mapped, `threshold` is on the string's mapped one); `threshold` when the card has
        none (a card calibrated before the map)."""
        return float(self.card.get("digit_threshold", self.threshold))

    @property
    def single_digit_temperature(self) -> float:
        """How much the scores are softened for the reader's opinion on one digit (pooled
        with the classifier's, `digits_core.single`); the numbers' temperature when unset."""
        return float(self.card.get("single_digit_temperature", self.temperature))

    def scores(self, lines: np.ndarray) -> np.ndarray:
        """One call for a batch of lines padded to one width."""
        batch = np.ascontiguousarray(lines, dtype=np.float32)
        (scores,) = self.session.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: batch})
        return scores

    def warm_up(self) -> None:
        self.scores(np.zeros((1, LINE_HEIGHT, 64, 1), dtype=np.float32))


def open_checked(
    path: Path, threads: int, input_name: str, output_name: str
) -> ort.InferenceSession:
    """A session on `path` whose input is `input_name` and outputs include `output_name`."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    try:
        onnx_session = open_session(path, threads=threads)
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"model file is not a valid ONNX model: {path} ({exc})") from exc
    inputs = [i.name for i in onnx_session.get_inputs()]
    outputs = [o.name for o in onnx_session.get_outputs()]
    if inputs != [input_name] or output_name not in outputs:
        raise ModelLoadError(
            f"model {path} must have input '{input_name}' and output '{output_name}'; "
            f"it has inputs {inputs} and outputs {outputs}"
        )
    return onnx_session


def confidence_map_of(card: dict[str, Any], path: Path) -> ConfidenceMap:
    """The card's `confidence_map` (the identity when it has none), or ModelLoadError naming
    the card: a slope that is not a positive number would reorder or flatten the answers."""
    fields = card.get("confidence_map")
    if fields is None:
        return ConfidenceMap()
    where = path.with_suffix(".json")
    try:
        slope, intercept = float(fields["slope"]), float(fields["intercept"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{where}: bad confidence_map {fields!r}") from exc
    if not (math.isfinite(slope) and slope > 0 and math.isfinite(intercept)):
        raise ModelLoadError(
            f"{where}: confidence_map needs a positive slope and a finite intercept, not {fields!r}"
        )
    return ConfidenceMap(slope, intercept)


def load_card(path: Path) -> dict[str, Any]:
    """The model card next to the .onnx file; a minimal one computed if there is none."""
    card_path = path.with_suffix(".json")
    if card_path.is_file():
        try:
            card = json.loads(card_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"model card is not valid JSON: {card_path} ({exc})") from exc
        if not isinstance(card, dict):
            raise ModelLoadError(f"model card must be a JSON object: {card_path}")
        return card
    return {
        "name": path.stem,
        "version": "0",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
