"""Printed rules come off, handwriting stays: boxes, ruling, grids, combs and crossing strokes."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from digits_core.forms import rule_mask
from digits_core.ink import analyse


def digit_mask(image: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit enlarged `scale` times, as a binary ink mask."""
    size = (28 * scale, 28 * scale)
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR)) > 100


def page(digits: list[np.ndarray], height: int = 160, cell: int = 120) -> np.ndarray:
    """Digit masks side by side, one per `cell` columns, on a blank mask page."""
    sheet = np.zeros((height, cell * len(digits) + 20), dtype=bool)
    for index, digit in enumerate(digits):
        top, left = 24, 14 + index * cell
        sheet[top : top + digit.shape[0], left : left + digit.shape[1]] |= digit
    return sheet


def turned(mask: np.ndarray, degrees: float) -> np.ndarray:
    """A mask page turned (a form fed askew), with room to turn in."""
    image = Image.fromarray(np.pad(mask, 40).astype(np.uint8) * 255)
    return np.asarray(image.rotate(degrees, Image.Resampling.NEAREST)) > 127


@pytest.fixture(scope="module")
def digits(mnist_test: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    images, labels = mnist_test
    picks = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    return [digit_mask(images[i]) for i in picks]


def test_clean_digits_lose_nothing(digits: list[np.ndarray]) -> None:
    for digit in digits:
        assert not rule_mask(page([digit])).any()
    assert not rule_mask(page(digits[:6])).any()


def test_digits_at_mnist_size_keep_their_bars(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    # With a 2–3 px pen, a bar one pixel thinner than the strokes is no printed line: whole
    # pixels cannot tell them apart (these lost their bars before, a "7" read as a "1").
    images, _ = mnist_test
    for index in (0, 70, 106, 24, 210):  # sevens, a two, fours of the test set
        mask = np.pad(digit_mask(images[index], scale=1), 6)
        assert not rule_mask(mask).any(), index


@pytest.mark.parametrize("thickness", [1, 2, 3])
def test_a_closed_box_comes_off_and_the_digit_stays(
    digits: list[np.ndarray], thickness: int
) -> None:
    for digit in digits:
        sheet = page([digit])
        box = np.zeros_like(sheet)
        box[10 : 10 + thickness, 4:130] = box[150 : 150 + thickness, 4:130] = True
        box[10:153, 4 : 4 + thickness] = box[10:153, 127 : 127 + thickness] = True
        found = rule_mask(sheet | box)
        assert found[box & ~sheet].mean() > 0.97
        assert not (found & sheet & ~box).any()


def framed(digit: np.ndarray, margin: int, thickness: int) -> tuple[np.ndarray, np.ndarray]:
    """(the digit on a page, a closed box `thickness` px thick `margin` px around its mask)."""
    sheet = np.pad(digit, margin + thickness + 4)
    box = np.zeros_like(sheet)
    outer = slice(4, sheet.shape[0] - 4), slice(4, sheet.shape[1] - 4)
    box[outer] = True
    box[4 + thickness : -4 - thickness, 4 + thickness : -4 - thickness] = False
    return sheet, box


@pytest.mark.parametrize(("scale", "thickness"), [(1, 2), (1, 3), (2, 5), (4, 10)])
def test_a_box_as_thick_as_the_pen_comes_off(
    mnist_test: tuple[np.ndarray, np.ndarray], scale: int, thickness: int
) -> None:
    # A small scan of a form prints its boxes as thick as the writing (MNIST's pen is 2–3 px
    # at 28 px): no longer clearly thinner, the box stayed and was cropped as the digit.
    images, labels = mnist_test
    for digit in range(10):
        mask = digit_mask(images[int(np.flatnonzero(labels == digit)[0])], scale)
        sheet, box = framed(mask, 2 * scale, thickness)
        found = rule_mask(sheet | box)
        assert found[box].mean() > 0.95, digit
        assert not (found & sheet & ~box).any(), digit


def test_bars_with_a_stroke_between_close_no_box_without_both_sides() -> None:
    # As thick as the pen, two bars are a box only when straight sides join both their ends
    # and writing stands inside: joined at one end ("⊐"), over other columns, with a curved
    # side or with nothing inside, they may be a digit's and stay.
    stroke = np.zeros((60, 60), dtype=bool)
    stroke[22:38, 28:32] = True  # a pen 4 px wide between the bars
    bars = np.zeros_like(stroke)
    bars[10:14, 10:50] = bars[46:50, 10:50] = True
    right_side = np.zeros_like(stroke)
    right_side[10:50, 46:50] = True
    left_side = np.zeros_like(stroke)
    left_side[10:50, 10:14] = True
    assert rule_mask(bars | left_side | right_side | stroke)[bars].all()  # a box: it goes
    assert not rule_mask(bars | left_side | right_side).any()  # nothing inside: a square "0"
    assert not rule_mask(bars | right_side | stroke).any()
    curved = np.zeros_like(stroke)
    for row in range(14, 46):  # a flank bowing 6 px out between the bars
        col = 10 - round(6 * np.sin(np.pi * (row - 14) / 32))
        curved[row, col : col + 4] = True
    assert not rule_mask(bars | curved | right_side | stroke).any()
    longer = np.zeros_like(stroke)  # a bottom running on past the sides: 40 of 48 columns shared
    longer[10:14, 10:50] = longer[46:50, 10:58] = True
    assert not rule_mask(longer | left_side | right_side | stroke).any()


@pytest.mark.parametrize("picks", [(1, 7, 4), (0, 9, 5)])
def test_box_sides_that_run_through_digits_come_off(
    digits: list[np.ndarray], picks: tuple[int, ...]
) -> None:
    # A box row whose sides run down each digit's most inked column: the side meets the
    # digit's stroke and becomes one shape with it (a "1" read where the side stayed).
    sides = [4 + 120 * k for k in range(len(picks) + 1)]
    sheet = np.zeros((160, sides[-1] + 120), dtype=bool)
    for side, pick in zip(sides[1:], picks, strict=True):
        digit = digits[pick]
        left = side - int(digit.sum(axis=0).argmax())
        sheet[24 : 24 + digit.shape[0], left : left + digit.shape[1]] |= digit
    box = np.zeros_like(sheet)
    box[10:12, sides[0] : sides[-1] + 2] = box[150:152, sides[0] : sides[-1] + 2] = True
    for side in sides:
        box[10:152, side : side + 2] = True
    found = rule_mask(sheet | box)
    # Beside a stroke a side is one run with it, and stays: a few pixels a side.
    assert found[box & ~sheet].mean() > 0.95
    assert not (found & sheet & ~box).any()


@pytest.mark.parametrize("degrees", [-3.5, -2.5, 2.0, 3.0])
def test_a_box_row_fed_askew_comes_off(digits: list[np.ndarray], degrees: float) -> None:
    # Beyond the rule finder's own slopes (~1.7°), a form's rules are followed at the slope
    # of its fullest row of ink, and its box sides at the lean that goes with it.
    sheet = page(digits[2:6])
    box = np.zeros_like(sheet)
    box[10:12, 4:486] = box[150:152, 4:486] = True
    for x in range(4, 490, 120):
        box[10:152, x : x + 2] = True

    sheet, box = turned(sheet, degrees), turned(box, degrees)
    found = rule_mask(sheet | box)
    assert found[box & ~sheet].mean() > 0.95
    assert not (found & sheet & ~box).any()


def test_a_row_of_boxes_set_apart_comes_off(digits: list[np.ndarray]) -> None:
    # Each box's top is shorter than half the row, too short for a rule alone; together the
    # tops span the row.
    sheet = page(digits[3:8])
    boxes = np.zeros_like(sheet)
    for left in range(4, sheet.shape[1] - 120, 120):
        boxes[10:12, left : left + 106] = boxes[150:152, left : left + 106] = True
        boxes[10:152, left : left + 2] = boxes[10:152, left + 104 : left + 106] = True
    found = rule_mask(sheet | boxes)
    assert found[boxes & ~sheet].mean() > 0.95
    assert not (found & sheet & ~boxes).any()


@pytest.mark.parametrize("degrees", [-4.0, -2.5, 3.0])
def test_a_row_of_boxes_set_apart_fed_askew_comes_off(
    digits: list[np.ndarray], degrees: float
) -> None:
    # Turned, each box's top steps a row every ~20 px: in pieces too short for a box's side,
    # and at other rows from box to box. Along the page's slope they are whole and level.
    sheet = page(digits[3:8])
    boxes = np.zeros_like(sheet)
    for left in range(4, sheet.shape[1] - 120, 120):
        boxes[10:12, left : left + 106] = boxes[150:152, left : left + 106] = True
        boxes[10:152, left : left + 2] = boxes[10:152, left + 104 : left + 106] = True
    sheet, boxes = turned(sheet, degrees), turned(boxes, degrees)
    found = rule_mask(sheet | boxes)
    assert found[boxes & ~sheet].mean() > 0.95
    assert not (found & sheet & ~boxes).any()


@pytest.mark.parametrize("digit", [2, 5, 7])
def test_bars_in_one_row_stay(digits: list[np.ndarray], digit: int) -> None:
    # The same digit five times: its bars line up across the row like box sides set apart,
    # but they are as thick as the pen.
    assert not rule_mask(page([digits[digit]] * 5)).any()
    assert not rule_mask(page([digits[digit]] * 5, cell=112)).any()  # side by side


def test_strokes_that_cross_ruled_lines_survive(digits: list[np.ndarray]) -> None:
    for digit in digits:
        sheet = page([digit])
        ruled = np.zeros_like(sheet)
        for y in range(30, 150, 25):
            ruled[y : y + 2, :] = True
        found = rule_mask(sheet | ruled)
        assert found[ruled & ~sheet].mean() > 0.95
        crossings = sheet & ruled
        # Where a stroke crosses a rule the ink is kept, so the digit stays in one piece.
        assert (~found[crossings]).mean() > 0.9


def test_grid_paper_comes_off(digits: list[np.ndarray]) -> None:
    sheet = page(digits[:4])
    grid = np.zeros_like(sheet)
    grid[5::30, :] = True
    grid[:, 5::30] = True
    found = rule_mask(sheet | grid)
    assert found[grid & ~sheet].mean() > 0.93  # beside a stroke the grid looks thicker
    assert (found & sheet & ~grid).sum() == 0


@pytest.mark.parametrize("thickness", [1, 2])
def test_where_rules_cross_nothing_is_left(digits: list[np.ndarray], thickness: int) -> None:
    # Each rule takes the other for a stroke crossing it; the crossing is rule all the same
    # (a blank squared page kept a dot at every crossing).
    sheet = page(digits[:4])
    rows, cols = np.zeros_like(sheet), np.zeros_like(sheet)
    for offset in range(thickness):
        rows[5 + offset :: 30, :] = True
        cols[:, 5 + offset :: 30] = True
    grid = rows | cols
    assert rule_mask(grid)[grid].all()  # a blank page: every pixel is rule
    # Beside digits (a rule through a digit may not be found whole): most crossings go.
    away = rows & cols & ~ndimage.binary_dilation(sheet, iterations=4)
    assert rule_mask(sheet | grid)[away].mean() > 0.9


def test_a_comb_field_loses_its_baseline_and_ticks(digits: list[np.ndarray]) -> None:
    sheet = page(digits[:5])
    comb = np.zeros_like(sheet)
    comb[140:142, 8:] = True
    for x in range(8, sheet.shape[1], 120):
        comb[100:142, x : x + 2] = True
    found = rule_mask(sheet | comb)
    assert found[comb & ~sheet].mean() > 0.95
    assert (found & sheet & ~comb).sum() == 0


def open_cell(sheet: np.ndarray, left: int, right: int, ticks: tuple[int, ...]) -> np.ndarray:
    """A printed baseline 2 px thick from `left` to `right` with 2 px ticks standing on it at
    the columns `ticks`, on a blank mask like `sheet`."""
    cell = np.zeros_like(sheet)
    cell[140:142, left:right] = True
    for x in ticks:
        cell[100:142, x : x + 2] = True
    return cell


@pytest.mark.parametrize("with_digit", [False, True])
def test_an_open_cell_loses_its_two_ticks(digits: list[np.ndarray], with_digit: bool) -> None:
    # Two ticks are too few for a comb, but standing at a rule's two ends they are a cell's
    # sides (an empty comb cell kept them, and one was read as a "1" on /v1/predict).
    sheet = page([digits[4]]) if with_digit else np.zeros_like(page([digits[4]]))
    cell = open_cell(sheet, 4, 128, (4, 126))
    found = rule_mask(sheet | cell)
    assert found[cell & ~sheet].mean() > 0.9
    assert (found & sheet & ~cell).sum() == 0
    if not with_digit:  # the ticks' feet too: left, they were read as a "3"
        assert found[cell].all()


def test_a_ticks_foot_goes_only_away_from_writing(digits: list[np.ndarray]) -> None:
    # Where a tick stands on its baseline the pixels they share are rule, unless writing
    # touches them: there the rule finder changes nothing it did before (a "2"'s tail at the
    # last tick's foot lost them, the line's crop moved, and "45525962" read "455250162").
    sheet = page([digits[4], digits[7]])
    comb = open_cell(sheet, 4, 250, (4, 64, 124, 184, 248))
    foot = np.zeros_like(sheet)
    foot[140:142, 248:250] = True
    assert rule_mask(sheet | comb)[foot].all()
    tail = np.zeros_like(sheet)
    tail[136:146, 236:247] = True  # a stroke's end, thicker than the rules, by the foot
    found = rule_mask(sheet | comb | tail)
    assert not found[foot].any() and not found[tail].any()


def test_ticks_under_a_kept_bar_are_no_open_cell(digits: list[np.ndarray]) -> None:
    # A box whose top the finder keeps (here broken in pieces too short for a box's side):
    # taking its sides alone left the top over a "1", read as a "7".
    sheet = np.zeros_like(page([digits[2]]))
    box = open_cell(sheet, 40, 120, ())
    box[80:142, 40:42] = box[80:142, 118:120] = True
    for left, right in ((40, 62), (65, 92), (95, 120)):
        box[80:83, left:right] = True
    one = np.zeros_like(box)
    for y in range(76, 126):  # a slanted "1" through the top, 5 px wide
        x = 77 - (y - 76) // 2
        one[y, x : x + 5] = True
    found = rule_mask(box | one)
    assert found[140:142, 44:116].all()  # the bottom goes ...
    assert not found[84:138, 40:42].any() and not found[84:138, 118:120].any()  # ... the sides stay


def test_a_stroke_at_one_end_of_a_rule_stays(digits: list[np.ndarray]) -> None:
    # A "1" as thin as the rule, standing at an underline's end: no cell, so no rule.
    sheet = np.zeros_like(page([digits[2]]))
    underline = open_cell(sheet, 4, 128, ())
    one = open_cell(sheet, 4, 128, (126,)) & ~underline
    found = rule_mask(underline | one)
    assert found[underline].mean() > 0.9
    assert not found[one].any()


def test_analysis_drops_the_box_from_the_ink(digits: list[np.ndarray]) -> None:
    sheet = page([digits[4]])
    sheet[10:12, 4:130] = sheet[150:152, 4:130] = True
    sheet[10:152, 4:6] = sheet[10:152, 128:130] = True
    gray = np.where(sheet, 20.0, 235.0).astype(np.float32)
    found = analyse(gray)
    assert found.count == 1
    rows, cols = found.boxes[0]
    assert rows.start > 12 and cols.start > 6 and cols.stop < 128


def test_skewed_and_faint_ruling_comes_off(digits: list[np.ndarray]) -> None:
    sheet = page([digits[3]])
    ruled = np.zeros_like(sheet)
    xs = np.arange(sheet.shape[1])
    for y in range(20, 160, 28):
        # A scan ~1.7° askew, and a faint rule with one-pixel breaks under the ink level.
        rows = np.clip(y + np.round(0.03 * xs).astype(int), 0, sheet.shape[0] - 1)
        ruled[rows, xs] = xs % 12 != 0
    found = rule_mask(sheet | ruled)
    assert found[ruled & ~sheet].mean() > 0.95
    assert (found & sheet & ~ruled).sum() == 0
