"""A read number's calibrated confidence: a monotone map of its log-odds."""

import numpy as np
import pytest

from digits_core.confidence import ConfidenceMap


def test_the_default_map_is_the_identity() -> None:
    for confidence in (0.0, 0.3, 0.999961, 1.0):
        assert ConfidenceMap()(confidence) == confidence
        assert ConfidenceMap().inverse(confidence) == confidence


def test_a_fitted_map_lifts_the_middle_pulls_the_top_down_and_keeps_the_order() -> None:
    fitted = ConfidenceMap(slope=0.6, intercept=1.5)
    assert fitted(0.65) > 0.85  # under-confident answers lifted
    assert fitted(0.99999) < 0.9999  # over-confident ones pulled down
    mapped = np.array([fitted(c) for c in np.linspace(0.0, 1.0, 2001)])
    assert (np.diff(mapped) > 0).all()  # the same ranking, so the same answers flagged
    assert fitted(0.0) == 0.0  # nothing read stays nothing
    assert 0.0 < fitted(1.0) < 1.0


@pytest.mark.parametrize("confidence", [0.01, 0.5, 0.9, 0.99996])
def test_the_inverse_undoes_the_map(confidence: float) -> None:
    fitted = ConfidenceMap(slope=0.714516, intercept=1.255224)
    assert fitted.inverse(fitted(confidence)) == pytest.approx(confidence, rel=1e-9)


def test_a_float32_certainty_maps_to_a_finite_probability() -> None:
    fitted = ConfidenceMap(slope=0.6, intercept=1.5)
    assert fitted(np.float32(1.0)) == pytest.approx(fitted(1.0))
    assert 0.0 < fitted(np.float32(1.0)) < 1.0
