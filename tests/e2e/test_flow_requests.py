"""Perbaikan data end to end, in two browsers (DESIGN §3.6, §3.12, §3.15): a worker's old
card is refused for a mistyped mother's name, the worker asks for the correction from the
refusal itself, a reviewer signs in to the back office with password and TOTP on another
device and approves it, the worker's tab bar counts the notification, and the same card
then goes through Tambah KPJ. Run once per phone in PHONES (390×844 and 320×568)."""

from __future__ import annotations

from datetime import date

import pyotp
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import shot, sign_in, tap_link, wait_for_path
from tests.test_officers import make_officer
from tests.test_uploads import minimal_pdf, png
from webapp.extensions import db
from webapp.models import Membership

pytestmark = pytest.mark.e2e


@pytest.fixture
def cards(app) -> dict[str, Membership]:
    """Budi with his active card linked, and an old card whose mother's name is mistyped."""
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    active = factories.membership(person)
    factories.account(person, active, email="budi@contoh.id")
    old = factories.membership(
        person, status="NONAKTIF", mother_name="SITI AMINA", registered_on=date(2011, 1, 3)
    )
    db.session.commit()
    return {"active": active, "old": old}


@pytest.fixture
def reviewer(app):
    return make_officer("reviewer", email="pemeriksa@kpjku.id")


def add_card(page, kpj: str) -> None:
    page.goto("/pengaturan/tambah-kpj")
    page.get_by_label("Pilih SEGMEN").get_by_text("PU", exact=True).tap()
    page.get_by_label("KPJ", exact=True).fill(kpj)
    page.get_by_role("button", name="KIRIM").tap()


def officer_signs_in(page, officer) -> None:
    page.goto("/petugas/masuk")
    page.get_by_label("Email petugas").fill(officer.email)
    page.get_by_label("Kata sandi", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="LANJUT").tap()
    wait_for_path(page, "/petugas/masuk/kode")
    page.get_by_label("Kode 6 angka").fill(pyotp.TOTP(officer.totp_secret).now())
    page.get_by_role("button", name="MASUK").tap()
    wait_for_path(page, "/petugas/")


def test_mismatch_request_approval_notification_then_the_card_adds(open_phone, cards, reviewer):
    old = cards["old"].kpj
    worker = open_phone()
    sign_in(worker)

    # The refusal names the field and offers the request right there.
    add_card(worker, old)
    refusal = worker.get_by_role("alert").filter(has_text="Data KPJ berbeda dengan data kependudukan")
    expect(refusal).to_contain_text("Nama Ibu Kandung")
    shot(worker, "permintaan-tolak-biodata")
    refusal.get_by_role("link", name="Ajukan perbaikan data").tap()
    wait_for_path(worker, "/pengaturan/perbaikan-data")

    # What the card will become, side by side; the worker types nothing, only uploads.
    expect(worker.get_by_role("row", name="Nama Ibu Kandung")).to_be_visible()
    worker.get_by_label("KTP").set_input_files(
        files=[{"name": "ktp.png", "mimeType": "image/png", "buffer": png()}])
    worker.get_by_label("Kartu Keluarga").set_input_files(
        files=[{"name": "kk.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}])
    shot(worker, "permintaan-perbaikan-data")
    worker.get_by_role("button", name="AJUKAN PERBAIKAN DATA").tap()
    wait_for_path(worker, "/pengaturan/permintaan/[^/]+")
    expect(worker.get_by_role("main")).to_contain_text("Perbaikan data sedang diproses")
    shot(worker, "permintaan-diproses")

    # A reviewer, on a device of their own, decides it from the queue.
    officer = open_phone()
    officer_signs_in(officer, reviewer)
    officer.goto("/petugas/perbaikan-data")
    officer.locator(".queue-list a").first.tap()
    wait_for_path(officer, "/petugas/permintaan/[^/]+")
    expect(officer.locator("tr.differs")).to_have_count(1)
    expect(officer.locator("tr.differs")).to_contain_text("SITI AMINAH")
    shot(officer, "petugas-permintaan")
    officer.get_by_role("button", name="Setujui").tap()
    wait_for_path(officer, "/petugas/perbaikan-data")
    expect(officer.get_by_text("Tidak ada permintaan yang menunggu.")).to_be_visible()

    # The worker's tab bar counts it; the inbox says the card can now be added.
    worker.goto("/")
    notifications = worker.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Notifikasi (1 belum dibaca)", exact=True)
    notifications.tap()
    wait_for_path(worker, "/notifikasi")
    news = worker.locator(".notice").first
    expect(news).to_contain_text("Baru")
    shot(worker, "notifikasi-perbaikan-disetujui")

    # And the same card now goes through Tambah KPJ.
    add_card(worker, old)
    expect(worker.get_by_role("status").filter(has_text="Transaksi berhasil")).to_be_visible()
    shot(worker, "permintaan-lalu-tambah-kpj")
    tap_link(worker, "Riwayat", "/riwayat")
    expect(worker.get_by_role("main")).to_contain_text("Perbaikan data")
