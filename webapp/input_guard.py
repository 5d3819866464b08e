"""Hostile input stops at the door. Before any view, query or log sees it, a request whose
path, query or form (names included) carries a control character or bytes that are not
UTF-8 gets a 400, and one with a value longer than any field needs gets a 413, each with
a clear message; an integer in the path past what the database holds is a 404.
PostgreSQL refuses NUL in text, so without this a NUL in an e-mail address was a 500 deep
inside a query.

This is the floor under every form, present and future; the services keep their own,
tighter rules per field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider

from webapp.errors import render_error

# C0 controls except TAB, LF and CR (a textarea sends CRLF), DEL and C1 controls; lone
# surrogates, and U+FFFD, which is what bytes that are not UTF-8 decode to.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_PLAIN_NAME = re.compile(r"[a-z][a-z_]{0,39}")
# The database stores integers as BIGINT: a larger number in a path is nothing we have.
_BIGINT = range(-(2**63), 2**63)

INVALID = (
    "Isian tidak dapat diproses",
    "Isian atau alamat halaman berisi karakter yang tidak diizinkan, misalnya karakter "
    "kontrol. Hapus karakter itu, atau ketik ulang isiannya, lalu coba lagi.",
)
TOO_LONG = (
    "Isian terlalu panjang",
    "Salah satu isian melebihi {limit} karakter. Persingkat isian Anda lalu coba lagi.",
)


def init_app(app: Flask) -> None:
    # Registered before the other extensions so that it runs first.
    app.before_request(refuse_hostile_input)
    app.json = GuardedJSON(app)


# JSON bodies (Web Push subscriptions) are a few levels deep.
MAX_JSON_DEPTH = 20


class GuardedJSON(DefaultJSONProvider):
    """A JSON body gets the same floor as a form: a document nested past MAX_JSON_DEPTH
    (deep enough, `[[[…]]]` makes the parser raise RecursionError, a 500) or a string
    with a character _FORBIDDEN (PostgreSQL refuses NUL) is not JSON to the app: a
    ValueError, which request.get_json() turns into its 400 (or None when silent)."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        _check_json(data)
        return data


def _check_json(data: object) -> None:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError("JSON nested too deeply")
        if isinstance(value, str):
            if _FORBIDDEN.search(value):
                raise ValueError("a forbidden character in JSON")
        elif isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def refuse_hostile_input():
    _limit_body_without_files()
    limit = current_app.config["MAX_VALUE_LENGTH"]
    for place, raw in _encoded_inputs():
        if not _is_utf8(raw):
            _log("bytes that are not UTF-8", place)
            return render_error(400, *INVALID)
    for place, value in _inputs():
        if _FORBIDDEN.search(value):
            _log("a forbidden character", place)
            return render_error(400, *INVALID)
        if len(value) > limit:
            _log(f"a value over {limit} characters", place)
            title, text = TOO_LONG
            return render_error(413, title, text.format(limit=limit))
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value not in _BIGINT:
            return render_error(404)
    return None


def _limit_body_without_files() -> None:
    """MAX_CONTENT_LENGTH leaves room for a claim's documents; only a form that can carry
    files (multipart) gets it. Any other body stays within MAX_FORM_MEMORY_SIZE: a few
    megabytes of `a=1&a=1…` would hold a worker for seconds while it is taken apart."""
    if request.mimetype != "multipart/form-data":
        request.max_content_length = current_app.config["MAX_FORM_MEMORY_SIZE"]


def _encoded_inputs() -> Iterator[tuple[str, bytes]]:
    """Werkzeug keeps percent-escapes that are not UTF-8 as they are (`%FF` stays the text
    `%FF`) and drops an undecodable form altogether: look at the bytes themselves."""
    yield "query", request.query_string
    if request.mimetype == "application/x-www-form-urlencoded":
        yield "form", request.get_data(cache=True)  # still there for request.form


def _is_utf8(encoded: bytes) -> bool:
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _inputs() -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text the client chose."""
    yield "path", request.path
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):  # a converter may have made something else of the path
            yield f"path argument {_name(name)}", value
    for name, value in request.args.items(multi=True):
        yield f"query name {_name(name)}", name
        yield f"query {_name(name)}", value
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for name, value in request.form.items(multi=True):
            yield f"form name {_name(name)}", name
            yield f"form field {_name(name)}", value
        for name, upload in request.files.items(multi=True):
            yield f"upload name {_name(name)}", name
            yield f"upload {_name(name)}", upload.filename or ""


def _name(name: str) -> str:
    # Only a plain field name goes into the log: any other may be personal data (a NIK
    # typed as a name) or forge log lines.
    return repr(name) if _PLAIN_NAME.fullmatch(name) else "(unprintable)"


def _log(what: str, place: str) -> None:
    # Where, never the value: it may be a NIK, an e-mail address or a password.
    current_app.logger.warning(
        "Refused %s %s: %s in the %s", request.method, request.endpoint, what, place
    )
