"""KPJku installs as an app: Chromium, with a profile of its own as an installed app has,
finds nothing missing (Page.getInstallabilityErrors is empty) once the service worker at
the root controls the page."""

from __future__ import annotations

import pytest

from tests.conftest import chromium_path
from tests.e2e.conftest import CHROMIUM_FLAGS, PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def installed_profile(browser, live_server, tmp_path):
    """A persistent context: installability is only judged for a profile that could keep
    the app. (`browser` first: it skips or fails the test where Chromium is missing.)"""
    playwright = browser.browser_type
    context = playwright.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(chromium_path()), args=CHROMIUM_FLAGS,
        base_url=live_server, viewport=PHONE, locale="id-ID",
    )
    try:
        yield context
    finally:
        context.close()


def wait_until_controlled(page, attempts: int = 3) -> None:
    """Until the service worker controls the page (clients.claim() on its activation). A
    registration can be lost when it races a logout's Clear-Site-Data; the next page load
    registers it again, as it would for a user."""
    for _ in range(attempts):
        if page.evaluate(
            """() => navigator.serviceWorker.controller !== null || new Promise(resolve => {
                 navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), { once: true });
                 setTimeout(() => resolve(navigator.serviceWorker.controller !== null), 5000);
               })"""
        ):
            return
        page.reload()
    raise AssertionError("the service worker never took control of the page")


def test_chromium_finds_no_installability_errors(installed_profile):
    page = installed_profile.new_page()
    page.set_default_timeout(15_000)
    page.goto("/")
    wait_until_controlled(page)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)") == page.url

    cdp = installed_profile.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
