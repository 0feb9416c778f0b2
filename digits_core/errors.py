"""Image and input errors with a stable machine-readable code and an HTTP status.

Raised anywhere (imaging, segmentation, transport); `service.errors` adds the HTTP-only ones
(auth, overload, not ready, not found) and turns every error into a v1 or v2 body, the CLI into
an error column.
"""


class DigitsError(Exception):
    """Base error: `code` is stable for clients, `detail` is a sentence for people."""

    code = "error"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidImage(DigitsError):
    code = "invalid_image"


class InvalidBase64(DigitsError):
    code = "invalid_base64"


class InvalidPixels(DigitsError):
    code = "invalid_pixels"


class EmptyBody(DigitsError):
    code = "empty_body"


class PayloadTooLarge(DigitsError):
    code = "payload_too_large"
    status = 413


class ImageTooLarge(DigitsError):
    code = "image_too_large"
    status = 413


class BatchTooLarge(DigitsError):
    code = "batch_too_large"
    status = 413


class UnsupportedMediaType(DigitsError):
    code = "unsupported_media_type"
    status = 415


class RequestValidationFailed(DigitsError):
    code = "validation_error"
    status = 422
