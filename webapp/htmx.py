"""Small request/response helpers for htmx, in the manner of django-htmx."""

from __future__ import annotations

from flask import Response, make_response, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


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
