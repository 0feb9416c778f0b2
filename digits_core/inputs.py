"""An image as a client sent it, not decoded yet: file bytes, base64 text or a pixel array."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal

from digits_core.errors import InvalidBase64, InvalidImage

IMAGE_PREFIX = "image/"


@dataclass(frozen=True, slots=True)
class RawImage:
    """One image as the client sent it, not decoded yet.

    `kind` says what `payload` holds: image file bytes, base64 text (or a data URL), or a
    28×28 nested list of MNIST-convention pixels.
    """

    kind: Literal["bytes", "base64", "pixels"]
    payload: Any
    filename: str | None = None

    def image_bytes(self) -> bytes:
        """The encoded image file (PNG, JPEG, ...); raises InvalidBase64/InvalidImage."""
        if self.kind == "bytes":
            return self.payload
        if self.kind == "base64":
            return decode_base64_image(self.payload)
        raise InvalidImage("This item is a pixel array, not an image file.")


def decode_base64_image(text: object) -> bytes:
    """Plain base64 or a `data:image/...;base64,` URL → image bytes."""
    if not isinstance(text, str):
        raise InvalidBase64("An image must be a base64 string or a data URL.")
    if text.startswith("data:"):
        header, comma, text = text.partition(",")
        if not comma:
            raise InvalidBase64("The data URL has no ',' before its data.")
        mime, *params = header[5:].split(";")
        if "base64" not in (p.strip().lower() for p in params):
            raise InvalidBase64("The data URL must be base64-encoded (';base64,').")
        if mime.strip() and not mime.strip().lower().startswith(IMAGE_PREFIX):
            raise InvalidImage(f"The data URL's type is '{mime}'; it must be an image/* type.")
    if not text.strip():
        raise InvalidBase64("The base64 image data is empty.")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    # Tolerate line breaks and missing padding, as many encoders produce them.
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidBase64("The image is not valid base64.") from exc
