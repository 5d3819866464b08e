"""The whole money flow in real Chromium at 390×844: Gabung saldo → the active card ends →
Klaim JHT's checklist all green → the form with three real uploads → the stages moved by
the CLI → the timeline at Selesai → Beranda at Rp 0. The form and the status page also fit
a 320×568 phone without sideways scrolling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.e2e.conftest import screenshot, sign_in
from tests.test_uploads import minimal_pdf, png
from webapp import ledger
from webapp.balances.services import today
from webapp.claims import services as claims
from webapp.claims.eligibility import eligibility
from webapp.extensions import db
from webapp.formatting import rupiah
from webapp.merge import services as merge
from webapp.models import Claim, Membership

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 320, "height": 568}
STAGES = ("Agenda Klaim", "Penetapan", "Persetujuan", "Pembayaran", "Selesai")


def worked(card, years, jht=150_000):
    for year in years:
        for month in (2, 7, 11):
            factories.contribution(card, date(year, month, 1), jht=jht)


@pytest.fixture
def budi(app):
    """An AKTIF card and two NONAKTIF cards with JHT, all linked; the total stays under
    the video-verification limit, so the form asks for three documents only."""
    factories.jht_rate(2016, "7.19")
    factories.jht_rate(2018, "6.26")
    person = factories.person(full_name="BUDI SANTOSO")
    active = factories.membership(person, registered_on=date(2021, 3, 1))
    old = factories.membership(person, status="NONAKTIF", registered_on=date(2012, 5, 2), ended_on=date(2016, 1, 31))
    older = factories.membership(person, status="NONAKTIF", registered_on=date(2016, 3, 1), ended_on=date(2020, 12, 31))
    worked(old, range(2013, 2016))
    worked(older, range(2016, 2021))
    worked(active, range(2021, 2026))
    account = factories.account(person, active, old, older, email="budi@contoh.id")
    db.session.commit()
    return account, active, old, older


def watch(page, errors: list[str]) -> None:
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text} {message.location}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def upload(name: str, mime_type: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime_type, "buffer": data}


def stage_texts(page, state: str) -> list[str]:
    return page.locator(f".timeline__step.{state} > strong").all_inner_texts()


def test_merge_then_claim_then_selesai_leaves_every_card_at_rp_0(page, browser, live_server, runner, budi):
    account, active, old, older = budi
    errors: list[str] = []
    watch(page, errors)
    sign_in(page)

    # --- Gabung saldo ---------------------------------------------------------------------
    plan = merge.plan(account, today())
    assert [source.card.kpj for source in plan.sources] == [old.kpj, older.kpj]
    page.goto("/pengaturan")
    page.click(".menu >> text=Gabung saldo")
    page.wait_for_url("**/pengaturan/gabung-saldo")
    sources = page.locator(".kpj-list .kpj")
    assert sources.count() == 2
    for row, source in zip(sources.all(), plan.sources, strict=True):
        text = row.inner_text()
        assert source.card.kpj in text and rupiah(source.amount) in text and "NONAKTIF" in text
    assert page.locator(".amount--big").inner_text() == rupiah(plan.total_after)
    assert no_sideways_scroll(page)
    screenshot(page, "klaim-01-gabung-saldo")

    page.evaluate("window.beforeMerge = true")  # gone only if the browser loads a new page
    with page.expect_response("**/pengaturan/gabung-saldo") as sent:
        page.click("button:has-text('GABUNGKAN SALDO')")
    assert sent.value.status == 204 and sent.value.headers["hx-redirect"] == f"/kartu/{active.link_ref}"
    page.wait_for_url(f"**/kartu/{active.link_ref}")
    page.wait_for_load_state()
    assert page.evaluate("window.beforeMerge") is None
    toast = page.locator(".toast--success")
    assert "Saldo berhasil digabung" in toast.inner_text()
    screenshot(page, "klaim-02-kartu-tujuan")

    page.goto("/")
    assert page.locator("#kpj-list .badge--digabung").count() == 2
    for card in (old, older):
        assert "DIGABUNG" in page.locator("#kpj-list .kpj", has_text=card.kpj).inner_text()
    # Beranda counts balances without this year's development (its note says so): every
    # rupiah moved is there, less the target's own development accrued this year.
    target = ledger.ledgers([active.kpj], today())[active.kpj]
    assert target.value == plan.total_after
    total = page.locator(".hero .amount--big").inner_text()
    assert total == rupiah(plan.total_after - target.accrued_estimate) == rupiah(target.balance)
    assert page.locator("#kpj-list .kpj", has_text=active.kpj).locator(".amount").inner_text() == total
    for card in (old, older):
        assert page.locator("#kpj-list .kpj", has_text=card.kpj).locator(".amount").inner_text() == "Rp 0"
    screenshot(page, "klaim-02b-beranda-digabung")

    # --- The registry reports that Budi left his job two months ago ------------------------
    db.session.execute(
        sa.update(Membership)
        .where(Membership.kpj == active.kpj)
        .values(status="NONAKTIF", ended_on=today() - timedelta(days=70))
    )
    db.session.commit()
    verdict = eligibility(account, today())
    assert verdict.eligible, verdict.blocking()
    db.session.commit()  # end the read: the live server writes next

    # --- Klaim JHT: the checklist, the amounts, the form ----------------------------------
    page.goto("/pengaturan")
    page.click(".menu >> text=Klaim JHT")
    page.wait_for_url("**/klaim")
    lines = page.locator(".checklist__item")
    assert lines.count() == len(verdict.checks) >= 5
    assert page.locator(".checklist__item.is-ok").count() == lines.count()
    assert page.locator(".checklist__item.is-bad").count() == 0
    assert page.locator(".checklist__mark").all_inner_texts() == ["✓"] * lines.count()
    facts = page.locator(".facts").inner_text()
    assert rupiah(verdict.gross) in facts
    assert claims.amounts(verdict.gross, False).net == verdict.gross  # under Rp 50 juta: no PPh 21
    assert verdict.gross == plan.total_after, "the merged card carries every rupiah"
    assert page.locator("#f-jadwal_video").count() == 0, "under Rp 15 juta: no video call"

    page.select_option("#f-alasan", "MENGUNDURKAN_DIRI")
    page.select_option("#f-bank", "BRI")
    page.fill("#f-nomor_rekening", "0123 4567 8901")
    page.fill("#f-nama_rekening", account.person.full_name)
    page.set_input_files("#f-ktp", upload("ktp.png", "image/png", png()))
    page.set_input_files("#f-buku_tabungan", upload("buku-tabungan.png", "image/png", png()))
    page.set_input_files("#f-bukti_alasan", upload("surat-pengunduran-diri.pdf", "application/pdf", minimal_pdf()))
    assert no_sideways_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page paints the header midway
    screenshot(page, "klaim-03-syarat-dan-formulir")

    # The same page on a small phone, before the claim exists (the form is still there).
    small = browser.new_context(
        viewport=SMALL_PHONE, base_url=live_server, locale="id-ID", device_scale_factor=1, service_workers="block"
    )
    try:
        small_page = small.new_page()
        small_page.set_default_timeout(10_000)
        watch(small_page, errors)
        sign_in(small_page)
        small_page.goto("/klaim")
        assert small_page.locator("#claim-form").count() == 1
        assert no_sideways_scroll(small_page)
        screenshot(small_page, "klaim-03b-formulir-320")

        with page.expect_response(lambda r: r.url.endswith("/klaim") and r.request.method == "POST") as sent:
            page.click("button:has-text('AJUKAN KLAIM')")
        assert sent.value.status == 204
        assert "multipart/form-data" in sent.value.request.headers["content-type"]
        page.wait_for_url("**/klaim/*")
        claim = db.session.scalar(sa.select(Claim))
        claim_id, public_id = claim.id, claim.public_id
        db.session.commit()
        assert page.url.endswith(f"/klaim/{public_id}")
        assert "Klaim diajukan" in page.locator(".toast--success").inner_text()
        assert stage_texts(page, "is-current") == ["Agenda Klaim"]
        assert stage_texts(page, "is-done") == ["Agenda Klaim"]
        assert page.locator("a[href*='/dokumen/']").count() == 3
        screenshot(page, "klaim-04-status-agenda")

        # --- The officers move it, by the CLI, on the same database -----------------------
        for expected in STAGES[1:]:
            result = runner.invoke(args=["claims", "advance", str(claim_id)])
            assert result.exit_code == 0 and expected in result.output, result.output
        db.session.commit()

        page.reload()
        assert stage_texts(page, "is-done") == list(STAGES)
        assert stage_texts(page, "is-current") == ["Selesai"]
        assert "Dibayarkan" in page.locator(".timeline__step.is-current").inner_text()
        assert rupiah(verdict.gross) in page.locator(".facts").inner_text()
        assert no_sideways_scroll(page)
        screenshot(page, "klaim-05-status-selesai")

        small_page.goto(f"/klaim/{public_id}")
        assert stage_texts(small_page, "is-current") == ["Selesai"]
        assert no_sideways_scroll(small_page)
        screenshot(small_page, "klaim-05b-status-320")
    finally:
        small.close()

    # --- Beranda: nothing left anywhere ----------------------------------------------------
    page.goto("/")
    assert page.locator(".hero .amount--big").inner_text() == "Rp 0"
    cards = page.locator("#kpj-list .kpj")
    assert cards.count() == 3
    for card in cards.all():
        assert card.locator(".amount").inner_text() == "Rp 0"
    assert "DIKLAIM" in page.locator("#kpj-list .kpj", has_text=active.kpj).inner_text()
    assert page.locator("#kpj-list .badge--digabung").count() == 2
    screenshot(page, "klaim-06-beranda-rp-0")
    page.click(f"#kpj-list >> text={active.kpj}")
    page.wait_for_url(f"**/kartu/{active.link_ref}")
    assert page.locator("#jht-balance .amount--big").inner_text() == "Rp 0"
    # A paid-out card earns nothing more: no estimate, and it says where the money went.
    assert page.locator("#jht-balance .estimate").count() == 0
    assert "dibayarkan lewat klaim JHT" in page.locator("#jht-balance").inner_text()
    assert page.locator("#jht-statement tbody tr").last.locator("td").last.inner_text() == "Rp 0"
    screenshot(page, "klaim-07-kartu-diklaim")
    assert errors == []
