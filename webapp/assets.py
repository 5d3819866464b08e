"""Static files under fingerprinted names, compressed once, cached for a year; and the
service worker that precaches them.

`url_for('static', filename='css/app.css')` gives `/static/css/app.<hash>.css`: the hash
is of the file's content, so a changed file is a new URL and the old one may be cached
forever (`immutable`). The hashes are taken when the app starts (no build step, nothing
generated on disk); with ASSETS_AUTO_RELOAD (development) a changed file is seen on the
next request. The plain name still answers, revalidated on every use, for what cannot carry
a hash (the manifest's icons, a page cached before a release).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

import brotli
from flask import Flask, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from webapp import urls
from webapp.extensions import compress

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Sent compressed (brotli or gzip, best quality: each file is compressed once per release).
COMPRESSIBLE = {
    "text/css", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "image/svg+xml", "text/plain",
}
ENCODINGS = ("br", "gzip")
# What the service worker stores on install: everything a page or the offline page loads.
PRECACHED_SUFFIXES = {".css", ".js", ".png", ".svg", ".woff2"}
# Never needed offline: the back office's stylesheet (no participant's phone uses it, and
# officers' pages are never served offline) and the push switch (subscribing needs the
# network anyway); each is fetched, then cached by the browser, where its page is opened.
NOT_PRECACHED = {"css/petugas.css", "js/push.js"}
# Inlined: app.css into every page that extends base.html, card.css and statement.css into
# the card pages (the first paint then waits for no second request); the CSP allows exactly
# these contents by hash. The print pages and the offline page link them.
INLINED_STYLES = ("css/app.css", "css/card.css", "css/statement.css", "css/petugas.css")
MIMETYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript"}


@dataclass(frozen=True)
class Asset:
    name: str  # as templates ask for it: css/app.css
    digest: str
    path: Path
    stamp: tuple[int, int]  # modification time and size: unchanged, not hashed again

    @property
    def fingerprinted(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"

    @property
    def mimetype(self) -> str:
        suffix = self.path.suffix.lower()
        return MIMETYPES.get(suffix) or mimetypes.guess_type(self.name)[0] or "application/octet-stream"


class Assets:
    """The static folder's files by name and by fingerprinted name."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._by_name: dict[str, Asset] = {}
        self._by_fingerprint: dict[str, Asset] = {}
        self._bodies: dict[tuple[str, str | None], bytes] = {}
        self._lock = threading.Lock()
        self._style_hashes: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        # Counts the changes refresh() found: a URL built for a static file holds until then.
        self.generation = 0
        self.refresh()

    def refresh(self) -> None:
        """Hash new and changed files again (development: on every request)."""
        with self._lock:
            found = {}
            for path in sorted(self.folder.rglob("*")):
                if not path.is_file():
                    continue
                name = path.relative_to(self.folder).as_posix()
                status = path.stat()
                stamp = (status.st_mtime_ns, status.st_size)
                known = self._by_name.get(name)
                if known is not None and known.stamp == stamp:
                    found[name] = known
                else:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
                    found[name] = Asset(name, digest, path, stamp)
            if found != self._by_name:
                self.generation += 1
                self._by_name = found
                self._by_fingerprint = {asset.fingerprinted: asset for asset in found.values()}
                live = {asset.digest for asset in found.values()}
                self._bodies = {key: body for key, body in self._bodies.items() if key[0] in live}

    def fingerprinted(self, name: str) -> str | None:
        asset = self._by_name.get(name)
        return asset.fingerprinted if asset else None

    def find(self, filename: str) -> tuple[Asset, bool] | None:
        """The file a static URL names, and whether the URL was the fingerprinted one."""
        if filename in self._by_fingerprint:
            return self._by_fingerprint[filename], True
        if filename in self._by_name:
            return self._by_name[filename], False
        return None

    def precached(self) -> list[str]:
        return [
            name
            for name in self._by_name
            if Path(name).suffix in PRECACHED_SUFFIXES and name not in NOT_PRECACHED
        ]

    def text(self, name: str) -> str:
        return self.body(self._by_name[name], None).decode()

    def style_hashes(self) -> tuple[str, ...]:
        """The CSP hashes of the inlined styles, taken once per content of theirs: every
        answer's CSP names them, and hashing 20 kB per request was a tenth of /sehat."""
        assets = tuple(self._by_name[name] for name in INLINED_STYLES)
        key = tuple(asset.digest for asset in assets)
        cached = self._style_hashes
        if cached is not None and cached[0] == key:
            return cached[1]
        hashes = tuple(
            "sha256-" + base64.b64encode(hashlib.sha256(self.body(asset, None)).digest()).decode()
            for asset in assets
        )
        self._style_hashes = (key, hashes)
        return hashes

    def digest_of_all(self) -> str:
        listing = "\n".join(f"{asset.name} {asset.digest}" for asset in self._by_name.values())
        return hashlib.sha256(listing.encode()).hexdigest()

    def body(self, asset: Asset, encoding: str | None) -> bytes:
        key = (asset.digest, encoding)
        body = self._bodies.get(key)
        if body is None:
            body = _encode(asset.path.read_bytes(), encoding)
            self._bodies[key] = body
        return body


def _encode(data: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    return data


def init_app(app: Flask) -> None:
    assets = Assets(app.static_folder)
    app.extensions["assets"] = assets
    app.url_defaults(_fingerprint)
    app.view_functions["static"] = serve_static
    app.add_template_global(inline_style)
    urls.init_app(app)  # templates' url_for, remembered (the key holds the fingerprints)
    compress.init_app(app)
    app.after_request(compress_response)
    if app.config.get("ASSETS_AUTO_RELOAD"):
        app.before_request(lambda: current().refresh())


def current() -> Assets:
    return current_app.extensions["assets"]


def compress_response(response: Response) -> Response:
    """Flask-Compress (registered by hand: COMPRESS_REGISTER is off) for every answer with a
    body: it leaves 4xx and 5xx alone, yet a form sent back with its errors (422, 429) or an
    error page weighs as much as any page."""
    status = response.status_code
    if status < 400:
        return compress.after_request(response)
    response.status_code = 200
    try:
        return compress.after_request(response)
    finally:
        response.status_code = status


def inline_style(name: str) -> Markup:
    """A stylesheet's text for a <style> element, which the CSP allows by its hash."""
    if name not in INLINED_STYLES:
        raise ValueError(f"{name} is not in INLINED_STYLES: the CSP would refuse it")
    return Markup(current().text(name))


def inline_style_hashes() -> tuple[str, ...]:
    return current().style_hashes()


def _fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        values["filename"] = current().fingerprinted(values["filename"]) or values["filename"]


def serve_static(filename: str) -> Response:
    found = current().find(filename)
    if found is None:
        abort(404)
    asset, fingerprinted = found
    encoding = None
    if asset.mimetype in COMPRESSIBLE:
        encoding = request.accept_encodings.best_match(ENCODINGS)
    response = Response(current().body(asset, encoding), mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{asset.digest}-{encoding}" if encoding else asset.digest)
    response.headers["Cache-Control"] = IMMUTABLE if fingerprinted else REVALIDATE
    return response.make_conditional(request)


SERVICE_WORKER = "sw.js"
OFFLINE_PAGE = "main/offline.html"


def service_worker() -> str:
    """The service worker's source, its release and precache list written in.

    The release names the worker's cache: any change to a precached file, to the offline
    page or to the worker itself makes a new one, and the new worker deletes the old."""
    precache = [url_for("static", filename=name) for name in current().precached()]
    offline = render_template(OFFLINE_PAGE)
    draft = render_template(SERVICE_WORKER, release="", precache=precache)
    release = hashlib.sha256("\n".join([current().digest_of_all(), offline, draft]).encode())
    return render_template(SERVICE_WORKER, release=release.hexdigest()[:HASH_LENGTH], precache=precache)
