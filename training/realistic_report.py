"""Printing and writing the realistic evaluation: the per-condition table (our models and the
peers), risk–coverage and accuracy–coverage plots, and the calibrated threshold in the cards."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.calibration import CALIBRATION_COUNT, rounded_up
from training.card import update_card
from training.peers import PEERS_FILE, load_peers

if TYPE_CHECKING:
    from training.realistic import CheckedThreshold
    from training.realistic_scoring import Scored

    Results = list[tuple[Path, Scored, CheckedThreshold]]

REPORT = Path(__file__).resolve().parent.parent / "reports" / "realistic.md"
COVERAGE_FIGURE = "realistic_coverage.png"
RISK_FIGURE = "realistic_risk_coverage.png"
PEERS = {"tesseract": "Tesseract 5", "rapidocr": "RapidOCR"}


@dataclass(frozen=True)
class Context:
    singles: dict[str, np.ndarray]  # condition → indices into the single-digit samples
    numbers: dict[str, np.ndarray]  # condition → indices into the number samples
    descriptions: dict[str, str]
    count: int
    number_count: int
    seed: int
    # training.peers.fingerprints of the set: condition → hash of its images and labels
    fingerprints: dict[str, str] = field(default_factory=dict)
    calibration_count: int = CALIBRATION_COUNT  # validation images a condition, for thresholds
    # Each single-digit and number sample as the served classifier reads its digits alone
    # (`training.realistic_scoring.read_alone`); empty: not measured.
    singles_alone: list[str] = field(default_factory=list)
    numbers_alone: list[str] = field(default_factory=list)
    # No-digit condition → share of its images `/v1/read` flags (`no_digit_read_flagged`).
    no_digit_read: dict[str, float] = field(default_factory=dict)


def peer_results(context: Context, path: Path = PEERS_FILE) -> dict[str, dict]:
    """Peer → condition → result, for each condition the peers file computed on these very
    images."""
    found = load_peers(path)
    if not found:
        return {}
    same = (found.get("seed"), found.get("count"), found.get("numbers"))
    if same != (context.seed, context.count, context.number_count):
        print(f"{path.name} is for another set {same}: no peer columns")
        return {}
    return {
        name: {
            condition: result
            for condition, result in entry["conditions"].items()
            if result.get("fingerprint") == context.fingerprints.get(condition)
        }
        for name, entry in found.get("peers", {}).items()
    }


def condition_arrays(scored: "Scored", name: str, context: Context):
    """(confidence, correct) of one condition's samples; correct is None for no-digit ones."""
    if name in context.numbers:
        index = context.numbers[name]
        return scored.number_confidence()[index], scored.number_correct[index]
    index = context.singles[name]
    if name not in context.descriptions:
        return scored.confidence[index], None
    return scored.confidence[index], scored.correct[index]


def misses_as_alone(scored: "Scored", name: str, context: Context) -> str:
    """ "k of n": of a condition's n wrong answers, the k that its digits read alone give too."""
    if name in context.numbers:
        index, alone = context.numbers[name], context.numbers_alone
        answers, correct = scored.number_texts, scored.number_correct
    else:
        index, alone = context.singles[name], context.singles_alone
        answers, correct = [str(d) for d in scored.digits], scored.correct
    if not alone or not answers:
        return "–"
    wrong = [i for i in index if not correct[i]]
    return f"{sum(answers[i] == alone[i] for i in wrong)} of {len(wrong)}"


def rows(results: "Results", context: Context, peers: dict[str, dict]) -> list[list[str]]:
    """Per condition: images; the first model's accuracy, coverage, accuracy of the unflagged
    and the held-out check; the other models' accuracy; each peer's accuracy."""
    table = []
    for name in [*context.singles, *context.numbers]:
        first, threshold = results[0][1], results[0][2].threshold
        if name in context.numbers:
            threshold = first.number_threshold
        confidence, correct = condition_arrays(first, name, context)
        kept = confidence >= threshold
        if correct is None:  # nothing to read: right when flagged
            row = [name, str(kept.size), f"{1 - kept.mean():.1%} flagged", f"{kept.mean():.1%}"]
            row += ["–", "–", "–"]
        else:
            unflagged = f"{correct[kept].mean():.2%}" if kept.any() else "–"
            check = results[0][2].conditions.get(name)
            verdict = "–" if check is None else ("yes" if check.met else "**no**")
            if name in context.numbers:  # the reader's threshold is not fitted on this set
                met = not kept.any() or correct[kept].mean() >= 0.995
                verdict = "yes" if met else "**no**"
            row = [name, str(kept.size), f"{correct.mean():.2%}", f"{kept.mean():.1%}", unflagged]
            row += [verdict, misses_as_alone(first, name, context)]
        segmenter = (
            first.segmenter_correct[context.numbers[name]] if name in context.numbers else None
        )
        row.append("–" if segmenter is None else f"{segmenter.mean():.2%}")
        for _, scored, calibration in results[1:]:
            other, right = condition_arrays(scored, name, context)
            flagged = other < calibration.threshold
            row.append(f"{flagged.mean():.1%} flagged" if right is None else f"{right.mean():.2%}")
        for peer in PEERS:
            found = peers.get(peer, {}).get(name)
            if not found:
                row.append("–")
                continue
            # A slow peer may have read only the first images of the condition: say how many.
            few = f" (first {found['count']})" if found["count"] != int(row[1]) else ""
            row.append(f"{found['accuracy']:.2%}{few}")
        table.append(row)
    return table


def header(results: "Results") -> list[str]:
    first = results[0][1].name
    columns = ["condition", "images", f"{first} (numbers: reader) right", "coverage"]
    columns += ["right among unflagged"]
    columns += ["held-out ≥ 99.5 %", "misses as the digits read alone"]
    columns += [f"segmenter + {first} right"]
    columns += [f"{s.name} right" for _, s, _ in results[1:]]
    return columns + list(PEERS.values())


def print_table(results: "Results", context: Context) -> None:
    print(" | ".join(header(results)))
    for row in rows(results, context, peer_results(context)):
        print(" | ".join(row))
    for _, scored, calibration in results:
        failing = ", ".join(calibration.failing()) or "none"
        print(
            f"{scored.name}: threshold {calibration.threshold:.4f} (pooled alone "
            f"{calibration.pooled:.4f}), coverage {calibration.coverage:.2%}, accuracy not "
            f"flagged {calibration.accuracy:.3%} ({calibration.samples} test images; set on "
            f"{calibration.fitted_on} validation images); "
            f"conditions below 99.5 % held out: {failing}"
        )


def risk_coverage(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and error rate among the answered, answering the most confident first."""
    order = np.argsort(-confidence, kind="stable")
    kept = np.arange(1, order.size + 1)
    return kept / order.size, 1 - np.cumsum(correct[order]) / kept


def plot_risk(results: "Results", context: Context, path: Path) -> None:
    """One curve per condition for the first model: singles and numbers side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, scored, calibration = results[0]
    figure, axes = plt.subplots(1, 2, figsize=(13, 7), sharey=True)
    groups = [
        ("single digits", [n for n in context.singles if n in context.descriptions]),
        ("numbers (exact)", list(context.numbers)),
    ]
    for axis, (title, names) in zip(axes, groups, strict=True):
        colours = plt.get_cmap("nipy_spectral")(np.linspace(0.02, 0.95, max(1, len(names))))
        for index, (colour, name) in enumerate(zip(colours, names, strict=True)):
            confidence, correct = condition_arrays(scored, name, context)
            coverage, risk = risk_coverage(confidence, correct)
            style = ["-", "--", ":"][index % 3]
            axis.plot(coverage, risk, style, color=colour, label=name, linewidth=1.2)
            at = scored.number_threshold if name in context.numbers else calibration.threshold
            kept = confidence >= at
            axis.plot([kept.mean()], [1 - correct[kept].mean() if kept.any() else 0], "o",
                      color=colour, markersize=4)  # fmt: skip
        axis.axhline(0.005, color="grey", linestyle="--", linewidth=0.8, label="0.5 % target")
        axis.axvline(0.9, color="grey", linestyle=":", linewidth=0.8, label="90 % coverage")
        axis.set_yscale("symlog", linthresh=0.01)
        axis.set_xlabel("coverage (share answered, most confident first)")
        axis.set_title(f"{scored.name}: {title}")
        axis.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    axes[0].set_ylabel("error rate among the answered")
    figure.suptitle("Risk–coverage per condition (dots: the calibrated threshold)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_pooled(results: "Results", is_digit: np.ndarray, path: Path) -> None:
    """Accuracy vs coverage of the calibration pool, one curve per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from training.realistic import calibration_pool

    figure, axes = plt.subplots(figsize=(6, 4))
    for _, scored, calibration in results:
        confidence, correct = calibration_pool(scored, is_digit)
        coverage, risk = risk_coverage(confidence, correct)
        axes.plot(coverage, 1 - risk, label=scored.name)
        axes.plot([calibration.coverage], [calibration.accuracy], "o", color="black")
    axes.axhline(0.995, color="grey", linestyle="--", linewidth=0.8, label="99.5 % target")
    axes.set_xlabel("coverage (share of digits not flagged uncertain)")
    axes.set_ylabel("accuracy of the non-flagged")
    axes.set_ylim(0.9, 1.001)
    axes.legend(loc="lower left")
    axes.set_title("Realistic set, pooled: accuracy vs coverage")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def no_digit_read_lines(context: Context) -> list[str]:
    """What `/v1/read` answers for the no-digit images, as a sentence under the table."""
    if not context.no_digit_read:
        return []
    shares = ", ".join(f"{name} {share:.1%}" for name, share in context.no_digit_read.items())
    return [
        "",
        "The no-digit images read as numbers (`/v1/read`, the reader's threshold; an answer "
        f"with no digits counts as flagged): flagged {shares}.",
    ]


SERVED = (
    "the served single-digit confidence: this classifier's softmax pooled with the number "
    "reader's opinion (digits_core.single)"
)


def write_outputs(
    results: "Results", context: Context, report: Path = REPORT, *, cards: bool = True
) -> None:
    """The report, its two plots, and (with `cards`) each model card's calibrated threshold."""
    from training.realistic_text import calibration_lines, intro_lines

    figures = report.parent / "figures"
    peers = peer_results(context)
    columns = header(results)
    lines = intro_lines(context, bool(peers))
    lines += ["| " + " | ".join([columns[0], "what", *columns[1:]]) + " |"]
    lines += ["|---|---|" + "---:|" * (len(columns) - 1)]
    for row in rows(results, context, peers):
        what = context.descriptions.get(row[0], "no digit: should be flagged uncertain")
        lines.append("| " + " | ".join([row[0], what, *row[1:]]) + " |")
    lines += no_digit_read_lines(context)
    lines += calibration_lines(results, context, RISK_FIGURE, COVERAGE_FIGURE)
    if cards:
        for index, (path, _, calibration) in enumerate(results):
            # The first model is the served one, scored as served: pooled with the reader.
            applies_to = SERVED if index == 0 else "this classifier's top probability"
            update_card(
                path,
                confidence_threshold=rounded_up(calibration.threshold),
                calibration=calibration.card_block(applies_to),
            )
    readable = set(context.descriptions)
    samples = sum(i.size for i in context.singles.values())
    is_digit = np.zeros(samples, bool)
    for name, index in context.singles.items():
        is_digit[index] = name in readable
    plot_pooled(results, is_digit, figures / COVERAGE_FIGURE)
    plot_risk(results, context, figures / RISK_FIGURE)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines))
    print(f"wrote {report} and its figures" + (" and the cards' threshold" if cards else ""))
