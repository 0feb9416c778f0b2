"""Expand command-line PATHs into a lazy stream of named images.

Files, folders (recursive), `.zip` members and multi-page TIFF pages each become one `SourceItem`
named the way the output file shows it: `path`, `archive.zip:member.png`, `scan.tif#page3`.
Everything is read only when the consumer pulls the next item, so memory stays bounded by
what is in flight, and a problem with one input becomes an error item, never an exception.
"""

import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
)
TIFF_SUFFIXES = frozenset({".tif", ".tiff"})
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000  # per TIFF page; the model's side checks every image again
# PNG keeps these modes losslessly; anything else (CMYK, F, ...) is re-encoded as TIFF.
PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})


class SourceError(Exception):
    """A local input that cannot be read; `code` goes into the row's error column."""

    def __init__(self, detail: str, *, code: str = "error") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


@dataclass(frozen=True)
class SourceItem:
    """One named input: its encoded image bytes, or the error that stopped us reading it."""

    source: str
    data: bytes | None = None
    error: SourceError | None = None


def source_error(code: str, detail: str) -> SourceError:
    return SourceError(detail, code=code)


def invalid_tiff(detail: str) -> SourceError:
    return SourceError(detail, code="invalid_image")


def open_tiff(data: bytes, max_pixels: int) -> Image.Image:
    """Open TIFF bytes lazily, refusing pages too large before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise source_error("image_too_large", f"The image is too large to decode: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise invalid_tiff("The TIFF file is truncated or corrupt.") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise source_error(
            "image_too_large",
            f"The image is {width}×{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,}.",
        )
    return image


@dataclass(frozen=True)
class Limits:
    """Per-input limits; zip members over `max_bytes` are refused (zip bombs)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


def iter_items(
    paths: Iterable[Path],
    *,
    skip: Callable[[str], bool] = lambda _source: False,
    limits: Limits = Limits(),
) -> Iterator[SourceItem]:
    """Yield every image under `paths` in a stable order, skipping sources `skip` accepts."""
    for path in paths:
        if path.is_dir():
            for file in walk_images(path):
                yield from file_items(file, skip, limits)
        else:
            yield from file_items(path, skip, limits)


def walk_images(folder: Path) -> Iterator[Path]:
    """Image and zip files under `folder`, recursively, sorted, hidden entries left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            suffix = Path(name).suffix.lower()
            if not name.startswith(".") and (suffix in IMAGE_SUFFIXES or suffix == ".zip"):
                yield Path(root) / name


def file_items(path: Path, skip: Callable[[str], bool], limits: Limits) -> Iterator[SourceItem]:
    """The items of one file given on the command line or found in a folder."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".zip" and path.is_file():
        yield from zip_items(path, skip, limits)
        return
    is_tiff = suffix in TIFF_SUFFIXES
    if not is_tiff and skip(source):
        return
    try:
        if not path.exists():
            raise source_error("not_found", f"No such file or folder: {path}")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise source_error(
                "file_too_large", f"The file is {size:,} bytes; the limit is {limits.max_bytes:,}."
            )
        with path.open("rb") as handle:
            data = read_bounded(handle, limits.max_bytes)
    except SourceError as exc:
        if not skip(source):
            yield SourceItem(source, error=exc)
        return
    except OSError as exc:
        if not skip(source):
            yield SourceItem(source, error=source_error("unreadable", f"Cannot read {path}: {exc}"))
        return
    if is_tiff:
        yield from tiff_items(source, data, skip, limits)
    else:
        yield SourceItem(source, data)


def read_bounded(handle: BinaryIO, max_bytes: int) -> bytes:
    """Read at most `max_bytes`; more than that is refused even if a header claimed less."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise source_error("file_too_large", f"The data is larger than {max_bytes:,} bytes.")
    return data


def zip_items(path: Path, skip: Callable[[str], bool], limits: Limits) -> Iterator[SourceItem]:
    """One item per file member of a zip file on disk."""
    yield from archive_items(str(path), path, skip, limits)


def archive_items(
    source: str, file: Path | BinaryIO, skip: Callable[[str], bool], limits: Limits
) -> Iterator[SourceItem]:
    """One item per file member; members are decompressed one at a time, bounded in size."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        if not skip(source):
            yield SourceItem(source, error=source_error("invalid_archive", f"Not a zip: {exc}"))
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            member = f"{source}:{info.filename}"
            is_tiff = Path(info.filename).suffix.lower() in TIFF_SUFFIXES
            if not is_tiff and skip(member):
                continue
            try:
                data = read_member(archive, info, limits.max_bytes)
            except SourceError as exc:
                if not skip(member):
                    yield SourceItem(member, error=exc)
                continue
            if is_tiff:
                yield from tiff_items(member, data, skip, limits)
            else:
                yield SourceItem(member, data)


def bytes_items(
    source: str,
    data: bytes,
    *,
    skip: Callable[[str], bool] = lambda _source: False,
    limits: Limits = Limits(),
) -> Iterator[SourceItem]:
    """The items of one file already read (an fsspec/Ray read): zip members, TIFF pages or it."""
    suffix = Path(source).suffix.lower()
    if suffix == ".zip":
        yield from archive_items(source, io.BytesIO(data), skip, limits)
    elif suffix in TIFF_SUFFIXES:
        yield from tiff_items(source, data, skip, limits)
    elif not skip(source):
        yield SourceItem(source, data)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """A member's bytes; refuses big members before inflating and stops if the header lied."""
    if info.file_size > max_bytes:
        raise source_error(
            "file_too_large",
            f"The archive member inflates to {info.file_size:,} bytes; the limit is {max_bytes:,}.",
        )
    try:
        with archive.open(info) as handle:
            return read_bounded(handle, max_bytes)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        raise source_error("invalid_archive", f"Cannot extract the member: {exc}") from exc


def tiff_items(
    source: str, data: bytes, skip: Callable[[str], bool], limits: Limits
) -> Iterator[SourceItem]:
    """A single-page TIFF as is; a multi-page TIFF as one re-encoded item per page."""
    try:
        image = open_tiff(data, limits.max_pixels)
        pages = getattr(image, "n_frames", 1)
    except SourceError as exc:
        if not skip(source):
            yield SourceItem(source, error=exc)
        return
    except (OSError, ValueError, SyntaxError, EOFError):
        if not skip(source):
            yield SourceItem(source, error=invalid_tiff("The TIFF file is truncated or corrupt."))
        return
    if pages == 1:
        if not skip(source):
            yield SourceItem(source, data)
        return
    for index in range(pages):
        page_source = f"{source}#page{index + 1}"
        if skip(page_source):
            continue
        try:
            yield SourceItem(page_source, encode_page(image, index, limits.max_pixels))
        except SourceError as exc:
            yield SourceItem(page_source, error=exc)


def encode_page(image: Image.Image, index: int, max_pixels: int) -> bytes:
    """Page `index` of a multi-frame image as a standalone lossless image file."""
    try:
        image.seek(index)
        width, height = image.size
        if width * height > max_pixels:
            raise source_error(
                "image_too_large",
                f"The page is {width}×{height} pixels; the limit is {max_pixels:,}.",
            )
        # Orientation is a per-page tag that a re-encoded page would lose, so apply it now.
        page = ImageOps.exif_transpose(image.copy())
        buffer = io.BytesIO()
        if page.mode in PNG_MODES:
            page.save(buffer, format="PNG")
        else:
            page.save(buffer, format="TIFF", compression="tiff_deflate")
        return buffer.getvalue()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise invalid_tiff("The TIFF page is truncated or corrupt.") from exc
