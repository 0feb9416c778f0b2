"""Hostile and odd inputs, all made by code: broken files, bombs, odd formats, bad JSON."""

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw

BOMB_SIDE = 30_000


def digit_image(mode: str = "L", size: tuple[int, int] = (56, 56)) -> Image.Image:
    """A dark '7' on white paper, in the given Pillow mode."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w * 0.25, h * 0.2), (w * 0.75, h * 0.2), (w * 0.4, h * 0.85)], fill=0, width=5)
    return image.convert(mode)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png() -> bytes:
    return encode(digit_image(), "PNG")


def jpeg() -> bytes:
    return encode(digit_image(), "JPEG", quality=90)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def png_bad_crc() -> bytes:
    """A PNG whose IDAT checksum is wrong (the image data itself is intact)."""
    data = bytearray(png())
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    crc_at = idat + 4 + length
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    return bytes(data)


def png_bad_header_crc() -> bytes:
    """A PNG whose IHDR checksum is wrong."""
    data = bytearray(png())
    crc_at = 8 + 8 + 13  # signature, IHDR length + type, IHDR body
    data[crc_at] ^= 0xFF
    return bytes(data)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side: int = BOMB_SIDE) -> bytes:
    """A real side×side 1-bit PNG of zeros: ~100 KB on the wire, 900 M pixels decoded."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_per_chunk = 1000
    idat = b"".join(
        compressor.compress(row * min(rows_per_chunk, side - start))
        for start in range(0, side, rows_per_chunk)
    )
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def frames() -> list[Image.Image]:
    """A '7', then two very different frames (a filled block, a ring)."""
    block = Image.new("L", (56, 56), 255)
    ImageDraw.Draw(block).rectangle([10, 10, 46, 46], fill=0)
    ring = Image.new("L", (56, 56), 255)
    ImageDraw.Draw(ring).ellipse([8, 8, 48, 48], outline=0, width=6)
    return [digit_image(), block, ring]


def animated_gif() -> bytes:
    first, *rest = [f.convert("P") for f in frames()]
    return encode(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def multipage_tiff() -> bytes:
    first, *rest = frames()
    return encode(first, "TIFF", save_all=True, append_images=rest)


def cmyk_jpeg() -> bytes:
    return encode(digit_image("CMYK"), "JPEG")


def png_16bit() -> bytes:
    image = digit_image().point(lambda v: v * 257, mode="I").convert("I;16")
    return encode(image, "PNG")


def palette_png() -> bytes:
    return encode(digit_image("P"), "PNG")


def exif_rotated_jpeg() -> bytes:
    """The '7' stored rotated 90°, with EXIF orientation 6 saying how to turn it upright."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    stored = digit_image().transpose(Image.Transpose.ROTATE_90)
    return encode(stored, "JPEG", exif=exif.tobytes())


def random_bytes(size: int = 4096) -> bytes:
    return random.Random(7).randbytes(size)


TEXT = b"This is a text file, not an image.\n" * 20
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
    b'<path d="M5 5 L23 5 L10 25" stroke="black" stroke-width="3" fill="none"/></svg>'
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 28 28]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"
)


def size_png(width: int, height: int) -> bytes:
    return encode(Image.new("L", (width, height), 255), "PNG")


def nested(depth: int) -> bytes:
    """JSON pixels nested `depth` levels deep."""
    return b'{"pixels": ' + b"[" * depth + b"]" * depth + b"}"


def pixels_json(value: str, shape: tuple[int, int] = (28, 28)) -> bytes:
    """A JSON `pixels` array of `shape` filled with the raw JSON token `value`."""
    row = "[" + ",".join([value] * shape[1]) + "]"
    return ('{"pixels": [' + ",".join([row] * shape[0]) + "]}").encode()


def huge_json(size: int = 50 * 1024 * 1024) -> bytes:
    """A syntactically fine 50 MB JSON object (one enormous base64 string)."""
    return b'{"image": "' + b"A" * size + b'"}'
