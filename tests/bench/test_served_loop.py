"""The profiling load: it runs the served pipeline over the bench's inputs and says how often."""

import re

import pytest

from bench.served_loop import main


def test_it_serves_images_for_the_time_given(capsys: pytest.CaptureFixture[str]) -> None:
    main(["canvas_png", "--seconds", "0.3"])
    found = re.fullmatch(r"canvas_png: (\d+) images, ([\d,]+) µs each\n", capsys.readouterr().out)
    assert found is not None
    count, each = int(found[1]), int(found[2].replace(",", ""))
    assert count >= 1
    assert each == round(0.3e6 / count)


def test_an_unknown_input_kind_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["svg_drawing"])
