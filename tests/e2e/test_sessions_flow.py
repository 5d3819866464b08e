"""Two browsers, one account: logging out of one refuses its old cookie; "Keluar dari
semua perangkat" refuses the other's. Real Chromium at 390×844."""

import pytest

from tests import factories
from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def new_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="id-ID", service_workers="block")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def session_cookie(context):
    return next(cookie for cookie in context.cookies() if cookie["name"] == "session")


def refused(browser, live_server, cookie) -> bool:
    """Open Profil in a fresh browser holding only the copied cookie."""
    context, page = new_phone(browser, live_server)
    context.add_cookies([cookie])
    page.goto("/profil")
    is_refused = page.url.split("?")[0].endswith("/masuk")
    context.close()
    return is_refused


def test_logout_and_sign_out_everywhere_refuse_old_cookies(browser, live_server, budi):
    phone_context, phone = new_phone(browser, live_server)
    laptop_context, laptop = new_phone(browser, live_server)
    sign_in(phone)
    sign_in(laptop)
    phone_cookie = session_cookie(phone_context)
    laptop_cookie = session_cookie(laptop_context)

    phone.goto("/pengaturan")
    phone.get_by_role("button", name="Keluar", exact=True).click()
    phone.wait_for_url("**/masuk")
    assert refused(browser, live_server, phone_cookie)
    assert not refused(browser, live_server, laptop_cookie)

    sign_in(phone)
    phone.goto("/pengaturan")
    phone.click("text=Keamanan akun")
    phone.wait_for_url("**/pengaturan/keamanan")
    assert "Perangkat yang sedang masuk (2)" in phone.content()
    assert phone.locator(".badge", has_text="Perangkat ini").count() == 1
    screenshot(phone, "sesi-01-keamanan")
    phone.click("text=KELUAR DARI SEMUA PERANGKAT")
    phone.wait_for_url("**/masuk")
    assert "Anda keluar dari semua perangkat" in phone.locator(".toast").first.inner_text()

    laptop.goto("/profil")
    assert laptop.url.split("?")[0].endswith("/masuk")
    assert refused(browser, live_server, laptop_cookie)
    phone_context.close()
    laptop_context.close()
