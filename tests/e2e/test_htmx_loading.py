"""htmx comes after the first paint (static/js/app.js inserts it once the page has loaded
and painted): in real Chromium it is requested after the load event and the first
contentful paint, starts, marks <html data-enhanced> and then swaps; before it arrives a
tap does the round trip a browser without JavaScript does."""

from __future__ import annotations

import pytest

from tests import factories
from tests.e2e.conftest import READY, impatient, sign_in

pytestmark = pytest.mark.e2e

TIMING = """() => {
  const htmx = performance.getEntriesByType("resource").filter((e) => e.name.includes("/vendor/htmx-"));
  const navigation = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    htmx: htmx.map((e) => e.startTime),
    load: navigation.loadEventEnd,
    paint: paint ? paint.startTime : null,
    enhanced: document.documentElement.hasAttribute("data-enhanced"),
    started: typeof window.htmx === "object" && typeof window.htmx.version === "string",
  };
}"""


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


@pytest.mark.parametrize("path", ["/masuk", "/daftar"])
def test_htmx_is_requested_after_the_load_event_and_the_first_paint(page, path):
    requested = []
    page.on("request", lambda request: "/vendor/htmx-" in request.url and requested.append(request.url))
    page.goto(path)  # waits for READY: data-enhanced (tests/e2e/conftest.py)
    timing = page.evaluate(TIMING)
    assert timing["enhanced"] and timing["started"], timing
    assert len(requested) == 1 and len(timing["htmx"]) == 1, (requested, timing)
    assert timing["paint"] is not None and timing["htmx"][0] > timing["paint"], timing
    assert timing["htmx"][0] >= timing["load"] > 0, timing


def test_once_enhanced_a_segment_tap_is_swapped_in_without_a_new_page(page, budi):
    sign_in(page)
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.evaluate("window.samePage = true")
    page.get_by_role("button", name="BPU").click()
    # As a function: a string expression is eval'd in the page, which the CSP forbids.
    page.wait_for_function("() => location.search.includes('segmen=BPU')")  # pushed by htmx
    page.locator("input[name=segmen][value=BPU]").wait_for(state="attached")
    assert page.evaluate("window.samePage === true")  # a swap, not a page load


def test_before_htmx_arrives_a_tap_does_a_full_round_trip(page, budi):
    sign_in(page)
    held = []
    page.route("**/vendor/htmx-*", lambda route: held.append(route))  # htmx does not arrive
    with impatient(page):
        page.goto("/pengaturan/tambah-kpj?segmen=PU")
        page.wait_for_function("() => document.querySelector('script[src*=\"/vendor/htmx-\"]') !== null")
        assert not page.evaluate(READY) and page.evaluate("!('htmx' in window)")
        assert not page.evaluate("document.documentElement.classList.contains('no-js')")  # app.js ran
        page.evaluate("window.samePage = true")
        with page.expect_navigation():
            page.get_by_role("button", name="BPU").click()
        page.locator("input[name=segmen][value=BPU]").wait_for(state="attached")
        assert page.evaluate("window.samePage === undefined")  # a new page, as without JavaScript
        assert page.evaluate("!('htmx' in window)")
    assert held  # htmx was asked for on both pages and held back
    # The held requests are answered here: a route left pending until the context closes
    # surfaces later, in another test, as an unraisable Playwright coroutine.
    for route in held:
        route.abort()
    page.unroute_all(behavior="ignoreErrors")
