"""Notifikasi in real Chromium at 390×844: claim moves land in the inbox, the tab bar shows
the unread count, marking read swaps in place with htmx (no reload) and updates the tab,
opening an entry goes to the claim; the push button appears only where the browser can
receive Web Push, and without JavaScript the page is whole without it."""

from __future__ import annotations

import pytest

from tests import factories
from tests.e2e.conftest import PHONE, shot, sign_in, wait_for_path
from tests.test_notifications import claim_of
from webapp.balances.services import today
from webapp.claims import services as claims

pytestmark = pytest.mark.e2e


@pytest.fixture
def claim(app):
    person = factories.person(full_name="BUDI SANTOSO")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    claim = claim_of(account)
    claims.advance(claim.id, today())  # Penetapan
    claims.advance(claim.id, today())  # Persetujuan
    return claim


def tab(page, name: str):
    return page.get_by_role("navigation", name="Menu utama").get_by_role("link", name=name, exact=True)


def test_the_badge_counts_and_marking_read_swaps_in_place(page, claim):
    sign_in(page)
    tab(page, "Notifikasi (2 belum dibaca)").click()
    wait_for_path(page, "/notifikasi")
    assert page.locator(".notice .badge--baru").count() == 2
    shot(page, "notifikasi")
    page.evaluate("() => { window.notReloaded = true; }")

    newest = page.locator(".notice").first
    assert "Persetujuan" in newest.inner_text()
    newest.get_by_role("button", name="Tandai dibaca").click()
    tab(page, "Notifikasi (1 belum dibaca)").wait_for()
    assert page.locator(".notice .badge--baru").count() == 1
    assert page.get_by_text("1 belum dibaca", exact=True).is_visible()

    page.get_by_role("button", name="Tandai semua dibaca").click()
    page.get_by_text("Semua sudah dibaca").wait_for()
    assert tab(page, "Notifikasi").is_visible() and page.locator(".tabbar__badge").count() == 0
    assert page.evaluate("() => window.notReloaded === true"), "swapped by htmx, not reloaded"
    shot(page, "notifikasi-dibaca")

    page.locator(".notice").first.get_by_role("button", name="Lihat status klaim ›").click()
    wait_for_path(page, f"/klaim/{claim.public_id}")


def test_the_push_button_shows_only_where_push_works(browser, live_server, claim):
    with_worker = browser.new_context(viewport=PHONE, base_url=live_server, locale="id-ID")
    page = with_worker.new_page()
    try:
        sign_in(page)
        page.goto("/notifikasi")
        button = page.get_by_role("button", name="Aktifkan notifikasi di perangkat ini")
        button.wait_for()
        assert page.get_by_role("button", name="Matikan notifikasi").is_hidden()
    finally:
        with_worker.close()

    without_js = browser.new_context(
        viewport=PHONE, base_url=live_server, locale="id-ID", java_script_enabled=False
    )
    page = without_js.new_page()
    try:
        page.goto("/masuk")
        page.get_by_label("Email").fill("budi@contoh.id")
        page.get_by_label("Kata sandi", exact=True).fill(factories.PASSWORD)
        page.get_by_role("button", name="MASUK").click()
        wait_for_path(page, "/")
        page.goto("/notifikasi")
        assert page.locator("#push").is_hidden()
        page.locator(".notice").first.get_by_role("button", name="Tandai dibaca").click()
        wait_for_path(page, "/notifikasi")
        assert page.locator(".notice .badge--baru").count() == 1
    finally:
        without_js.close()


FAKE_PUSH_SERVICE = """
(() => {
  // The browser's push service, played in the page: Chromium here reaches no real one.
  PushManager.prototype.subscribe = function (options) {
    window.applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    window.subscription = {
      endpoint: "https://fcm.googleapis.com/fcm/send/e2e",
      toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys: %s }; },
      unsubscribe() { window.subscription = null; return Promise.resolve(true); },
    };
    return Promise.resolve(window.subscription);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(window.subscription || null);
  };
})();
"""


def test_push_js_subscribes_with_the_servers_key_and_matikan_unsubscribes(app, browser, live_server, claim):
    import base64
    import json

    from tests.test_push import Browser, subscriptions

    keys = Browser().subscription("")["keys"]
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="id-ID")
    context.grant_permissions(["notifications"])
    context.add_init_script(FAKE_PUSH_SERVICE % json.dumps(keys))
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/notifikasi")
        page.get_by_role("button", name="Aktifkan notifikasi di perangkat ini").click()
        page.get_by_text("Notifikasi aktif di perangkat ini.").wait_for()
        shot(page, "notifikasi-push-aktif")
        [row] = subscriptions()
        assert (row.endpoint, row.p256dh, row.auth) == (
            "https://fcm.googleapis.com/fcm/send/e2e", keys["p256dh"], keys["auth"]
        )
        server_key = base64.urlsafe_b64decode(app.config["VAPID_PUBLIC_KEY"] + "=")
        assert bytes(page.evaluate("() => window.applicationServerKey")) == server_key

        page.get_by_role("button", name="Matikan notifikasi").click()
        page.get_by_text("Notifikasi di perangkat ini dimatikan.").wait_for()
        assert subscriptions() == []
        assert page.get_by_role("button", name="Aktifkan notifikasi di perangkat ini").is_visible()
    finally:
        context.close()
