"""A read number's confidence as a probability: Platt scaling of its log-odds.

The reader's scores are tempered per frame (its card's `temperature`), and a string's
confidence is a product of its digits' and its gaps'. One temperature cannot make that product
honest at both ends: tempered alone, the validation numbers' strings given 0.5–0.8 were right
about 90 % of the time and those given over 0.9999 less often than that says. A logistic map
of the log-odds, `slope · logit(c) + intercept`, fitted on the calibration draw
(`training.reader_calibrate`), lifts the middle and pulls the top down; the card's
`calibration` gives the expected calibration error raw, tempered and mapped, and its
`held_out_check` the mapped one on another draw. The map is monotone, so it changes no answer
and no ranking: the same answers are flagged, at the card's `confidence_threshold`, which is on
the mapped scale.

A digit's confidence is not mapped: it is close to a probability already (the held-out
check's `digit_ece`; the string's map made it worse), and its flag has its own threshold, the
card's `digit_threshold`, chosen on the digits of the calibration draw
(`training.calibration.bounded_threshold`).
"""

import math
from dataclasses import dataclass

# A confidence is kept this far from 0 and 1 so its log-odds stay finite (±27.6).
EDGE = 1e-12


def logit(confidence: float) -> float:
    # As a Python float: a float32 1.0 would not compare below 1 - EDGE and give log(1 / 0).
    kept = min(max(float(confidence), EDGE), 1.0 - EDGE)
    return math.log(kept / (1.0 - kept))


@dataclass(frozen=True, slots=True)
class ConfidenceMap:
    """`slope · logit(c) + intercept` through the logistic; the identity by default."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, confidence: float) -> float:
        if self.slope == 1.0 and self.intercept == 0.0:
            return confidence
        if confidence <= 0.0:  # nothing read stays nothing
            return 0.0
        odds = self.slope * logit(confidence) + self.intercept
        return 0.5 * (1.0 + math.tanh(0.5 * odds))  # the logistic, without overflow

    def inverse(self, confidence: float) -> float:
        """The confidence this map takes to `confidence`."""
        if self.slope == 1.0 and self.intercept == 0.0:
            return confidence
        odds = (logit(confidence) - self.intercept) / self.slope
        return 0.5 * (1.0 + math.tanh(0.5 * odds))
