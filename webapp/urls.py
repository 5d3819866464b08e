"""url_for for templates, remembered: a page builds the same links on every view (the tab
bar, the shortcuts, the fingerprinted static files, a card's address), and Werkzeug's
builder cost a tenth of a page's rendering.

A URL depends only on the endpoint (with the request's blueprint, for a relative one), its
arguments, the script root the app is mounted at and, for a static file, the fingerprints
of the files (webapp/assets.py), which change only when a file does: those are the key. The cache is bounded: past
MAX_ENTRIES it starts over."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request

MAX_ENTRIES = 10_000


def init_app(app: Flask) -> None:
    cache: dict[tuple, str] = {}
    build = app.url_for

    def url_for(endpoint: str, /, **values: Any) -> str:
        # Outside a request (a mail), or asked for a host or scheme: built every time.
        if not has_request_context() or any(name.startswith("_") for name in values):
            return build(endpoint, **values)
        # The request and the app once each: a page asks for a dozen links, and every
        # look through Flask's proxies costs as much as the rest of the key.
        current = request._get_current_object()  # type: ignore[attr-defined]
        try:
            # A relative endpoint (".klaim") names a view of the request's own blueprint.
            blueprint = current.blueprint if endpoint.startswith(".") else None
            key = (current.script_root, app.extensions["assets"].generation, blueprint, endpoint,
                   *(sorted(values.items()) if values else ()))
            url = cache.get(key)
        except TypeError:  # an argument that cannot be a key: built every time
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
