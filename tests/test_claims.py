"""Klaim JHT (DESIGN §6): the checklist and the submission decide by one function; the tax
edges; uploads by content; one claim however it is sent; the stages and the payout."""

import io
import re
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from click.testing import Result

from tests import factories as f
from tests.conftest import AuthActions, csrf_token
from tests.test_uploads import minimal_pdf, png
from webapp import ledger
from webapp.balances.services import today
from webapp.claims import eligibility, services, terms
from webapp.formatting import tanggal
from webapp.extensions import db
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import (
    Claim,
    ClaimKind,
    ClaimReason,
    LedgerEntry,
    Membership,
    Segment,
    Transaction,
)


def worked(card, years=range(2016, 2020), jht=150_000):
    for year in years:
        for month in (2, 7, 11):
            f.contribution(card, date(year, month, 1), jht=jht)


@pytest.fixture
def ani(app):
    """Eligible: every card NONAKTIF and linked, ended long ago, a modest balance."""
    f.jht_rate(2016, "7.19")
    person = f.person(full_name="ANI RAHAYU", gender="P")
    one = f.membership(person, status="NONAKTIF", registered_on=date(2014, 1, 6), ended_on=date(2018, 6, 30))
    two = f.membership(person, status="NONAKTIF", registered_on=date(2018, 8, 1), ended_on=date(2022, 3, 31))
    worked(one, range(2014, 2018))
    worked(two, range(2018, 2022))
    account = f.account(person, one, two, email="ani@contoh.id")
    return account, one, two


def files(**overrides):
    chosen = {"ktp": png(), "buku_tabungan": png(), "bukti_alasan": minimal_pdf()}
    chosen.update(overrides)
    names = {"ktp": "ktp.png", "buku_tabungan": "buku.png", "bukti_alasan": "surat.pdf"}
    return {key: (io.BytesIO(data), names[key]) for key, data in chosen.items()}


def form(account, **overrides):
    values = {
        "alasan": "MENGUNDURKAN_DIRI",
        "bank": "BRI",
        "nomor_rekening": "0123 4567 8901",
        "nama_rekening": account.person.full_name.title(),
        "npwp": "",
    }
    values.update(overrides)
    return values


def post_claim(client, account, path="/klaim", htmx=False, **overrides):
    data = {**form(account, **overrides), **files(), "csrf_token": csrf_token(client, path)}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data=data, content_type="multipart/form-data", headers=headers)


def claims():
    db.session.expire_all()
    return db.session.scalars(sa.select(Claim)).all()


def check(verdict, key):
    return next(c for c in verdict.checks if c.key == key)


# --- eligibility ----------------------------------------------------------------------------


def test_an_eligible_person_sees_every_line_green_and_the_gross_to_the_rupiah(ani):
    account, one, two = ani
    verdict = eligibility.eligibility(account, today())
    assert verdict.eligible, verdict.blocking()
    values = ledger.values_on([one.kpj, two.kpj], today())
    assert verdict.gross == sum(values.values())


def test_an_active_card_under_the_nik_blocks_and_is_named_masked_with_its_employer(ani):
    account, one, _ = ani
    active = f.membership(account.person, employer_npp=f.employer(name="PT Sinar Jaya").npp)
    db.session.commit()  # active but not even linked: it still blocks
    line = check(eligibility.eligibility(account, today()), "active")
    assert not line.ok
    assert f"{active.kpj[:2]}•••••{active.kpj[-4:]}" in line.text and "PT Sinar Jaya" in line.text
    assert active.kpj not in line.text


def test_an_unlinked_card_with_a_balance_blocks_with_a_link_to_temukan(ani):
    account, *_ = ani
    unlinked = f.membership(account.person, status="NONAKTIF", ended_on=date(2015, 1, 31))
    worked(unlinked, range(2012, 2014))
    db.session.commit()
    line = check(eligibility.eligibility(account, today()), "linked")
    assert not line.ok and line.link == ("Temukan KPJ lama", "kpj.temukan")


def test_the_waiting_period_is_one_month_after_the_latest_end(ani):
    account, one, two = ani
    two.ended_on = today() - timedelta(days=10)
    db.session.commit()
    ends = eligibility.waiting_ends([one, two])
    assert ends > today()
    resign = check(eligibility.eligibility(account, today(), ClaimReason.MENGUNDURKAN_DIRI), "waiting")
    assert not resign.ok and tanggal(ends) in resign.text
    assert check(eligibility.eligibility(account, today(), ClaimReason.CACAT_TOTAL_TETAP), "waiting").ok
    assert check(eligibility.eligibility(account, ends, ClaimReason.PHK), "waiting").ok


def test_biodata_that_differs_blocks(ani):
    account, one, _ = ani
    one.mother_name = "IBU LAIN SEKALI"
    db.session.commit()
    assert not check(eligibility.eligibility(account, today()), "identity").ok


@pytest.mark.parametrize(
    ("gross", "npwp", "tax"),
    [
        (50_000_000, True, 0),
        (50_000_000, False, 0),
        (50_000_001, True, 0),  # 5% of Rp 1, floored
        (50_000_001, False, 0),
        (50_000_020, True, 1),
        (50_000_020, False, 1),
        (70_000_000, True, 1_000_000),
        (70_000_000, False, 1_200_000),
        (15_000_000, False, 0),
    ],
)
def test_pph21_edges(gross, npwp, tax):
    money = services.amounts(gross, npwp)
    assert (money.tax, money.net) == (tax, gross - tax)


# --- submission -----------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_submitting_files_one_claim_with_its_documents(client, ani, htmx):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    page = client.get("/klaim").get_data(as_text=True)
    assert "Syarat klaim" in page and "AJUKAN KLAIM" in page
    response = post_claim(client, account, htmx=htmx)
    [claim] = claims()
    target = f"/klaim/{claim.public_id}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.headers["Location"] == target
    assert (claim.stage, claim.kind, claim.video_slot) == ("AGENDA", "FULL", None)
    assert claim.gross == eligibility.eligibility(account, today()).gross or claim.gross > 0
    status = client.get(target).get_data(as_text=True)
    assert "Agenda Klaim" in status and "Klaim diajukan" in status
    links = re.findall(r'href="(/klaim/[^"]+/dokumen/[^"]+)"', status)
    assert len(links) == 3
    with client.get(links[0]) as document:
        assert document.status_code == 200
        assert document.headers["Content-Disposition"].startswith("attachment")
        assert document.headers["X-Content-Type-Options"] == "nosniff"
    tx = db.session.scalar(sa.select(Transaction))
    assert (tx.kind, tx.status) == ("KLAIM_JHT", "DIPROSES")


def test_documents_and_claims_are_the_owners_only(app, client, ani):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    post_claim(client, account)
    [claim] = claims()
    status = client.get(f"/klaim/{claim.public_id}").get_data(as_text=True)
    document = re.search(r'href="(/klaim/[^"]+/dokumen/[^"]+)"', status).group(1)
    other = f.person()
    f.account(other, f.membership(other), email="lain@contoh.id")
    stranger = app.test_client()
    AuthActions(stranger).login("lain@contoh.id")
    assert stranger.get(f"/klaim/{claim.public_id}").status_code == 404
    assert stranger.get(document).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nama_rekening": "Orang Lain"}, "nama_rekening", "harus sama dengan nama Anda"),
        ({"bank": "BANK_PALSU"}, "bank", "Pilih bank"),
        ({"nomor_rekening": "12ab"}, "nomor_rekening", "6–20 angka"),
        ({"npwp": "123"}, "npwp", "NPWP 15 atau 16 angka"),
        ({"alasan": ""}, "alasan", "Pilih alasan"),
    ],
)
def test_field_errors_name_the_field_and_file_nothing(client, ani, overrides, field, message):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    response = post_claim(client, account, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert claims() == []


def test_a_document_that_is_not_an_image_or_pdf_is_refused(client, ani):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    data = {**form(account), **files(ktp=b"<html><script>alert(1)</script></html>"),
            "csrf_token": csrf_token(client, "/klaim")}
    response = client.post("/klaim", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Berkas harus berupa foto JPG/PNG atau PDF. Pilih lagi berkas KTP" in response.get_data(as_text=True)
    assert claims() == []


def test_submission_uses_the_same_verdict_as_the_checklist(client, ani):
    account, *_ = ani
    f.membership(account.person)  # an active card appears after the page was shown
    db.session.commit()
    AuthActions(client).login("ani@contoh.id")
    response = post_claim(client, account)
    assert response.status_code == 422
    assert "Masih ada KPJ yang aktif" in response.get_data(as_text=True)
    assert claims() == []


def test_a_double_tap_files_one_claim(client, ani):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    assert post_claim(client, account).status_code == 303
    again = post_claim(client, account)
    assert again.status_code == 422 and "Ada klaim yang sedang diproses" in again.get_data(as_text=True)
    assert len(claims()) == 1


def test_concurrent_submissions_file_one_claim(app, ani):
    account, *_ = ani
    submission = lambda: services.Submission(  # noqa: E731
        ClaimKind.FULL, ClaimReason.PHK, "BRI", "0123456789", "Ani Rahayu", None, None, {}
    )
    account_id = account.id  # read here: the instance belongs to this thread's session
    barrier, results = threading.Barrier(3, timeout=20), []

    def submit() -> None:
        with app.app_context():
            me = db.session.get(type(account), account_id)
            barrier.wait()
            results.append(type(services.submit(me, submission(), today())).__name__)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Claim", "dict", "dict"]
    assert len(claims()) == 1


def test_above_15_million_a_video_slot_is_required_and_each_slot_is_one_users(app, client, ani):
    account, one, two = ani
    worked(one, range(2010, 2014), jht=2_000_000)
    db.session.commit()
    assert eligibility.eligibility(account, today()).gross > terms.ONLINE_LIMIT
    AuthActions(client).login("ani@contoh.id")
    page = client.get("/klaim").get_data(as_text=True)
    assert "Jadwal verifikasi video" in page
    missing = post_claim(client, account)
    assert missing.status_code == 422 and "jadwal verifikasi video" in missing.get_data(as_text=True)
    slots = services.video_slots(today())
    assert len({slot.date() for slot in slots}) == terms.VIDEO_DAYS
    assert all(slot.weekday() != 6 and slot.date() not in terms.HOLIDAYS for slot in slots)
    assert post_claim(client, account, jadwal_video=slots[0].isoformat()).status_code == 303
    assert slots[0] not in services.video_slots(today()), "one user per slot"


# --- stages ---------------------------------------------------------------------------------


def advance(runner, claim, *extra) -> Result:
    return runner.invoke(args=["claims", "advance", str(claim.id), *extra])


def test_the_cli_moves_a_claim_to_selesai_and_the_ledger_pays_every_card_out(app, runner, client, ani):
    account, one, two = ani
    AuthActions(client).login("ani@contoh.id")
    post_claim(client, account)
    [claim] = claims()
    for expected in ("Penetapan", "Persetujuan", "Pembayaran", "Selesai"):
        result = advance(runner, claim)
        assert result.exit_code == 0 and expected in result.output
    db.session.expire_all()
    assert {db.session.get(Membership, c.kpj).status for c in (one, two)} == {"DIKLAIM"}
    assert ledger.values_on([one.kpj, two.kpj], today()) == {one.kpj: 0, two.kpj: 0}
    payouts = db.session.scalars(sa.select(LedgerEntry)).all()
    assert {p.kind for p in payouts} == {"PAYOUT"} and sum(p.amount for p in payouts) == claims()[0].gross
    status = client.get(f"/klaim/{claim.public_id}").get_data(as_text=True)
    status = status.split("<body>")[1]  # not the stylesheet inlined in <head>
    assert status.count("is-done") == 5
    assert db.session.scalar(sa.select(Transaction.status)) == "BERHASIL"
    assert advance(runner, claim).exit_code != 0, "a finished claim does not move"
    # Paid cards can neither be added again nor merged.
    db.session.execute(sa.update(Membership).where(Membership.kpj == one.kpj).values(account_id=None))
    db.session.commit()
    assert add_kpj(account, AddRequest(one.kpj, Segment.PU)).outcome is Outcome.CLOSED


def test_a_rejected_claim_says_why_and_allows_a_new_one(runner, client, ani):
    account, *_ = ani
    AuthActions(client).login("ani@contoh.id")
    post_claim(client, account)
    [claim] = claims()
    result = advance(runner, claim, "--reject", "Foto KTP tidak terbaca")
    assert result.exit_code == 0 and "Ditolak" in result.output
    assert "Foto KTP tidak terbaca" in client.get(f"/klaim/{claim.public_id}").get_data(as_text=True)
    assert eligibility.eligibility(account, today()).eligible
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0


# --- partial claims -------------------------------------------------------------------------


@pytest.fixture
def rudi(app):
    """Still active, a member for more than ten years."""
    f.jht_rate(2016, "6.00")
    person = f.person(full_name="RUDI HARTONO")
    active = f.membership(person, registered_on=date(2012, 1, 9))
    worked(active, range(2012, 2026))
    return f.account(person, active, email="rudi@contoh.id"), active


def test_a_partial_claim_pays_its_share_once_and_the_rest_keeps_developing(app, runner, client, rudi):
    account, card = rudi
    verdict = eligibility.eligibility(account, today(), kind=ClaimKind.PARTIAL_10)
    assert verdict.eligible, verdict.blocking()
    value = ledger.values_on([card.kpj], today())[card.kpj]
    assert verdict.gross == value * 10 // 100
    assert not eligibility.eligibility(account, today()).eligible, "a full claim needs no active card"
    AuthActions(client).login("rudi@contoh.id")
    response = post_claim(client, account, path="/klaim/sebagian", bagian="10")
    assert response.status_code == 303, response.get_data(as_text=True)
    [claim] = claims()
    for _ in range(4):
        advance(runner, claim)
    after = ledger.values_on([card.kpj], today())[card.kpj]
    assert after == value - value * 10 // 100
    assert db.session.get(Membership, card.kpj).status == "AKTIF"
    later = ledger.values_on([card.kpj], date(today().year + 1, 12, 31))[card.kpj]
    assert later > after, "the remaining balance keeps developing"
    again = eligibility.eligibility(account, today(), kind=ClaimKind.PARTIAL_30)
    assert not check(again, "partial").ok


def test_a_partial_claim_needs_ten_years(app):
    person = f.person()
    card = f.membership(person, registered_on=today().replace(year=today().year - 9))
    worked(card, range(today().year - 9, today().year))
    account = f.account(person, card)
    line = check(eligibility.eligibility(account, today(), kind=ClaimKind.PARTIAL_10), "years")
    assert not line.ok and "10 tahun" in line.text


def test_a_jakon_only_worker_is_not_offered_a_partial_claim(app):
    person = f.person()
    account = f.account(person, f.membership(person, segment="JAKON"))
    line = check(eligibility.eligibility(account, today()), "active")
    assert not line.ok and line.link is None and "klaim sebagian" not in line.text
