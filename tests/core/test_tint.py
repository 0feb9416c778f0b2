"""A form's tinted background is paper; faint handwriting and blurred strokes are not a tint."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import digits_core.ink as ink_module
import digits_core.paper as paper_module
from digits_core.contract import shipped_model
from digits_core.decoding import decode_image
from digits_core.ink import analyse
from digits_core.model import DigitModel, ReaderModel
from digits_core.numbers import read_lines
from digits_core.paper import paper_up
from digits_core.tint import tint_mask
from tests.utils.paperwork import ink_of, tinted_cells
from training.realistic_numbers import tinted_boxes


@pytest.fixture(scope="module")
def picks(mnist_test: tuple[np.ndarray, np.ndarray]) -> tuple[list[np.ndarray], str]:
    images, labels = mnist_test
    chosen = [int(np.flatnonzero(labels == d)[1]) for d in (4, 0, 2, 7, 1)]
    return [images[i] for i in chosen], "".join(str(labels[i]) for i in chosen)


@pytest.mark.parametrize("field", [120, 150, 190])
def test_the_tint_around_white_boxes_is_no_ink(
    picks: tuple[list[np.ndarray], str], field: int
) -> None:
    images, _ = picks
    found = analyse(decode_image(tinted_cells(images, field=field)), least=28)
    assert found.count == len(images)  # the digits, and nothing of the tint
    rows = np.flatnonzero(found.labels.any(axis=1))
    assert rows[0] >= 30  # the tint above the boxes is gone


# Forms of the realistic scene (MNIST test digits) whose dark tint and ink share the darkest
# quarter of the range, the tint the larger part: found among 400 draws, all four there are.
DARK_TINT_SEEDS = (90, 269, 290, 358)


def test_a_dark_tint_is_paper_not_ink_on_dark_paper(
    mnist_test: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = mnist_test
    reader = ReaderModel.load(shipped_model("reader.onnx"))
    model = DigitModel.load(shipped_model("digits.onnx"))

    def read() -> tuple[list[bool], int]:
        grays, texts = [], []
        for seed in DARK_TINT_SEEDS:
            rng = np.random.default_rng(seed)
            picks = rng.choice(len(labels), size=5, replace=False)
            grays.append(decode_image(tinted_boxes(rng, [images[i] for i in picks])))
            texts.append("".join(str(labels[i]) for i in picks))
        found = read_lines(grays, reader.scores, reader.temperature, model.predict_batch)
        kept = [bool((paper_up(gray) == gray).all()) for gray in grays]
        return kept, sum(r.text == t for r, t in zip(found, texts, strict=True))

    kept, right = read()
    assert all(kept) and right >= 3
    # With the darkest quarter alone deciding, every one is taken for light ink on dark paper.
    monkeypatch.setattr(paper_module, "CORE_SHARE", paper_module.TAIL_SHARE)
    kept, right = read()
    assert not any(kept) and right == 0


def test_without_it_the_tint_is_read_as_ink(
    picks: tuple[list[np.ndarray], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    images, _ = picks
    monkeypatch.setattr(ink_module, "tint_mask", lambda *args: None)
    found = analyse(decode_image(tinted_cells(images, field=150)), least=28)
    assert found.count < len(images)  # the tint joins the digits into one piece


def test_a_number_in_tinted_boxes_reads_right(picks: tuple[list[np.ndarray], str]) -> None:
    images, text = picks
    reader = ReaderModel.load(shipped_model("reader.onnx"))
    model = DigitModel.load(shipped_model("digits.onnx"))
    gray = decode_image(tinted_cells(images, field=150))
    reading = read_lines([gray], reader.scores, reader.temperature, model.predict_batch)
    assert reading[0].text == text


@pytest.fixture
def found(monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray | None]:
    """Every tint mask the ink analysis finds while the test runs (None: no tint)."""
    masks: list[np.ndarray | None] = []

    def recorded(*args: object) -> np.ndarray | None:
        masks.append(tint_mask(*args))
        return masks[-1]

    monkeypatch.setattr(ink_module, "tint_mask", recorded)
    return masks


def faint_in_dark_box(image: np.ndarray, weight: float) -> np.ndarray:
    """A broad, faint pencil digit (ink a third of the paper's darkness, strokes ~9 px)
    inside a printed black box: its strokes are flat, wide and fainter than the box."""
    grown = ndimage.grey_dilation(image, size=(2, 2))
    digit = ink_of(grown, scale=5)
    height, width = digit.shape
    gray = np.full((height + 80, width + 80), 240.0, np.float32)
    gray[40 : 40 + height, 40 : 40 + width] -= 240.0 * weight * digit
    gray[20:23, 20:-20] = gray[-23:-20, 20:-20] = 20.0
    gray[20:-20, 20:23] = gray[20:-20, -23:-20] = 20.0
    return gray


@pytest.mark.parametrize("weight", [0.3, 0.45])
def test_a_faint_broad_digit_in_a_dark_box_is_no_tint(
    mnist_test: tuple[np.ndarray, np.ndarray], weight: float, found: list[np.ndarray | None]
) -> None:
    images, _ = mnist_test
    for image in images[:10]:
        kept = analyse(faint_in_dark_box(image, weight))
        assert kept.count >= 1
    assert len(found) == 10 and all(mask is None for mask in found)


def pale_and_dark_on_a_comb(images: list[np.ndarray]) -> np.ndarray:
    """Bold digits on a pale printed comb, every other one written paler (ink 0.6 of the
    paper's darkness, flat inside its broad strokes): pale, flat, joined by the comb and
    around the dark digits, like a tint, but writing."""
    inks = [ink_of(ndimage.grey_dilation(image, size=(3, 3)), scale=4) for image in images]
    cell, margin = 130, 40
    height = max(i.shape[0] for i in inks) + 2 * margin
    gray = np.full((height, cell * len(inks) + 2 * margin), 245.0, np.float32)
    base = height - margin - 8  # through the digits: the comb joins them
    gray[base : base + 3, margin:-margin] = 245.0 * 0.4
    for index, ink in enumerate(inks):
        x = margin + index * cell
        gray[base - 30 : base, x : x + 3] = 245.0 * 0.4
        level = 0.6 if index % 2 == 0 else 0.95
        region = gray[margin : margin + ink.shape[0], x + 10 : x + 10 + ink.shape[1]]
        np.minimum(region, 245.0 * (1 - level * np.clip(ink * 1.5, 0, 1)), out=region)
    return gray


def test_pale_digits_beside_dark_ones_are_no_tint(
    mnist_test: tuple[np.ndarray, np.ndarray], found: list[np.ndarray | None]
) -> None:
    images, _ = mnist_test
    for start in range(0, 30, 6):
        kept = analyse(pale_and_dark_on_a_comb(list(images[start : start + 6])), least=28)
        assert kept.count >= 5
    assert len(found) == 5 and all(mask is None for mask in found)


def test_plain_and_blurred_digits_have_no_tint(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = mnist_test
    for image in images[:20]:
        big = np.asarray(Image.fromarray(image).resize((168, 168), Image.BILINEAR), np.float32)
        for sigma in (0.0, 3.0, 6.0):
            ink = ndimage.gaussian_filter(big, sigma) / 255.0 if sigma else big / 255.0
            assert tint_mask(ink, 0.1, 0.0) is None
