"""Browser fixtures: the app served on a free local port, and Debian's Chromium driven by
Playwright at a phone's viewport.

The flow tests (test_flow_*.py) run once per phone in PHONES, as a touch screen, through
`phone_page` / `open_phone`. Every page they visit goes through `shot()`, which saves a
full-page PNG under build/screens/<width>x<height>/; when the session ends,
build/screens/index.html shows each page at every size side by side."""

from __future__ import annotations

import contextlib
import functools
import html
import json
import logging
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests import logcheck
from tests.e2e.audit import audit
from tests.conftest import chromium_path, missing_service
from tests.factories import PASSWORD
from webapp import logs

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# The phones every flow runs on: a common one and the smallest still sold.
PHONES = {"390x844": PHONE, "320x568": {"width": 320, "height": 568}}
SCREENS = Path(__file__).resolve().parents[2] / "build" / "screens"
# Everything the app logged while the browser tests ran, one JSON object a line.
E2E_LOGS = Path(__file__).resolve().parents[2] / "build" / "e2e-logs.jsonl"


# htmx arrives after the page's load event and first paint (static/js/app.js), so a test
# that taps as soon as a page has loaded would race it: sometimes htmx, sometimes the
# round trip without JavaScript. A page is ready once it has loaded and htmx has processed
# it (app.js sets data-enhanced on <html>), or when it has no htmx to wait for: its scripts
# are off (app.js never removed no-js) or it does not load htmx (the offline and print pages).
READY = """() => document.readyState === "complete" && (
  document.documentElement.hasAttribute("data-enhanced")
  || document.documentElement.classList.contains("no-js")
  || !document.querySelector("script[data-htmx]"))"""
# Every navigation waits for the page it opens to be ready, and every action on an element
# first waits for its page to be: a tap that opened a new page is followed by a wait.
NAVIGATIONS = ("goto", "reload", "go_back", "go_forward", "wait_for_url")
ACTIONS = (
    "tap", "click", "dblclick", "fill", "type", "press", "check", "uncheck", "set_checked",
    "select_option", "set_input_files", "dispatch_event",
)
LOCATOR_ACTIONS = ACTIONS + ("press_sequentially", "clear", "focus", "hover")


# Pages whose test acts before htmx has arrived on purpose (impatient()).
IMPATIENT: weakref.WeakSet = weakref.WeakSet()


def wait_until_ready(page) -> None:
    """Wait until the page has loaded and htmx, where it has any, has processed it."""
    if page not in IMPATIENT:
        page.wait_for_function(READY)


@contextlib.contextmanager
def impatient(page) -> Iterator[None]:
    """Within it, the page's navigations and actions do not wait for READY: for a test of
    what a page does before htmx has arrived."""
    IMPATIENT.add(page)
    try:
        yield
    finally:
        IMPATIENT.discard(page)


@pytest.fixture(scope="session", autouse=True)
def ready_before_acting() -> Iterator[None]:
    """Make every Page and Locator of the browser tests wait for READY (see above)."""
    from playwright.sync_api import Locator, Page

    def then_ready(method):
        @functools.wraps(method)
        def navigate(page, *args, **kwargs):
            result = method(page, *args, **kwargs)
            wait_until_ready(page)
            return result
        return navigate

    def ready_first(method, page_of):
        @functools.wraps(method)
        def act(target, *args, **kwargs):
            wait_until_ready(page_of(target))
            return method(target, *args, **kwargs)
        return act

    with pytest.MonkeyPatch.context() as patch:
        for name in NAVIGATIONS:
            patch.setattr(Page, name, then_ready(getattr(Page, name)))
        for name in ACTIONS:
            patch.setattr(Page, name, ready_first(getattr(Page, name), lambda page: page))
        for name in LOCATOR_ACTIONS:
            patch.setattr(Locator, name, ready_first(getattr(Locator, name), lambda locator: locator.page))
        yield


@pytest.fixture(scope="package", autouse=True)
def app_logs(_schema_app: Flask, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The app's log lines of the whole browser run in build/e2e-logs.jsonl, as production
    writes them (webapp/logs.py) but without the mask of long numbers, so that what is
    checked is what the code itself logs. When this package's last test is done (not at the
    end of a full run, whose fuzz and hostile-input tests put numbers in the paths they ask
    for) the run fails if a line is not JSON, if a line holds a KPJ, a NIK or a mother's
    name (tests/logcheck.py), or if there are no access lines at all: a check that saw
    nothing would prove nothing.

    After the session's app exists: its migrations run Alembic's fileConfig, which takes
    every handler off the root logger."""
    E2E_LOGS.parent.mkdir(parents=True, exist_ok=True)
    handler = logs.json_handler(logging.FileHandler(E2E_LOGS, mode="w", encoding="utf-8"), mask=False)
    # The development server's own request lines: gunicorn, in production, writes none.
    handler.addFilter(lambda record: not record.name.startswith("werkzeug"))
    root, app_logger = logging.getLogger(), logging.getLogger("webapp")
    level = app_logger.level
    app_logger.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield E2E_LOGS
    finally:
        root.removeHandler(handler)
        handler.close()
        app_logger.setLevel(level)
    if not any(item.get_closest_marker("e2e") for item in request.session.items):
        return  # no browser test in this run (the PostgreSQL pass deselects them): no logs
    problems = check_logs(E2E_LOGS)
    assert problems == [], "the app's logs of the browser tests:\n" + "\n".join(problems)


def check_logs(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    problems = logcheck.offending_lines(lines, str(path))
    access = 0
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(f"{path}:{number}: not a JSON object")
            continue
        if record.get("logger") == logs.ACCESS_LOGGER:
            access += 1
            if not (record.get("request_id") and record.get("path")):
                problems.append(f"{path}:{number}: an access line without its request id or path")
    if access == 0:
        problems.append(f"{path}: no access line: the app's requests were not logged")
    return problems


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        missing_service(f"Chromium is not installed at {executable} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server, locale="id-ID", device_scale_factor=1,
        service_workers="block",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(params=list(PHONES))
def phone(request) -> dict[str, int]:
    """The viewport of the phone this run of the test is on."""
    return PHONES[request.param]


@pytest.fixture
def open_phone(browser, live_server, phone) -> Iterator[Callable[..., object]]:
    """Opens a fresh phone (its own cookies) and returns its page: a touch screen at the
    test's viewport, service workers blocked so every request reaches the server. Pass
    javascript=False for a browser without JavaScript. A script error or a console error on
    any of its pages fails the test."""
    contexts = []
    errors: list[str] = []

    def open_page(*, javascript: bool = True, **options):
        context = browser.new_context(
            viewport=phone, base_url=live_server, locale="id-ID", device_scale_factor=1,
            has_touch=True, is_mobile=True, service_workers="block",
            java_script_enabled=javascript, **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: _is_error(message) and errors.append(
            f"{page.url}: {message.text} {message.location}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], "errors in the browser console"


def _is_error(message) -> bool:
    """A console error, except Chromium's note that a page or form answered 4xx: the app
    answers a refused form 422 (or 409, 410, 429) on purpose. A missing file still counts."""
    if message.type != "error":
        return False
    answered_4xx = message.text.startswith("Failed to load resource: the server responded with a status of 4")
    return not (answered_4xx and "/static/" not in message.location.get("url", ""))


@pytest.fixture
def phone_page(open_phone):
    return open_phone()


def shot(page, name: str) -> None:
    """Save the whole page as build/screens/<width>x<height>/<name>.png.

    The one place every flow passes each page it visits: a check that should hold on every
    page (accessibility, layout) belongs at the top of this function, where the page is
    still at the phone's own viewport."""
    audit(page)
    size = page.viewport_size
    folder = SCREENS / f"{size['width']}x{size['height']}"
    folder.mkdir(parents=True, exist_ok=True)
    # The phone stretched to the page's height: Chromium's own full-page capture leaves
    # fixed bars (the tab bar, the toasts) where the first screenful ends, over the content.
    # (Playwright's evaluate runs even where the page's own JavaScript is off.)
    height = page.evaluate("document.documentElement.scrollHeight")
    try:
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": height})
        page.screenshot(path=str(folder / f"{name}.png"), animations="disabled")
    finally:
        page.set_viewport_size(size)


OTHER_TESTS = "lain-"


def screenshot(page, name: str) -> None:
    """shot() for the tests that predate the flows (one phone each): their pages are listed
    after the flows', under "lain-"."""
    shot(page, OTHER_TESTS + name)


@pytest.fixture(scope="session", autouse=True)
def screens_index() -> Iterator[None]:
    """At the end of the browser tests, build/screens/index.html."""
    yield
    if SCREENS.is_dir():
        write_index(SCREENS)


def write_index(folder: Path) -> Path:
    """index.html beside the shots: every page, each phone's shot side by side. Pages are
    in name order (area, then step number), the older tests' last; each shot says when it
    was taken, so a page no test visits any more stands out (rm -rf build/screens)."""
    names = sorted(
        {image.stem for size in PHONES for image in (folder / size).glob("*.png")},
        key=lambda name: (name.startswith(OTHER_TESTS), name),
    )
    rows = []
    for name in names:
        cells = []
        for size in PHONES:
            image = folder / size / f"{name}.png"
            if image.exists():
                source = html.escape(f"{size}/{name}.png")
                taken = datetime.fromtimestamp(image.stat().st_mtime).strftime("%Y-%m-%d %H.%M")
                cells.append(
                    f'<figure><figcaption>{size} · {taken}</figcaption><a href="{source}">'
                    f'<img src="{source}" alt="{html.escape(name)}, {size}" loading="lazy"></a></figure>'
                )
            else:
                cells.append(f"<figure><figcaption>{size}</figcaption><p>tidak ada</p></figure>")
        rows.append(
            f'<section id="{html.escape(name)}"><h2><a href="#{html.escape(name)}">{html.escape(name)}</a></h2>'
            f'<div class="sizes">{"".join(cells)}</div></section>'
        )
    contents = "".join(f'<li><a href="#{html.escape(n)}">{html.escape(n)}</a></li>' for n in names)
    index = folder / "index.html"
    index.write_text(
        "<!doctype html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
        "<title>KPJku: semua halaman</title><style>"
        "body{font:14px system-ui,sans-serif;margin:16px;background:#eee}"
        "section{margin:0 0 32px}h2{font-size:16px;margin:8px 0}"
        ".sizes{display:flex;gap:24px;align-items:flex-start}"
        "figure{margin:0}figcaption{color:#555}"
        "img{display:block;border:1px solid #999;background:#fff}"
        "ol{columns:3}"
        "</style></head><body>"
        f"<h1>KPJku: {len(names)} halaman, {len(PHONES)} ukuran layar</h1>"
        f"<ol>{contents}</ol>{''.join(rows)}</body></html>\n",
        encoding="utf-8",
    )
    return index


# --- What the flows do on many pages: by label and role, so restyling does not break them ---


def sign_in(page, email: str = "budi@contoh.id", password: str = PASSWORD) -> None:
    """Masuk through the form and land on Beranda: tapped on a touch phone, clicked where the
    browser context has no touch screen."""
    page.goto("/masuk")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi", exact=True).fill(password)
    button = page.get_by_role("button", name="MASUK")
    if page.evaluate("'ontouchstart' in window"):
        button.tap()
    else:
        button.click()
    wait_for_path(page, "/")


def wait_for_path(page, pattern: str) -> None:
    """Wait until the address bar's path (no query) matches the regular expression whole.
    (Playwright's glob "**/" also matches /masuk, so a glob cannot tell Beranda apart.)"""
    page.wait_for_url(lambda url: re.fullmatch(pattern, urlsplit(url).path) is not None)


def newest_toast(page):
    """The toast that arrived last (toasts are added at the top of the #toasts region)."""
    return page.locator("#toasts").get_by_role("alert").or_(
        page.locator("#toasts").get_by_role("status")
    ).first


def tap_link(page, name: str, path: str) -> None:
    """Tap a link by its visible name and wait for the page at path (a regex) to open."""
    page.get_by_role("link", name=name).first.tap()
    wait_for_path(page, path)
