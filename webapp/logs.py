"""Logs: one JSON object a line, a request id on every line, no personal data.

Each line holds ts, level, logger, msg and, for lines written while a request is being
answered, request_id, method and path (the path only: a query string is never logged).
The access line the app writes once per request (logger "webapp.access", msg "request")
adds status and duration_ms; gunicorn's own access log stays off (gunicorn.conf.py).

The request id comes from the client's (or nginx's) X-Request-ID header when it is a
plain token, else it is made here; the answer carries it back in X-Request-ID, so that a
participant's complaint, nginx's log and the app's log meet on one id.

With LOG_JSON (production and development) the root logger writes these lines to stderr;
the tests turn it off and read records through pytest instead. Either way, every handler
this module makes masks any run of 11 or more digits (a KPJ has 11, a NIK 16) in the
message, its arguments and the traceback: a defence in depth behind code that never logs
them in the first place (tests/logcheck.py checks what a browser run logged)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import IO

from flask import Flask, Response, g, has_request_context, request

ACCESS_LOGGER = "webapp.access"
REQUEST_ID_HEADER = "X-Request-ID"

# A plain token, and never a number as long as a KPJ: an id is logged and echoed as it is.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
PERSONAL_NUMBER = re.compile(r"\d{11,}")
MASK = "[angka disamarkan]"

# What a record carries besides the standard attributes, in the order of the line.
_REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms")
_access_log = logging.getLogger(ACCESS_LOGGER)


def init_app(app: Flask) -> None:
    """The request id and the access line; with LOG_JSON, the JSON lines on stderr.

    Registered before every other before_request function, so that a request refused by
    the first of them (webapp/input_guard.py) is still given an id and logged."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    _access_log.setLevel(logging.INFO)
    if app.config.get("LOG_JSON"):
        configure(sys.stderr)


def configure(stream: IO[str]) -> logging.Handler:
    """Send every logger's lines (the app's, the libraries') to stream as JSON, at INFO.
    Once per process: a second app made in the same process reuses the handler."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "kpjku_json", False):
            return handler
    handler = json_handler(logging.StreamHandler(stream))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # A line holds none of the caller's file and line, thread or process, so none is looked
    # up for each record (the logging HOWTO's "Optimization": the caller's frame was a tenth
    # of the access line's cost, written once per request).
    logging._srcfile = None  # noqa: SLF001  # the documented switch
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.getLogger("werkzeug").addFilter(DevServerRequestLines())
    return handler


class DevServerRequestLines(logging.Filter):
    """`flask run`'s server writes a line of its own per request, query string included;
    the app's access line says the same without it. Its other lines (the address it
    listens on, its errors) stay."""

    _REQUEST_LINE = re.compile(r"\S+ - - \[")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and self._REQUEST_LINE.match(str(record.msg)))


def json_handler(handler: logging.Handler, *, mask: bool = True) -> logging.Handler:
    """handler, writing JSON lines with the request's fields and (unless mask=False, for
    the test that checks what the code itself logs) the long numbers masked."""
    handler.addFilter(RequestFields())
    if mask:
        handler.addFilter(MaskPersonalNumbers())
    handler.setFormatter(JsonFormatter())
    handler.kpjku_json = True  # type: ignore[attr-defined]
    return handler


class RequestFields(logging.Filter):
    """Puts the request's id, method and path on every record made while answering it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = request_id()
            record.method = request.method
            record.path = request.path
        return True


class MaskPersonalNumbers(logging.Filter):
    """Replaces every run of 11+ digits in the message (arguments included), the path and
    the traceback: whatever a caller passed, no KPJ or NIK reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        if isinstance(getattr(record, "path", None), str):
            record.path = mask(record.path)
        return True


def mask(text: str) -> str:
    return PERSONAL_NUMBER.sub(MASK, text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts (UTC, ISO 8601), level, logger, msg, the request's
    fields where there is a request, and exc (the traceback) where there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def request_id() -> str:
    """This request's id: the incoming X-Request-ID if it is a plain token, else a new one."""
    current = g.get("request_id")
    if current is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        current = incoming if _is_sane(incoming) else _new_id()
        g.request_id = current
    return current


def _is_sane(value: str) -> bool:
    return bool(_SANE_REQUEST_ID.fullmatch(value)) and not PERSONAL_NUMBER.search(value)


def _new_id() -> str:
    # A random hex id can hold a run of 11 decimal digits now and then; such an id would
    # look like a KPJ in the log, so another is drawn.
    while True:
        candidate = uuid.uuid4().hex
        if not PERSONAL_NUMBER.search(candidate):
            return candidate


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    current = response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    # The request's fields given here, once, rather than looked up again by RequestFields.
    _access_log.info("request", extra={
        "request_id": current, "method": request.method, "path": request.path,
        "status": response.status_code, "duration_ms": duration,
    })
    return response
