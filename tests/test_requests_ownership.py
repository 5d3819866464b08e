"""Kartu ini milik saya (DESIGN §3.14): the same answer whatever the KPJ is, nothing of the
card shown before approval, at most three open requests, one per KPJ."""

from __future__ import annotations

import io
import re
import threading
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from tests import factories as f
from tests.conftest import AuthActions, csrf_token
from tests.test_requests_correction import own_upload_dir, stored_files  # noqa: F401
from tests.test_requests_decisions import officer
from tests.test_uploads import minimal_pdf, png, zip_file
from webapp.balances.services import today
from webapp.extensions import db
from webapp.formatting import mask_kpj
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import AuditEntry, MemberRequest, Segment, Transaction, TxKind, TxStatus
from webapp.requests import decisions, services
from webapp.requests.services import Refusal, Refused

PATH = "/pengaturan/kartu-milik-saya"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def joko(app):
    """Joko, signed up with his active card. An old card of his was registered by his
    employer under someone else's NIK."""
    person = f.person(full_name="JOKO SUSILO", mother_name="SUJIATMI")
    account = f.account(person, f.membership(person), email="joko@contoh.id")
    stranger = f.person(full_name="JOKO SUSANTO")
    stray = f.membership(stranger, full_name="JOKO S", status="NONAKTIF")
    db.session.commit()
    return account, stray


def fields(number: str, **overrides) -> dict:
    values = {"kpj": number, "perusahaan": "PT Sinar Jaya", "tahun_mulai": "2005",
              "tahun_selesai": "2009", "jenis_dokumen": "FOTO_KARTU"}
    values.update(overrides)
    return values


def claim(kpj: str, **overrides) -> services.OwnershipClaim:
    document = overrides.pop("dokumen", png())
    files = {"dokumen": FileStorage(io.BytesIO(document), "kartu.png")} if document else {}
    parsed = services.parse_ownership(MultiDict(fields(kpj, **overrides)), files, today().year)
    assert isinstance(parsed, services.OwnershipClaim), parsed
    return parsed


def post(client, kpj: str, htmx=False, document=None, **overrides):
    data = {**fields(kpj, **overrides), "csrf_token": csrf_token(client, "/pengaturan")}
    data["dokumen"] = (io.BytesIO(document or png()), "kartu.png")
    return client.post(PATH, data=data, content_type="multipart/form-data", headers=HTMX if htmx else {})


def requests_():
    db.session.expire_all()
    return db.session.scalars(select(MemberRequest).order_by(MemberRequest.id)).all()


# --- Service --------------------------------------------------------------------------------


def test_filing_records_what_the_user_said_with_its_transaction_and_audit(app, joko):
    account, stray = joko
    filed = services.file_ownership(account, claim(stray.kpj, jenis_dokumen="SURAT_PERUSAHAAN",
                                                   dokumen=minimal_pdf()))
    assert (filed.kind, filed.status, filed.kpj, filed.open_correction_kpj) == (
        "OWNERSHIP", "DIPROSES", stray.kpj, None
    )
    assert (filed.employer_name, filed.worked_from, filed.worked_to) == ("PT Sinar Jaya", 2005, 2009)
    [document] = decisions.documents(filed)
    assert (document.kind, document.content_type) == ("SURAT_PERUSAHAAN", "application/pdf")
    assert stored_files(app) == [document.stored_name]
    tx = db.session.get(Transaction, filed.transaction_id)
    assert (tx.kind, tx.status, tx.kpj, tx.segment) == (TxKind.KARTU_MILIK_SAYA, TxStatus.DIPROSES, stray.kpj, None)
    assert db.session.scalars(select(AuditEntry.action)).one() == "request.ownership.filed"


@pytest.mark.parametrize("overrides, field, message", [
    ({"kpj": "123"}, "kpj", "11 angka"),
    ({"kpj": ""}, "kpj", "11 angka"),
    ({"perusahaan": "   "}, "perusahaan", "Isi nama perusahaan"),
    ({"perusahaan": "P" * 151}, "perusahaan", "150 karakter"),
    ({"tahun_mulai": "1976"}, "tahun_mulai", "antara 1977"),
    ({"tahun_mulai": "dua ribu"}, "tahun_mulai", "4 angka"),
    ({"tahun_selesai": str(date.today().year + 2)}, "tahun_selesai", "antara 1977"),
    ({"tahun_mulai": "2010", "tahun_selesai": "2009"}, "tahun_selesai", "tidak boleh sebelum"),
    ({"jenis_dokumen": "KTP"}, "jenis_dokumen", "Pilih dokumen"),
    ({"dokumen": zip_file()}, "dokumen", "JPG/PNG atau PDF"),
    ({"dokumen": b""}, "dokumen", "Pilih berkas"),
])
def test_field_checks_name_the_field(app, overrides, field, message):
    document = overrides.pop("dokumen", png())
    files = {"dokumen": FileStorage(io.BytesIO(document), "x")} if document else {}
    errors = services.parse_ownership(MultiDict(fields("12345678901", **overrides)), files, today().year)
    assert isinstance(errors, dict) and list(errors) == [field] and message in errors[field]


def test_separators_in_the_kpj_are_forgiven(app):
    assert claim("123 4567-8.901").kpj == "12345678901"


def test_at_most_three_open_requests_and_one_per_kpj(app, joko):
    account, stray = joko
    first = services.file_ownership(account, claim(stray.kpj))
    same = services.file_ownership(account, claim(stray.kpj))
    assert isinstance(same, Refusal) and same.reason is Refused.ALREADY_OPEN
    assert same.open_request.id == first.id
    for _ in range(2):
        assert isinstance(services.file_ownership(account, claim(f.next_kpj())), MemberRequest)
    fourth = services.file_ownership(account, claim(f.next_kpj()))
    assert isinstance(fourth, Refusal) and fourth.reason is Refused.TOO_MANY_OPEN
    assert len(requests_()) == 3 and len(stored_files(app)) == 3
    decisions.reject(first.public_id, officer(), "Tidak terbukti.")
    assert isinstance(services.file_ownership(account, claim(f.next_kpj())), MemberRequest)


def test_concurrent_filings_never_make_a_fourth(app, joko):
    account, _ = joko
    services.file_ownership(account, claim(f.next_kpj()))
    services.file_ownership(account, claim(f.next_kpj()))
    account_id = account.id
    claims = [claim(f.next_kpj()) for _ in range(3)]
    barrier, results = threading.Barrier(3, timeout=20), []

    def file(parsed) -> None:
        with app.app_context():
            me = db.session.get(type(account), account_id)
            barrier.wait()
            result = services.file_ownership(me, parsed)
            results.append(result.reason if isinstance(result, Refusal) else "filed")
            db.session.remove()

    threads = [threading.Thread(target=file, args=(parsed,)) for parsed in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("filed") == 1, results
    assert len(requests_()) == 3
    assert len(stored_files(app)) == 3, "no file of a refused filing is kept"


def test_approval_lets_the_requester_add_the_card_end_to_end(app, joko):
    account, stray = joko
    assert add_kpj(account, AddRequest(stray.kpj, Segment.PU)).outcome is Outcome.NOT_FOUND
    filed = services.file_ownership(account, claim(stray.kpj))
    assert services.request_card(filed) is None, "nothing of the card before approval"
    decisions.approve(filed.public_id, officer())
    assert services.request_card(filed).kpj == stray.kpj
    assert add_kpj(account, AddRequest(stray.kpj, Segment.PU)).outcome is Outcome.LINKED


# --- Views ----------------------------------------------------------------------------------


def test_the_not_found_answer_links_here_and_prefills_the_number(client, joko):
    account, stray = joko
    AuthActions(client).login("joko@contoh.id")
    page = client.post("/pengaturan/tambah-kpj", data={
        "kpj": stray.kpj, "segmen": "PU", "csrf_token": csrf_token(client, "/pengaturan/tambah-kpj")
    }).get_data(as_text=True)
    [tx] = db.session.scalars(select(Transaction)).all()
    link = f'href="{PATH}?transaksi={tx.id}">Kartu ini milik saya'
    assert link in page and link in client.get("/riwayat").get_data(as_text=True)
    form = client.get(f"{PATH}?transaksi={tx.id}").get_data(as_text=True)
    assert f'value="{stray.kpj}"' in form
    other = f.person()
    f.account(other, f.membership(other), email="lain@contoh.id")
    AuthActions(client).logout()
    AuthActions(client).login("lain@contoh.id")
    assert stray.kpj not in client.get(f"{PATH}?transaksi={tx.id}").get_data(as_text=True)


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    html = re.sub(r'<meta name="csrf-token" content="[^"]*"', "", html)
    html = re.sub(r'hx-headers=\'[^\']*\'', "", html)
    html = re.sub(r"/pengaturan/permintaan/[A-Za-z0-9_-]{22}", "/pengaturan/permintaan/ID", html)
    html = re.sub(r"nonce-[A-Za-z0-9+/=_-]+|nonce=\"[^\"]*\"", "", html)
    html = re.sub(r"\d{1,2} \w+ \d{4} \d{2}\.\d{2} WIB", "WAKTU", html)
    # The tab bar's unread count grows with each rejection the loop below makes.
    html = re.sub(r'<a id="tab-notifikasi".*?</a>', "TAB", html, flags=re.S)
    return html


@pytest.mark.parametrize("htmx", [False, True])
def test_the_answer_is_the_same_whatever_the_kpj_is(app, client, joko, htmx):
    account, stray = joko
    own = f.membership(account.person, status="NONAKTIF")
    elsewhere_owner = f.person()
    elsewhere = f.membership(elsewhere_owner)
    f.account(elsewhere_owner, elsewhere)
    db.session.commit()
    cases = {
        "unknown": "98765432109",
        "someone_elses": stray.kpj,
        "linked_elsewhere": elsewhere.kpj,
        "own": own.kpj,
    }
    reviewer = officer()
    AuthActions(client).login("joko@contoh.id")
    answers = {}
    for case, kpj in cases.items():
        response = post(client, kpj, htmx=htmx, tahun_mulai="2001", tahun_selesai="2003")
        location = response.headers.get("HX-Redirect" if htmx else "Location")
        page = client.get(location)
        body = page.get_data(as_text=True)
        assert mask_kpj(kpj) in body
        answers[case] = (
            response.status_code,
            _normalised(response.get_data(as_text=True)),
            page.status_code,
            _normalised(body.replace(mask_kpj(kpj), "KPJ")),
        )
        # Stay under the three-open limit for the next case.
        decisions.reject(requests_()[-1].public_id, reviewer, "Sudah dibandingkan.")
    first = answers["unknown"]
    assert first[0] == (204 if htmx else 303)
    assert "Permintaan diterima, petugas akan memeriksa." in first[3]
    for case, answer in answers.items():
        assert answer == first, case
    # Only what the user typed, nothing from the registry:
    body = first[3]
    assert "JOKO S" not in body.replace("JOKO SUSILO", "") and "NONAKTIF" not in body


def test_field_errors_keep_what_was_typed(client, joko):
    AuthActions(client).login("joko@contoh.id")
    response = post(client, "123", perusahaan="PT Tetap Ada")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-kpj"' in page and 'value="PT Tetap Ada"' in page
    assert requests_() == []


def test_the_fourth_is_refused_on_the_page_and_the_form_says_so_up_front(client, joko):
    account, _ = joko
    AuthActions(client).login("joko@contoh.id")
    for _ in range(3):
        assert post(client, f.next_kpj()).status_code == 303
    response = post(client, f.next_kpj())
    assert response.status_code == 422
    assert "Terlalu banyak permintaan" in response.get_data(as_text=True)
    assert "Terlalu banyak permintaan" in client.get(PATH).get_data(as_text=True)
    assert len(requests_()) == 3


def test_the_same_kpj_again_points_at_the_first(client, joko):
    _, stray = joko
    AuthActions(client).login("joko@contoh.id")
    post(client, stray.kpj)
    [first] = requests_()
    page = post(client, stray.kpj).get_data(as_text=True)
    assert f'href="/pengaturan/permintaan/{first.public_id}"' in page


def test_filing_is_rate_limited_per_account(app, client, joko, monkeypatch):
    monkeypatch.setitem(app.config, "REQUEST_FILING_LIMIT", "2 per hour")
    AuthActions(client).login("joko@contoh.id")
    assert post(client, "123").status_code == 422, "a form with errors does not count"
    assert post(client, f.next_kpj()).status_code == 303
    assert post(client, f.next_kpj()).status_code == 303
    assert post(client, f.next_kpj()).status_code == 429
    assert len(requests_()) == 2


def test_rejection_shows_the_reason_and_what_next(client, joko):
    account, stray = joko
    AuthActions(client).login("joko@contoh.id")
    filed = services.file_ownership(account, claim(stray.kpj))
    decisions.reject(filed.public_id, officer(), "Surat perusahaan tidak menyebut nomor KPJ.")
    page = client.get(f"/pengaturan/permintaan/{filed.public_id}").get_data(as_text=True)
    assert "Permintaan kartu ditolak" in page and "tidak menyebut nomor KPJ" in page
    assert "Langkah berikutnya" in page


def test_approval_page_offers_tambah_kpj_with_the_cards_segment(client, joko):
    account, stray = joko
    AuthActions(client).login("joko@contoh.id")
    filed = services.file_ownership(account, claim(stray.kpj))
    decisions.approve(filed.public_id, officer())
    page = client.get(f"/pengaturan/permintaan/{filed.public_id}").get_data(as_text=True)
    assert "KPJ ini sekarang bisa ditambahkan" in page
    assert f'href="/pengaturan/tambah-kpj?segmen={stray.segment}"' in page


def test_a_visitor_posting_is_sent_to_sign_in_and_nothing_is_filed(client, joko):
    for path in (PATH, "/pengaturan/perbaikan-data"):
        response = client.post(path, data={"csrf_token": csrf_token(client, "/masuk"), "kpj": "12345678901"})
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]
    assert requests_() == []
