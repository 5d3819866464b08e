"""register → login → Profil → Pengaturan → Tambah KPJ → the card's pages, in real
Chromium at 390×844."""

import re

import pytest

from tests import factories
from tests.e2e.conftest import PHONE, screenshot, sign_in
from webapp.extensions import db

pytestmark = pytest.mark.e2e

PASSWORD = "sandiDewi2026"
PERSONAL_NUMBER = re.compile(r"\d{11,}")  # a KPJ is 11 digits, a NIK 16


@pytest.fixture
def dewi(app):
    person, active = factories.newcomer()
    old = factories.membership(person, segment="PU", status="NONAKTIF")
    db.session.commit()
    return person, active, old


def test_register_login_and_add_an_old_card(page, dewi, smtp):
    person, active, old = dewi
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text} {message.location}"))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/daftar")
    page.fill("#f-nik", person.nik)
    page.fill("#f-full_name", "Dewi Lestari")
    page.fill("#f-birth_date", "1992-04-09")
    page.fill("#f-mother_name", "Sri Wahyuni")
    page.fill("#f-kpj", active.kpj)
    page.fill("#f-email", "dewi@contoh.id")
    page.fill("#f-phone", "081234567890")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_confirm", PASSWORD)
    screenshot(page, "01-daftar")
    page.click("button[type=submit]")
    page.wait_for_url("**/daftar/periksa-email")
    assert "d•••@contoh.id" in page.content()
    screenshot(page, "01b-periksa-email")
    [message] = smtp.wait_for(1)
    link = re.search(r"https?://[^/\s]+(/daftar/aktifkan/\S+)", message.get_content()).group(1)
    page.goto(link)
    page.click("button:has-text('AKTIFKAN AKUN')")
    page.wait_for_url("**/")
    assert page.locator(".toast").first.inner_text().startswith("Akun Anda aktif")

    page.goto("/pengaturan")
    page.get_by_role("button", name="Keluar", exact=True).click()
    page.wait_for_url("**/masuk")
    page.fill("#f-email", "dewi@contoh.id")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    screenshot(page, "02-beranda")

    page.click("nav.tabbar >> text=Profil")
    page.wait_for_url("**/profil")
    assert page.locator("#kpj-list").inner_text().count("KPJ") >= 1
    assert old.kpj not in page.locator("#kpj-list").inner_text()
    screenshot(page, "03-profil")
    page.click("text=Pengaturan")
    page.wait_for_url("**/pengaturan")
    page.click("text=Tambah KPJ")
    page.wait_for_url("**/pengaturan/tambah-kpj")

    page.click(".segment >> text=PU")
    page.wait_for_selector("input[name=segmen][value=PU]", state="attached")
    assert page.url.endswith("/pengaturan/tambah-kpj?segmen=PU")  # swapped and pushed, no reload
    page.fill("#f-kpj", old.kpj)
    screenshot(page, "04-tambah-kpj")
    with page.expect_response("**/pengaturan/tambah-kpj") as sent:
        page.click("button:has-text('KIRIM')")
    assert sent.value.status == 200
    toast = page.locator(".toast--success")
    toast.wait_for()
    assert "Transaksi berhasil" in toast.inner_text()
    assert old.kpj in page.locator("#kpj-list").inner_text()
    screenshot(page, "05-toast")
    page.click(".toast--success >> text=OK")
    assert page.locator(".toast--success").count() == 0

    page.click("nav.tabbar >> text=Profil")
    page.wait_for_url("**/profil")
    assert old.kpj in page.locator("#kpj-list").inner_text()
    screenshot(page, "06-profil-kartu-baru")

    # The card's pages are addressed by an opaque ref: no KPJ in the address bar (§7).
    page.click(f"#kpj-list >> text={old.kpj}")
    page.wait_for_url("**/kartu/*")
    assert not PERSONAL_NUMBER.search(page.url)
    assert f"KPJ {old.kpj}" in page.locator("main").inner_text()
    page.click("text=Cetak / PDF")
    page.wait_for_url("**/kartu/*/cetak")
    assert not PERSONAL_NUMBER.search(page.url)
    screenshot(page, "06b-kartu-cetak")
    assert errors == []


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO")
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    old = factories.membership(person, status="NONAKTIF")
    db.session.commit()
    return old


def test_a_lost_connection_says_so_and_a_retry_works(page, budi):
    sign_in(page)
    page.goto("/pengaturan/tambah-kpj?segmen=PU")
    page.fill("#f-kpj", budi.kpj)
    page.context.set_offline(True)
    page.click("button:has-text('KIRIM')")
    page.locator(".toast--error").wait_for()
    assert "Tidak ada koneksi" in page.locator(".toast--error").inner_text()
    page.context.set_offline(False)
    page.click("button:has-text('KIRIM')")
    page.locator(".toast--success").wait_for()
    assert budi.kpj in page.locator("#kpj-list").inner_text()


def test_without_javascript_the_same_form_works_by_full_page(browser, live_server, budi):
    context = browser.new_context(viewport=PHONE, base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/pengaturan/tambah-kpj")
        page.click(".segment >> text=PU")
        page.wait_for_url("**/pengaturan/tambah-kpj?segmen=PU")
        page.fill("#f-kpj", budi.kpj)
        page.click("button:has-text('KIRIM')")
        page.wait_for_url("**/pengaturan/tambah-kpj?segmen=PU")
        assert "Transaksi berhasil" in page.locator("#toasts").inner_text()
        assert budi.kpj in page.locator("#kpj-list").inner_text()
        screenshot(page, "07-tanpa-javascript")
    finally:
        context.close()
