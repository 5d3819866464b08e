"""The service worker in real Chromium: a changed static file reaches the phone on the next
visit and the old release's cache is deleted; after a signed-in visit the worker's caches
hold nothing but fingerprinted static files and the offline page, which is what a page
shows without a network."""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import date

import pytest
from werkzeug.serving import make_server

from tests import factories
from tests.e2e.conftest import PHONE
from tests.e2e.conftest import sign_in
from webapp import assets
from webapp.assets import Assets
from webapp.extensions import db

pytestmark = pytest.mark.e2e

FINGERPRINTED_STATIC = re.compile(r"^/static/.+\.[0-9a-f]{10}\.[a-z0-9]+$")
CACHED = """async () => {
  const entries = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request, { ignoreVary: true });
      entries.push({
        cache: name,
        path: new URL(request.url).pathname,
        type: response.headers.get("Content-Type") || "",
        body: (response.headers.get("Content-Type") || "").startsWith("text/html") ? await response.text() : "",
      });
    }
  }
  return entries;
}"""


@pytest.fixture
def context(browser, live_server):
    """A phone whose browser lets the service worker run (the `page` fixture blocks it)."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_server, locale="id-ID", device_scale_factor=1,
        service_workers="allow",
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def static_copy(app, tmp_path, monkeypatch):
    """The app serves a copy of static/, which the test may change."""
    folder = tmp_path / "static"
    shutil.copytree(assets.current().folder, folder)
    monkeypatch.setitem(app.extensions, "assets", Assets(folder))
    return folder


def release(page) -> str:
    source = page.request.get("/sw.js").text()
    return re.search(r'const CACHE = "([^"]+)"', source).group(1)


def wait_for_caches(page, expected: list[str], timeout: float = 15) -> list[str]:
    """The cache names once they are `expected` (an install and activation take a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        names = page.evaluate("caches.keys()")
        if names == expected or time.monotonic() > deadline:
            return names
        page.wait_for_timeout(200)


def wait_until(page, expression: str, timeout: float = 10) -> None:
    """Polled with evaluate (page.wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


def controlled(page) -> None:
    """The worker is active and this page is under its control."""
    state = page.evaluate("""() => Promise.race([
      navigator.serviceWorker.ready.then((registration) => registration.active.state),
      new Promise((resolve) => setTimeout(() => resolve("not ready after 10 s"), 10000)),
    ])""")
    assert state in ("activating", "activated"), state
    # A document created while the worker activated may have missed clients.claim(); the
    # next navigation is controlled.
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_until(page, "navigator.serviceWorker.controller !== null")


def test_a_changed_stylesheet_reaches_the_phone_and_the_old_cache_goes(context, app, static_copy):
    page = context.new_page()
    page.goto("/masuk")
    first = release(page)
    controlled(page)
    assert wait_for_caches(page, [first]) == [first]
    # Pages inline the stylesheet; the offline page, like the print pages, links it.
    old_css = page.request.get("/offline").text().split('rel="stylesheet" href="')[1].split('"')[0]
    assert FINGERPRINTED_STATIC.match(old_css)
    colour = "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
    assert page.evaluate(colour) != "rgb(1, 2, 3)"

    # A release: the stylesheet changes and the app takes the new fingerprints (as at start-up).
    stylesheet = static_copy / "css/app.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.topbar { background-color: rgb(1, 2, 3); }\n")
    assets.current().refresh()

    page.reload()
    new_css = page.request.get("/offline").text().split('rel="stylesheet" href="')[1].split('"')[0]
    assert new_css != old_css and FINGERPRINTED_STATIC.match(new_css)
    assert page.evaluate(colour) == "rgb(1, 2, 3)"
    second = release(page)
    assert second != first
    assert wait_for_caches(page, [second]) == [second]  # the old release's cache is gone
    cached = {entry["path"] for entry in page.evaluate(CACHED)}
    assert new_css in cached and old_css not in cached
    # Once the new worker has taken over, a fresh visit still shows the new colour.
    wait_until(page, "navigator.serviceWorker.controller && navigator.serviceWorker.controller.state === 'activated'")
    page.reload()
    assert page.evaluate(colour) == "rgb(1, 2, 3)"


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO")
    card = factories.membership(person, registered_on=date(2019, 7, 1))
    factories.account(person, card, email="budi@contoh.id")
    db.session.commit()
    return person


@pytest.fixture
def stoppable_server(app):
    """The app on its own port, which the test can take off the network."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    running = [True]

    def stop() -> None:
        if running.pop():
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    yield f"http://127.0.0.1:{server.server_port}", stop
    if running:
        stop()


def test_signed_in_pages_are_never_stored_and_offline_shows_the_offline_page(browser, stoppable_server, budi):
    base_url, stop = stoppable_server
    context = browser.new_context(
        viewport=PHONE, base_url=base_url, locale="id-ID", device_scale_factor=1, service_workers="allow"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page)
    controlled(page)
    for path in ("/", "/profil", "/riwayat", "/kartu-digital", "/pengaturan", "/pengaturan/tambah-kpj"):
        page.goto(path)
    # An htmx fragment: another segment's form swapped in.
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.get_by_role("button", name="BPU").click()
    wait_until(page, "location.search.includes('segmen=BPU')")  # pushed by htmx
    wait_for_caches(page, [release(page)])

    entries = page.evaluate(CACHED)
    assert entries
    pages = [entry for entry in entries if entry["type"].startswith("text/html")]
    assert [entry["path"] for entry in pages] == ["/offline"]
    assert "Coba lagi" in pages[0]["body"]
    for secret in ("BUDI", "budi@contoh.id", budi.nik, "csrf"):
        assert secret not in pages[0]["body"]
    others = [entry["path"] for entry in entries if entry not in pages]
    assert others and all(FINGERPRINTED_STATIC.match(path) for path in others), others

    # No network (the server is gone): a page comes from the worker's offline page.
    stop()
    page.goto("/riwayat")
    assert "Tidak ada koneksi" in page.locator("h1").inner_text()
    assert "BUDI" not in page.content()
    context.close()
