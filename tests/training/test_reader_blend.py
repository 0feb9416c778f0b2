"""A fine-tuned reader blended with the one it started from, weight by weight."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytestmark = [pytest.mark.train]

import keras  # noqa: E402

from training.card import sha256  # noqa: E402
from training.reader import reader_model  # noqa: E402
from training.reader_blend import blended, main  # noqa: E402


def two_readers(width: int = 8) -> tuple[keras.Model, keras.Model]:
    """Two readers of one shape with different weights (new weights are random)."""
    keras.utils.set_random_seed(1)
    start = reader_model(width)
    keras.utils.set_random_seed(2)
    return start, reader_model(width)


def test_the_blend_lies_between_the_two_weight_by_weight() -> None:
    start, tuned = two_readers()
    ours, theirs = start.get_weights(), tuned.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    mixed = blended(start, tuned, 0.25).get_weights()
    for a, b, m in zip(ours, theirs, mixed, strict=True):
        np.testing.assert_allclose(m, 0.75 * a + 0.25 * b, rtol=1e-6, atol=1e-7)


def test_the_ends_are_the_two_readers() -> None:
    start, tuned = two_readers()
    ours = start.get_weights()
    for a, b in zip(blended(start, tuned, 0.0).get_weights(), ours, strict=True):
        np.testing.assert_array_equal(a, b)
    theirs = tuned.get_weights()
    for a, b in zip(blended(start, tuned, 1.0).get_weights(), theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_readers_of_different_shapes_or_a_share_outside_0_1_are_refused() -> None:
    start, tuned = two_readers()
    with pytest.raises(ValueError, match="same network"):
        blended(start, reader_model(width=4), 0.5)
    with pytest.raises(ValueError, match="outside"):
        blended(start, tuned, 1.5)


def test_the_command_saves_the_blend_and_says_what_it_blended(tmp_path: Path) -> None:
    start, tuned = two_readers()
    start.save(tmp_path / "start.keras")
    tuned.save(tmp_path / "tuned.keras")
    (tmp_path / "tuned.json").write_text(json.dumps({"lines": 12}))
    out = tmp_path / "blend.keras"
    main(tmp_path / "tuned.keras", tmp_path / "start.keras", 0.5, out)
    saved = keras.models.load_model(out).get_weights()
    for a, b, m in zip(start.get_weights(), tuned.get_weights(), saved, strict=True):
        np.testing.assert_allclose(m, (a + b) / 2, rtol=1e-6, atol=1e-7)
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["blend"]["share"] == 0.5
    assert summary["blend"]["start_sha256"] == sha256(tmp_path / "start.keras")
    assert summary["lines"] == 12  # the tuned run's own summary is kept for the card
