"""CTC probabilities over the reader's frame scores, summed over every alignment.

Best-path decoding (`digits_core.reading`) picks one alignment; these sum them all (the CTC
forward algorithm), which is what "the probability that the line says this" means. Frames
are rescaled at each step, so long lines do not underflow.
"""

from collections.abc import Sequence

import numpy as np

from digits_core.contract import BLANK


def single_digit_probabilities(scores: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Frame scores [N, T, 11] (softmax rows; line n uses its first frames[n]) → [N, 10]:
    the probability that line n says exactly one digit, and that it is d.

    Three states per digit: blank before it, the digit itself (repeated), blank after it.
    """
    scores = scores.astype(np.float64)
    count = len(scores)
    blank, digit = scores[:, :, BLANK], scores[:, :, :BLANK]
    before = blank[:, 0:1].repeat(BLANK, axis=1)
    inside = digit[:, 0].copy()
    after = np.zeros_like(inside)
    log_scale = np.zeros((count, 1))
    # Frames past every line's own (a batch's padding) change nothing: stop at the longest.
    for t in range(1, min(scores.shape[1], int(frames.max(initial=1)))):
        live = (t < frames)[:, np.newaxis]
        step_blank, step_digit = blank[:, t : t + 1], digit[:, t]
        new_before = before * step_blank
        new_inside = (before + inside) * step_digit
        new_after = (inside + after) * step_blank
        top = np.maximum(np.maximum(new_before, new_inside), new_after).max(axis=1, keepdims=True)
        top = np.where(live & (top > 0), top, 1.0)
        before = np.where(live, new_before / top, before)
        inside = np.where(live, new_inside / top, inside)
        after = np.where(live, new_after / top, after)
        log_scale += np.log(top)
    return (inside + after) * np.exp(log_scale)


def log_likelihood(scores: np.ndarray, label: Sequence[int]) -> float:
    """Frame scores [T, 11] of one line → log P(the line says exactly `label`), every
    alignment summed (the CTC forward algorithm in log space)."""
    extended = np.full(2 * len(label) + 1, BLANK)
    extended[1::2] = label
    logs = np.log(np.clip(scores.astype(np.float64), 1e-300, 1.0))[:, extended]
    if not len(label):
        return float(logs[:, 0].sum())  # blank in every frame
    # A state may also come from two back when it is a digit unlike the one two back.
    skip = np.zeros(len(extended), dtype=bool)
    skip[3::2] = extended[3::2] != extended[1:-2:2]
    alpha = np.full(len(extended), -np.inf)
    alpha[:2] = logs[0, :2]
    for frame in logs[1:]:
        stay_or_step = np.logaddexp(alpha, np.r_[-np.inf, alpha[:-1]])
        jumped = np.where(skip, np.r_[-np.inf, -np.inf, alpha[:-2]], -np.inf)
        alpha = np.logaddexp(stay_or_step, jumped) + frame
    return float(np.logaddexp(alpha[-1], alpha[-2]))
