"""Command-line PATHs (local paths or filesystem URIs) → the files to read, before any is read.

The Ray engine lists on the driver and hands the file names to `ray.data.read_binary_files`;
the local engine reads URI inputs through the same listing. URIs (`s3://…`, `gs://…`,
`file://…`, any scheme) go through pyarrow's filesystems, then fsspec's (`pip install
'digits-client[parquet]'` brings pyarrow). A row names a file the way the user named its root:
`s3://bucket/scans/a.png`, `scans/a.png`.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from digits_client.sources import (
    IMAGE_SUFFIXES,
    Limits,
    SourceError,
    SourceItem,
    bytes_items,
    read_bounded,
    source_error,
    walk_images,
)

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
NO_PYARROW = "filesystem URIs need pyarrow: pip install 'digits-client[parquet]' (or '.[ray]')"


def is_uri(arg: str) -> bool:
    return bool(URI.match(arg))


@dataclass(frozen=True)
class FileEntry:
    """One file to read: its name on its filesystem and its name in the rows."""

    fs_path: str
    source: str
    size: int


@dataclass
class FileGroup:
    """Files on one filesystem (`filesystem` None: the local disk)."""

    filesystem: Any
    files: list[FileEntry] = field(default_factory=list)


@dataclass
class Listing:
    """What a run will read: files by filesystem, roots (fs name → row name), error rows."""

    groups: dict[str, FileGroup] = field(default_factory=dict)
    roots: list[tuple[str, str]] = field(default_factory=list)
    errors: list[SourceItem] = field(default_factory=list)

    def files(self) -> Iterator[tuple[Any, FileEntry]]:
        for group in self.groups.values():
            for entry in group.files:
                yield group.filesystem, entry

    @property
    def count(self) -> int:
        return sum(len(group.files) for group in self.groups.values())


def open_uri(uri: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path on it) for a URI: pyarrow's own, else fsspec's wrapped."""
    try:
        from pyarrow import fs as pafs
    except ImportError as exc:
        raise SystemExit(f"digits: {NO_PYARROW}") from exc
    try:
        return pafs.FileSystem.from_uri(uri)
    except (pafs.ArrowInvalid, pafs.ArrowNotImplementedError, ValueError):
        import fsspec  # the fallback for schemes pyarrow has no native filesystem for

        filesystem, path = fsspec.core.url_to_fs(uri)
        return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), path


def wanted(name: str) -> bool:
    """A folder's file that is an image or a zip and not hidden (as `walk_images`)."""
    parts = PurePosixPath(name).parts
    suffix = PurePosixPath(name).suffix.lower()
    return not any(p.startswith(".") for p in parts) and (
        suffix in IMAGE_SUFFIXES or suffix == ".zip"
    )


def too_large(source: str, size: int, limits: Limits) -> SourceItem | None:
    if size <= limits.max_bytes:
        return None
    detail = f"The file is {size:,} bytes; the limit is {limits.max_bytes:,}."
    return SourceItem(source, error=source_error("file_too_large", detail))


def list_sources(args: list[str], *, limits: Limits = Limits()) -> Listing:
    """Every file under `args` in a stable order; missing or too large ones as error rows."""
    listing = Listing()
    for arg in args:
        if is_uri(arg):
            list_uri(arg, listing, limits)
        else:
            list_local(Path(arg), listing, limits)
    return listing


def add(listing: Listing, key: str, filesystem: Any, entry: FileEntry, limits: Limits) -> None:
    error = too_large(entry.source, entry.size, limits)
    if error is not None:
        listing.errors.append(error)
        return
    listing.groups.setdefault(key, FileGroup(filesystem)).files.append(entry)


def list_local(path: Path, listing: Listing, limits: Limits) -> None:
    source = str(path)
    if not path.exists():
        detail = f"No such file or folder: {path}"
        listing.errors.append(SourceItem(source, error=source_error("not_found", detail)))
        return
    listing.roots.append((os.path.abspath(source), source))
    files = walk_images(path) if path.is_dir() else [path]
    for file in files:
        try:
            size = file.stat().st_size
        except OSError as exc:
            error = source_error("unreadable", f"Cannot read {file}: {exc}")
            listing.errors.append(SourceItem(str(file), error=error))
            continue
        entry = FileEntry(os.path.abspath(str(file)), str(file), size)
        add(listing, "local", None, entry, limits)


def list_uri(uri: str, listing: Listing, limits: Limits) -> None:
    from pyarrow import fs as pafs

    uri = uri.rstrip("/")
    filesystem, root = open_uri(uri)
    root = root.rstrip("/") or "/"
    info = filesystem.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        detail = f"No such file or folder: {uri}"
        listing.errors.append(SourceItem(uri, error=source_error("not_found", detail)))
        return
    listing.roots.append((root, uri))
    key = uri.split("://", 1)[0] + "://" + uri.split("://", 1)[1].split("/", 1)[0]
    if info.type != pafs.FileType.Directory:
        add(listing, key, filesystem, FileEntry(root, uri, info.size or 0), limits)
        return
    found = filesystem.get_file_info(pafs.FileSelector(root, recursive=True))
    for item in sorted(found, key=lambda i: i.path):
        relative = item.path[len(root) :].lstrip("/")
        if item.type == pafs.FileType.File and wanted(relative):
            entry = FileEntry(item.path, f"{uri}/{relative}", item.size or 0)
            add(listing, key, filesystem, entry, limits)


def display_name(fs_path: str, roots: list[tuple[str, str]]) -> str:
    """A file's row name from its filesystem name: the longest matching root is swapped in."""
    best = ("", fs_path)
    for fs_root, display in roots:
        matches = fs_path == fs_root or fs_path.startswith(fs_root.rstrip("/") + "/")
        if matches and len(fs_root) > len(best[0]):
            best = (fs_root, display + fs_path[len(fs_root) :])
    return best[1]


def uri_items(uri: str, *, skip: Any, limits: Limits) -> Iterator[SourceItem]:
    """The local engine's items under one URI, read one file at a time."""
    listing = Listing()
    list_uri(uri, listing, limits)
    for item in listing.errors:
        if not skip(item.source):
            yield item
    for filesystem, entry in listing.files():
        plain = PurePosixPath(entry.source).suffix.lower() not in {".zip", ".tif", ".tiff"}
        if plain and skip(entry.source):
            continue
        try:
            with filesystem.open_input_stream(entry.fs_path) as handle:
                data = read_bounded(handle, limits.max_bytes)
        except SourceError as exc:
            yield SourceItem(entry.source, error=exc)
            continue
        except OSError as exc:
            error = source_error("unreadable", f"Cannot read {entry.source}: {exc}")
            yield SourceItem(entry.source, error=error)
            continue
        yield from bytes_items(entry.source, data, skip=skip, limits=limits)


def iter_args(
    args: list[str], *, skip: Any = lambda _source: False, limits: Limits = Limits()
) -> Iterator[SourceItem]:
    """`sources.iter_items` for command-line arguments that may also be URIs."""
    from digits_client.sources import iter_items

    for arg in args:
        if is_uri(arg):
            yield from uri_items(arg, skip=skip, limits=limits)
        else:
            yield from iter_items([Path(arg)], skip=skip, limits=limits)
