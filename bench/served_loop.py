"""`python -m bench.served_loop KIND`: what `/v1/predict` computes, in process, one image of
the bench's inputs at a time, for a fixed time; a steady load for a sampling profiler:

    py-spy record -r 200 -f raw -o profile.txt -- python -m bench.served_loop canvas_png

docs/benchmark.md's stage shares come from such a profile.
"""

import argparse
import time
from pathlib import Path

from bench.floors import reader_beside, served
from bench.inputs import KINDS, make_inputs
from digits_core.model import DigitModel

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.served_loop", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "digits.onnx")
    args = parser.parse_args(argv)
    images = make_inputs(small=64, photos=8, scans=1).images[args.kind]
    model, reader = DigitModel.load(args.model), reader_beside(args.model)
    count, end = 0, time.monotonic() + args.seconds
    while time.monotonic() < end:
        served(model, reader, [images[count % len(images)]])
        count += 1
    print(f"{args.kind}: {count} images, {args.seconds * 1e6 / count:,.0f} µs each")


if __name__ == "__main__":
    main()
