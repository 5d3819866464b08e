"""Kartu digital on a touch phone at 390×844 and 320×568: the card, its print page, and the
public verification page it links to, opened on another phone with no account (AKTIF, then
TIDAK AKTIF once the card ends, and a token that is not one); and the page for an account
without an active card."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import shot, sign_in, tap_link
from webapp.extensions import db
from webapp.models import Membership

pytestmark = pytest.mark.e2e

PERSONAL_NUMBER = re.compile(r"\d{11,}")  # a KPJ is 11 digits, a NIK 16


@pytest.fixture
def budi(app) -> Membership:
    person = factories.person(full_name="BUDI SANTOSO")
    employer = factories.employer(name="PT Karya Bangun Nusantara Sejahtera")
    card = factories.membership(person, employer_npp=employer.npp, registered_on=date(2019, 7, 1))
    old = factories.membership(person, status="NONAKTIF", registered_on=date(2012, 2, 1))
    factories.account(person, card, old, email="budi@contoh.id")
    db.session.commit()
    return card


def test_kartu_digital_and_its_public_verification(open_phone, budi):
    page = open_phone()
    sign_in(page, "budi@contoh.id", factories.PASSWORD)
    tap_link(page, "Kartu digital", "/kartu-digital")
    expect(page.get_by_role("main")).to_contain_text(budi.kpj)
    shot(page, "kartu-01-kartu-digital")

    verify_url = page.get_by_role("link", name="Lihat halaman verifikasi").get_attribute("href")
    assert "/v/" in verify_url and not PERSONAL_NUMBER.search(verify_url)

    tap_link(page, "Cetak kartu", "/kartu-digital/cetak")
    expect(page.get_by_role("button", name=re.compile("cetak", re.I))).to_be_visible()
    shot(page, "kartu-02-cetak")

    # The hospital desk: another phone, no cookies, no account.
    desk = open_phone()
    response = desk.goto(verify_url)
    assert response.status == 200
    main = desk.get_by_role("main")
    expect(main).to_contain_text("AKTIF")
    text = main.inner_text()
    assert "Kepesertaan kartu ini aktif" in text and "B•• S••" in text and "Penerima Upah" in text
    assert "BUDI" not in text and "Karya" not in text and not PERSONAL_NUMBER.search(desk.content())
    shot(desk, "kartu-03-verifikasi-aktif")

    # The registry ends the card: the same QR now says so.
    db.session.execute(
        sa.update(Membership).where(Membership.kpj == budi.kpj).values(status="NONAKTIF", ended_on=date(2026, 1, 31))
    )
    db.session.commit()
    desk.reload()
    expect(desk.get_by_role("main")).to_contain_text("TIDAK AKTIF")
    shot(desk, "kartu-04-verifikasi-tidak-aktif")

    desk.goto(verify_url[:-6] + "AAAAAA")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Kartu tidak dapat diverifikasi")
    shot(desk, "kartu-05-tidak-terverifikasi")


def test_without_an_active_card_the_page_says_what_to_do(phone_page, app):
    person = factories.person(full_name="YULIANA PUTRI", gender="P")
    factories.account(person, factories.membership(person, status="NONAKTIF"), email="yuliana@contoh.id")
    page = phone_page
    sign_in(page, "yuliana@contoh.id", factories.PASSWORD)
    tap_link(page, "Kartu digital", "/kartu-digital")
    expect(page.get_by_role("heading", name="Tidak ada KPJ yang aktif")).to_be_visible()
    assert page.get_by_role("link", name="Lihat halaman verifikasi").count() == 0
    shot(page, "kartu-06-tanpa-kartu-aktif")
