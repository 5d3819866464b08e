"""The documents of a claim (KTP, buku tabungan, bukti alasan): accepted only when their
content is a JPG, PNG or PDF of at most 2 MB, whatever the file's name or declared type
says; kept outside static/ under UPLOAD_DIR with random names; served only as downloads.

A lower-floor module: it knows files, not accounts. Whoever calls send() has checked that
the user may see the document; whoever calls store() keeps the name it returns."""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import Response, abort, current_app
from PIL import Image
from werkzeug.datastructures import FileStorage

MAX_BYTES = 2 * 1024 * 1024
ACCEPTED = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
# Decoding an image takes about 3 bytes of memory a pixel: a 24-megapixel camera's photo
# passes, a small file that claims a huge canvas (a decompression bomb) does not.
MAX_PIXELS = 25_000_000
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Writers put a line break, or a few bytes of padding, after the last %%EOF.
_PDF_TAIL = 1024
# Exactly what store() makes: nothing else can name a path, inside UPLOAD_DIR or out.
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|pdf)")
# Content-Disposition carries only these, so no quote or line break can break the header.
_UNSAFE_IN_DOWNLOAD_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# The document is not a page of this site: no script, no plugin, no same-origin access,
# and no other site may embed it.
_DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store, private",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class Checked:
    """A file whose content proved to be one of ACCEPTED."""

    data: bytes
    content_type: str
    extension: str


def check(file: FileStorage | None, label: str) -> Checked | str:
    """The upload as Checked, or why not, as a sentence for the field labelled `label`."""
    data = _read_at_most(file, MAX_BYTES + 1) if file is not None else b""
    if not data:
        return f"Pilih berkas {label} (foto JPG/PNG atau PDF, paling besar 2 MB)."
    if len(data) > MAX_BYTES:
        return f"Berkas {label} lebih dari 2 MB. Perkecil ukurannya lalu pilih lagi."
    content_type = filetype.guess_mime(data)
    if content_type not in ACCEPTED:
        return _not_accepted(label)
    return _content_problem(data, content_type, label) or Checked(
        data, content_type, ACCEPTED[content_type]
    )


def store(checked: Checked) -> str:
    """Write the document under UPLOAD_DIR and return the name it is kept under."""
    directory = _upload_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{checked.extension}"
    # mkstemp creates the file readable by this user only (0600). Written in full before
    # it takes its name, so no reader ever sees half a document.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(checked.data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def remove(stored_name: str) -> None:
    """Delete a stored document, e.g. when the transaction that recorded it failed."""
    _stored_path(stored_name).unlink(missing_ok=True)


def send(stored_name: str, content_type: str, download_name: str) -> Response:
    """The document as a download that a browser never renders as part of this site."""
    if not _STORED_NAME.fullmatch(stored_name):
        abort(404)
    if ACCEPTED.get(content_type) != stored_name.rsplit(".", 1)[1]:
        # The type was recorded from the same check that named the file: a mismatch is a bug.
        raise ValueError(f"{content_type!r} is not the type of {stored_name}")
    try:
        data = _stored_path(stored_name).read_bytes()
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=content_type, headers=_DOCUMENT_HEADERS)
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(download_name)}"'
    return response


def _read_at_most(file: FileStorage, limit: int) -> bytes:
    # A stream may hand out less than asked before its end; never more than limit is read,
    # however large the upload.
    chunks, size = [], 0
    while size < limit:
        chunk = file.stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _not_accepted(label: str) -> str:
    return f"Berkas harus berupa foto JPG/PNG atau PDF. Pilih lagi berkas {label}."


def _content_problem(data: bytes, content_type: str, label: str) -> str | None:
    """filetype looked only at the first bytes: the rest must agree."""
    if content_type == "application/pdf":
        return _pdf_problem(data, label)
    return _image_problem(data, _PILLOW_FORMATS[content_type], label)


def _pdf_problem(data: bytes, label: str) -> str | None:
    # Not a parse (that would bring in a PDF library): a PDF starts with its header and
    # ends with its %%EOF marker, which a renamed or cut-off file does not.
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-_PDF_TAIL:]:
        return None
    return _not_accepted(label)


def _image_problem(data: bytes, pillow_format: str, label: str) -> str | None:
    """None when the image decodes in full: magic bytes before garbage are not an image."""
    too_large = f"Resolusi gambar {label} terlalu besar. Perkecil gambarnya lalu pilih lagi."
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            if image.width * image.height > MAX_PIXELS:
                return too_large
            image.verify()  # every chunk's checksum (PNG)
        # verify() leaves the image unusable: decode a fresh one, pixel by pixel.
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit, far above ours, stops the image before its size is read.
        return too_large
    except Exception:  # hostile bytes fail a decoder in many ways (OSError, SyntaxError…)
        return _not_accepted(label)
    return None


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _stored_path(stored_name: str) -> Path:
    if not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a name that store() made")
    return _upload_dir() / stored_name


def _safe(download_name: str) -> str:
    return _UNSAFE_IN_DOWNLOAD_NAME.sub("_", download_name).strip("._") or "dokumen"
