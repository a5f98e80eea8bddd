"""Photos of inspection findings: judged by their content, stored outside the database, served only in scope.

An upload is refused before it is decoded when its declared size is over ``MAX_BYTES`` (and read no further
than ``MAX_BYTES + 1`` bytes, whatever it declares); then it must **decode as a JPEG or PNG image** (Pillow:
its name and declared type are ignored — a script or an SVG named ``.jpg`` is refused), of at most
``MAX_PIXELS`` pixels (a small file unpacking into a huge bitmap is refused before it is decoded). What is
stored is the image **re-encoded** by the server in its format: its metadata (EXIF, GPS position, comments)
is dropped and nothing else that rode along in the file (a polyglot's appended HTML or script) is kept.

The file goes under ``photo_dir()`` (``PLACES_PHOTO_DIR``, the environment's ``FANGKONG_PLACES_PHOTO_DIR``,
default ``var/places/photos``; declared in ``isolated_paths`` so that tests write it in a temporary folder)
as ``<inspection>/<random token>.<jpg|png>``: nothing of the uploaded name reaches the path, so a name such
as ``../../x.jpg`` writes nowhere else. The original name is kept (its last part, 100 characters) as a
label only.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 7,000 × 5,700 photo; a phone's 12 MP photo is well under
#: Pillow format → (stored extension, content type)
KINDS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
MAX_PER_FINDING = 10


def photo_dir() -> Path:
    value = getattr(settings, "PLACES_PHOTO_DIR", None) or os.environ.get("FANGKONG_PLACES_PHOTO_DIR")
    return Path(value) if value else settings.VAR_DIR / "places" / "photos"


@dataclass(frozen=True)
class CheckedImage:
    """An upload that decoded as an allowed image, re-encoded: the bytes to store and what is known of them."""

    content: bytes
    extension: str
    content_type: str
    width: int
    height: int
    original_name: str


def label_of(name: str) -> str:
    """The last part of an uploaded name (either separator), at most 100 characters: a label, never a path."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:100]


def checked_image(upload) -> CheckedImage:
    """The upload (Django's ``UploadedFile``) judged by its content and re-encoded; ``ValidationError`` with
    the reason otherwise."""
    from PIL import Image, UnidentifiedImageError

    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(_("The photo is over %(cap)d MB.") % {"cap": MAX_BYTES // (1024 * 1024)})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The photo is over %(cap)d MB.") % {"cap": MAX_BYTES // (1024 * 1024)})
    not_an_image = ValidationError(_("This file is not a JPEG or PNG photo."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=tuple(KINDS)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ValidationError(_("The photo has more than %(cap)d million pixels.")
                                          % {"cap": MAX_PIXELS // 1_000_000})
                probe.verify()
            with Image.open(io.BytesIO(data), formats=tuple(KINDS)) as image:
                image.load()
                kind = image.format
                extension, content_type = KINDS[kind]
                out = io.BytesIO()
                if kind == "JPEG":
                    image.convert("RGB").save(out, format="JPEG", quality=88)
                else:
                    image.save(out, format="PNG")
                width, height = image.size
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError, KeyError) as exc:
        raise not_an_image from exc
    return CheckedImage(out.getvalue(), extension, content_type, width, height, label_of(upload.name))


def store(image: CheckedImage, inspection_id: int) -> str:
    """Write a checked image under ``photo_dir()``; its key (the path relative to it)."""
    key = f"{int(inspection_id)}/{secrets.token_urlsafe(18)}.{image.extension}"
    path = photo_dir() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(image.content)
    os.replace(partial, path)
    return key


def path_of(key: str) -> Path:
    """The stored file of a key written by ``store`` (refused if it would lie outside ``photo_dir()``)."""
    root = photo_dir().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise FileNotFoundError(key)
    return path


def remove(key: str) -> None:
    try:
        path_of(key).unlink()
    except FileNotFoundError:
        pass
