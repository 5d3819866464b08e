"""Claim documents (webapp/uploads.py): accepted by their content only, JPG, PNG or PDF of
at most 2 MB; kept under UPLOAD_DIR with random names, readable by the app's user only;
served as downloads that no browser renders as a page; no name reaches outside the
directory. And the request floor around them: a multipart form with a real document
passes the input guard, a body over the limit gets the 413 page."""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.test import encode_multipart

from config import BASE_DIR, INSTANCE_DIR, Config
from tests import factories
from tests.conftest import csrf_token
from webapp import uploads
from webapp.uploads import ACCEPTED, MAX_BYTES, Checked

NOT_ACCEPTED = "Berkas harus berupa foto JPG/PNG atau PDF"
TOO_BIG = "Berkas KTP lebih dari 2 MB"
TOO_MANY_PIXELS = "Resolusi gambar KTP terlalu besar"
CHOOSE = "Pilih berkas KTP"
STORED_NAME = r"[0-9a-f]{32}\.(jpg|png|pdf)"


# --- real files, made here ------------------------------------------------------------


def photo(pillow_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small picture with some detail in it, as a camera or scanner would save it."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, pillow_format)
    return out.getvalue()


def png() -> bytes:
    return photo("PNG")


def jpeg() -> bytes:
    return photo("JPEG")


def noisy_jpeg() -> bytes:
    """Mostly compressed pixels, not headers: cutting it leaves the headers whole."""
    out = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


def pillow_pdf() -> bytes:
    """A real PDF, written by Pillow's PDF writer."""
    return photo("PDF")


def minimal_pdf(size: int | None = None) -> bytes:
    """A one-page PDF by hand; with size, a comment pads it to exactly that many bytes."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    body = (
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    )
    tail = b"trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
    padding = b""
    if size is not None:
        padding = b"%" + b"x" * (size - len(head) - len(body) - len(tail) - 2) + b"\n"
    return head + padding + body + tail


def blank_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of any size: a huge canvas compresses to a few KB."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then 1 bit a pixel
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_with_garbage_pixels() -> bytes:
    """Every chunk's checksum right, so only decoding the pixels shows the forgery."""
    real = blank_png(64, 64)
    idat = real.index(b"IDAT") - 4
    return real[:idat] + _png_chunk(b"IDAT", b"\x78\x9c" + b"not deflate" * 20) + real[-12:]


def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("ktp.jpg", jpeg())
    return out.getvalue()


def upload(data: bytes, filename: str = "ktp.jpg", content_type: str = "image/jpeg"):
    """What request.files holds: the name and type are whatever the client said."""
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


# --- check: content decides -------------------------------------------------------------


@pytest.mark.parametrize(
    "data, content_type, extension",
    [
        (png(), "image/png", "png"),
        (blank_png(8, 8), "image/png", "png"),
        (jpeg(), "image/jpeg", "jpg"),
        (pillow_pdf(), "application/pdf", "pdf"),
        (minimal_pdf(), "application/pdf", "pdf"),
        (minimal_pdf() + b"\r\n" * 10, "application/pdf", "pdf"),  # padding after %%EOF
    ],
    ids=["png", "png-by-hand", "jpeg", "pdf-pillow", "pdf-minimal", "pdf-trailing-lines"],
)
def test_real_documents_are_accepted_with_the_type_their_content_has(
    data, content_type, extension
):
    checked = uploads.check(upload(data, "berkas.bin", "application/octet-stream"), "KTP")
    assert checked == Checked(data=data, content_type=content_type, extension=extension)


def test_the_content_decides_not_the_declared_type_or_name():
    checked = uploads.check(upload(minimal_pdf(), "ktp.png", "image/png"), "KTP")
    assert isinstance(checked, Checked)
    assert (checked.content_type, checked.extension) == ("application/pdf", "pdf")
    checked = uploads.check(upload(jpeg(), "ktp.pdf", "application/pdf"), "KTP")
    assert isinstance(checked, Checked)
    assert (checked.content_type, checked.extension) == ("image/jpeg", "jpg")


HOSTILE = {
    "html-renamed-jpg": b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
    "svg-renamed-jpg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "png-truncated": png()[: len(png()) // 2],
    "png-without-its-end": png()[:-12],
    "png-header-then-junk": png()[:33] + b"\xde\xad\xbe\xef" * 100,
    "png-signature-then-html": b"\x89PNG\r\n\x1a\n<script>alert(1)</script>",
    "jpeg-truncated": jpeg()[: len(jpeg()) // 2],
    "jpeg-cut-in-its-pixels": noisy_jpeg()[: len(noisy_jpeg()) * 3 // 4],
    "png-with-garbage-pixels": png_with_garbage_pixels(),
    "jpeg-magic-then-html": b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",
    "gif-polyglot": b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain);//;",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
    "zip": zip_file(),
    "pdf-without-eof": minimal_pdf()[:-7],
    "pdf-header-not-first": b"<html>" + minimal_pdf(),
    "pdf-magic-without-version": b"%PDF<html><script>alert(1)</script></html>\n%%EOF\n",
    "text": "KTP Budi Santoso 3171012301900001".encode(),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("filename, content_type", [("ktp.jpg", "image/jpeg"),
                                                    ("ktp.pdf", "application/pdf")])
def test_content_that_is_not_a_whole_jpg_png_or_pdf_is_refused(data, filename, content_type):
    message = uploads.check(upload(data, filename, content_type), "KTP")
    assert isinstance(message, str)
    assert message.startswith(NOT_ACCEPTED)
    assert "KTP" in message


@pytest.mark.parametrize(
    "file",
    [None, upload(b""), FileStorage(io.BytesIO(b""), filename="", name="ktp")],
    ids=["no-part", "empty-file", "nothing-chosen"],
)
def test_no_file_or_an_empty_one_asks_for_a_file(file):
    message = uploads.check(file, "KTP")
    assert isinstance(message, str) and message.startswith(CHOOSE)


def test_the_label_names_the_field_in_every_message():
    assert uploads.check(None, "buku tabungan").startswith("Pilih berkas buku tabungan")
    too_big = uploads.check(upload(minimal_pdf(MAX_BYTES + 1)), "bukti alasan")
    assert too_big.startswith("Berkas bukti alasan lebih dari 2 MB")


def test_exactly_2_mb_is_accepted_one_byte_more_is_refused():
    at_limit, over = minimal_pdf(MAX_BYTES), minimal_pdf(MAX_BYTES + 1)
    assert (len(at_limit), len(over)) == (2 * 1024 * 1024, 2 * 1024 * 1024 + 1)
    assert isinstance(uploads.check(upload(at_limit), "KTP"), Checked)
    message = uploads.check(upload(over), "KTP")
    assert isinstance(message, str) and message.startswith(TOO_BIG)


class CountingStream(io.RawIOBase):
    """An endless upload that hands out at most `chunk` bytes a read and counts them."""

    def __init__(self, start: bytes, chunk: int = 64 * 1024) -> None:
        self.start, self.chunk, self.handed_out = start, chunk, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            raise AssertionError("the whole stream was asked for")
        size = min(size, self.chunk)
        data = (self.start[self.handed_out :] + b"x" * size)[:size]
        self.handed_out += len(data)
        return data


def test_a_huge_upload_is_read_no_further_than_the_limit():
    stream = CountingStream(minimal_pdf())
    message = uploads.check(FileStorage(stream, filename="ktp.pdf"), "KTP")
    assert isinstance(message, str) and message.startswith(TOO_BIG)
    assert stream.handed_out == MAX_BYTES + 1


class TricklingStream(io.RawIOBase):
    """A stream that hands out its content a few bytes at a time, as a socket may."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece, self.data = self.data[:7], self.data[7:]
        return piece


def test_a_stream_that_hands_out_little_at_a_time_is_read_in_full():
    data = minimal_pdf()
    checked = uploads.check(FileStorage(TricklingStream(data), filename="ktp.pdf"), "KTP")
    assert isinstance(checked, Checked) and checked.data == data


@pytest.mark.parametrize(
    "width, height",
    [(5001, 5001), (10_000, 10_000), (20_000, 20_000)],
    ids=["over-our-limit", "over-pillows-warning", "over-pillows-error"],
)
def test_a_tiny_file_with_a_huge_canvas_is_refused(width, height):
    bomb = blank_png(width, height)
    assert len(bomb) < 200_000, "small on the wire, huge once decoded"
    message = uploads.check(upload(bomb, "ktp.png", "image/png"), "KTP")
    assert isinstance(message, str) and message.startswith(TOO_MANY_PIXELS)


def test_a_canvas_just_under_the_pixel_limit_is_accepted():
    assert isinstance(uploads.check(upload(blank_png(5000, 5000)), "KTP"), Checked)


def test_the_accepted_types_are_exactly_jpg_png_and_pdf():
    assert ACCEPTED == {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
    assert MAX_BYTES == 2 * 1024 * 1024


# --- store and remove -------------------------------------------------------------------


def stored_path(app, name: str) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / name


def test_store_writes_the_bytes_under_a_random_name_readable_by_the_app_only(app):
    checked = uploads.check(upload(jpeg(), "../../static/KTP Budi.jpg"), "KTP")
    name = uploads.store(checked)
    assert re.fullmatch(STORED_NAME, name) and name.endswith(".jpg")
    path = stored_path(app, name)
    assert path.read_bytes() == checked.data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Budi" not in name and "ktp" not in name.lower()
    assert uploads.store(checked) != name, "every document gets a name of its own"


def test_the_upload_directory_is_outside_static_and_made_private(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "fresh" / "uploads"))
    name = uploads.store(uploads.check(upload(png()), "KTP"))
    directory = tmp_path / "fresh" / "uploads"
    assert (directory / name).is_file()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == [name], "no temporary file left"


def test_the_default_upload_directory_is_in_instance_not_static():
    default = Path(Config.UPLOAD_DIR)
    assert default == INSTANCE_DIR / "uploads"
    assert not default.is_relative_to(BASE_DIR / "static")


def test_upload_dir_comes_from_the_environment(tmp_path):
    code = "import config; print(config.ProductionConfig.UPLOAD_DIR)"
    env = {**os.environ, "UPLOAD_DIR": str(tmp_path / "gedung-b")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True,
        check=True,
    )
    assert result.stdout.strip() == str(tmp_path / "gedung-b")


def test_a_failed_write_leaves_nothing_behind(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        uploads.store(uploads.check(upload(png()), "KTP"))
    assert list(tmp_path.iterdir()) == []


def test_remove_deletes_the_document_and_a_missing_one_is_fine(app):
    name = uploads.store(uploads.check(upload(minimal_pdf()), "KTP"))
    uploads.remove(name)
    assert not stored_path(app, name).exists()
    uploads.remove(name)  # already gone: the caller's clean-up must not fail


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "x.jpg"])
def test_remove_refuses_a_name_store_did_not_make(app, name):
    with pytest.raises(ValueError):
        uploads.remove(name)


# --- send ---------------------------------------------------------------------------------


def test_send_serves_the_document_as_a_download_that_never_renders(app):
    data = pillow_pdf()
    name = uploads.store(uploads.check(upload(data), "KTP"))
    with app.test_request_context():
        response = uploads.send(name, "application/pdf", "KTP.pdf")
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="KTP.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store, private"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_app_wide_headers_keep_the_documents_own_policy(app):
    name = uploads.store(uploads.check(upload(png()), "KTP"))
    with app.test_request_context():
        response = app.process_response(uploads.send(name, "image/png", "ktp.png"))
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "download_name, header",
    [
        ('ktp".html', 'attachment; filename="ktp_.html"'),
        ("ktp\r\nSet-Cookie: a=b.jpg", 'attachment; filename="ktp_Set-Cookie_a_b.jpg"'),
        ("../../KTP Budi.jpg", 'attachment; filename="KTP_Budi.jpg"'),
        ("", 'attachment; filename="dokumen"'),
    ],
)
def test_the_download_name_cannot_break_the_header(app, download_name, header):
    name = uploads.store(uploads.check(upload(jpeg()), "KTP"))
    with app.test_request_context():
        response = uploads.send(name, "image/jpeg", download_name)
    assert response.headers["Content-Disposition"] == header


def traversal_names(app) -> list[str]:
    real = uploads.store(uploads.check(upload(png()), "KTP"))
    return [
        "../../etc/passwd",
        "x.jpg",
        "/etc/passwd",
        str(stored_path(app, real)),  # the absolute path of a real document
        "../" + real,
        real.upper(),
        real + "\n",
        real[:-4] + ".html",
        "." + real + ".part",
        "0" * 32 + ".jpg/../../../etc/passwd",
        "%2e%2e%2f" * 3 + "etc%2fpasswd",
    ]


def test_send_refuses_every_name_that_store_did_not_make(app):
    for name in traversal_names(app):
        with app.test_request_context(), pytest.raises(NotFound):
            uploads.send(name, "image/png", "ktp.png")


def test_send_answers_404_for_a_document_that_is_gone(app):
    with app.test_request_context(), pytest.raises(NotFound):
        uploads.send("0" * 32 + ".pdf", "application/pdf", "ktp.pdf")


def test_send_refuses_a_type_other_than_the_one_stored(app):
    name = uploads.store(uploads.check(upload(jpeg()), "KTP"))
    with app.test_request_context(), pytest.raises(ValueError):
        uploads.send(name, "text/html", "ktp.html")


# --- the request floor: multipart forms -------------------------------------------------


@pytest.fixture
def member(app):
    person = factories.person()
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def login_with_files(client, files: dict[str, tuple[bytes, str]], **headers):
    """The login form sent as multipart with documents attached: no view takes files yet,
    and this one answers 303 only when the request got past the input guard and CSRF."""
    fields = {"email": "budi@contoh.id", "password": factories.PASSWORD,
              "csrf_token": csrf_token(client)}
    return post_multipart(client, fields, files, **headers)


def post_multipart(client, fields: dict[str, str], files: dict[str, tuple[bytes, str]],
                   **headers):
    # Encoded here, in memory: the test client would spool a large body to a temporary
    # file that it never closes.
    values = {**fields, **{name: FileStorage(io.BytesIO(content), filename)
                           for name, (content, filename) in files.items()}}
    boundary, body = encode_multipart(values)
    return client.post("/masuk", data=body, headers=headers,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


def test_only_a_form_with_files_may_be_large(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 7 * 1024 * 1024, "three 2 MB documents fit"
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 64 * 1024, "the limit before documents"


def test_a_real_pdf_in_a_multipart_form_passes_the_input_guard(client, member):
    pdf = pillow_pdf()
    assert b"\x00" in png() and any(byte > 0x7F for byte in pdf), "binary, not UTF-8 text"
    response = login_with_files(client, {"ktp": (pdf, "ktp.pdf"), "buku": (png(), "b.png")})
    assert response.status_code == 303


def test_three_documents_of_2_mb_fit_in_one_request(client, member):
    files = {field: (minimal_pdf(MAX_BYTES), f"{field}.pdf") for field in ("a", "b", "c")}
    assert login_with_files(client, files).status_code == 303


def test_the_name_of_an_upload_is_still_guarded(client, member):
    response = login_with_files(client, {"ktp": (pillow_pdf(), "ktp\x00.pdf")})
    assert response.status_code == 400
    assert "karakter yang tidak diizinkan" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_form_over_the_limit_gets_the_413_page(app, client, member, htmx):
    over = app.config["MAX_CONTENT_LENGTH"] // 3 + 1
    files = {field: (b"%" * over, f"{field}.pdf") for field in ("a", "b", "c")}
    response = login_with_files(client, files, **({"HX-Request": "true"} if htmx else {}))
    assert response.status_code == 413
    assert "Isian terlalu besar" in response.get_data(as_text=True)
    if htmx:
        assert response.headers["HX-Reswap"] == "none"


def test_a_form_without_files_keeps_the_small_limit(app, client, member):
    body = b"csrf_token=x&" + b"a=1&" * (app.config["MAX_FORM_MEMORY_SIZE"] // 4)
    response = client.post("/masuk", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Isian terlalu besar" in response.get_data(as_text=True)


def test_a_text_field_of_a_multipart_form_keeps_the_small_limit(app, client, member):
    fields = {"email": "a" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)}
    response = post_multipart(client, fields, {"ktp": (pillow_pdf(), "ktp.pdf")})
    assert response.status_code == 413
    assert "Isian terlalu besar" in response.get_data(as_text=True)
