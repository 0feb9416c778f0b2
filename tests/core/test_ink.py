"""The ink analysis keeps handwriting and drops printed lines the rule finder could miss: faint
broken ruling whose pieces are too short to be rules, a rule that dips under the ink level on a
ruled page, but never a pale digit as thick as the pen's strokes."""

import numpy as np
import pytest

import digits_core.ink as ink_module
import digits_core.paper as paper_module
from digits_core.contract import shipped_model
from digits_core.decoding import decode_image
from digits_core.ink import analyse, to_working
from digits_core.model import DigitModel, ReaderModel
from digits_core.numbers import read_lines
from digits_core.paper import paper_up
from digits_core.reading import line_of
from tests.utils.paperwork import ink_of, png
from training.realistic_set import blank_paper

WIDTH, HEIGHT = 420, 200


def number(images: list[np.ndarray], shades: list[float]) -> np.ndarray:
    """Digits side by side as ink coverage, each at its own shade (1 = full ink)."""
    sheet = np.zeros((HEIGHT, WIDTH), np.float32)
    for index, (image, shade) in enumerate(zip(images, shades, strict=True)):
        ink = ink_of(image)
        top, left = 60, 30 + index * 120
        area = sheet[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(area, shade * ink, out=area)
    return sheet


def faint_broken_ruling(sheet: np.ndarray) -> np.ndarray:
    """One-pixel rules at 30 % of the ink's darkness above and below the digits (rows 60–144),
    in 40-px pieces: too short to be found as rules."""
    ruled = np.zeros_like(sheet)
    for y in (12, 32, 165, 185):
        for x in range(0, WIDTH, 52):
            ruled[y, x : x + 40] = 0.3
    return np.maximum(sheet, ruled)


@pytest.fixture(scope="module")
def three(mnist_test: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    images, labels = mnist_test
    return [images[int(np.flatnonzero(labels == d)[0])] for d in (2, 8, 5)]


def test_faint_broken_ruling_leaves_no_component(three: list[np.ndarray]) -> None:
    clean = analyse(decode_image(png(number(three, [1.0, 1.0, 1.0]))))
    ruled = analyse(decode_image(png(faint_broken_ruling(number(three, [1.0, 1.0, 1.0])))))
    assert ruled.count == clean.count
    assert [box[0] for box in ruled.boxes] == [box[0] for box in clean.boxes]
    # The line the reader sees is as tall as the digits, not as the ruled page.
    assert line_of(ruled).scale == pytest.approx(line_of(clean).scale, rel=0.05)


def test_a_pale_one_beside_dark_digits_stays(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    # A "1" is long and thin like a printed line, and this one never reaches half the stroke
    # level: only its thickness (a pen's, not a hairline's) keeps it.
    images, labels = mnist_test
    digits = [images[int(np.flatnonzero(labels == d)[0])] for d in (2, 1, 5)]
    found = analyse(decode_image(png(number(digits, [1.0, 0.35, 1.0]))))
    lefts = sorted(cols.start for _, cols in found.boxes)
    assert any(140 <= left < 270 for left in lefts), lefts


def test_a_rule_that_dips_under_the_ink_level_comes_off(three: list[np.ndarray]) -> None:
    digits = number(three, [1.0, 1.0, 1.0])
    ruled = digits.copy()
    ruled[186:188, :] = 1.0  # a rule the finder sees whole: the page is ruled
    # Above the digits, a rule dark in 30-px pieces and light (under the ink level) between.
    ruled[30:32, :] = np.where(np.arange(WIDTH) % 45 < 30, 0.6, 0.2)
    clean = analyse(decode_image(png(digits)))
    found = analyse(decode_image(png(ruled)))
    assert found.count == clean.count
    assert [box[0] for box in found.boxes] == [box[0] for box in clean.boxes]


def faint_askew_ruling(sheet: np.ndarray, slope: float = 0.022) -> np.ndarray:
    """One-pixel rules at 25 % of the ink's darkness every 45 rows, askew by `slope` (between
    two of the rule finder's slopes), and a margin line joining them into one component with
    the digits they cross."""
    ruled = sheet.copy()
    columns = np.arange(WIDTH)
    for start in range(5, HEIGHT, 45):
        rows = np.round(start + slope * columns).astype(int)
        rows, cols = rows[rows < HEIGHT], columns[rows < HEIGHT]
        ruled[rows, cols] = np.maximum(ruled[rows, cols], 0.25)
    ruled[:, 14] = np.maximum(ruled[:, 14], 0.25)
    return ruled


def test_faint_rules_askew_on_a_wide_page_come_off(three: list[np.ndarray]) -> None:
    digits = number(three, [1.0, 1.0, 1.0])
    clean = line_of(analyse(decode_image(png(digits))))
    found = line_of(analyse(decode_image(png(faint_askew_ruling(digits)))))
    # The line the reader sees is as tall as the digits, not as the ruled page.
    assert found.scale == pytest.approx(clean.scale, rel=0.05)


def shadowed(digit: np.ndarray, lit: float) -> np.ndarray:
    """A ballpoint digit (ink half as bright as the paper) on paper whose right part (all but
    `lit` of the width) lies in a soft cast shadow at 55 % of the light, as in a phone photo;
    grayscale 0..255."""
    ink = ink_of(digit)
    height, width = ink.shape[0] + 80, ink.shape[1] + 120
    coverage = np.zeros((height, width), np.float32)
    coverage[40 : 40 + ink.shape[0], 20 : 20 + ink.shape[1]] = ink
    xs = np.arange(width, dtype=np.float32) / width
    light = 1.0 - 0.45 / (1.0 + np.exp(-(xs - lit) / 0.04))
    return (225.0 - 120.0 * coverage) * light[np.newaxis, :]


def test_a_shadow_over_most_of_the_page_leaves_the_ink_dark(three: list[np.ndarray]) -> None:
    # The shadowed paper is the median; the lit paper lies further from it than the ink.
    gray = shadowed(three[1], lit=0.3)
    assert (paper_up(gray) == gray).all()
    found = analyse(gray)
    rows, cols = found.boxes[int(np.argmax(found.areas))]
    assert (rows.start, cols.start) == pytest.approx((40, 20), abs=3)


def test_white_ink_on_black_is_turned_dark_on_white(three: list[np.ndarray]) -> None:
    gray = 255.0 * np.pad(ink_of(three[0]), 30)
    assert (paper_up(gray) == 255.0 - gray).all()


def test_a_tiny_page_is_analysed_upscaled_only_when_asked() -> None:
    page = np.full((10, 60), 240.0, np.float32)
    page[2:8, 10:12] = 20.0
    work, scale = to_working(page, least=28)
    assert work.shape == (28, 168) and scale == pytest.approx(2.8)
    assert work.min() >= 0.0 and work.max() <= 255.0  # bicubic overshoot clipped
    assert to_working(page)[1] == 1.0  # single digits keep their path
    mnist_sized = np.full((28, 28), 240.0, np.float32)
    assert to_working(mnist_sized, least=28)[1] == 1.0
    # The longer side still caps the upscale.
    assert to_working(np.full((10, 900), 240.0, np.float32), least=28)[0].shape[1] == 1024
    found = analyse(page, least=28)
    assert found.scale == pytest.approx(2.8) and found.labels.shape == (28, 168)


@pytest.mark.parametrize("shade", [0.13, 0.17])
def test_faint_writing_is_ink(three: list[np.ndarray], shade: float) -> None:
    # A hard pencil or a pen running dry darkens the paper by 12-16 % here: under MIN_CONTRAST,
    # which once made the whole page blank paper. It is found as the same digits, marked faint.
    strong = analyse(decode_image(png(number(three, [1.0, 1.0, 1.0]))))
    faint = analyse(decode_image(png(number(three, [shade] * 3))))
    assert faint.faint and not strong.faint
    assert sorted(cols.start for _, cols in faint.boxes) == pytest.approx(
        sorted(cols.start for _, cols in strong.boxes), abs=3
    )


def test_blank_paper_in_uneven_light_reads_as_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the light falls off towards an edge, a closing that stops at the page's edges lifts
    # the paper there: a band of faint "ink" that the reader read as digits. The second look
    # continues the page past its edges.
    rng = np.random.default_rng(92)
    pages = [decode_image(blank_paper(rng)) for _ in range(80)]
    reader = ReaderModel.load(shipped_model("reader.onnx"))
    model = DigitModel.load(shipped_model("digits.onnx"))

    def texts() -> int:
        found = read_lines(pages, reader.scores, reader.temperature, model.predict_batch)
        return sum(bool(reading.text) for reading in found)

    assert texts() <= 2
    stopping = paper_module.paper_level
    monkeypatch.setattr(ink_module, "paper_level", lambda light, **_: stopping(light))
    assert texts() >= 5


def test_pale_digits_on_dark_rules_stay(three: list[np.ndarray]) -> None:
    # Black rules set the stroke level; a pencil number a fifth as dark fell under the mask
    # level with them. Once the rules are removed, the level is measured again on the writing.
    strong = analyse(decode_image(png(number(three, [1.0, 1.0, 1.0]))))
    ruled = number(three, [0.2, 0.2, 0.2])
    for y in (40, 100, 160):
        ruled[y : y + 2, :] = 1.0
    found = analyse(decode_image(png(ruled)))
    # Each digit is kept (in pieces where the rules crossed it).
    starts = [cols.start for _, cols in found.boxes]
    for _, cols in strong.boxes:
        assert min(abs(cols.start - start) for start in starts) <= 3, starts


@pytest.mark.parametrize("shade", [0.12, 0.18])
def test_a_dark_page_edge_does_not_set_the_level_for_faint_writing(
    three: list[np.ndarray], shade: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A phone photo: the desk shows as a dark band along the page's side, far darker than a
    # pencil number. It set the stroke level, and the writing fell under the mask with it.
    strong = analyse(decode_image(png(number(three, [1.0, 1.0, 1.0]))))
    photo = number(three, [shade] * 3)
    photo[:, :12] = 1.0

    def starts(found: ink_module.Ink) -> list[int]:
        return sorted(cols.start for _, cols in found.boxes)

    found = analyse(decode_image(png(photo)))
    assert starts(found) == pytest.approx(starts(strong), abs=3)
    monkeypatch.setattr(ink_module, "EDGE_LEVEL_SHARE", 0.0)
    assert starts(analyse(decode_image(png(photo)))) != pytest.approx(starts(strong), abs=3)
