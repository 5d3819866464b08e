"""Small request/response helpers for htmx, in the manner of django-htmx."""

from __future__ import annotations

import json

from flask import Response, make_response, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_boosted() -> bool:
    return request.headers.get("HX-Boosted") == "true"


def target() -> str | None:
    return request.headers.get("HX-Target")


def vary(rv: object) -> Response:
    """Responses that differ for htmx must not be cached as one."""
    response = make_response(rv)
    response.vary.add("HX-Request")
    return response


def redirect(response: Response, url: str) -> Response:
    """Full-page navigation from an htmx request (e.g. to the login page)."""
    response.headers["HX-Redirect"] = url
    return response


def trigger(response: Response, event: str, detail: object = None) -> Response:
    existing = response.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def push_url(response: Response, url: str) -> Response:
    response.headers["HX-Push-Url"] = url
    return response
