"""Peer adapters (issue 13): output parsing always; the engines only when installed."""

import shutil

import numpy as np
import pytest

from training import peers


def test_only_digits_are_kept() -> None:
    assert peers.only_digits(" 4 7-2\n١") == "472"
    assert peers.only_digits("") == ""


def test_rapidocr_results_are_read_left_to_right() -> None:
    detected = [
        [[[60, 8], [125, 6], [126, 50], [61, 52]], "21", 0.99],
        [[[4, 5], [84, 6], [83, 56], [3, 54]], "47a", 0.98],
    ]
    assert peers.rapidocr_text(detected) == "4721"
    assert peers.rapidocr_text([["0 8", 0.9]]) == "08"
    assert peers.rapidocr_text(None) == ""


def test_tesseract_command_follows_the_brief() -> None:
    single, line = peers.tesseract_command(True), peers.tesseract_command(False)
    assert single[single.index("--psm") + 1] == "10"
    assert line[line.index("--psm") + 1] == "7"
    assert "tessedit_char_whitelist=0123456789" in single


def printed(text: str) -> np.ndarray:
    """Dark printed digits on white, as a grayscale array."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (40 + 40 * len(text), 90), 255)
    font = ImageFont.load_default(size=56)
    ImageDraw.Draw(image).text((20, 10), text, fill=0, font=font)
    return np.asarray(image, dtype=np.float32)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_reads_printed_digits() -> None:
    assert peers.read_tesseract(printed("4721"), False) == "4721"
    assert peers.tesseract_version().startswith("tesseract")


@pytest.mark.skipif(not peers.rapidocr_available(), reason="rapidocr_onnxruntime is not installed")
def test_rapidocr_reads_printed_digits() -> None:
    assert peers.RapidReader()(printed("4721"), False) == "4721"


def test_a_peers_file_for_another_set_gives_no_columns(tmp_path) -> None:
    from training.realistic_report import Context, peer_results

    path = tmp_path / "peers.json"
    path.write_text(
        '{"seed": 4, "count": 10, "numbers": 10, "peers": {"tesseract": {"conditions": '
        '{"box": {"accuracy": 0.5, "correct": 5, "count": 10, "fingerprint": "b0"}, '
        '"ruled": {"accuracy": 0.7, "correct": 7, "count": 10, "fingerprint": "r0"}}}}}'
    )
    same = Context({}, {}, {}, 10, 10, 4, {"box": "b0", "ruled": "r0"})
    assert peer_results(same, path)["tesseract"]["box"]["accuracy"] == 0.5
    assert peer_results(Context({}, {}, {}, 20, 10, 4, {"box": "b0"}), path) == {}
    # The ruled images changed: only that condition's result goes.
    redrawn = Context({}, {}, {}, 10, 10, 4, {"box": "b0", "ruled": "r1"})
    assert set(peer_results(redrawn, path)["tesseract"]) == {"box"}


def test_a_condition_added_to_the_set_keeps_the_others_fingerprints() -> None:
    from training.realistic_set import Sample

    base = [Sample("box", b"one", "1"), Sample("box", b"two", "2"), Sample("ruled", b"x", "3")]
    before = peers.fingerprints(base)
    after = peers.fingerprints([*base, Sample("blank_form", b"y", "")])
    assert set(after) == {"box", "ruled", "blank_form"}
    assert all(after[c] == before[c] for c in before)
    assert peers.fingerprints([Sample("box", b"one", "7"), *base[1:]])["box"] != before["box"]
