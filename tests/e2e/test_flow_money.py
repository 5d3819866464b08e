"""The money flows on a touch phone at 390×844 and 320×568: balances on Beranda and on a
card's page, the JHT statement and its CSV download and print page; Gabung saldo; Klaim JHT
with three uploads and its timeline as the officers move it (claims.services.advance);
and a partial claim while still working."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import newest_toast, shot, sign_in, tap_link, wait_for_path
from tests.test_uploads import jpeg, minimal_pdf, png
from webapp import ledger
from webapp.balances.export import CSV_HEADER
from webapp.balances.services import today
from webapp.claims import services as claims
from webapp.extensions import db
from webapp.formatting import rupiah
from webapp.merge import services as merge
from webapp.models import Claim, Membership

pytestmark = pytest.mark.e2e

EMAIL = "budi@contoh.id"
STAGES = ["Agenda Klaim", "Penetapan", "Persetujuan", "Pembayaran", "Selesai"]


def worked(card, years, jht=150_000):
    for year in years:
        for month in (2, 7, 11):
            factories.contribution(card, date(year, month, 1), jht=jht)


class Budi:
    def __init__(self, **values) -> None:
        self.__dict__.update(values)


@pytest.fixture
def budi(app) -> Budi:
    """An active PU card and two old PU cards with JHT, and a JAKON card (no JHT), all
    linked; the total stays under Rp 15 juta, so a claim needs no video call."""
    factories.jht_rate(2016, "7.19")
    factories.jht_rate(2018, "6.26")
    person = factories.person(full_name="BUDI SANTOSO")
    active = factories.membership(person, registered_on=date(2021, 3, 1))
    old = factories.membership(person, status="NONAKTIF", registered_on=date(2012, 5, 2), ended_on=date(2016, 1, 31))
    older = factories.membership(person, status="NONAKTIF", registered_on=date(2016, 3, 1), ended_on=date(2020, 12, 31))
    jakon = factories.membership(person, segment="JAKON", status="NONAKTIF", registered_on=date(2011, 4, 4), ended_on=date(2011, 12, 31))
    worked(old, range(2013, 2016))
    worked(older, range(2016, 2021))
    worked(active, range(2021, 2026))
    account = factories.account(person, active, old, older, jakon, email=EMAIL)
    db.session.commit()
    return Budi(account=account, active=active, old=old, older=older, jakon=jakon)


def card_row(page, kpj: str):
    return page.locator("#kpj-list").get_by_role("listitem").filter(has_text=kpj)


def test_balances_statement_csv_and_print(phone_page, budi):
    page = phone_page
    sign_in(page, EMAIL, factories.PASSWORD)
    kpjs = [budi.active.kpj, budi.old.kpj, budi.older.kpj]
    balances = ledger.ledgers(kpjs, today())
    expect(page.get_by_role("main")).to_contain_text(rupiah(sum(b.balance for b in balances.values())))
    for kpj in kpjs:
        assert rupiah(balances[kpj].balance) in card_row(page, kpj).inner_text()
    assert "Tanpa saldo JHT" in card_row(page, budi.jakon.kpj).inner_text()
    shot(page, "saldo-01-beranda")

    card_row(page, budi.older.kpj).get_by_role("link").tap()
    wait_for_path(page, r"/kartu/[^/]+")
    assert budi.older.kpj not in page.url
    table = page.get_by_role("table")
    for year in range(2016, 2021):
        assert table.get_by_role("rowheader", name=re.compile(rf"^{year}\b")).count() == 1
    shot(page, "saldo-02-kartu-laporan-jht")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Unduh CSV").tap()
    download = downloading.value
    assert re.fullmatch(rf"laporan-jht-{budi.older.kpj[-4:]}-\d{{4}}-\d{{2}}-\d{{2}}\.csv", download.suggested_filename)
    lines = download.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    assert [line.split(",")[0] for line in lines[1:6]] == [str(year) for year in range(2016, 2021)]

    page.get_by_role("link", name="Cetak / PDF").tap()
    wait_for_path(page, r"/kartu/[^/]+/cetak")
    assert budi.older.kpj in page.get_by_role("main").inner_text()
    shot(page, "saldo-03-kartu-cetak")

    page.goto("/")
    card_row(page, budi.jakon.kpj).get_by_role("link").tap()
    wait_for_path(page, r"/kartu/[^/]+")
    expect(page.get_by_role("heading", name="Perlindungan KPJ")).to_be_visible()
    assert page.get_by_role("link", name="Unduh CSV").count() == 0
    shot(page, "saldo-04-kartu-jakon")


def test_gabung_saldo_then_klaim_jht_with_uploads_to_selesai(phone_page, budi):
    page = phone_page
    sign_in(page, EMAIL, factories.PASSWORD)

    # --- Gabung saldo ---------------------------------------------------------------------
    plan = merge.plan(budi.account, today())
    db.session.commit()
    tap_link(page, "Gabung saldo", "/pengaturan/gabung-saldo")
    for source in plan.sources:
        assert rupiah(source.amount) in page.get_by_role("listitem").filter(has_text=source.card.kpj).inner_text()
    expect(page.get_by_role("main")).to_contain_text(rupiah(plan.total_after))
    shot(page, "gabung-01-rencana")
    page.get_by_role("button", name="GABUNGKAN SALDO").tap()
    wait_for_path(page, f"/kartu/{budi.active.link_ref}")
    expect(newest_toast(page)).to_contain_text("Saldo berhasil digabung")
    shot(page, "gabung-02-kartu-tujuan")
    tap_link(page, "Beranda", "/")
    for card in (budi.old, budi.older):
        assert "DIGABUNG" in card_row(page, card.kpj).inner_text()
    shot(page, "gabung-03-beranda")

    # --- Klaim JHT while the active card is still active: blocked, and says why -------------
    page.goto("/pengaturan")
    tap_link(page, "Klaim JHT", "/klaim")
    expect(page.get_by_text("belum terpenuhi").first).to_be_attached()
    assert page.get_by_role("button", name="AJUKAN KLAIM").count() == 0
    shot(page, "klaim-01-belum-bisa")

    # --- The registry reports that Budi left his job ----------------------------------------
    db.session.execute(
        sa.update(Membership).where(Membership.kpj == budi.active.kpj)
        .values(status="NONAKTIF", ended_on=today() - timedelta(days=70))
    )
    db.session.commit()

    page.reload()
    assert page.get_by_text("belum terpenuhi").count() == 0
    shot(page, "klaim-02-syarat-terpenuhi")

    # Sent empty: the form says so and nothing is stored.
    page.get_by_role("button", name="AJUKAN KLAIM").tap()
    expect(page.get_by_role("alert").filter(has_text="Periksa isian")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count(Claim.id))) == 0
    db.session.commit()
    shot(page, "klaim-03-formulir-kosong")

    page.get_by_label("Alasan klaim", exact=True).select_option("MENGUNDURKAN_DIRI")
    page.get_by_label("Bank", exact=True).select_option("BRI")
    page.get_by_label("Nomor rekening").fill("0123 4567 8901")
    page.get_by_label("Nama pemilik rekening").fill("Budi Santoso")
    page.get_by_label("KTP", exact=True).set_input_files({"name": "ktp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.get_by_label("Buku tabungan").set_input_files({"name": "buku.png", "mimeType": "image/png", "buffer": png()})
    page.get_by_label("Bukti alasan klaim").set_input_files(
        {"name": "surat.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}
    )
    shot(page, "klaim-04-formulir-terisi")
    page.get_by_role("button", name="AJUKAN KLAIM").tap()
    wait_for_path(page, r"/klaim/[^/]+")
    expect(newest_toast(page)).to_contain_text("Klaim diajukan")
    claim = db.session.scalar(sa.select(Claim))
    db.session.commit()
    assert page.url.endswith(f"/klaim/{claim.public_id}")
    timeline = page.get_by_role("main").get_by_role("list").filter(has_text="Agenda Klaim")
    assert timeline.get_by_role("listitem").all_inner_texts()[0].startswith("Agenda Klaim")
    documents = page.get_by_role("link", name=re.compile("^(KTP|Buku tabungan|Bukti alasan klaim)$"))
    expect(documents).to_have_count(3)
    shot(page, "klaim-05-status-agenda")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="KTP", exact=True).tap()
    assert downloading.value.path().read_bytes() == jpeg()

    # --- The officers move it through every stage -------------------------------------------
    for _ in STAGES[1:]:
        claims.advance(claim.id, today())
    db.session.commit()
    page.reload()
    steps = timeline.get_by_role("listitem")
    expect(steps).to_have_count(len(STAGES))
    for step, stage in zip(steps.all(), STAGES, strict=True):
        assert step.inner_text().startswith(stage)
    assert "Dibayarkan" in steps.last.inner_text()
    shot(page, "klaim-06-status-selesai")

    tap_link(page, "Riwayat", "/riwayat")
    tap_link(page, "Lihat status klaim", f"/klaim/{claim.public_id}")
    tap_link(page, "Beranda", "/")
    for card in (budi.active, budi.old, budi.older):
        assert "Rp 0" in card_row(page, card.kpj).inner_text()
    shot(page, "klaim-07-beranda-rp-0")


@pytest.fixture
def rudi(app):
    """Still working, a member for more than ten years: a partial claim is open."""
    factories.jht_rate(2016, "6.00")
    person = factories.person(full_name="RUDI HARTONO")
    active = factories.membership(person, registered_on=date(2012, 1, 9))
    worked(active, range(2012, 2026))
    account = factories.account(person, active, email="rudi@contoh.id")
    db.session.commit()
    return account, active


def test_klaim_sebagian_while_still_working(phone_page, rudi):
    account, card = rudi
    page = phone_page
    sign_in(page, "rudi@contoh.id", factories.PASSWORD)
    page.goto("/pengaturan")
    tap_link(page, "Klaim JHT", "/klaim")
    expect(page.get_by_text("Masih ada KPJ yang aktif")).to_be_visible()
    tap_link(page, "Klaim sebagian", "/klaim/sebagian")
    shot(page, "sebagian-01-10-persen")

    page.get_by_role("link", name=re.compile("^30%")).tap()
    page.wait_for_url(re.compile(r"/klaim/sebagian\?bagian=30$"))
    value = ledger.values_on([card.kpj], today())[card.kpj]
    expect(page.get_by_role("main")).to_contain_text(rupiah(value * 30 // 100))
    shot(page, "sebagian-02-30-persen")

    page.get_by_label("Bank", exact=True).select_option("BRI")
    page.get_by_label("Nomor rekening").fill("0123 4567 8901")
    page.get_by_label("Nama pemilik rekening").fill("Rudi Hartono")
    page.get_by_label("KTP", exact=True).set_input_files({"name": "ktp.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.get_by_label("Buku tabungan").set_input_files({"name": "buku.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.get_by_label("Bukti alasan klaim").set_input_files(
        {"name": "rumah.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}
    )
    page.get_by_role("button", name="AJUKAN KLAIM").tap()
    wait_for_path(page, r"/klaim/[^/]+")
    expect(newest_toast(page)).to_contain_text("Klaim diajukan")
    claim = db.session.scalar(sa.select(Claim))
    db.session.commit()
    assert claim.gross == value * 30 // 100
    assert "Klaim sebagian" in page.get_by_role("main").inner_text()
    shot(page, "sebagian-03-status")
