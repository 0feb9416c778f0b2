"""Image factories for CLI/client tests: MNIST test digits rendered as dark-on-light scans."""

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def scan(digit: np.ndarray, size: int = 112) -> Image.Image:
    """An MNIST digit (white on black) as a grayscale 'scan': dark ink on white paper, upscaled."""
    return Image.fromarray(255 - digit).resize((size, size), Image.Resampling.BILINEAR)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_scan_folder(root: Path, images: np.ndarray, labels: np.ndarray) -> dict[str, int]:
    """Write PNG, JPEG (nested), zip, 3-page TIFF and corrupt inputs; return source → label.

    The corrupt file, the zip bomb member and the zip's text member map to -1 (error rows).
    """
    (root / "nested").mkdir(parents=True)
    expected: dict[str, int] = {}
    scan(images[0]).save(root / "a.png")
    expected[str(root / "a.png")] = int(labels[0])
    scan(images[1]).convert("RGB").save(root / "nested" / "b.jpg", quality=95)
    expected[str(root / "nested" / "b.jpg")] = int(labels[1])
    archive = root / "batch.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for index in (2, 3):
            zf.writestr(f"forms/m{index}.png", png_bytes(scan(images[index])))
            expected[f"{archive}:forms/m{index}.png"] = int(labels[index])
        # 3 MB of zeros deflates to a few KB: a small zip bomb for a 2 MB member limit.
        zf.writestr("bomb.png", b"\0" * 3_000_000)
        expected[f"{archive}:bomb.png"] = -1
    tiff = root / "scan.tif"
    pages = [scan(images[index]) for index in (4, 5, 6)]
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    for page, index in enumerate((4, 5, 6), start=1):
        expected[f"{tiff}#page{page}"] = int(labels[index])
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    expected[str(root / "corrupt.png")] = -1
    # Not an image suffix: folders skip it rather than report it.
    (root / "notes.txt").write_text("not a scan")
    return expected


def make_number_scans(root: Path, images: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """Multi-digit numbers (MNIST digits side by side, dark on light); return source → text."""
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    for k, indices in enumerate([(0, 1, 2), (3, 4, 5, 6), (10, 11, 12)]):
        strip = np.concatenate([np.pad(images[i], ((8, 8), (6, 6))) for i in indices], axis=1)
        height, width = strip.shape
        path = root / f"number{k}.png"
        Image.fromarray(255 - strip).resize((width * 3, height * 3)).save(path)
        expected[str(path)] = "".join(str(labels[i]) for i in indices)
    return expected
