"""The account flows on a touch phone at 390×844 and 320×568: registration ending with the
link e-mailed to the suite's SMTP server, Masuk with a wrong and a right password, Keluar,
Lupa kata sandi through its mailed link, and Keamanan akun ending another device's
session. Every page visited is saved by shot()."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import newest_toast, shot, sign_in, tap_link, wait_for_path

pytestmark = pytest.mark.e2e

PASSWORD = "sandiDewi2026"
NEW_PASSWORD = "sandiBaru2026"


def mailed_path(smtp, route: str) -> str:
    """The path of the one link to `route` in the one message the server received."""
    [message] = smtp.wait_for(1)
    match = re.search(rf"https?://[^/\s]+({route}/[A-Za-z0-9_\-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_register_open_the_mailed_link_then_sign_out_and_in(phone_page, app, smtp):
    page = phone_page
    dewi, card = factories.newcomer()

    page.goto("/")
    shot(page, "akun-00-selamat-datang")
    page.goto("/masuk")
    shot(page, "akun-01-masuk")
    tap_link(page, "Daftar di sini", "/daftar")

    # Sent empty: the form says what is missing and keeps the user on it.
    page.get_by_role("button", name="DAFTAR").tap()
    page.get_by_role("alert").first.wait_for()
    assert page.url.endswith("/daftar")
    assert page.locator("[aria-invalid=true]").count() >= 5
    shot(page, "akun-02-daftar-kosong")

    page.get_by_label("NIK").fill(dewi.nik)
    page.get_by_label("Nama lengkap").fill("Dewi Lestari")
    page.get_by_label("Tanggal lahir").fill("1992-04-09")
    page.get_by_label("Nama ibu kandung").fill("Sri Wahyuni")
    page.get_by_label("Nomor KPJ yang masih aktif").fill(card.kpj)
    page.get_by_label("Email").fill("dewi@contoh.id")
    page.get_by_label("Nomor HP").fill("081234567890")
    page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    shot(page, "akun-03-daftar-terisi")
    page.get_by_role("button", name="DAFTAR").tap()
    wait_for_path(page, "/daftar/periksa-email")
    assert "d•••@contoh.id" in page.locator("main").inner_text()
    shot(page, "akun-04-periksa-email")

    page.goto(mailed_path(smtp, "/daftar/aktifkan"))
    shot(page, "akun-05-aktifkan")
    page.get_by_role("button", name="AKTIFKAN AKUN").tap()
    wait_for_path(page, "/")
    assert newest_toast(page).inner_text().startswith("Akun Anda aktif")
    assert card.kpj in page.locator("main").inner_text()
    shot(page, "akun-06-beranda-baru")

    tap_link(page, "Profil", "/profil")
    shot(page, "akun-07-profil")
    tap_link(page, "Pengaturan", "/pengaturan")
    shot(page, "akun-08-pengaturan")
    page.get_by_role("button", name="Keluar", exact=True).tap()
    wait_for_path(page, "/masuk")
    assert "Anda sudah keluar" in newest_toast(page).inner_text()

    page.get_by_label("Email").fill("dewi@contoh.id")
    page.get_by_label("Kata sandi", exact=True).fill("salahSandi2026")
    page.get_by_role("button", name="MASUK").tap()
    page.get_by_role("alert").filter(has_text="Email atau kata sandi salah").wait_for()
    assert page.url.split("?")[0].endswith("/masuk")
    assert page.get_by_label("Email").input_value() == "dewi@contoh.id"
    shot(page, "akun-09-masuk-sandi-salah")

    page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="MASUK").tap()
    wait_for_path(page, "/")
    assert "Selamat datang" in newest_toast(page).inner_text()


def test_forgotten_password_is_reset_through_the_mailed_link(phone_page, app, smtp):
    page = phone_page
    person = factories.person(full_name="BUDI SANTOSO")
    factories.account(person, factories.membership(person), email="budi@contoh.id")

    page.goto("/masuk")
    tap_link(page, "Lupa kata sandi?", "/lupa-sandi")
    shot(page, "sandi-01-lupa-sandi")
    page.get_by_label("Email").fill("budi@contoh.id")
    page.get_by_role("button", name="KIRIM TAUTAN").tap()
    wait_for_path(page, "/lupa-sandi/terkirim")
    shot(page, "sandi-02-terkirim")

    page.goto(mailed_path(smtp, "/atur-ulang-sandi"))
    shot(page, "sandi-03-kata-sandi-baru")
    page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru").fill("lainSandi2026")
    page.get_by_role("button", name="SIMPAN KATA SANDI").tap()
    page.locator("[aria-invalid=true]").first.wait_for()
    shot(page, "sandi-04-tidak-sama")

    page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="SIMPAN KATA SANDI").tap()
    wait_for_path(page, "/masuk")
    assert "Kata sandi sudah diganti" in newest_toast(page).inner_text()
    shot(page, "sandi-05-masuk-lagi")

    sign_in(page, "budi@contoh.id", NEW_PASSWORD)
    assert page.get_by_role("heading", name="Beranda").is_visible()


def test_keamanan_akun_lists_the_devices_and_ends_the_other_one(open_phone, app):
    person = factories.person(full_name="BUDI SANTOSO")
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    phone, other = open_phone(), open_phone()
    sign_in(other, "budi@contoh.id", factories.PASSWORD)
    sign_in(phone, "budi@contoh.id", factories.PASSWORD)

    phone.goto("/pengaturan")
    tap_link(phone, "Keamanan akun", "/pengaturan/keamanan")
    assert phone.get_by_role("heading", name="Perangkat yang sedang masuk (2)").is_visible()
    assert phone.get_by_text("Perangkat ini", exact=True).count() == 1
    shot(phone, "keamanan-01-dua-perangkat")

    phone.get_by_role("button", name="Keluarkan perangkat ini").tap()
    expect(phone.get_by_role("heading", name="Perangkat yang sedang masuk (1)")).to_be_visible()
    assert phone.url.endswith("/pengaturan/keamanan")
    assert "Sesi diakhiri" in newest_toast(phone).inner_text()
    assert phone.get_by_role("button", name="Keluarkan perangkat ini").count() == 0
    shot(phone, "keamanan-02-satu-perangkat")

    other.goto("/profil")
    wait_for_path(other, "/masuk")
    assert newest_toast(other).inner_text().startswith("Silakan masuk untuk membuka halaman ini.")
    shot(other, "keamanan-03-perangkat-lain-keluar")

    phone.goto("/pengaturan")
    tap_link(phone, "Ubah kata sandi", "/pengaturan/kata-sandi")
    shot(phone, "keamanan-04-ubah-kata-sandi")


def test_the_offline_page_and_a_page_that_does_not_exist(phone_page, app):
    page = phone_page
    page.goto("/offline")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "umum-01-offline")
    response = page.goto("/halaman-yang-tidak-ada")
    assert response.status == 404
    expect(page.get_by_role("main")).not_to_be_empty()
    shot(page, "umum-02-tidak-ditemukan")
