"""CTC decoding on hand-made score matrices, and lines made from ink."""

import numpy as np
import pytest

from digits_core.contract import BLANK, FRAME_STEP, LINE_HEIGHT, shipped_model
from digits_core.ink import analyse
from digits_core.model import ReaderModel
from digits_core.reading import (
    BLANK_MARGIN,
    HALF_FRAME,
    INK_HEIGHT,
    MAX_GAP,
    PAD_X,
    Line,
    batch_lines,
    best_path,
    decode,
    decode_twice,
    line_of,
    line_views,
    narrow_gaps,
    page_ink,
    shifted,
    with_temperature,
)


def scores_of(path: list[int], sure: float = 0.9) -> np.ndarray:
    """Frame scores [T, 11] whose best path is `path` (class per frame), each `sure` likely."""
    scores = np.full((len(path), BLANK + 1), (1 - sure) / BLANK, dtype=np.float32)
    scores[np.arange(len(path)), path] = sure
    return scores


def blank_line(frames: int) -> Line:
    return Line(np.zeros((LINE_HEIGHT, frames * FRAME_STEP), np.float32), 0.0, 0.0, 1.0)


def test_repeats_merge_and_blanks_drop() -> None:
    b = BLANK
    labels = best_path(scores_of([b, 3, 3, b, b, 4, b]))
    assert [(d, first, last) for d, first, last in labels] == [(3, 1, 2), (4, 5, 5)]


def test_a_blank_between_repeats_keeps_both_digits() -> None:
    b = BLANK
    assert [d for d, _, _ in best_path(scores_of([1, 1, b, 1, b, 7, 7]))] == [1, 1, 7]


def test_no_digit_frames_read_as_nothing() -> None:
    reading = decode(scores_of([BLANK] * 6), blank_line(6))
    assert reading.text == "" and reading.digits == [] and reading.confidence == 0.0


def test_confidences_come_from_the_peaks_and_the_least_sure_blank() -> None:
    b = BLANK
    scores = scores_of([b, 5, b, 2, b])
    scores[1, 5], scores[3, 2] = 0.8, 0.6
    scores[2] = 0.0
    scores[2, b], scores[2, 7] = 0.7, 0.3
    reading = decode(scores, blank_line(5))
    assert reading.text == "52"
    assert [d.confidence for d in reading.digits] == pytest.approx([0.8, 0.6])
    assert reading.confidence == pytest.approx(0.8 * 0.6 * 0.7)


def test_padding_frames_past_the_line_are_ignored() -> None:
    b = BLANK
    reading = decode(scores_of([b, 4, b, 9, 9]), blank_line(3))
    assert reading.text == "4"


def test_boxes_come_from_the_alignment_and_the_ink_between_neighbours() -> None:
    pixels = np.zeros((LINE_HEIGHT, 40), np.float32)
    pixels[4:28, 8:14] = 1.0  # first digit: columns 8..13
    pixels[6:26, 24:32] = 1.0  # second digit: columns 24..31
    line = Line(pixels, left=100.0, top=50.0, scale=0.5)
    b = BLANK
    reading = decode(scores_of([b, b, 6, b, b, b, 8, b, b, b]), line)
    first, second = (d.box for d in reading.digits)
    # Line column c is input x = left + (c - PAD_X) / scale; row r is y = top + r / scale.
    assert (first.x, first.width) == (100 + (8 - PAD_X) * 2, 12)
    assert (first.y, first.height) == (58, 48)
    assert (second.x, second.width) == (100 + (24 - PAD_X) * 2, 16)
    assert (second.y, second.height) == (62, 40)


def test_boxes_past_a_narrowed_gap_map_back_across_the_cut() -> None:
    pixels = np.zeros((LINE_HEIGHT, 40), np.float32)
    pixels[4:28, 8:14] = 1.0
    pixels[6:26, 24:32] = 1.0
    # 30 input pixels of blank were taken out at line column 19, between the two digits.
    line = Line(pixels, left=100.0, top=50.0, scale=0.5, cuts=((19.0, 30.0),))
    b = BLANK
    first, second = (d.box for d in decode(scores_of([b, b, 6, b, b, b, 8, b, b, b]), line).digits)
    assert first.x == 100 + (8 - PAD_X) * 2
    assert (second.x, second.width) == (100 + (24 - PAD_X) * 2 + 30, 16)
    moved = shifted(line, HALF_FRAME)
    scores = scores_of([b, b, 6, b, b, b, 8, b, b, b, b])
    assert [d.box for d in decode(scores, moved).digits] == [first, second]


def test_a_shifted_line_keeps_its_boxes_in_input_pixels() -> None:
    pixels = np.zeros((LINE_HEIGHT, 40), np.float32)
    pixels[4:28, 8:14] = 1.0
    line = Line(pixels, left=100.0, top=50.0, scale=0.5)
    moved = shifted(line, HALF_FRAME)
    assert moved.pixels.shape[1] % FRAME_STEP == 0
    assert np.array_equal(moved.pixels[:, HALF_FRAME : HALF_FRAME + 40], pixels)
    b = BLANK
    as_is = decode(scores_of([b, b, 6, b, b, b, b, b, b, b]), line).digits[0].box
    moved_box = decode(scores_of([b, b, 6, b, b, b, b, b, b, b, b]), moved).digits[0].box
    assert as_is == moved_box


def test_two_readings_that_agree_are_the_reading() -> None:
    b = BLANK
    first = scores_of([b, 3, b, 4, b])
    second = scores_of([b, 3, 3, b, 4, b], sure=0.6)
    reading = decode_twice((first, second), blank_line(5))
    assert reading.text == "34"
    assert reading.confidence == pytest.approx(decode(first, blank_line(5)).confidence)


def test_two_readings_that_differ_give_the_likelier_string_and_less_confidence() -> None:
    b = BLANK
    # As is: "71", the 1 a little likelier than a blank. Moved: "7", a blank a little likelier.
    first = scores_of([b, 7, b, 1, b, b], sure=0.99)
    first[3, 1], first[3, b] = 0.56, 0.4
    second = scores_of([b, 7, b, b, b, b], sure=0.99)
    second[3, 1], second[3, b] = 0.4, 0.55
    reading = decode_twice((first, second), blank_line(6))
    assert reading.text == "71"
    # Nearly a tie between the two strings: the confidence is its share, about a half.
    assert 0.5 < reading.confidence < 0.52 < decode(first, blank_line(6)).confidence
    assert decode_twice((second, first), blank_line(6)).text == "71"  # order does not matter


def test_temperature_flattens_scores_and_keeps_the_order() -> None:
    scores = scores_of([3, BLANK], sure=0.9)
    warm = with_temperature(scores, 2.0)
    assert warm.argmax(axis=1).tolist() == [3, BLANK]
    assert np.allclose(warm.sum(axis=1), 1.0)
    assert (warm.max(axis=1) < 0.9).all()
    assert with_temperature(scores, 1.0) is scores


def test_a_line_is_height_normalised_and_maps_back_to_the_image() -> None:
    gray = np.full((200, 600), 230.0, np.float32)
    gray[50:150, 100:130] = 20.0  # two strokes 100 px tall
    gray[50:150, 400:430] = 20.0
    line = line_of(analyse(gray))
    assert line is not None
    assert line.pixels.shape[0] == LINE_HEIGHT and line.pixels.shape[1] % FRAME_STEP == 0
    rows = np.flatnonzero(line.pixels.max(axis=1) > 0.5)
    assert rows.size == pytest.approx(INK_HEIGHT, abs=2)
    cols = np.flatnonzero(line.pixels.max(axis=0) > 0.5)
    starts = cols[np.diff(cols, prepend=-2) > 1]
    assert [line.input_x(c) for c in starts] == pytest.approx([100, 400], abs=4)
    assert line.top + rows[0] / line.scale == pytest.approx(50, abs=4)
    # The strokes stand 270 px (76 line columns) apart: the line keeps MAX_GAP blank columns.
    blank = np.flatnonzero(line.pixels[:, starts[0] : starts[1]].max(axis=0) == 0.0)
    assert blank.size == pytest.approx(MAX_GAP, abs=2)


def test_only_blank_runs_wider_than_the_limit_are_narrowed_in_their_middle() -> None:
    inked = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    crop = np.where(inked, np.arange(inked.size), 0.0)[np.newaxis]
    narrowed, cuts = narrow_gaps(crop, inked, 3)
    # The run of six at columns 4..9 keeps 4 and 8..9; the run of two stays.
    assert narrowed[0].tolist() == [0, 0, 0, 3, 0, 0, 0, 10]
    assert cuts == [(5, 3)]
    assert narrow_gaps(crop, inked, 6)[1] == []


def test_blank_paper_has_no_line() -> None:
    assert line_of(analyse(np.full((80, 200), 240.0, np.float32))) is None


def test_a_page_that_is_one_stain_has_no_line_but_strokes_do() -> None:
    ys, xs = np.mgrid[0:240, 0:320]
    stain = np.where(((ys - 120) / 70) ** 2 + ((xs - 160) / 90) ** 2 <= 1, 30.0, 235.0)
    strokes = np.full((240, 320), 235.0)
    strokes[50:190, 100:112] = 30.0  # a "1" and a bar the stain's width
    strokes[110:122, 150:240] = 30.0
    assert line_of(analyse(stain.astype(np.float32))) is not None  # the ink alone is a line
    assert page_ink(stain) is None and line_views(stain) == (None, None)
    assert page_ink(strokes) is not None and line_views(strokes)[0] is not None


def test_lines_batch_to_the_widest_with_blank_padding() -> None:
    short, wide = blank_line(3), blank_line(7)
    short.pixels[:, :] = 1.0
    batch = batch_lines([short, wide])
    assert batch.shape == (2, LINE_HEIGHT, 7 * FRAME_STEP + BLANK_MARGIN, 1)
    assert batch[0, :, 3 * FRAME_STEP :].max() == 0.0


def test_a_lines_scores_do_not_depend_on_its_batch() -> None:
    reader = ReaderModel.load(shipped_model("reader.onnx"))
    page = np.full((60, 120), 255.0, np.float32)
    page[12:48, 30:36] = 0.0  # a "1" with a bar
    page[12:16, 24:44] = 0.0
    line = line_of(analyse(page))
    assert line is not None
    long = Line(np.zeros((LINE_HEIGHT, 50 * FRAME_STEP), np.float32), 0.0, 0.0, 1.0)
    frames = line.pixels.shape[1] // FRAME_STEP
    alone = reader.scores(batch_lines([line]))[0, :frames]
    beside = reader.scores(batch_lines([line, long]))[0, :frames]
    np.testing.assert_allclose(alone, beside, atol=1e-5)
