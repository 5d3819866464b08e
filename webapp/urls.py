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
        from webapp.assets import current as assets

        # Outside a request (a mail), or asked for a host or scheme: built every time.
        if not has_request_context() or any(name.startswith("_") for name in values):
            return build(endpoint, **values)
        try:
            # A relative endpoint (".klaim") names a view of the request's own blueprint.
            blueprint = request.blueprint if endpoint.startswith(".") else None
            key = (request.script_root, assets().generation, blueprint, endpoint,
                   *sorted(values.items()))
            hash(key)
        except TypeError:  # an argument that cannot be a key: built every time
            return build(endpoint, **values)
        url = cache.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
