"""Perbaikan data (DESIGN §3.12): from the mismatch answer to a filed request, and the
user's view of it after the officer's decision."""

from __future__ import annotations

import io
import re
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import AuthActions, csrf_token
from tests.test_requests_decisions import officer
from tests.test_uploads import minimal_pdf, png, zip_file
from webapp import uploads
from webapp.extensions import db
from webapp.formatting import mask_kpj, mask_name
from webapp.kpj.routes import found_reference
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.models import (
    AuditEntry,
    MemberRequest,
    RequestDocument,
    RequestKind,
    RequestStatus,
    Segment,
    Transaction,
    TxKind,
    TxStatus,
)
from webapp.requests import decisions, services
from webapp.requests.services import Refusal, Refused

HTMX = {"HX-Request": "true"}


@pytest.fixture
def rina(app):
    """Rina, signed up with her active card; an old BPU card misspells her name and her
    mother's; another old card differs only in the birth date."""
    person = f.person(full_name="RINA MARLINA", mother_name="SUMIATI", gender="P",
                      birth_date=date(1991, 5, 17))
    active = f.membership(person)
    old = f.membership(person, full_name="RINA MARLENA", mother_name="SUMIYATI",
                       status="NONAKTIF", segment="BPU", employer_npp=None)
    dated = f.membership(person, birth_date=date(1991, 5, 7), status="NONAKTIF")
    account = f.account(person, active, email="rina@contoh.id")
    return account, old, dated


def attempt(account, card) -> Transaction:
    return add_kpj(account, AddRequest(card.kpj, Segment(card.segment))).transaction


def documents(**overrides):
    chosen = {"ktp": png(), "kartu_keluarga": minimal_pdf(), "surat_ganti_nama": png()}
    chosen.update(overrides)
    return {key: (io.BytesIO(data), f"{key}.bin") for key, data in chosen.items() if data is not None}


def upload_dict(**overrides):
    """As request.files holds them, for the service."""
    from werkzeug.datastructures import FileStorage

    return {key: FileStorage(stream, filename) for key, (stream, filename) in documents(**overrides).items()}


def post(client, handle: dict, htmx=False, **overrides):
    path = "/pengaturan/perbaikan-data"
    data = {**handle, **documents(**overrides), "csrf_token": csrf_token(client, "/pengaturan")}
    return client.post(path, data=data, content_type="multipart/form-data",
                       headers=HTMX if htmx else {})


def requests_():
    db.session.expire_all()
    return db.session.scalars(select(MemberRequest)).all()


@pytest.fixture(autouse=True)
def own_upload_dir(app, tmp_path, monkeypatch):
    """Each test its own UPLOAD_DIR, so that the files it leaves can be counted."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))


def stored_files(app) -> list[str]:
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in directory.glob("*")) if directory.exists() else []


# --- Service --------------------------------------------------------------------------------


def test_the_plan_shows_each_differing_field_masked_where_personal(rina):
    account, old, dated = rina
    plan = services.plan_correction(account, old.kpj)
    assert [(r.label, r.registered, r.population) for r in plan.rows] == [
        ("Nama Lengkap", "RINA MARLENA", "RINA MARLINA"),
        ("Nama Ibu Kandung", mask_name("SUMIYATI"), mask_name("SUMIATI")),
    ]
    assert plan.documents == ["KTP", "KARTU_KELUARGA", "SURAT_GANTI_NAMA"]
    dated_plan = services.plan_correction(account, dated.kpj)
    assert [(r.label, r.registered, r.population) for r in dated_plan.rows] == [
        ("Tanggal Lahir", "7 Mei 1991", "17 Mei 1991")
    ]
    assert dated_plan.documents == ["KTP", "KARTU_KELUARGA"], "no name letter without a name change"


def test_filing_writes_the_request_its_documents_transaction_and_audit_once(app, rina):
    account, old, _ = rina
    filed = services.file_correction(account, old.kpj, upload_dict())
    assert isinstance(filed, MemberRequest)
    assert (filed.kind, filed.status, filed.open_correction_kpj) == ("CORRECTION", "DIPROSES", old.kpj)
    assert filed.differences == "full_name~,mother_name~"
    docs = db.session.scalars(select(RequestDocument).order_by(RequestDocument.id)).all()
    assert [(d.kind, d.content_type) for d in docs] == [
        ("KTP", "image/png"), ("KARTU_KELUARGA", "application/pdf"), ("SURAT_GANTI_NAMA", "image/png")
    ]
    assert sorted(d.stored_name for d in docs) == stored_files(app)
    tx = db.session.get(Transaction, filed.transaction_id)
    assert (tx.kind, tx.status, tx.kpj, tx.detail) == (
        TxKind.PERBAIKAN_DATA, TxStatus.DIPROSES, old.kpj, filed.public_id
    )
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_kind, entry.account_id, entry.member_nik) == (
        "request.correction.filed", "PARTICIPANT", account.id, account.nik
    )


@pytest.mark.parametrize("case, reason", [
    ("someone_elses", Refused.NOT_YOURS),
    ("unknown", Refused.NOT_YOURS),
    ("linked_elsewhere", Refused.NOT_YOURS),
    ("mine_linked", Refused.ALREADY_LINKED),
    ("closed", Refused.CLOSED),
    ("fixed_meanwhile", Refused.NOTHING_DIFFERS),
])
def test_refusals_change_nothing(app, rina, case, reason):
    account, old, _ = rina
    kpj = old.kpj
    if case == "someone_elses":
        kpj = f.membership(f.person(), full_name="X").kpj
    if case == "unknown":
        kpj = f.next_kpj()
    if case == "linked_elsewhere":
        old.nik = f.person().nik
    if case == "mine_linked":
        kpj = account_card(account)
    if case == "closed":
        old.status = "DIKLAIM"
    if case == "fixed_meanwhile":
        old.full_name, old.mother_name = "RINA MARLINA", "SUMIATI"
    db.session.commit()
    result = services.file_correction(account, kpj, upload_dict())
    assert isinstance(result, Refusal) and result.reason is reason
    assert requests_() == [] and stored_files(app) == []
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0


def account_card(account) -> str:
    from webapp.kpj.services import linked_cards

    return linked_cards(account)[0].kpj


def test_one_open_correction_per_card_then_a_new_one_after_a_decision(app, rina):
    account, old, _ = rina
    first = services.file_correction(account, old.kpj, upload_dict())
    again = services.file_correction(account, old.kpj, upload_dict())
    assert isinstance(again, Refusal) and again.reason is Refused.ALREADY_OPEN
    assert again.open_request.id == first.id
    assert len(stored_files(app)) == 3, "the refused filing's files are not kept"
    decisions.reject(first.public_id, officer(), "KTP tidak terbaca.")
    assert isinstance(services.file_correction(account, old.kpj, upload_dict()), MemberRequest)


def test_concurrent_filings_for_one_card_file_one_request(app, rina):
    account, old, _ = rina
    account_id, kpj = account.id, old.kpj
    barrier, results = threading.Barrier(3, timeout=20), []

    def file() -> None:
        with app.app_context():
            me = db.session.get(type(account), account_id)
            barrier.wait()
            result = services.file_correction(me, kpj, upload_dict())
            results.append(result.reason if isinstance(result, Refusal) else type(result).__name__)
            db.session.remove()

    threads = [threading.Thread(target=file) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == sorted(["MemberRequest", Refused.ALREADY_OPEN, Refused.ALREADY_OPEN], key=str)
    assert len(requests_()) == 1
    assert len(stored_files(app)) == 3, "the losers' files are removed"


@pytest.mark.parametrize("overrides, field, message", [
    ({"ktp": None}, "ktp", "Pilih berkas KTP"),
    ({"kartu_keluarga": zip_file()}, "kartu_keluarga", "JPG/PNG atau PDF"),
    ({"surat_ganti_nama": None}, "surat_ganti_nama", "Pilih berkas Surat penetapan"),
    ({"ktp": b"\x89PNG\r\n\x1a\n" + b"0" * 100}, "ktp", "JPG/PNG atau PDF"),
])
def test_missing_or_invalid_documents_are_named_per_field(app, rina, overrides, field, message):
    account, old, _ = rina
    errors = services.file_correction(account, old.kpj, upload_dict(**overrides))
    assert isinstance(errors, dict) and list(errors) == [field] and message in errors[field]
    assert requests_() == [] and stored_files(app) == []


def test_a_failing_commit_removes_the_stored_files(app, rina, monkeypatch):
    account, old, _ = rina

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.file_correction(account, old.kpj, upload_dict())
    assert requests_() == [] and stored_files(app) == []


# --- Views ----------------------------------------------------------------------------------


def test_the_mismatch_toast_and_riwayat_link_to_the_request_by_attempt(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    page = client.post("/pengaturan/tambah-kpj", data={
        "kpj": old.kpj, "segmen": "BPU", "csrf_token": csrf_token(client, "/pengaturan/tambah-kpj")
    }).get_data(as_text=True)
    [tx] = db.session.scalars(select(Transaction)).all()
    link = f'href="/pengaturan/perbaikan-data?transaksi={tx.id}">Ajukan perbaikan data'
    assert link in page
    assert link in client.get("/riwayat").get_data(as_text=True)


def test_temukan_links_a_differing_card_by_its_reference(app, client, rina):
    account, old, dated = rina
    AuthActions(client).login("rina@contoh.id")
    page = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    for card in (old, dated):
        ref = found_reference(app.config["SECRET_KEY"], account.id, card.kpj)
        assert f'href="/pengaturan/perbaikan-data?kartu={ref}"' in page
    assert page.count("Ajukan perbaikan data ›") == 2
    matching = f.membership(account.person, status="NONAKTIF")
    db.session.commit()
    ref = found_reference(app.config["SECRET_KEY"], account.id, matching.kpj)
    assert f"kartu={ref}" not in client.get("/pengaturan/temukan-kpj").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_filing_through_the_page(app, client, rina, htmx):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = attempt(account, old)
    page = client.get(f"/pengaturan/perbaikan-data?transaksi={tx.id}").get_data(as_text=True)
    assert "RINA MARLENA" in page and "RINA MARLINA" in page
    assert "SUMIYATI" not in page and "SUMIATI" not in page
    assert mask_kpj(old.kpj) in page and old.kpj not in page
    for name in ("ktp", "kartu_keluarga", "surat_ganti_nama"):
        assert f'name="{name}" type="file"' in page
    response = post(client, {"transaksi": tx.id}, htmx=htmx)
    [filed] = requests_()
    target = f"/pengaturan/permintaan/{filed.public_id}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.headers["Location"] == target
    shown = client.get(target).get_data(as_text=True)
    assert "Perbaikan data sedang diproses" in shown and "Nama Lengkap, Nama Ibu Kandung" in shown
    assert "Permintaan perbaikan data diterima" in shown  # the toast
    history = client.get("/riwayat").get_data(as_text=True)
    assert f"Perbaikan data KPJ {mask_kpj(old.kpj)}" in history and "DIPROSES" in history
    assert f'href="{target}"' in history
    assert f'href="{target}"' in client.get("/pengaturan/permintaan").get_data(as_text=True)


def test_the_reference_from_temukan_works_the_same(app, client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    ref = found_reference(app.config["SECRET_KEY"], account.id, old.kpj)
    assert "RINA MARLENA" in client.get(f"/pengaturan/perbaikan-data?kartu={ref}").get_data(as_text=True)
    assert post(client, {"kartu": ref}).status_code == 303
    assert requests_()[0].kpj == old.kpj


def test_field_errors_keep_the_page_and_file_nothing(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = attempt(account, old)
    response = post(client, {"transaksi": tx.id}, ktp=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-ktp"' in page and "Pilih berkas KTP" in page
    assert requests_() == []


def test_a_second_filing_points_at_the_first(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = attempt(account, old)
    post(client, {"transaksi": tx.id})
    [first] = requests_()
    response = post(client, {"transaksi": tx.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Permintaan sudah diajukan" in page
    assert f'href="/pengaturan/permintaan/{first.public_id}"' in page
    assert len(requests_()) == 1
    again = client.get(f"/pengaturan/perbaikan-data?transaksi={tx.id}").get_data(as_text=True)
    assert "Permintaan sudah diajukan" in again and 'type="file"' not in again


def test_nothing_to_correct_links_to_tambah_kpj(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = attempt(account, old)
    old.full_name, old.mother_name = "RINA MARLINA", "SUMIATI"
    db.session.commit()
    page = client.get(f"/pengaturan/perbaikan-data?transaksi={tx.id}").get_data(as_text=True)
    assert "Data kartu sudah sesuai" in page
    assert 'href="/pengaturan/tambah-kpj?segmen=BPU">Tambah KPJ sekarang' in page


@pytest.mark.parametrize("query", [
    "", "?transaksi=abc", "?transaksi=99999999", "?kartu=nothing", "?kartu=",
])
def test_no_or_a_foreign_handle_is_a_404(client, rina, query):
    AuthActions(client).login("rina@contoh.id")
    assert client.get(f"/pengaturan/perbaikan-data{query}").status_code == 404


def test_another_accounts_attempt_or_reference_is_a_404(app, client, rina):
    account, old, _ = rina
    tx = attempt(account, old)
    ref = found_reference(app.config["SECRET_KEY"], account.id, old.kpj)
    other = f.person()
    f.account(other, f.membership(other), email="lain@contoh.id")
    AuthActions(client).login("lain@contoh.id")
    assert client.get(f"/pengaturan/perbaikan-data?transaksi={tx.id}").status_code == 404
    assert client.get(f"/pengaturan/perbaikan-data?kartu={ref}").status_code == 404
    assert post(client, {"transaksi": tx.id}).status_code == 404
    assert requests_() == []


def test_a_not_found_attempt_is_no_handle_for_a_correction(client, rina):
    account, *_ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = add_kpj(account, AddRequest("99999999999", Segment.PU)).transaction
    assert tx.reason == Outcome.NOT_FOUND
    assert client.get(f"/pengaturan/perbaikan-data?transaksi={tx.id}").status_code == 404


# --- After the decision ---------------------------------------------------------------------


def test_approval_shows_the_way_to_tambah_kpj_and_adding_succeeds(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    filed = services.file_correction(account, old.kpj, upload_dict())
    decisions.approve(filed.public_id, officer())
    page = client.get(f"/pengaturan/permintaan/{filed.public_id}").get_data(as_text=True)
    assert "KPJ ini sekarang bisa ditambahkan" in page
    assert 'href="/pengaturan/tambah-kpj?segmen=BPU"' in page
    history = client.get("/riwayat").get_data(as_text=True)
    assert "Perbaikan data disetujui" in history and "BERHASIL" in history
    response = client.post("/pengaturan/tambah-kpj", data={
        "kpj": old.kpj, "segmen": "BPU", "csrf_token": csrf_token(client, "/pengaturan/tambah-kpj")
    })
    assert response.status_code == 303
    assert db.session.scalars(select(Transaction.reason).order_by(Transaction.id.desc())).first() == "LINKED"


def test_rejection_shows_the_reason_and_the_next_step(client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    filed = services.file_correction(account, old.kpj, upload_dict())
    decisions.reject(filed.public_id, officer(), "Foto KTP buram.")
    page = client.get(f"/pengaturan/permintaan/{filed.public_id}").get_data(as_text=True)
    assert "Perbaikan data ditolak" in page and "Alasan: Foto KTP buram." in page
    assert "Langkah berikutnya" in page and "Ajukan perbaikan data lagi" in page
    assert "GAGAL" in client.get("/riwayat").get_data(as_text=True)


def test_another_accounts_request_is_a_404(client, rina):
    account, old, _ = rina
    filed = services.file_correction(account, old.kpj, upload_dict())
    other = f.person()
    f.account(other, f.membership(other), email="lain@contoh.id")
    AuthActions(client).login("lain@contoh.id")
    assert client.get(f"/pengaturan/permintaan/{filed.public_id}").status_code == 404
    assert filed.public_id not in client.get("/pengaturan/permintaan").get_data(as_text=True)
    assert client.get("/pengaturan/permintaan/nothing").status_code == 404


def test_pengaturan_links_the_requests(client, rina):
    AuthActions(client).login("rina@contoh.id")
    assert 'href="/pengaturan/permintaan"' in client.get("/pengaturan").get_data(as_text=True)
    assert "Belum ada permintaan" in client.get("/pengaturan/permintaan").get_data(as_text=True)


def test_the_pages_need_a_login(client):
    for path in ("/pengaturan/perbaikan-data", "/pengaturan/permintaan", "/pengaturan/permintaan/x",
                 "/pengaturan/kartu-milik-saya"):
        response = client.get(path)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_no_kpj_or_nik_in_any_url_of_these_pages(app, client, rina):
    account, old, _ = rina
    AuthActions(client).login("rina@contoh.id")
    tx = attempt(account, old)
    post(client, {"transaksi": tx.id})
    pages = [f"/pengaturan/perbaikan-data?transaksi={tx.id}", "/pengaturan/permintaan", "/riwayat",
             f"/pengaturan/permintaan/{requests_()[0].public_id}", "/pengaturan/temukan-kpj"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        urls = re.findall(r'\s(?:href|src|action|hx-get|hx-post)="([^"]*)"', html)
        assert urls and not [u for u in urls if re.search(r"\d{11,}", u)], path
