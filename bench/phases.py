"""HTTP phases against a running service: latency at concurrency 1, throughput under load, answers.

A phase whose route answers 404/405 is reported as missing instead of being run. Answers under load
are compared, per request payload, with the answers the same payload got at concurrency 1.
"""

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.loadgen import Payload, RunResult, load

Answer = Any  # (digits or text, probabilities) or None
PROBABILITY_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Phase:
    """One benchmarked route: its requests, images per request, and how to read an answer."""

    name: str
    label: str
    payloads: list[Payload]
    images_per_request: int
    answer: Callable[[dict[str, Any]], Answer] | None
    latency_requests: int
    load_levels: tuple[int, ...]


@dataclass
class Level:
    """Aggregated result at one concurrency level (medians over rounds)."""

    concurrency: int
    requests: int
    errors: int
    statuses: dict[int, int]
    throughput: float  # requests per second
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class PhaseResult:
    name: str
    label: str
    images_per_request: int
    missing: bool = False
    levels: list[Level] = field(default_factory=list)
    answers_checked: int = 0
    answers_differing: int = 0
    unreadable_bodies: int = 0


def answer_predict(body: dict[str, Any]) -> Answer:
    return body["digit"], tuple(body["probabilities"])


def answer_batch(body: dict[str, Any]) -> Answer:
    results = body["results"]
    probabilities = tuple(p for result in results for p in result.get("probabilities", ()))
    return tuple(result.get("digit") for result in results), probabilities


def answer_read(body: dict[str, Any]) -> Answer:
    return body["text"], tuple(digit["confidence"] for digit in body["digits"])


def answer_v2(body: dict[str, Any]) -> Answer:
    (output,) = [o for o in body["outputs"] if o["name"] == "probabilities"]
    data = output["data"]
    rows = [data[i : i + 10] for i in range(0, len(data), 10)]
    return tuple(row.index(max(row)) for row in rows), tuple(data)


def same_answer(expected: Answer, actual: Answer) -> bool:
    """Same digits/text, and every probability within PROBABILITY_TOLERANCE."""
    if expected is None or actual is None:
        return expected == actual
    (key, numbers), (other_key, other_numbers) = expected, actual
    if key != other_key or len(numbers) != len(other_numbers):
        return False
    pairs = zip(numbers, other_numbers, strict=True)
    return all(abs(a - b) <= PROBABILITY_TOLERANCE for a, b in pairs)


def summarise(concurrency: int, runs: list[RunResult]) -> Level:
    """Median throughput and percentiles over rounds; counts and errors summed."""
    statuses: Counter = Counter()
    for run in runs:
        statuses.update(run.statuses)
    return Level(
        concurrency=concurrency,
        requests=sum(run.count for run in runs),
        errors=sum(run.errors for run in runs),
        statuses=dict(statuses),
        throughput=statistics.median(run.throughput for run in runs),
        p50_ms=statistics.median(run.percentile(50) for run in runs) * 1e3,
        p95_ms=statistics.median(run.percentile(95) for run in runs) * 1e3,
        p99_ms=statistics.median(run.percentile(99) for run in runs) * 1e3,
    )


def decode_answers(
    phase: Phase, runs: list[RunResult], result: PhaseResult
) -> dict[int, Counter[Answer]]:
    """Per payload index, how often each answer came back (2xx bodies only are parsed)."""
    answers: dict[int, Counter[Answer]] = {}
    for run in runs:
        for index, bodies in run.bodies.items():
            for body, count in bodies.items():
                try:
                    answer = phase.answer(orjson.loads(body)) if phase.answer else None
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    result.unreadable_bodies += count
                    continue
                answers.setdefault(index, Counter())[answer] += count
    return answers


def compare(
    reference: dict[int, Counter[Answer]], loaded: dict[int, Counter[Answer]], result: PhaseResult
) -> None:
    """Count answers under load that differ from the concurrency-1 answer for that payload."""
    for index, counts in loaded.items():
        expected = reference.get(index)
        for answer, count in counts.items():
            result.answers_checked += count
            if not expected or not all(same_answer(ref, answer) for ref in expected):
                result.answers_differing += count


def run_phase(
    url: str, phase: Phase, *, duration: float, rounds: int, warmup: int = 8
) -> PhaseResult:
    """Probe the route, then latency at concurrency 1 and each load level for `rounds` rounds."""
    result = PhaseResult(phase.name, phase.label, phase.images_per_request)
    probe = load(url, phase.payloads[:1], concurrency=1, requests=1, duration=60)
    if probe.statuses.keys() & {404, 405}:
        result.missing = True
        return result
    load(url, phase.payloads, concurrency=1, requests=warmup, duration=duration)
    single = load(
        url, phase.payloads, concurrency=1, requests=phase.latency_requests, duration=6 * duration
    )
    result.levels.append(summarise(1, [single]))
    reference = decode_answers(phase, [single], result)
    for concurrency in phase.load_levels:
        runs = [
            load(url, phase.payloads, concurrency=concurrency, requests=10**7, duration=duration)
            for _ in range(rounds)
        ]
        result.levels.append(summarise(concurrency, runs))
        compare(reference, decode_answers(phase, runs, result), result)
    return result


def define_phases(payloads: dict[str, list[Payload]], *, quick: bool) -> list[Phase]:
    """The benchmark's phases, in run order; `quick` shortens the latency runs."""
    singles = 100 if quick else 500
    heavy = 10 if quick else 30
    return [
        Phase("health", "GET /health (load generator ceiling)", payloads["health"], 0, None,
              singles, (16, 64)),
        Phase("predict_multipart", "/v1/predict multipart, 28×28 PNG",
              payloads["predict_multipart"], 1, answer_predict, singles, (16, 64)),
        Phase("predict_json_b64", "/v1/predict JSON base64, 28×28 PNG",
              payloads["predict_json_b64"], 1, answer_predict, singles, (16, 64)),
        Phase("predict_json_canvas", "/v1/predict JSON data URL, 280×280 canvas PNG",
              payloads["predict_json_canvas"], 1, answer_predict, singles, (16, 64)),
        Phase("batch_256", "/v1/predict/batch multipart, 256 × 28×28 PNG",
              payloads["batch_256"], 256, answer_batch, heavy, (4,)),
        Phase("read_a4", "/v1/read multipart, A4 300-dpi scan JPEG",
              payloads["read_a4"], 1, answer_read, heavy, (4,)),
        Phase("v2_infer_256", "/v2/models/digits/infer JSON, FP32 [256,28,28,1]",
              payloads["v2_infer_256"], 256, answer_v2, heavy, (4,)),
    ]  # fmt: skip
